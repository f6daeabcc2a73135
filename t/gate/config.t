# Configuration errors: "apache2 -t" fails naming the directive and the
# reason; warnings where the configuration is legal but suspicious.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;
use File::Temp qw(tempdir);

my $top = Apache::Test::vars('top_dir');
my $dir = tempdir(CLEANUP => 1);
my $httpd = httpd_under_test();

sub configtest {
    my ($body) = @_;
    my $conf = "$dir/test.conf";
    open my $fh, '>', $conf or die;
    print $fh own_httpd_conf($dir), "Listen 127.0.0.1:1\n", <<"EOC";
$body
EOC
    close $fh;
    my $out = `'$httpd' -t -f '$conf' 2>&1`;
    return ($? >> 8, $out);
}

my @bad = (
    ['MiGateAllow api',                     qr/MiGateAllow: 'api':.*start with '\/'/, 'no leading slash'],
    ['MiGateAllowExact relative/path',      qr/MiGateAllowExact: 'relative\/path'/, 'exact without slash'],
    ['MiGateAllowMatch "^/a(["',            qr/MiGateAllowMatch: .*offset \d+/, 'bad regex with offset'],
    ['MiGateDenyMatch "(?<x"',              qr/MiGateDenyMatch: .*offset \d+/, 'bad deny regex'],
    ['MiGateAllow FETCH /api',              qr/MiGateAllow: method 'FETCH'.*unknown method/, 'unknown method'],
    ['MiGateAllow GET,TRACE /api',          qr/MiGateAllow: method 'TRACE'.*never allowed/, 'TRACE in a list'],
    ['MiGateAllow TRACK /api',              qr/method 'TRACK'/, 'TRACK in a list'],
    ['MiGateAllowExact CONNECT /api',       qr/method 'CONNECT'/, 'CONNECT in a list'],
    ['MiGateAllow get /api',                qr/method 'get'/, 'methods are case-sensitive'],
    ['MiGateAllowService ServiceAdmin',     qr/MiGateAllowService: 'ServiceAdmin':.*admin/, 'admin service'],
    ['MiGateAllowService Foo myADMINproxy', qr/'myADMINproxy'.*admin/, 'admin in any case'],
    ['MiGateAllowService Foo/Bar',          qr/MiGateAllowService: 'Foo\/Bar'/, 'bad service name'],
    ['MiGateMode audit',                    qr/MiGateMode: 'audit' is not allowed: use enforce or report/, 'bad mode'],
    ['MiGateDenyStatus 500',                qr/MiGateDenyStatus: '500'.*403 or 404/, 'bad status'],
    ['MiGate Maybe',                        qr/MiGate: 'Maybe' is not allowed: use On or Off/, 'bad flag'],
    ['MiGateDeny deny',                     qr/MiGateDeny: 'deny'/, 'deny without slash'],
    ['MiGateRequestIdVersion 5',            qr/MiGateRequestIdVersion: '5'/, 'bad UUID version'],
    ['MiGateRequestIdHeader "bad header"',  qr/MiGateRequestIdHeader: 'bad header'/, 'bad header name'],
    ['MiGateResponseIdHeader "X:Y"',        qr/MiGateResponseIdHeader: 'X:Y'/, 'bad response header'],
    ['MiGateTrustedProxy 10.0.0.0/33',      qr/MiGateTrustedProxy: '10.0.0.0\/33'/, 'bad CIDR'],
    ['MiGateTrustedProxy example.com',      qr/MiGateTrustedProxy: 'example.com'/, 'host name as CIDR'],
    ['MiGateBackendTLS loose',              qr/MiGateBackendTLS: 'loose'/, 'bad TLS policy'],
    ["<Directory />\nMiGate On\n</Directory>", qr/MiGate.*not allowed|cannot occur/, 'not in a directory'],
);

plan tests => 2 * @bad + 8;

for my $c (@bad) {
    my ($rc, $out) = configtest($c->[0]);
    ok($rc != 0);
    my $m = $out =~ $c->[1] && $out =~ /line \d+/;
    print STDERR "# $c->[2]: $out" unless $m;
    ok($m);
}

# Legal but suspicious: a warning, and the test passes.
my ($rc, $out) = configtest("MiGate On\n");
ok($rc == 0);
ok($out =~ /MIGATE0003: MiGate On .* with no allow rule/);
($rc, $out) = configtest("MiGate On\nMiGateAllow /\n");
ok($rc == 0);
ok($out =~ /MIGATE0004: MiGateAllow \/ /);

# A good configuration with every directive.
($rc, $out) = configtest(<<'EOC');
MiGate On
MiGateMode report
MiGateAllow GET,HEAD,POST /api/
MiGateAllowExact GET /testHealth
MiGateAllowMatch PUT,PATCH ^/orders/[0-9]+$
MiGateDeny /api/internal
MiGateDenyMatch \.bak$
MiGateAllowService StockQuoteProxy OrderProxy
MiGateServiceMetadata On
MiGateDenyStatus 404
MiGateRequestId On
MiGateRequestIdHeader activityid
MiGateRequestIdVersion 7
MiGateResponseIdHeader X-Request-Id
MiGateTrustedProxy 10.0.0.0/8 192.168.1.7 2001:db8::/32
MiGateBackendTLS audit
EOC
print STDERR "# $out" if $rc;
ok($rc == 0);
ok($out !~ /MIGATE000[34]/);

# Vhost scope: a bad directive inside <VirtualHost> names its line.
($rc, $out) = configtest("<VirtualHost 127.0.0.1:1>\nMiGate On\nMiGateAllow nope\n</VirtualHost>\n");
ok($rc != 0);
# (the preamble, then the body)
my $line = 3 + split /\n/, own_httpd_conf($dir) . "Listen 127.0.0.1:1\n";
ok($out =~ /line $line of \S*test\.conf:\s*MiGateAllow: 'nope'/);
