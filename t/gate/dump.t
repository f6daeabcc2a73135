# "apache2 -t -D MIGATE_DUMP" prints each gated vhost's effective policy
# after inheritance on stdout (as -D DUMP_VHOSTS does), then ends as -t
# does; without the define, -t prints nothing on stdout.  What the test
# could get wrong by writing it down is derived: each directive's line
# from the configuration written here, the built-in denies from the
# module's C table, the metadata kinds from what the module answers to
# a kind it does not know.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;
use File::Temp qw(tempdir);

my $httpd = httpd_under_test();
my $dir = tempdir(CLEANUP => 1);
my $conf = "$dir/dump.conf";

my $head = own_httpd_conf($dir, qw(proxy proxy_http socache_shmcb ssl))
    . "Listen 127.0.0.1:29998\n";
open my $fh, '>', $conf or die;
print $fh $head, <<'EOC';
MiGateAllow GET,HEAD /main
MiGateDeny /main/secret
MiGateTrustedProxy 10.0.0.0/8 192.168.1.7
MiGateResponseIdHeader X-Request-Id
SSLProxyProtocol all -SSLv3
SSLProxyEngine on
<VirtualHost 127.0.0.1:29998>
    ServerName inherits.example
    MiGate On
    MiGateDenyMatch \.bak$
    MiGateServiceMetadata wsdl xsd
    ProxyPass / https://mi.example:8253/
</VirtualHost>
<VirtualHost 127.0.0.1:29998>
    ServerName own.example
    MiGate On
    MiGateMode report
    MiGateDenyStatus 404
    MiGateAllowExact POST /own
    MiGateAllowService StockQuote
    MiGateRequestIdVersion 7
    MiGateRequestIdHeader X-Corr
    MiGateBackendTLS audit
    SSLProxyVerify none
</VirtualHost>
<VirtualHost 127.0.0.1:29998>
    ServerName noid.example
    MiGate On
    MiGateRequestId Off
    MiGateServiceMetadata On
    SSLProxyCipherSuite HIGH
</VirtualHost>
<VirtualHost 127.0.0.1:29998>
    ServerName off.example
    MiGate Off
</VirtualHost>
EOC
close $fh;

# The line of the configuration that holds this text (the first, or the
# first after the line of $after).
my @conf_lines = do { open my $in, '<', $conf or die; <$in> };
sub line_of {
    my ($text, $after) = @_;
    my $from = $after ? line_of($after) : 0;
    for my $i ($from .. $#conf_lines) {
        return $i + 1 if index($conf_lines[$i], $text) >= 0;
    }
    die "no line with $text";
}

# The built-in denies, from the module's C table wherever it lives.
my $top = Apache::Test::vars('top_dir');
my $c_src = join '', map { local $/; open my $in, '<', $_ or die; <$in> }
    glob("$top/mod_migate/*.c");
my ($deny_body) = $c_src =~ /\bbuiltin_deny\[\]\s*=\s*\{(.*?)\};/s
    or die 'no builtin_deny table';
my $builtin = join ', ', $deny_body =~ /"([^"]*)"/g;

# The metadata kinds, as the module lists them.
my $kinds_conf = "$dir/kinds.conf";
write_file($kinds_conf, own_httpd_conf($dir)
           . "Listen 127.0.0.1:29998\nMiGateServiceMetadata ?\n");
my ($kinds) = `'$httpd' -t -f '$kinds_conf' 2>&1` =~ /kinds among (.*)$/m
    or die 'the module names no metadata kinds';

plan tests => 30;

my $out = `'$httpd' -t -D MIGATE_DUMP -f '$conf' 2>/dev/null`;
ok($? == 0);
my %v = map { /^MiGate policy of (\S+)/ ? ($1 => $_) : () }
        split /(?=^MiGate policy of )/m, $out;
print STDERR map { "# $_\n" } split /\n/, $out
    unless keys %v == 3;
ok(keys %v == 3);                       # the gated vhosts only
ok(!grep { /^off\.example/ } keys %v);

# Inherits the main server's allow rules and adds to its deny rules.
my $i = $v{'inherits.example:29998'} // '';
ok($i =~ /^    mode: +enforce, refusals answered 403$/m);
ok($i =~ m{^    allow: +MiGateAllow GET,HEAD /main \(\S+dump\.conf:${\ line_of('MiGateAllow GET,HEAD /main')}\), from the main server$}m);
ok($i =~ m{^    metadata: wsdl xsd, on exactly /services/<opened name>}m);
ok($i =~ m{^    deny: +built-in: \Q/services, $builtin\E \(any case}m);
ok($i =~ m{^    deny: +MiGateDeny /main/secret \(\S+:${\ line_of('MiGateDeny /main/secret')}\), from the main server$}m);
ok($i =~ m{^    deny: +MiGateDenyMatch \\\.bak\$ \(\S+:${\ line_of('MiGateDenyMatch \\.bak$')}\)$}m);
ok($i =~ m{^    request id: On, UUID version 4, request header activityid, response header X-Request-Id, trusted proxies: 10\.0\.0\.0/8 192\.168\.1\.7$}m);
ok($i =~ m{^    backend TLS: strict$}m);
ok($i =~ m{^        SSLProxyEngine on \(\S+:${\ line_of('SSLProxyEngine on')}, from the main server\)$}m);
ok($i =~ m{^        SSLProxyProtocol all -SSLv3 \(\S+:${\ line_of('SSLProxyProtocol all -SSLv3')}, from the main server\) -> forced: TLS 1\.2 minimum}m);
ok($i =~ m{^        SSLProxyCipherSuite not set \(mod_ssl's default\) -> forced: TLS 1\.2 ECDHE-}m);
ok($i =~ m{^        SSLProxyVerify not set \(mod_ssl's default\) -> forced: require}m);

# Its own allow rules: the main server's are dropped, and said so.
my $o = $v{'own.example:29998'} // '';
ok($o =~ /^    mode: +report, refusals answered 404$/m);
ok($o =~ m{^    allow: +MiGateAllowExact POST /own \(\S+:${\ line_of('MiGateAllowExact POST /own')}\)$}m);
ok($o =~ m{^    service: +StockQuote \(\S+:${\ line_of('MiGateAllowService StockQuote')}\)$}m);
ok($o =~ m{^    dropped: +MiGateAllow GET,HEAD /main \(\S+:${\ line_of('MiGateAllow GET,HEAD /main')}\), the main server's: not applied here$}m);
ok($o =~ m{^    metadata: Off}m);
ok($o =~ m{^    request id: On, UUID version 7, request header X-Corr, response header X-Request-Id}m);
# The owned headers, from their table: the id header first.
ok($o =~ m{^    owned headers: X-Corr, X-Forwarded-For, .*X-Forwarded-\*, .*activityid, traceparent, tracestate, .*X-B3-\*, .*X-Correlation-ID \(any case, _ for -\)$}m);
ok($i =~ m{^    owned headers: activityid, X-Forwarded-For, }m && $i !~ /, activityid,/) or print STDERR map { "# $_\n" } grep { /owned/ } split /\n/, $i;
ok($o =~ m{^    trace context: Off$}m);
ok($o =~ m{^    backend TLS: audit .*nothing forced}m);
ok($o =~ m{^        SSLProxyVerify none \(\S+:${\ line_of('SSLProxyVerify none')}\)$}m);     # not forced

my $n = $v{'noid.example:29998'} // '';
ok($n =~ /^    request id: Off$/m);
ok($n =~ m{^    metadata: On: \Q$kinds\E, }m);
ok($n =~ m{^        SSLProxyCipherSuite HIGH \(\S+:${\ line_of('SSLProxyCipherSuite HIGH')}\) -> forced: TLS 1\.2 }m);

# Without the define: nothing on stdout.
$out = `'$httpd' -t -f '$conf' 2>/dev/null`;
ok($? == 0 && $out eq '');
