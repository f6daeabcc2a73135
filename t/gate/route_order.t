# mod_migate loaded before mod_proxy, as Debian's mods-enabled orders
# them (migate.load before proxy.load): the gate still judges the route
# mod_proxy takes (its scheme hook is registered once every module is
# loaded), also after a graceful restart.  An edge of the test's own
# sends SetHandler "proxy:http://..." requests to a plain recorder that
# logs every byte: 502 backend-plain, and nothing arrives.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../faults";

use Apache::Test;
use MiGate::Test;
use FaultBackend;
use File::Temp qw(tempdir);
use IO::Socket::INET;

plan tests => 5;

my $port = port('routes_order');
my $be = port('routes_order_be');
my $dir = tempdir('migate-order.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $conf = "$dir/httpd.conf";
my $BOUND = 120;        # seconds, for any one wait

FaultBackend::start(port => $be, mode => 'record', name => 'plain',
                    pki => Apache::Test::vars('top_dir') . '/build/pki',
                    plain => 1, bytes => "$dir/plain.bytes");

sub bytes_of {
    open my $fh, '<:raw', "$dir/plain.bytes" or return '';
    local $/;
    return <$fh> // '';
}

# The usual start of an own configuration, with mod_migate's LoadModule
# moved before every other module's.
my @lines = split /(?<=\n)/, own_httpd_conf($dir, qw(proxy proxy_http));
my ($migate) = grep { /^LoadModule migate_module / } @lines;
@lines = grep { !/^LoadModule migate_module / } @lines;
my ($first) = grep { $lines[$_] =~ /^LoadModule / } 0 .. $#lines;
splice @lines, $first, 0, $migate;
write_file($conf, join('', @lines) . <<"CONF");
Listen 127.0.0.1:$port
<VirtualHost 127.0.0.1:$port>
    MiGate On
    MiGateAllow /api
    <Location /api>
        SetHandler "proxy:http://127.0.0.1:$be"
    </Location>
</VirtualHost>
CONF

# The status of one request, 0 while the edge does not listen yet.
sub get {
    my $path = shift;
    my $r = eval { req('routes_order', 'GET', $path) };
    return $r ? $r->{status} : 0;
}

# The "blocked reason=backend-plain" lines of the own edge so far.
sub refused_lines {
    open my $fh, '<', "$dir/error_log" or return 0;
    return scalar grep { /blocked reason=backend-plain .*path="\/api\/x/ }
        <$fh>;
}

END {
    my $p = own_httpd_pid($dir);
    if ($p) {
        kill 'TERM', $p;
        wait_for(sub { !kill(0, $p) }, $BOUND);
    }
}

my ($rc, $out) = own_httpd_ctl($conf, 'start');
ok($rc == 0 && wait_for(sub { get('/api/x1') == 502 }, $BOUND))
    or print STDERR "# start: $out\n";
ok(wait_for(sub { refused_lines() >= 1 }, $BOUND));

($rc, $out) = own_httpd_ctl($conf, 'graceful');
ok($rc == 0 && wait_for(sub { get('/api/x2') == 502
                                  && refused_lines() >= 2 }, $BOUND))
    or print STDERR "# graceful: $out\n";

# The recorder logs what it reads (the positive signal), and read none of
# the edge's requests.
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $be);
print $s "GET /direct-probe HTTP/1.1\r\nHost: x\r\n\r\n";
ok(wait_for(sub { bytes_of() =~ m{/direct-probe} }, $BOUND));
close $s;
ok(bytes_of() !~ m{/api/x});
