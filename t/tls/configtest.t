# "apache2 -t" refuses a gated vhost (MiGateBackendTLS strict) whose
# ProxyPass, <Location> ProxyPass or balancer member is not TLS, naming
# the vhost and the target; https targets, audit and off pass.  Each case
# is a small configuration of its own, checked by the test user.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;
use File::Temp ();

my $top = Apache::Test::vars('top_dir');
my $httpd = httpd_under_test();
my $dir = File::Temp::tempdir(CLEANUP => 1);

my @cases = (
    # [name, vhost body, expect failure, [patterns the output must have]]
    ['ProxyPass http://', <<'C', 1, [qr{ProxyPass target http://mi\.example:8290/api in gate\.example:29999 \(\S+:\d+\)}]],
    ProxyPass /api http://mi.example:8290/api
C
    ['balancer member http://', <<'C', 1, [qr{member of balancer://mis http://mi1\.example:8290 in gate\.example:29999}]],
    <Proxy balancer://mis>
        BalancerMember http://mi1.example:8290
        BalancerMember https://mi2.example:8253
    </Proxy>
    ProxyPass /api balancer://mis/api
C
    ['<Location> ProxyPass ajp://', <<'C', 1, [qr{ProxyPass target ajp://mi\.example:8009/loc in gate\.example:29999}]],
    <Location /loc>
        ProxyPass ajp://mi.example:8009/loc
    </Location>
C
    ['ws:// and h2c://', <<'C', 1, [qr{ws://mi\.example:8290/ws}, qr{h2c://mi\.example:8290/h2}]],
    ProxyPass /ws ws://mi.example:8290/ws
    ProxyPass /h2 h2c://mi.example:8290/h2
C
    ['https only', <<'C', 0, []],
    ProxyPass /api https://mi.example:8253/api
    ProxyPass /x !
    <Proxy balancer://mis>
        BalancerMember https://mi1.example:8253
    </Proxy>
    ProxyPass /bal balancer://mis/bal
C
    ['audit lets http:// pass the test', <<'C', 0, []],
    MiGateBackendTLS audit
    ProxyPass /api http://mi.example:8290/api
C
    ['off lets http:// pass the test', <<'C', 0, []],
    MiGateBackendTLS off
    ProxyPass /api http://mi.example:8290/api
C
);

plan tests => 2 * @cases + 1;

sub config {
    my ($n, $body, $gate) = @_;
    my $f = "$dir/case$n.conf";
    open my $fh, '>', $f or die "$f: $!";
    print $fh own_httpd_conf($dir, qw(proxy proxy_http slotmem_shm
                                      proxy_balancer lbmethod_byrequests)),
        "Listen 127.0.0.1:29999\n";
    print $fh "<VirtualHost 127.0.0.1:29999>\n    ServerName gate.example\n"
        . "    MiGate $gate\n    MiGateAllow /api\n$body</VirtualHost>\n";
    close $fh;
    return $f;
}

sub check {
    my $f = shift;
    my $out = `$httpd -t -f $f 2>&1`;
    return ($? >> 8, $out);
}

my $n = 0;
for my $c (@cases) {
    my ($name, $body, $fail, $want) = @$c;
    my ($rc, $out) = check(config(++$n, $body, 'On'));
    my $good = $fail ? $rc != 0 : $rc == 0;
    print STDERR "# $name: exit $rc\n", map { "#   $_\n" } split /\n/, $out
        unless $good;
    ok($good);
    my $named = 1;
    for my $re (@$want) {
        $named &&= $out =~ /MIGATE0023: .*$re/;
    }
    # A passing configuration says nothing about backends; one message
    # per plain target, never the https ones.
    $named &&= $out !~ /MIGATE0023/ unless $fail;
    $named &&= $out !~ m{MIGATE0023: [^\n]* (?:https|balancer)://\S+ in };
    print STDERR "# $name: output\n", map { "#   $_\n" } split /\n/, $out
        unless $named;
    ok($named);
}

# Without MiGate On the gate has no opinion on backends.
my ($rc) = check(config(++$n, "    ProxyPass /api http://mi.example/api\n",
                        'Off'));
ok($rc == 0);
