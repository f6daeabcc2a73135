# Nothing reaches MI that the gate did not judge, whatever route
# mod_proxy takes and whatever connection carries it
# (t/conf/routes.conf.in): ErrorDocument and ProxyErrorOverride pages,
# SetHandler "proxy:...", mod_include's subrequests, mod_rewrite's [NE],
# a balancer member added at run time through balancer-manager, a worker
# whose pool an ungated vhost shares, the backend's host name under
# ProxyPreserveHost On and as an IP literal, mod_ssl's own checks (name,
# verification, expiry).  The stand-in MIs are recorders (TLS and plain)
# that write every byte they read: after the refused requests of a
# route, a request that is allowed through the same route is waited for
# in the recorder's bytes (the positive signal), and then none of the
# refused requests' marks may be there.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../faults";

use Apache::Test;
use MiGate::Test;
use FaultBackend;
use File::Temp qw(tempdir);

# A backend the gate or mod_ssl refuses is an error of mod_proxy's and
# mod_ssl's own too: the failed handshake, the request it could not send.
error_log_allow(qr/AH02039: Certificate Verification/,
                qr/AH01084: pass request body failed/,
                qr/AH00898: Error during SSL Handshake/,
                qr/AH01097: pass request body failed/,
                # mod_include, of the subrequests the gate refused
                qr/\[include:error\] .* unable to include "[^"]*" in parsed file .*, subrequest returned (?:403|502)$/);

plan tests => 59;

my $pki = Apache::Test::vars('top_dir') . '/build/pki';
my $dir = tempdir('migate-routes.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $uuid = uuid_re();
my $BOUND = 60;         # seconds, for any one wait

my %rec = (tls => ['routes_tls_be', 'mi'],
           plain => ['routes_plain_be', undef],
           untrusted => ['routes_untrusted_be', 'untrusted'],
           wronghost => ['routes_wronghost_be', 'wronghost'],
           expired => ['routes_expired_be', 'expired']);
for my $name (sort keys %rec) {
    my ($vh, $cert) = @{ $rec{$name} };
    FaultBackend::start(port => port($vh), mode => 'record', name => $name,
                        pki => $pki, bytes => "$dir/$name.bytes",
                        $cert ? (cert => $cert) : (plain => 1));
}

# What a recorder has read so far.
sub bytes_of {
    my $name = shift;
    open my $fh, '<:raw', "$dir/$name.bytes" or return '';
    local $/;
    return <$fh> // '';
}

# Wait until the recorder has read $mark (the positive signal), then
# check that none of @absent is there.
sub nothing_unjudged {
    my ($name, $mark, $label, @absent) = @_;
    my $seen = wait_for(sub { index(bytes_of($name), $mark) >= 0 },
                        $BOUND);
    my @leaked = grep { index(bytes_of($name), $_) >= 0 } @absent;
    print STDERR "# $label: the allowed request ($mark) never arrived\n"
        unless $seen;
    print STDERR "# $label: reached $name: @leaked\n" if @leaked;
    ok($seen && !@leaked);
}

# The request is refused with $status and one blocked line with $reason,
# the real id, method and path, and $detail (a regex) if given.
sub refused {
    my ($vh, $bytes, $status, $reason, $detail, $label) = @_;
    my $m = mark_logs();
    my $r = raw_req($vh, $bytes);
    my @b = blocked_since($m);
    my ($method, $target) = $bytes =~ /^(\S+) (\S+)/;
    my $good = $r->{status} == $status && @b == 1
        && $b[0] =~ /blocked reason=\Q$reason\E id=$uuid method=\Q$method\E path="\Q$target\E"/
        && (!$detail || $b[0] =~ $detail);
    print STDERR "# $label: status $r->{status} (want $status)\n",
        map { "#   $_\n" } @b unless $good;
    ok($good);
    return $r;
}

sub get {
    my ($target, @h) = @_;
    my %h = (Host => 'localhost', @h);
    return "GET $target HTTP/1.1\r\n"
        . join('', map { "$_: $h{$_}\r\n" } sort keys %h)
        . "Connection: close\r\n\r\n";
}

sub from_mi { $_[0]->{body} =~ /^\{"mi":"/ }

# The recorders log what they read; show that the plain one does.
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => port('routes_plain_be'));
    print $s "GET /direct-probe HTTP/1.1\r\nHost: x\r\n\r\n";
    ok(wait_for(sub { bytes_of('plain') =~ m{/direct-probe} }, $BOUND));
    close $s;
}

# --- ErrorDocument and ProxyErrorOverride ---------------------------
{
    my $r = refused('routes_errdoc', get('/services/ServiceAdmin?t=E1'), 403,
                    'services', undef, 'ErrorDocument: GET /services');
    ok(!from_mi($r) && $r->{body} =~ /Forbidden/);
    my $body = '<soapenv:Envelope>E2BODY</soapenv:Envelope>';
    $r = refused('routes_errdoc',
                 "POST /services/ServiceAdmin?t=E2 HTTP/1.1\r\n"
                 . "Host: localhost\r\nSOAPAction: urn:E2ACTION\r\n"
                 . "Content-Type: text/xml\r\nContent-Length: "
                 . length($body) . "\r\nConnection: close\r\n\r\n$body",
                 403, 'services', undef, 'ErrorDocument: POST /services');
    ok(!from_mi($r) && $r->{status} == 403);
    refused('routes_errdoc', get('/management/x?t=E3'), 403, 'hard-deny',
            undef, 'ErrorDocument: /management');
    # Allowed, answered 404 by MI: the error page (not allowed) is not
    # fetched; httpd's own 404 text.
    my $m = mark_logs();
    $r = raw_req('routes_errdoc', get('/api/missing?t=E5'));
    my @b = blocked_since($m);
    ok($r->{status} == 404 && !from_mi($r) && @b == 1
       && $b[0] =~ /reason=not-allowed .*detail="internal redirect to \/errors\/notfound\.html"/)
        or print STDERR "# E5: $r->{status}\n", map { "#   $_\n" } @b;
    $r = raw_req('routes_errdoc', get('/api/ok?t=E6'));
    ok($r->{status} == 200 && from_mi($r));
    nothing_unjudged('tls', '/api/ok?t=E6', 'ErrorDocument', 't=E1', 't=E2',
                     'E2BODY', 'E2ACTION', 't=E3', '/errors/');
    ok((() = bytes_of('tls') =~ /t=E5/g) == 1);

    # The error pages are allowed here: fetched from MI, judged, without
    # the first request's body, with its id.
    $m = mark_logs();
    $body = 'F1BODY';
    $r = raw_req('routes_errdoc_allowed',
                 "POST /api/missing?t=F1 HTTP/1.1\r\nHost: localhost\r\n"
                 . "Content-Length: 6\r\nConnection: close\r\n\r\n$body");
    my $id = $r->{headers}{'x-request-id'} // '';
    ok($r->{status} == 404 && from_mi($r)
       && $r->{body} =~ m{"target":"/errors/notfound\.html"})
        or print STDERR "# F1: $r->{status} $r->{body}\n";
    ok(wait_for(sub { bytes_of('tls') =~ m{GET /errors/notfound\.html HTTP/1\.1\r\n(?:[^\r]+\r\n)*?activityid: \Q$id\E\r\n}i }, $BOUND))
        or print STDERR "# F1: no error page with id $id\n";
    my $after = (split m{GET /errors/notfound\.html}, bytes_of('tls'), 2)[1]
        // '';
    ok((() = bytes_of('tls') =~ /F1BODY/g) == 1 && $after !~ /F1BODY/
       && $after !~ /^Content-Length: [1-9]/mi);
    # A refused request's error page never comes from MI, allowed or not.
    $r = refused('routes_errdoc_allowed', get('/services/X?t=F2'), 403,
                 'services', undef, 'allowed ErrorDocument: refused request');
    ok(!from_mi($r));
    raw_req('routes_errdoc_allowed', get('/api/ok?t=F3'));
    nothing_unjudged('tls', '/api/ok?t=F3', 'allowed ErrorDocument',
                     '/errors/denied.html');
}

# --- mod_rewrite in directory context ---------------------------------
{
    refused('routes_dirrewrite', get('/local/secret?t=D1'), 403, 'hard-deny',
            qr{detail="internal redirect to /management/secret},
            'directory rewrite to /management');
    my $body = 'D2BODY';
    my $r = raw_req('routes_dirrewrite',
                    "POST /local/landing?t=D2 HTTP/1.1\r\nHost: localhost\r\n"
                    . "Content-Length: 6\r\nConnection: close\r\n\r\n$body");
    my $id = $r->{headers}{'x-request-id'} // '';
    ok($r->{status} == 200 && from_mi($r)
       && $r->{body} =~ m{"target":"/api/landing})
        or print STDERR "# D2: $r->{status} $r->{body}\n";
    nothing_unjudged('tls', "activityid: $id", 'directory rewrite',
                     't=D1', '/management', 'D2BODY');
}

# --- SetHandler "proxy:..." -----------------------------------------
{
    refused('routes_sethandler', get('/plain/x?t=S1'), 502, 'backend-plain',
            qr{detail="http://localhost:\d+/}, 'SetHandler proxy:http');
    refused('routes_sethandler', get('/unix/x?t=S2'), 502, 'backend-plain',
            undef, 'SetHandler proxy:unix');
    # The real id, method and path, a 502: not "id=- ... path="-"", 500.
    refused('routes_sethandler', get('/bad/x?t=S3'), 502, 'backend-tls',
            qr{detail="certificate verify failed}, 'SetHandler wrong cert');
    # Its URL is made from r->filename: judged with the whole policy.
    refused('routes_sethandler', get('/other/x?t=S4'), 403, 'not-allowed',
            qr{detail="backend target https://}, 'SetHandler, not allowed');
    my $r = raw_req('routes_sethandler', get('/api/x?t=S5'));
    ok($r->{status} == 200 && from_mi($r))
        or print STDERR "# S5: $r->{status}\n";
    nothing_unjudged('tls', 't=S5', 'SetHandler', 't=S3', 't=S4');
    raw_req('routes_sethandler', get('/bad/y'));    # handled, refused
    ok(bytes_of('plain') !~ /t=S[12]/ && bytes_of('untrusted') !~ /t=S3/);
}

# --- Subrequests: mod_include's "include virtual" --------------------
{
    my $docs = Apache::Test::vars('documentroot');
    mkdir "$docs/ssi";
    write_file("$docs/ssi/page.shtml",
               "A<!--#include virtual=\"/api/ssi-ok?t=I1\" -->"
               . "B<!--#include virtual=\"/services/ServiceAdmin?t=I2\" -->"
               . "C<!--#include virtual=\"/management/x?t=I3\" -->"
               . "D<!--#include virtual=\"/other/x?t=I4\" -->E\n");
    my $m = mark_logs();
    # HTTP/1.0: the parsed page is not chunked.
    my $r = raw_req('routes_ssi', "GET /ssi/page.shtml HTTP/1.0\r\n"
                                  . "Host: localhost\r\n\r\n");
    my $body = $r->{body};
    # MI's answer to the one allowed include, the page around it, and
    # mod_include's own words where the gate refused
    ok($r->{status} == 200 && $body =~ /^A\{"mi":"/
       && $body =~ /B\[an error occurred while processing this directive\]C/
       && $body =~ /E$/m)
        or print STDERR "# I: $r->{status} $body\n";
    nothing_unjudged('tls', 't=I1', 'include virtual', 't=I2', 't=I3',
                     't=I4');
    my $err = err_since($m);
    my @w = $err =~ /MIGATE0054: subrequest to https:\/\/localhost:\d+\/(\S+) refused: (\S+)/g;
    my $want = 'services/ServiceAdmin?t=I2 services management/x?t=I3 '
        . 'hard-deny other/x?t=I4 not-allowed';
    ok("@w" eq $want) or print STDERR "# MIGATE0054 lines: @w\n";
}

# --- RewriteRule [NE] -------------------------------------------------
{
    my $n = 0;
    # (A space mod_rewrite refuses itself, with a 403.)
    for my $t ('/api/a%22b', '/api/a%7Cb', '/api/a%3Cb%3E', '/api/caf%C3%A9',
               '/api/a%5Eb%60', '/api/%7Bx%7D') {
        $n++;
        refused('routes_ne', get("$t?t=N$n"), 400, 'encoding',
                qr{rule="builtin:canonical-path" detail="backend target},
                "[NE] $t");
    }
    my $r = raw_req('routes_ne', get('/api/ok?t=N0'));
    ok($r->{status} == 200 && from_mi($r));
    nothing_unjudged('tls', '/api/ok?t=N0', '[NE]', map { "t=N$_" } 1 .. $n);
}

# --- A balancer member added at run time ------------------------------
{
    my $plain = 'http://localhost:' . port('routes_plain_be');
    my $manager = get('/balancer-manager',
                      Referer => 'http://localhost/balancer-manager');
    my $page = raw_req('routes_balancer', $manager)->{body};
    my ($nonce) = $page =~ /nonce=([0-9a-f-]+)/;
    ok($nonce) or print STDERR "# no nonce in the balancer-manager page\n";
    $nonce //= '';
    for my $form ("b=routes&b_nwrkr=$plain&b_wyes=1&nonce=$nonce",
                  "b=routes&w=$plain&w_status_D=0&nonce=$nonce") {
        raw_req('routes_balancer', "POST /balancer-manager HTTP/1.1\r\n"
                . "Host: localhost\r\nReferer: http://localhost/"
                . "balancer-manager\r\nContent-Type: "
                . "application/x-www-form-urlencoded\r\nContent-Length: "
                . length($form) . "\r\nConnection: close\r\n\r\n$form");
    }
    my $page2 = raw_req('routes_balancer', $manager)->{body};
    ok(index($page2, $plain) >= 0)
        or print STDERR "# the new member is not in the manager's page\n";
    my ($n502, $n200, $odd) = (0, 0, 0);
    for my $i (1 .. 8) {
        my $m = mark_logs();
        my $r = raw_req('routes_balancer', get("/api/b?t=B$i"));
        my @b = blocked_since($m);
        if ($r->{status} == 502 && @b == 1
            && $b[0] =~ /reason=backend-plain .*detail="\Q$plain\E\/api\/b/) {
            $n502++;
        }
        elsif ($r->{status} == 200 && from_mi($r)) {
            $n200++;
        }
        else {
            $odd++;
        }
    }
    ok($n502 > 0 && $n200 > 0 && !$odd)
        or print STDERR "# balancer: $n502 refused, $n200 passed, $odd odd\n";
    # Until one goes to the TLS member: the positive signal.
    for my $i (1 .. 20) {
        last if raw_req('routes_balancer', get("/api/ok?t=B0-$i"))->{status}
                == 200;
    }
    nothing_unjudged('tls', 't=B0-', 'balancer', 'nothing');
    ok(bytes_of('plain') !~ m{/api/b});
}

# --- A pooled connection opened under a weaker policy ------------------
{
    # The partner (no gate, SSLProxyVerify none) fills the pools of the
    # shared worker; the strict vhost's requests never ride on them.
    for my $i (1 .. 8) {
        raw_req('routes_pool_partner',
                "GET /api/p$i HTTP/1.1\r\nHost: localhost\r\n\r\n"
                . "GET /api/p$i-again HTTP/1.1\r\nHost: localhost\r\n"
                . "Connection: close\r\n\r\n");
    }
    my ($bad, $pooled) = (0, 0);
    for my $i (1 .. 8) {
        my $m = mark_logs();
        my $r = raw_req('routes_pool_strict', get("/api/s$i"));
        my @b = blocked_since($m);
        $bad++ unless $r->{status} == 502 && @b == 1
            && $b[0] =~ /reason=backend-tls id=$uuid method=GET path="\/api\/s$i"/;
        $pooled++ if "@b" =~ /pooled connection opened under a weaker/;
    }
    ok(!$bad) or print STDERR "# pool: $bad strict requests not refused\n";
    print STDERR "# pool: $pooled of 8 refused on a pooled connection\n"
        if $ENV{MIGATE_ROUTES_VERBOSE};
    raw_req('routes_pool_partner', get('/api/p-last'));
    nothing_unjudged('untrusted', '/api/p-last', 'pooled connection',
                     map { "/api/s$_ " } 1 .. 8);
}

# --- A <Proxy> section's own SSL context -------------------------------
{
    # Its weak settings (TLS 1.2, AES128-SHA only) give way to the
    # policy: a strict request negotiates a GCM suite and MI answers ...
    for my $i (1 .. 3) {
        my $m = mark_logs();
        my $r = raw_req('routes_section_strict', get("/api/x?t=S2-$i"));
        my @b = blocked_since($m);
        ok($r->{status} == 200 && from_mi($r) && !@b)
            or print STDERR "# section, strict: $r->{status} @b\n";
    }
    # ... and so does the audit vhost's, over the same context: nothing
    # to report (without a strict vhost it reports "cipher AES128-SHA is
    # not AES-GCM").
    my $m = mark_logs();
    my $r = raw_req('routes_section_audit', get('/api/x?t=S1'));
    my @b = blocked_since($m);
    ok($r->{status} == 200 && from_mi($r) && !@b)
        or print STDERR "# section, audit: $r->{status} @b\n";
}

# --- The configured host, not the client's -----------------------------
{
    my $r = raw_req('routes_preserve',
                    get('/api/good/x?t=P1', Host => 'other.example'));
    ok($r->{status} == 200 && from_mi($r));
    refused('routes_preserve',
            get('/api/other/x?t=P2', Host => 'mi.example.net'), 502,
            'backend-tls', qr{detail="certificate not valid for host localhost"},
            'ProxyPreserveHost: Host names the certificate');
    $r = raw_req('routes_ip', get('/api/good/x?t=I1'));
    ok($r->{status} == 200 && from_mi($r))
        or print STDERR "# IP literal with its IP SAN: $r->{status}\n";
    refused('routes_ip', get('/api/other/x?t=I2'), 502, 'backend-tls',
            qr{detail="certificate not valid for host 127\.0\.0\.1"},
            'IP literal without its IP SAN');
    nothing_unjudged('tls', 't=I1', 'host names', 't=P2', 't=I2');
    ok(bytes_of('wronghost') !~ /t=[PI]2/);
}

# --- mod_ssl's own checks: 502 and the cause at the default level ------
{
    refused('routes_modssl', get('/api/name/x?t=M1'), 502, 'backend-tls',
            qr{detail="certificate not valid for host localhost \(SSLProxyCheckPeerName\)"},
            'SSLProxyCheckPeerName');
    refused('routes_modssl', get('/api/verify/x?t=M2'), 502, 'backend-tls',
            qr{detail="certificate verify failed: }, 'SSLProxyVerify');
    refused('routes_expire_audit', get('/api/x?t=M3'), 502, 'backend-tls',
            qr{detail="certificate expired or not yet valid \(SSLProxyCheckPeerExpire\)"},
            'SSLProxyCheckPeerExpire');
    refused('routes_expire_strict', get('/api/x?t=M4'), 502, 'backend-tls',
            qr{detail="certificate verify failed: certificate has expired"},
            'strict: an expired certificate');
    ok(bytes_of('wronghost') !~ /t=M1/ && bytes_of('untrusted') !~ /t=M2/
       && bytes_of('expired') !~ /t=M[34]/);
}
