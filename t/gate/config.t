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
    ['MiGateRequestId Maybe',               qr/MiGateRequestId: 'Maybe' is not allowed: use On or Off/, 'bad request id switch'],
    ['MiGateServiceMetadata Yes',           qr/MiGateServiceMetadata: unknown kind 'Yes'/, 'bad metadata switch'],
    ['MiGateServiceMetadata wsdl json',     qr/MiGateServiceMetadata: unknown kind 'json'.*wsdl wsdl2 xsd info swagger policy/, 'unknown metadata kind'],
    ['MiGateServiceMetadata wsdl On',       qr/MiGateServiceMetadata: unknown kind 'On'.*On and Off stand alone/, 'On in a kind list'],
    ['MiGateServiceMetadata swagger.json',  qr/MiGateServiceMetadata: unknown kind 'swagger\.json'/, 'parameter name is not a kind'],
    ['MiGateServiceMetadata',               qr/MiGateServiceMetadata: takes On, Off, or a list of kinds/, 'metadata without argument'],
    ['MiGateAllow /api/*',                  qr/MiGateAllow: '\/api\/\*':.*literal '\*'.*MiGateAllowMatch/, '* in a prefix'],
    ['MiGateAllowExact GET /a*b',           qr/MiGateAllowExact: '\/a\*b':.*MiGateAllowMatch/, '* in an exact path'],
    ['MiGateDeny /*.bak',                   qr/MiGateDeny: '\/\*\.bak':.*MiGateDenyMatch/, '* in a deny prefix'],
    ['MiGateMode',                          qr/MiGateMode takes one argument/, 'mode without argument'],
    ['MiGateAllowService',                  qr/MiGateAllowService requires at least one argument/, 'service without name'],
    ['MiGateTrustedProxy',                  qr/MiGateTrustedProxy requires at least one argument/, 'trusted proxy without CIDR'],
    ['MiGateAllow GET /a /b',               qr/MiGateAllow takes 1-2 arguments/, 'three arguments'],
    (map { ["MiGateRequestIdHeader $_", qr/MiGateRequestIdHeader: '\Q$_\E': the request id may not overwrite/, "request id header $_"] }
     qw(Host content-length Transfer-Encoding CONNECTION Upgrade te Trailer
        Keep-Alive Proxy-Authorization proxy-connection Set-Cookie cookie
        Authorization X-Forwarded-For x-forwarded-host X-Forwarded-Anything
        Forwarded x-real-ip X_Forwarded_For x_real_ip traceparent
        tracestate b3 X-B3-TraceId uber-trace-id True-Client-IP
        X-Original-URL X-HTTP-Method-Override Front-End-Https)),
    ['MiGateTraceContext maybe',            qr/MiGateTraceContext: 'maybe' is not allowed: use On or Off/, 'bad trace context switch'],
    (map { ["MiGateResponseIdHeader $_", qr/MiGateResponseIdHeader: '\Q$_\E': the request id may not overwrite/, "response id header $_"] }
     qw(Set-Cookie Content-Length connection Proxy-Authenticate
        X-Forwarded-Proto Host)),
    ["<Directory />\nMiGate On\n</Directory>", qr/MiGate.*not allowed|cannot occur/, 'not in a directory'],
);

my @warn = (
    # [configuration, pattern of the warning (file and line), name]
    ["MiGate On\nMiGateAllow GET,POST /api/v1\nMiGateDeny /api\n",
     qr{MIGATE0005: MiGateDeny /api at \S+test\.conf:(\d+) shadows MiGateAllow GET,POST /api/v1 at \S+test\.conf:(\d+) in }, 'deny prefix over an allow rule'],
    ["MiGate On\nMiGateAllow /management/health\n",
     qr{MIGATE0005: the built-in deny of /management shadows MiGateAllow /management/health at \S+test\.conf:\d+ .*/management/health is always refused}, 'built-in deny over an allow rule'],
    ["MiGate On\nMiGateAllowExact /Carbon\n",
     qr{MIGATE0005: the built-in deny of /carbon shadows MiGateAllowExact /Carbon at \S+test\.conf:\d+}, 'built-in denies are any case'],
    ["MiGate On\nMiGateAllowService StockQuote\nMiGateDenyMatch services/\n",
     qr{MIGATE0005: MiGateDenyMatch services/ at \S+test\.conf:\d+ shadows opened service StockQuote at \S+test\.conf:\d+ .*/services/StockQuote is always refused}, 'deny regex over an opened service'],
    ["MiGate On\nMiGateAllowService StockQuote\nMiGateDeny /services/stockquote\n",
     qr{MIGATE0005: MiGateDeny /services/stockquote at \S+test\.conf:\d+ shadows opened service StockQuote}, 'deny prefix over an opened service'],
    ["MiGate On\nMiGateAllowService Quote\nMiGateServiceMetadata wsdl xsd\nMiGateDenyMatch [?]wsdl\n",
     qr{MIGATE0005: MiGateDenyMatch \[\?\]wsdl at \S+test\.conf:\d+ shadows the wsdl metadata of opened service Quote at \S+test\.conf:\d+ .*/services/Quote\?wsdl is always refused}, 'deny regex over an allowed metadata kind'],
    ["MiGate On\nMiGateAllow /services/Quote\n",
     qr{MIGATE0005: MiGateAllow /services/Quote at \S+test\.conf:\d+ in .*lies under /services.*MiGateAllowService}, 'allow rule under /services'],
    ["MiGateAllow /main\n<VirtualHost 127.0.0.1:1>\nMiGate On\nMiGateAllow /own\n</VirtualHost>\n",
     qr{MIGATE0006: localhost:1 \(\S+test\.conf:\d+\) has allow rules of its own \(first: MiGateAllow /own at \S+test\.conf:\d+\), so the 1 allow rule of the main server \(first: MiGateAllow /main at \S+test\.conf:\d+\) does not apply to it}, 'dropped main-server allow rules'],
    ["<VirtualHost 127.0.0.1:1>\nServerName gate.example\nMiGate On\nMiGateAllow /api\n</VirtualHost>\n<VirtualHost 127.0.0.1:1>\nServerName open.example\n</VirtualHost>\n",
     qr{MIGATE0007: open\.example:1 \(\S+test\.conf:\d+\) has no MiGate On but shares 127\.0\.0\.1:1 with gated gate\.example:1 \(\S+test\.conf:\d+\)}, 'ungated vhost on a gated address'],
);

# Where the policy means what it says, nothing is said.
my @quiet = (
    ["MiGate On\nMiGateAllow /api/v1\nMiGateDeny /api/v1/internal\n", 'a deny below an allow rule'],
    ["MiGate On\nMiGateAllow /apiv2\nMiGateDeny /api\n", 'segment-aware: /api does not cover /apiv2'],
    ["MiGate On\nMiGateAllowService StockQuote\nMiGateDenyMatch ^/inbound/services/\n", 'a deny regex that misses the service'],
    ["MiGate On\nMiGateAllowService Quote\nMiGateServiceMetadata wsdl\nMiGateDenyMatch [?]info\n", 'a deny of a metadata kind not allowed'],
    ["<VirtualHost 127.0.0.1:1>\nServerName gate.example\nMiGate On\nMiGateAllow /api\n</VirtualHost>\n<VirtualHost 127.0.0.2:1>\nServerName open.example\n</VirtualHost>\n", 'an ungated vhost on another address'],
    ["MiGateAllow /main\n<VirtualHost 127.0.0.1:1>\nMiGate On\n</VirtualHost>\n", 'a vhost that inherits the allow rules'],
);

plan tests => 2 * @bad + 8 + 3 * @warn + 2 * @quiet + 6;

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
MiGateTraceContext On
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

# Warnings and notices of the configuration test: the test passes, and
# the message names file and line of what it is about.
for my $c (@warn) {
    my ($conf, $re, $name) = @$c;
    ($rc, $out) = configtest($conf);
    ok($rc == 0);
    my @m = $out =~ $re;
    print STDERR "# $name: $out" unless @m;
    ok(scalar @m);
    # exactly one MIGATE0005/6/7 line
    my $n = () = $out =~ /MIGATE000[567]:/g;
    print STDERR "# $name: $n messages\n$out" unless $n == 1;
    ok($n == 1);
}
for my $c (@quiet) {
    my ($conf, $name) = @$c;
    ($rc, $out) = configtest($conf);
    ok($rc == 0);
    print STDERR "# $name: $out" if $out =~ /MIGATE000[567]/;
    ok($out !~ /MIGATE000[567]/);
}

# The lines named are the rules' own.
($rc, $out) = configtest("MiGate On\nMiGateAllow GET,POST /api/v1\nMiGateDeny /api\n");
my ($deny_line, $allow_line) = $out =~ /MIGATE0005: MiGateDeny \/api at \S+test\.conf:(\d+) shadows MiGateAllow GET,POST \/api\/v1 at \S+test\.conf:(\d+)/;
my $first = 1 + split /\n/, own_httpd_conf($dir) . "Listen 127.0.0.1:1\n";
ok(($allow_line // 0) == $first + 1);
ok(($deny_line // 0) == $first + 2);

# A real start ("apache2 -k start", not -t): warnings do not stop it, a
# configuration error does.
sub start {
    my ($name, $listen, $body) = @_;
    my $conf = "$dir/$name.conf";
    open my $fh, '>', $conf or die;
    print $fh own_httpd_conf($dir), "Listen 127.0.0.1:$listen\n", $body;
    close $fh;
    my $o = `'$httpd' -f '$conf' -k start 2>&1`;
    return ($? >> 8, $o, $conf);
}
my $conf;
($rc, $out, $conf) = start('start', port('config_start'),
                           "MiGate On\nMiGateAllow /management\n");
ok($rc == 0) or print STDERR "# start: $out";
$out = `'$httpd' -f '$conf' -k stop 2>&1`;
ok($? == 0) or print STDERR "# stop: $out";
($rc, $out) = start('bad', 1, "MiGateRequestIdHeader Host\n");
ok($rc != 0);
ok($out =~ /MiGateRequestIdHeader: 'Host'/);
