# docs/deployment.md's "A complete configuration", taken from the
# markdown as it stands (so the guide and this test cannot drift apart),
# run in an httpd of its own in front of the suite's stand-in MI.  Only
# what is needed to run it here is changed: the listening ports (80,
# 443, the admin address 10.0.0.5:8081) become ports reserved for this
# test on 127.0.0.1, the two MI nodes become the stand-in MI, and the
# certificates those of the suite's PKI.  The service it opens, that
# service's WSDL and its APIs reach MI; MI's admin services, the deny
# rule's path and the management API do not.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use MiGate::Docs;
use File::Temp qw(tempdir);
use IO::Socket::SSL;

plan tests => 17;

my $top = Apache::Test::vars('top_dir');
my ($p80, $p443, $padmin) = map { port($_) }
                            qw(deploy_http deploy_https deploy_admin);
my $mi = port('mi');
my $dir = tempdir('migate-deployment.XXXXXX', TMPDIR => 1, CLEANUP => 1);

my $conf = complete_configuration($top) // '';
my %subst = (
    'port 80'        => [ qr/<VirtualHost \*:80>/, "<VirtualHost *:$p80>" ],
    'port 443'       => [ qr/<VirtualHost \*:443>/, "<VirtualHost *:$p443>" ],
    'admin address'  => [ qr/\b10\.0\.0\.5:8081\b/, "127.0.0.1:$padmin" ],
    'the MI nodes'   => [ qr{https://mi[12]\.internal\.example:8253\b},
                          "https://localhost:$mi" ],
);
my @missing = grep { $conf !~ $subst{$_}[0] } sort keys %subst;
ok(length $conf && !@missing,
   'the complete configuration, with what this test maps')
    or diag('not found: ' . join ', ', @missing);
$conf =~ s/$subst{$_}[0]/$subst{$_}[1]/g for keys %subst;

open my $fh, '>', "$dir/httpd.conf" or die $!;
print $fh own_httpd_conf($dir, qw(authz_host alias ssl socache_shmcb proxy
                                  proxy_http proxy_balancer
                                  lbmethod_byrequests slotmem_shm watchdog
                                  proxy_hcheck headers log_config)),
    "StartServers 1\nDefine APACHE_LOG_DIR $dir\nDefine APACHE_RUN_DIR $dir\n",
    "Listen 127.0.0.1:$p80\nListen 127.0.0.1:$p443\n",
    "Include \"$top/conf/migate.conf\"\n",
    "# docs/deployment.md, A complete configuration\n",
    with_test_pki($conf, $top);
close $fh;

my $httpd = httpd_under_test();
my $out = `'$httpd' -f '$dir/httpd.conf' -k start 2>&1`;
ok($? == 0, 'it starts') or diag($out);
END { system("'$httpd' -f '$dir/httpd.conf' -k stop >/dev/null 2>&1")
          if $dir }

# One HTTP/1.0 request over TLS, as a client of api.example.com.
sub tls_req {
    my ($method, $target) = @_;
    my $s = IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $p443,
                                 SSL_verify_mode => SSL_VERIFY_NONE,
                                 SSL_hostname => '', Timeout => 30)
        or return { status => 0, body => IO::Socket::SSL::errstr() };
    print $s "$method $target HTTP/1.0\r\nHost: api.example.com\r\n"
        . ($method eq 'POST' ? "Content-Type: text/xml\r\n"
                               . "Content-Length: 0\r\n" : '')
        . "\r\n";
    local $/;
    my $resp = <$s> // '';
    close $s;
    my ($head, $body) = split /\r\n\r\n/, $resp, 2;
    my ($st) = ($head // '') =~ m{^HTTP/1\.\d (\d+)};
    my ($id) = ($head // '') =~ /^X-Request-Id: (\S+)\r?$/mi;
    return { status => $st // 0, body => $body // '', id => $id };
}
wait_for(sub { tls_req('GET', '/testHealth')->{status} }, 10);

my $uuid = uuid_re();
# Passed: MI answered (its JSON or WSDL), with the request id.
sub reaches_mi {
    my ($method, $target, $want, $name) = @_;
    my $r = tls_req($method, $target);
    ok($r->{body} =~ $want && ($r->{id} // '') =~ /^$uuid$/, $name)
        or diag("$method $target: $r->{status} $r->{body}");
}
# Refused by the gate: 404 (MiGateDenyStatus 404), MI never saw it.
sub refused {
    my ($target, $name) = @_;
    my $r = tls_req('GET', $target);
    ok($r->{status} == 404 && $r->{body} !~ /"mi":/, $name)
        or diag("GET $target: $r->{status} $r->{body}");
}

reaches_mi('GET', '/services/StockQuoteProxy',
           qr/"mi":"proxy-service StockQuoteProxy"/, 'the opened service');
reaches_mi('POST', '/services/StockQuoteProxy',
           qr/"mi":"proxy-service StockQuoteProxy","method":"POST"/,
           'a SOAP POST to it');
reaches_mi('GET', '/services/StockQuoteProxy?wsdl',
           qr/<wsdl:definitions name="StockQuoteProxy"/,
           'its WSDL (MiGateServiceMetadata On)');
reaches_mi('GET',
           '/services/StockQuoteProxy.StockQuoteProxyHttpsSoap11Endpoint',
           qr/"mi":"proxy-service StockQuoteProxy"/, 'its SOAP endpoint');
reaches_mi('GET', '/testHealth', qr/"mi":"healthy"/, 'the health API');
reaches_mi('GET', '/healthcare/doctors', qr/"mi":"api healthcare"/,
           'the healthcare API');
reaches_mi('GET', '/orders/42', qr/"mi":"no matching resource"/,
           'the orders API (MiGateAllowMatch)');

refused('/services/ServiceAdmin', 'an admin service');
refused('/services/ServiceAdmin?wsdl', "an admin service's WSDL");
refused('/services/StockQuoteProxy/x?wsdl',
        'metadata anywhere but on the opened service');
refused('/healthcare/internal/x', 'the MiGateDeny path');
refused('/management/login', 'the management API');
refused('/orders/x', 'what no rule allows');

my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p80,
                              Timeout => 30);
my $resp = '';
if ($s) {
    print $s "GET /healthcare HTTP/1.0\r\nHost: api.example.com\r\n\r\n";
    local $/;
    $resp = <$s> // '';
}
ok($resp =~ m{^HTTP/1\.\d 301 }
   && $resp =~ m{^Location: https://api\.example\.com/healthcare\r$}m,
   'port 80 only redirects to https') or diag($resp);

# The vhost's error log: one "blocked" line per refusal above, each with
# the request id, and the ErrorLogFormat's "[id\ %L]" field whole on
# every line (left out where there is no id, never half of it).
my @err = do {
    open my $e, '<', "$dir/mi-edge-error.log" or die "$dir: $!";
    <$e>;
};
my @blocked = grep { /MIGATE\d+: blocked reason=/ } @err;
ok(@blocked == 6 && !grep({ !/\[id $uuid\] / } @blocked)
   && !grep({ /\[id(?! $uuid\])/ } @err),
   'one blocked line per refusal, with its id in [id ...]')
    or diag(@err);
