# The allowlist: default deny, prefixes (segment-aware), exact paths,
# regexes, method lists, deny over allow, report mode, deny status and the
# inheritance of rules between the main server and vhosts.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;
use IO::Socket::INET;

my @passed = (
    [GET  => '/healthcare',              'prefix itself'],
    [GET  => '/healthcare/',             'prefix with slash'],
    [GET  => '/healthcare/doctors/1',    'below prefix'],
    [POST => '/healthcare/appointments', 'prefix, any method'],
    [GET  => '/testHealth',              'exact path'],
    [HEAD => '/testHealth',              'GET in a list admits HEAD'],
    [GET  => '/api/v1/orders',           'trailing-slash prefix, GET'],
    [POST => '/api/v1/orders',           'trailing-slash prefix, POST'],
    [GET  => '/orders/42',               'regex'],
    [GET  => '/healthcare/a//b',         'doubled slash merged'],
    [GET  => '/x/../healthcare/a',       'dot segment resolved'],
    [GET  => '/healthcare/%61b',         'decoded once'],
    [GET  => '/healthcare;jsessionid=1/a', 'parameter removed'],
    [GET  => '/healthcare?q=1&wsdlx=2',  'query that is not metadata'],
);

my @refused = (
    [GET    => '/',                     403, 'not-allowed', 'root'],
    [GET    => '/healthcarex',          403, 'not-allowed', 'segment-aware'],
    [GET    => '/Healthcare',           403, 'not-allowed', 'allow is case-sensitive'],
    [GET    => '/testHealth/x',         403, 'not-allowed', 'exact is exact'],
    [POST   => '/testHealth',           403, 'method', 'exact GET only'],
    [GET    => '/api/v1',               403, 'not-allowed', 'trailing slash prefix'],
    [DELETE => '/api/v1/orders',        403, 'method', 'method list'],
    [GET    => '/orders/x42',           403, 'not-allowed', 'regex miss'],
    [POST   => '/orders/42',            403, 'method', 'regex method list'],
    [GET    => '/healthcare/internal/x', 403, 'hard-deny', 'deny over allow'],
    [GET    => '/HEALTHCARE/Internal',  403, 'hard-deny', 'deny is case-insensitive'],
    [GET    => '/healthcare/x.bak',     403, 'hard-deny', 'deny regex'],
    [GET    => '/healthcare/x.BAK',     403, 'hard-deny', 'deny regex caseless'],
    [GET    => '/globaldeny/x',         403, 'hard-deny', 'main server deny'],
    [GET    => '/management/apis',      403, 'hard-deny', 'built-in /management'],
    [GET    => '/Management',           403, 'hard-deny', 'built-in any case'],
    [GET    => '/dashboard',            403, 'hard-deny', 'built-in /dashboard'],
    [GET    => '/carbon/admin/login.jsp', 403, 'hard-deny', 'built-in /carbon'],
    [GET    => '/fileupload/x',         403, 'hard-deny', 'built-in /fileupload'],
    [TRACE  => '/healthcare',           403, 'method', 'TRACE'],
    [TRACK  => '/healthcare',           403, 'method', 'TRACK'],
    [trace  => '/healthcare',           403, 'method', 'trace in any case'],
    [CONNECT => 'localhost:443',        403, 'method', 'CONNECT'],
    [CONNECT => '/healthcare',          400, 'method', 'CONNECT, path form (httpd refuses)'],
    [GET    => '/inherited',            403, 'not-allowed', 'own allow wins'],
);

my @report = (
    [GET => '/elsewhere', 'not-allowed', 'miss passes in report mode'],
    [POST => '/healthcare/x', 'method', 'method miss passes in report mode'],
);

plan tests => @passed + @refused + 2 * @report + 14 + 3;

for my $c (@passed) {
    passed_ok('edge', $c->[0], $c->[1], $c->[2]);
}
for my $c (@refused) {
    refused_ok('edge', @$c);
}

# Report mode: misses pass and are logged as "reported", with
# action=report, never as "blocked".
for my $c (@report) {
    my $m = mark_logs();
    my $r = req('edge_report', $c->[0], $c->[1]);
    my @b = blocked_since($m);
    my @mi = mi_since($m, 1);
    ok(@mi == 1);
    ok(@b == 1 && $b[0] =~ /MIGATE0010: reported reason=\Q$c->[2]\E id=\S+ .* action=report/);
}
# ... but everything always enforced stays enforced.
refused_ok('edge_report', 'GET', '/services/Foo', 403, 'services', 'report: services');
refused_ok('edge_report', 'GET', '/management/x', 403, 'hard-deny', 'report: hard deny');
refused_ok('edge_report', 'TRACE', '/healthcare', 403, 'method', 'report: TRACE');
refused_ok('edge_report', 'GET', '/healthcare/%0d%0aX', 400, 'control-char', 'report: 400');

# MiGateDenyStatus 404.
refused_ok('edge_404', 'GET', '/elsewhere', 404, 'not-allowed', '404 status');
refused_ok('edge_404', 'GET', '/services/X', 404, 'services', '404 for services');
refused_ok('edge_404', 'GET', '/a/%2e%2e/%2e%2e/x', 400, 'dot-segment', '400 stays 400');

# Inheritance: main-server allow inherited by a vhost without allow rules,
# main-server deny added to every vhost's own.
passed_ok('edge_inherit', 'GET', '/inherited/x', 'inherited allow');
refused_ok('edge_inherit', 'GET', '/globaldeny/x', 403, 'hard-deny', 'inherited deny');
refused_ok('edge_inherit', 'GET', '/localdeny/x', 403, 'hard-deny', 'own deny');
passed_ok('edge_own', 'GET', '/own/x', 'own allow');
refused_ok('edge_own', 'GET', '/inherited/x', 403, 'not-allowed', 'main allow not inherited');
refused_ok('edge_own', 'GET', '/globaldeny', 403, 'hard-deny', 'main deny over own allow');

# The ungated vhost passes what the gate refuses (the tests' control).
passed_ok('edge_off', 'GET', '/elsewhere', 'MiGate Off');

# Keep-alive: an allowed request keeps the connection for the next one; a
# refusal ends it (httpd's core does after the gate refused) and says so
# with "Connection: close", so the client does not send into it.
{
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => port('edge'),
                                     Proto => 'tcp', Timeout => 30)
        or die "connect edge: $!";
    my $head = sub {
        my ($target) = @_;
        print $sock "GET $target HTTP/1.1\r\nHost: localhost\r\n\r\n";
        my ($h, $len) = ('', 0);
        local $/ = "\r\n";
        while (defined(my $l = <$sock>)) {
            last if $l eq "\r\n";
            $h .= $l;
        }
        $len = $1 if $h =~ /^Content-Length:\s*(\d+)/mi;
        read($sock, my $body, $len) if $len;
        return $h;
    };
    my $h1 = $head->('/healthcare/keep');
    ok($h1 =~ m{^HTTP/1\.1 200} && $h1 !~ /^Connection:\s*close/mi);
    my $h2 = $head->('/elsewhere');
    ok($h2 =~ m{^HTTP/1\.1 403} && $h2 =~ /^Connection:\s*close/mi);
    local $/;
    ok((<$sock> // '') eq '');
    close $sock;
}
