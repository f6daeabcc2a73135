# A mapping of the operator's that makes MI receive "//" (SPEC "Request
# IDs and logs", "Directives" configuration-test paragraph):
#  - "apache2 -t" warns about each ProxyPass of a gated vhost whose path
#    and URL disagree on the trailing "/", naming its file and line, and
#    about no other;
#  - at run time the refusal it causes says, in detail, that the mapping
#    made the "//", not the client (t/conf/mapping.conf.in).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use File::Temp ();

plan tests => 5;

my $httpd = httpd_under_test();
my $dir = File::Temp::tempdir(CLEANUP => 1);
my $conf = "$dir/mapping.conf";
write_file($conf, own_httpd_conf($dir, qw(proxy proxy_http ssl
                                          socache_shmcb))
    . <<'EOF2');
Listen 127.0.0.1:29998
SSLProxyEngine on
<VirtualHost 127.0.0.1:29998>
    ServerName gate.example
    MiGate On
    MiGateAllow /
    ProxyPass /app https://mi.example:8253/
    ProxyPass /glued/ https://mi.example:8253/glued
    ProxyPass /fine https://mi.example:8253/fine
    ProxyPass /fine2/ https://mi.example:8253/fine2/
    ProxyPass /none !
    <Location /loc>
        ProxyPass https://mi.example:8253/loc/
    </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:29998>
    ServerName ungated.example
    ProxyPass /app https://mi.example:8253/
</VirtualHost>
EOF2
my @lines = do { open my $fh, '<', $conf or die $!; <$fh> };
sub line_of {
    my $re = shift;
    for my $i (0 .. $#lines) {
        return $i + 1 if $lines[$i] =~ $re;
    }
    return 0;
}

my $out = `$httpd -t -f $conf 2>&1`;
my $rc = $? >> 8;
my @warn = grep { /MIGATE0030:/ } split /\n/, $out;
ok($rc == 0, 'a warning, not an error: the configuration is accepted')
    or diag($out);
my %want = (
    '/app https://mi.example:8253/' => line_of(qr{ProxyPass /app https}),
    '/glued/ https://mi.example:8253/glued' => line_of(qr{/glued/ https}),
    '/loc https://mi.example:8253/loc/' => line_of(qr{https://mi\S+/loc/}),
);
my $named = @warn == 3;
for my $k (keys %want) {
    $named &&= grep { /ProxyPass \Q$k\E \(\Q$conf\E:$want{$k}\) in gated gate\.example/ } @warn;
}
ok($named, 'MIGATE0030 for the three mappings at fault, with their lines')
    or diag(join "\n", @warn);
ok((grep { m{/app/x reaches MI as https://mi\.example:8253//x} } @warn)
   && (grep { m{/glued/x reaches MI as https://mi\.example:8253/gluedx} }
       @warn),
   'each says what MI would receive');

# At run time: the refusal is the gate's (MI never sees "//"), and its
# detail blames the mapping.
my $m = mark_logs();
my $r = req('ops_slash', 'GET', '/app/x');
my @b = blocked_since($m);
my @mi = mi_since($m);
ok($r->{status} == 400 && @b == 1 && !@mi, 'the "//" never reaches MI')
    or diag("status $r->{status}\n" . join "\n", @b);
ok(@b == 1 && $b[0] =~ m{detail="backend target https://localhost:\d+/healthcare//x: the mapping made // of the client's path, not the client},
   'the refusal says the mapping made it') or diag(join "\n", @b);
