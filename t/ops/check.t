# tools/migate-check against the suite's own edges: the gated edge
# refuses every probe and returns a request id on every answer; the bare
# proxy (no mod_migate) leaks and the tool says so with its exit status.
# Over TLS as a client sees the edge: a certificate for edge.test from
# the suite's CA (--cacert), reached at 127.0.0.1 (--resolve), with
# prefixes of one and two segments and an opened service, all allowed
# by the vhost (no probe may land under them); --json for pipelines; an
# edge that cannot be reached is one line and exit 2.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use JSON::PP ();

# migate-check sends paths httpd's core refuses before the gate sees
# them (its "protocol" refusals), and the core logs why.
error_log_allow(qr/AH10244: invalid URI path \((?:\/\.\.\/services\/x|\/%u0073ervices\/ServiceAdmin)\)/);

plan tests => 30;

my $top = Apache::Test::vars('top_dir');
my $tool = "$top/tools/migate-check";

sub check {
    my (@args) = @_;
    my $out = `'$^X' '$tool' @args 2>&1`;
    return ($? >> 8, $out);
}

my $edge = 'http://127.0.0.1:' . port('edge') . '/healthcare';
my ($st, $out) = check('--id-header', 'X-Request-Id',
                       '--pass', '/healthcare/x', '--pass', '/testHealth',
                       $edge);
my @lines = grep { /^(PASS|LEAK|FAIL|ERROR) / } split /\n/, $out;
ok($st == 0, 'the gated edge: exit 0') or diag($out);
ok(@lines > 60 && !grep({ !/^PASS / } @lines),
   scalar(@lines) . ' probes, one line each, all pass');
like($out, qr/^\d+ probes: \d+ passed, 0 leaked, 0 failed, 0 errors$/m,
     'summary line');
ok((grep { /, id [0-9a-f-]{36}\)$/ } @lines) > 50,
   'request ids checked on the answers');
ok(!grep({ /[\x00-\x1f\x7f]/ } split //, join '', @lines),
   'the report prints no control character');

# The same edge without --pass is all refusals too; a --pass path that
# the edge refuses is a failure.
($st, $out) = check('--quiet', '--pass', '/nope', $edge);
ok($st == 1 && $out =~ /^FAIL\s.*GET \/nope \(refused\)$/m,
   'a --pass path that is refused fails the run') or diag($out);

# The bare proxy in front of the same MI: the probes reach MI.
my $off = 'http://127.0.0.1:' . port('edge_off') . '/healthcare';
($st, $out) = check($off);
ok($st == 1, 'no mod_migate: exit 1') or diag($out);
ok($out =~ m{^LEAK\s+\d{3} services\s+GET /services/ServiceAdmin }m
   && $out =~ m{^LEAK\s+200 method\s+TRACE }m
   && $out =~ m{^LEAK\s+200 metadata\s+GET /healthcare\?wsdl }m,
   'leaks of each family are reported') or diag($out);

# Nobody listening: exit 2, and one line that says why.
($st, $out) = check('--timeout', '3', 'http://127.0.0.1:1/');
ok($st == 2, 'unreachable edge: exit 2') or diag($out);
my $why = 'migate-check: cannot reach http://127.0.0.1:1/: '
    . 'connect to 127.0.0.1:1: ';
like($out, qr{\A\Q$why\E.+\n\z},
     'unreachable edge: one line, no probe lines') or diag($out);

# --- a TLS edge, verified as clients verify it -----------------------

my $ca = "$top/build/pki/ca.crt";
my $tls_port = port('ops_tls');
my $tls = "https://edge.test:$tls_port";
my @tls = ('--cacert', $ca, '--resolve', "edge.test:$tls_port:127.0.0.1");

sub no_leak {
    my ($name, $prefix, @more) = @_;
    my ($st, $out) = check(@tls, '--id-header', 'X-Request-Id', @more,
                           "$tls$prefix");
    my @lines = grep { /^(PASS|LEAK|FAIL|ERROR) / } split /\n/, $out;
    ok($st == 0 && @lines > 60 && !grep({ !/^PASS / } @lines)
       && $out =~ /^\d+ probes: \d+ passed, 0 leaked, 0 failed, 0 errors$/m,
       "$name: every probe refused, no false leak") or diag($out);
    return $out;
}

my $out1 = no_leak('TLS edge, prefix /healthcare', '/healthcare',
                   '--pass', '/healthcare/x', '--pass', '/testHealth');
like($out1, qr{^PASS .* GET /healthcare/\.\./management/login \(refused}m,
     'the traversal climbs out of the one-segment prefix');

# Two segments under an allowed prefix: a traversal that climbed only
# one segment (/healthcare/v1/../management/login) would be allowed and
# answered by MI; the probes climb both.
my $out2 = no_leak('TLS edge, prefix /healthcare/v1', '/healthcare/v1',
                   '--pass', '/healthcare/v1/x');
like($out2, qr{^PASS .* GET /healthcare/v1/\.\./\.\./management/login \(}m,
     'two-segment prefix: the traversal climbs two segments');
like($out2, qr{^PASS .* GET /healthcare/v1/\.\.;/\.\.;/services/Serv}m,
     'two-segment prefix: the ;-hidden traversal too');
ok($out2 !~ m{^\S+\s+\d+ \S+\s+GET /healthcare/v1/\.\./management}m,
   'no probe resolves back under the prefix') or diag($out2);

# The opened service itself as the prefix, with MiGateServiceMetadata
# On: its ?wsdl is allowed and answered, so the metadata probes ask
# below it.
my $out3 = no_leak('TLS edge, prefix /services/StockQuoteProxy',
                   '/services/StockQuoteProxy',
                   '--pass', '/services/StockQuoteProxy?wsdl');
ok($out3 =~ m{^PASS .* GET /services/StockQuoteProxy/x\?wsdl }m
   && $out3 !~ m{GET /services/StockQuoteProxy\?wsdl \(refused}m,
   'metadata probes on an opened service ask below it') or diag($out3);

# No --cacert: the system's trust store does not know the suite's CA.
($st, $out) = check('--resolve', "edge.test:$tls_port:127.0.0.1",
                    "$tls/healthcare");
ok($st == 2 && $out =~ /\A[^\n]*TLS\ with\ edge\.test\ at
                           \ 127\.0\.0\.1:$tls_port:\ [^\n]*verif[^\n]*\n\z/x,
   'unverifiable certificate: exit 2, one line') or diag($out);

# --host sets the Host header only: reached by address, the name
# verified is the address, which the certificate does not name.
($st, $out) = check('--cacert', $ca, '--host', 'edge.test',
                    "https://127.0.0.1:$tls_port/healthcare");
ok($st == 2 && $out =~ /\A[^\n]*TLS with 127\.0\.0\.1 at /,
   '--host does not change the verified name') or diag($out);

# A --resolve entry for another host or port is a mistake, not ignored.
($st, $out) = check('--cacert', $ca, '--resolve', 'other.test:1:127.0.0.1',
                    "$tls/healthcare");
ok($st == 2 && $out =~ /--resolve: no entry for edge\.test:$tls_port/,
   '--resolve for another host: usage error') or diag($out);

# The same TLS front without the gate: leaks of every family.
my $off_port = port('ops_tls_off');
($st, $out) = check('--cacert', $ca, '--resolve',
                    "edge.test:$off_port:127.0.0.1",
                    "https://edge.test:$off_port/healthcare/v1");
ok($st == 1, 'TLS edge without mod_migate: exit 1') or diag($out);
ok($out =~ m{^LEAK\s+\d{3} services\s+GET /services/ServiceAdmin }m
   && $out =~ m{^LEAK\s+200 hard-deny\s+GET /management/login }m
   && $out =~ m{^LEAK\s+200 method\s+TRACE }m
   && $out =~ m{^LEAK\s+\d{3} forging\s+GET /healthcare/v1\?x=%250d}m,
   'its leaks are reported, family by family') or diag($out);

# --- --json ----------------------------------------------------------

sub json_run {
    my (@args) = @_;
    my $out = `'$^X' '$tool' --json @args 2>/dev/null`;
    my $st = $? >> 8;
    my $doc = eval { JSON::PP->new->decode($out) };
    diag("not JSON: $@\n$out") unless $doc;
    return ($st, $doc);
}

my ($jst, $doc) = json_run(@tls, '--id-header', 'X-Request-Id',
                           '--pass', '/testHealth', "$tls/healthcare/v1");
my @p = $doc ? @{$doc->{probes}} : ();
ok($jst == 0 && $doc && $doc->{exit} == 0,
   '--json: exit 0, and in the document');
ok(@p > 60 && @p == $doc->{summary}{probes}
   && $doc->{summary}{passed} == @p && $doc->{summary}{leaked} == 0
   && $doc->{summary}{failed} == 0 && $doc->{summary}{errors} == 0,
   '--json: the summary counts every probe');
my @keys = qw(family method target status verdict id);
ok(@p && !grep({ my $x = $_; grep { !exists $x->{$_} } @keys } @p),
   '--json: each probe has ' . join(', ', @keys));
ok((grep { ($_->{id} // '') =~ /\A${\ uuid_re()}\z/ } @p) > 50
   && !grep({ $_->{verdict} ne 'PASS' } @p),
   '--json: verdicts and request ids');
ok((grep { $_->{target} eq '/healthcare/v1/../../management/login'
           && $_->{family} eq 'hard-deny' && $_->{status} =~ /^40[34]$/ } @p)
   && (grep { $_->{family} eq 'allowed' && $_->{status} == 200 } @p)
   && (grep { join('', @{$_->{headers}}) =~ /\e/ } @p),
   '--json: targets and headers as sent, statuses as answered');

($jst, $doc) = json_run('--cacert', $ca, '--resolve',
                        "edge.test:$off_port:127.0.0.1",
                        "https://edge.test:$off_port/healthcare");
ok($jst == 1 && $doc && $doc->{summary}{leaked} > 10
   && (grep { $_->{verdict} eq 'LEAK' } @{$doc->{probes}})
       == $doc->{summary}{leaked},
   '--json: the ungated edge\'s leaks');

($jst, $doc) = json_run('--timeout', '3', 'http://127.0.0.1:1/x');
ok($jst == 2 && $doc && $doc->{error} =~ /connect/
   && !@{$doc->{probes}}, '--json: an unreachable edge');
