# "apache2 -t" refuses a gated vhost (MiGateBackendTLS strict) whose
# ProxyPass, <Location> ProxyPass, balancer member or literal RewriteRule
# [P] target is not TLS, naming the target, the file and line of its
# directive, and the vhost (MIGATE0023), and one whose https:// targets
# mod_ssl would not speak to: no "SSLProxyEngine on" for the vhost (its
# own, or the main server's that it inherits), or no mod_ssl at all
# (MIGATE0025).  https targets with SSLProxyEngine on, audit and off
# pass.  It names what it cannot refuse: an ErrorDocument that would be
# proxied (MIGATE0050), a worker shared with a weaker policy or with a
# strict vhost that trusts another CA (MIGATE0051),
# an IP-literal backend (MIGATE0052).  Each case is a small configuration
# of its own, checked by the test user.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;
use File::Temp ();

my $top = Apache::Test::vars('top_dir');
my $httpd = httpd_under_test();
my $dir = File::Temp::tempdir(CLEANUP => 1);
my $pki = "$top/build/pki";

# The main server's part of a case: a worker defined there, used by a
# second vhost whose lines (a ProxyPass to the worker among them) are
# given.
sub shared_worker {
    return "SSLProxyEngine on\n<Proxy https://mi.example:8253/>\n"
        . "    ProxySet ttl=5\n</Proxy>\n<VirtualHost 127.0.0.1:29999>\n"
        . "    ServerName other.example\n"
        . join('', map { "    $_\n" } @_) . "</VirtualHost>\n";
}

# ... a second strict gated vhost that trusts the CA file $ca.
sub other_strict {
    my $ca = shift;
    return shared_worker('MiGate On', 'MiGateAllow /x/',
                         "SSLProxyCACertificateFile $ca",
                         'ProxyPass /x/ https://mi.example:8253/');
}

my @cases = (
    # [name, vhost body, expect failure, [patterns the output must have]]
    ['ProxyPass http://', <<'C', 1, [qr{ProxyPass target http://mi\.example:8290/api \(\S+:\d+\) in gate\.example:29999 \(\S+:\d+\)}]],
    ProxyPass /api http://mi.example:8290/api
C
    ['balancer member http://', <<'C', 1, [qr{member of balancer://mis http://mi1\.example:8290 \(\S+:\d+\) in gate\.example:29999}]],
    <Proxy balancer://mis>
        BalancerMember http://mi1.example:8290
        BalancerMember https://mi2.example:8253
    </Proxy>
    ProxyPass /api balancer://mis/api
C
    ['<Location> ProxyPass ajp://', <<'C', 1, [qr{ProxyPass target ajp://mi\.example:8009/loc \(\S+:\d+\) in gate\.example:29999}]],
    <Location /loc>
        ProxyPass ajp://mi.example:8009/loc
    </Location>
C
    ['ws:// and h2c://', <<'C', 1, [qr{ws://mi\.example:8290/ws}, qr{h2c://mi\.example:8290/h2}]],
    ProxyPass /ws ws://mi.example:8290/ws
    ProxyPass /h2 h2c://mi.example:8290/h2
C
    ['https only', <<'C', 0, []],
    SSLProxyEngine on
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
    ['https:// without SSLProxyEngine', <<'C', 1, [qr{MIGATE0025: https://mi\.example:8253/api \(\S+:\d+\) in gate\.example:29999 \(\S+:\d+\) is https:// but SSLProxyEngine is not on for it}]],
    ProxyPass /api https://mi.example:8253/api
C
    ['SSLProxyEngine off in the vhost over the main server\'s on', <<'C', 1, [qr{MIGATE0025: https://mi\.example:8253/api \(\S+:\d+\) in gate\.example}], "SSLProxyEngine on\n"],
    SSLProxyEngine off
    ProxyPass /api https://mi.example:8253/api
C
    ['SSLProxyEngine on inherited from the main server', <<'C', 0, [], "SSLProxyEngine on\n"],
    ProxyPass /api https://mi.example:8253/api
C
    ['SSLProxyEngine on in a section that does not apply', <<'C', 1, [qr{MIGATE0025: https://mi\.example:8253/api}]],
    <IfDefine MIGATE_NEVER_DEFINED>
        SSLProxyEngine on
    </IfDefine>
    ProxyPass /api https://mi.example:8253/api
C
    ['SSLProxyEngine on in <IfModule ssl_module>', <<'C', 0, []],
    <IfModule ssl_module>
        SSLProxyEngine on
    </IfModule>
    ProxyPass /api https://mi.example:8253/api
C
    ['only a balancer member is https://', <<'C', 1, [qr{MIGATE0025: https://mi1\.example:8253 \(\S+:\d+\) in gate\.example}]],
    <Proxy balancer://mis>
        BalancerMember https://mi1.example:8253
    </Proxy>
    ProxyPass /bal balancer://mis/bal
C
    ['RewriteRule [P] to a plain target written out', <<'C', 1, [qr{MIGATE0023: RewriteRule \[P\] target http://mi\.example:8290/\$1 at \S+/case\d+\.conf:\d+ in gate\.example:29999}]],
    SSLProxyEngine on
    RewriteEngine on
    RewriteRule ^/api/(.*)$ http://mi.example:8290/$1 [P]
C
    ['RewriteRule [L,P] to fcgi:// in a <Location>', <<'C', 1, [qr{MIGATE0023: RewriteRule \[P\] target fcgi://mi\.example:9000/x at \S+:\d+ in gate\.example}]],
    <Location /api>
        RewriteEngine on
        RewriteRule ^ fcgi://mi.example:9000/x [L,P]
    </Location>
C
    ['RewriteRule [P] whose scheme is made at run time', <<'C', 0, []],
    SSLProxyEngine on
    RewriteEngine on
    RewriteRule ^/(https?)/(.*)$ $1://mi.example/$2 [P]
    RewriteRule ^/redirect/(.*)$ http://mi.example/$1 [R]
C
    ['an ErrorDocument that would be proxied is named', <<'C', 0, [qr{MIGATE0050: ErrorDocument 403 /errors/denied\.html at \S+:\d+ in gate\.example:29999 .*would be proxied to MI \(https://mi\.example:8253/\)}]],
    SSLProxyEngine on
    ErrorDocument 403 /errors/denied.html
    ErrorDocument 404 /local/404.html
    ProxyPass /local/ !
    ProxyPass / https://mi.example:8253/
C
    ['an ErrorDocument under a <Location> ProxyPass is named', <<'C', 0, [qr{MIGATE0050: ErrorDocument 403 /errors/denied\.html at \S+:\d+ in gate\.example:29999 .*would be proxied to MI \(https://mi\.example:8253/errors/\)}]],
    SSLProxyEngine on
    ErrorDocument 403 /errors/denied.html
    <Location /errors/>
        ProxyPass https://mi.example:8253/errors/
    </Location>
C
    ['an ErrorDocument a RewriteRule [P] proxies is named', <<'C', 0, [qr{MIGATE0050: ErrorDocument 403 /errors/denied\.html at \S+:\d+ in gate\.example:29999 .*would be proxied to MI \(https://mi\.example:8253/errors/\$1\) by the RewriteRule at \S+:\d+: .*from a path that directive does not proxy}]],
    SSLProxyEngine on
    RewriteEngine on
    ErrorDocument 403 /errors/denied.html
    ErrorDocument 404 /local/404.html
    RewriteRule ^/ERRORS/(.*)$ https://mi.example:8253/errors/$1 [NC,P]
    RewriteRule ^/local/(.*)$ https://mi.example:8253/x/$1 [R]
C
    ['an ErrorDocument a <Location> SetHandler proxies is named', <<'C', 0, [qr{MIGATE0050: ErrorDocument 403 /errors/denied\.html at \S+:\d+ in gate\.example:29999 .*would be proxied to MI \(https://mi\.example:8253\) by the SetHandler at \S+:\d+}]],
    SSLProxyEngine on
    ErrorDocument 403 /errors/denied.html
    ErrorDocument 404 /local/404.html
    <Location /errors/>
        SetHandler "proxy:https://mi.example:8253"
    </Location>
    <LocationMatch "^/local/.*\.json$">
        SetHandler "proxy:https://mi.example:8253"
    </LocationMatch>
C
    ['an IP-literal backend: what the gate checks', <<'C', 0, [qr{MIGATE0052: https://127\.0\.0\.1:8253/api in gate\.example:29999 .*iPAddress SAN 127\.0\.0\.1}]],
    SSLProxyEngine on
    ProxyPass /api https://127.0.0.1:8253/api
C
    ['an IP-literal backend in audit: mod_ssl\'s check', <<'C', 0, [qr{MIGATE0052: https://127\.0\.0\.1:8253/api in gate\.example:29999 .*under MiGateBackendTLS audit mod_ssl's SSLProxyCheckPeerName}]],
    MiGateBackendTLS audit
    SSLProxyEngine on
    ProxyPass /api https://127.0.0.1:8253/api
C
    ['a worker shared with an ungated vhost', <<'C', 0, [qr{MIGATE0051: proxy worker https://mi\.example:8253/ is shared by gate\.example:29999 .* and other\.example:29999 .*no backend TLS policy}], shared_worker('ProxyPass /x https://mi.example:8253/')],
    ProxyPass /api https://mi.example:8253/
C
    # Two strict vhosts share the worker's judged connections: the
    # configuration test names settings that verify or authenticate
    # differently, and is silent when they agree.
    ['strict vhosts sharing a worker, other CA files', "    SSLProxyCACertificateFile $pki/ca.crt\n    ProxyPass /api/ https://mi.example:8253/\n", 0, [qr{MIGATE0051: proxy worker https://mi\.example:8253/ is shared by (?:gate|other)\.example:29999 .* and (?:gate|other)\.example:29999 .*\(MiGateBackendTLS strict too, but SSLProxyCACertificateFile \S+ / \S+\): a connection verified under one's settings may carry the other's requests; define the worker in each vhost}], other_strict("$pki/rogue-ca.crt")],
    ['strict vhosts sharing a worker, one CA file', "    SSLProxyCACertificateFile $pki/ca.crt\n    ProxyPass /api/ https://mi.example:8253/\n", 0, [], other_strict("$pki/ca.crt")],
    ['a vhost\'s own, longer worker is not the shared one', <<'C', 0, [], shared_worker('ProxyPass /x https://mi.example:8253/')],
    ProxyPass /api/ https://mi.example:8253/api/
C
    ['another vhost\'s SSLProxyEngine on does not count', <<'C', 1, [qr{MIGATE0025: https://mi\.example:8253/api \(\S+:\d+\) in gate\.example}], "<VirtualHost 127.0.0.1:29999>\n    ServerName other.example\n    SSLProxyEngine on\n</VirtualHost>\n"],
    ProxyPass /api https://mi.example:8253/api
C
);

plan tests => 2 * @cases + 3;

my @modules = qw(proxy proxy_http slotmem_shm proxy_balancer
                 lbmethod_byrequests socache_shmcb ssl rewrite);

sub config {
    my ($n, $body, $gate, $main, @mods) = @_;
    my $f = "$dir/case$n.conf";
    open my $fh, '>', $f or die "$f: $!";
    print $fh own_httpd_conf($dir, @mods ? @mods : @modules),
        "Listen 127.0.0.1:29999\n", $main // '';
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
    my ($name, $body, $fail, $want, $main) = @$c;
    my ($rc, $out) = check(config(++$n, $body, 'On', $main));
    my $good = $fail ? $rc != 0 : $rc == 0;
    print STDERR "# $name: exit $rc\n", map { "#   $_\n" } split /\n/, $out
        unless $good;
    ok($good);
    my $named = 1;
    for my $re (@$want) {
        # patterns name their tag, or are MIGATE0023's
        $named &&= "$re" =~ /MIGATE/ ? $out =~ $re
                                     : $out =~ /MIGATE0023: .*$re/;
    }
    # A passing configuration says nothing about backends; one message
    # per plain target, never the https ones.
    $named &&= $out !~ /MIGATE002[35]/ unless $fail;
    $named &&= $out !~ m{MIGATE0023: [^\n]* (?:https|balancer)://\S+ (?:\(\S+\) )?in };
    # Each names the line of the directive that holds its target, not
    # only the <VirtualHost>.
    while ($out =~ m{MIGATE002[35]: [^\n]*?(\w+://\S+) \((\S+):(\d+)\) in }g) {
        my ($url, $file, $line) = ($1, $2, $3);
        my @l = do { open my $fh, '<', $file or die "$file: $!"; <$fh> };
        $named &&= ($l[$line - 1] // '') =~ /\Q$url\E/;
    }
    # The locally served error page is not named.
    $named &&= $out !~ m{MIGATE0050: ErrorDocument 404 /local/};
    # A shared worker only where the case says so: mod_proxy gives a
    # request the worker with the longest name that begins its URL.
    $named &&= $out !~ /MIGATE0051/
        unless grep { "$_" =~ /MIGATE0051/ } @$want;
    print STDERR "# $name: output\n", map { "#   $_\n" } split /\n/, $out
        unless $named;
    ok($named);
}

# Without MiGate On the gate has no opinion on backends.
my ($rc) = check(config(++$n, "    ProxyPass /api http://mi.example/api\n",
                        'Off'));
ok($rc == 0);

# Without mod_ssl an https:// backend cannot be reached at all.
my $out;
($rc, $out) = check(config(++$n, "    ProxyPass /api https://mi.example/api\n",
                           'On', undef, grep { $_ ne 'ssl' } @modules));
ok($rc != 0);
ok($out =~ m{MIGATE0025: https://mi\.example/api \(\S+:\d+\) in gate\.example:29999 .* but mod_ssl is not loaded})
    or print STDERR map { "#   $_\n" } split /\n/, $out;
