# SetHandler migate-status: the effective policy of each gated vhost and
# counters summed over every child, by verdict, reason and rule, read as
# JSON before and after a known mix of requests sent by several clients
# at once; the same counters as Prometheus metrics, read by promtool and
# by python3-prometheus-client's parsers; and what a graceful restart
# does to them (nothing).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use JSON::PP ();
use POSIX ();
use File::Temp ();

# The graceful restart below logs the test server's own start-up
# warnings again.
error_log_allow(qr/AH00516: MaxRequestWorkers of \d+ would require/,
                qr/AH01873: Init: Session Cache is not configured/);

plan tests => 68;

my $CLIENTS = 4;

sub status_json {
    my ($vhost) = @_;
    # HTTP/1.0: the answer is not chunked.
    my $r = raw_req($vhost // 'ops_status',
                    "GET /migate-status?json HTTP/1.0\r\n"
                    . "Host: localhost\r\n\r\n");
    # UTF-8, as JSON must be.
    my $doc = eval { JSON::PP->new->utf8->decode($r->{body}) };
    diag("status: $r->{status}, not JSON: $@") unless $doc;
    return ($r, $doc);
}

sub server_of {
    my ($doc, $vhost) = @_;
    my $port = port($vhost);
    my @s = grep { $_->{addresses} =~ /:\Q$port\E\b/ } @{$doc->{servers}};
    return @s == 1 ? $s[0] : undef;
}

# --- the document and the policy it shows --------------------------

my ($r, $doc) = status_json();
ok($r->{status} == 200 && $doc, 'status ?json answers valid JSON');
ok(($r->{headers}{'content-type'} // '') =~ m{^application/json},
   'JSON content type');
ok(($r->{headers}{'cache-control'} // '') eq 'no-store', 'never cached');
ok($doc->{generation} >= 0 && $doc->{counters_since_epoch} > 0,
   'counters since a start time, of a configuration generation');

my $g = server_of($doc, 'ops_gated');
my $rep = server_of($doc, 'ops_report');
ok($g && $rep, 'the gated vhosts are listed');
ok(!server_of($doc, 'ops_status') && !server_of($doc, 'edge_off'),
   'ungated vhosts are not');
ok(server_of($doc, 'edge'), 'every gated vhost of the server is listed');

is($g->{mode}, 'enforce', 'mode');
is($g->{deny_status}, 403, 'deny status');
is($g->{backend_tls}, 'strict', 'backend TLS mode');
ok(!$g->{service_metadata} && !@{$g->{service_metadata_kinds}},
   'metadata off');
is($g->{request_id}{header}, 'activityid', 'request id header');
is($g->{request_id}{response_header}, 'X-Request-Id', 'response header');
is($g->{request_id}{version}, 4, 'uuid version');
my $conf_re = qr/\S+\.conf:\d+/;
ok(!grep({ ($_->{where} // '') !~ /^$conf_re$/ } @{$g->{allow}}),
   'allow rules: each with its file:line') or diag(explain($g->{allow}));
is_deeply([ map { my %r = %$_; delete $r{where}; \%r } @{$g->{allow}} ],
          [ { rule => 'MiGateAllow GET /healthcare',
              directive => 'MiGateAllow', kind => 'prefix',
              pattern => '/healthcare', methods => ['GET'] },
            { rule => 'MiGateAllowExact POST /orders',
              directive => 'MiGateAllowExact', kind => 'exact',
              pattern => '/orders', methods => ['POST'] },
            { rule => 'MiGateAllowMatch GET ^/re/[0-9]+$',
              directive => 'MiGateAllowMatch', kind => 'regex',
              pattern => '^/re/[0-9]+$', methods => ['GET'] } ],
          'allow rules, named by what they say, with their methods');
is_deeply($g->{services}, ['OpsProxy'], 'opened services');
is_deeply([ map { $_->{pattern} } @{$g->{deny}} ],
          [ '/globaldeny', '^/a<b>&"q', '/macrodeny', "/caf\x{fffd}" ],
          'deny rules: the main server\'s, then the vhost\'s own');
is_deeply($doc->{builtin_deny},
          [ qw(/services /management /dashboard /carbon /fileupload) ],
          'built-in denies');
is($rep->{mode}, 'report', 'report mode shown');
is($rep->{deny_status}, 404, 'deny status 404 shown');
my @reasons = qw(not-allowed method hard-deny services service-metadata
                 encoding control-char dot-segment header backend-plain
                 backend-tls protocol);
is_deeply([ sort keys %{$g->{counters}{refused_by_reason}} ],
          [ sort @reasons ], 'a counter for every reason code');
is_deeply($doc->{never_methods}, [qw(TRACE TRACK CONNECT)],
          'methods never passed');

# A hit counter for every rule index: the built-in checks, the built-in
# denies, the operator's rules in policy order (allow rules and services
# as written, then the main server's deny rules and the vhost's own),
# and "-" for a pass that names no rule.
my @builtin = map { "builtin:$_" }
    qw(method canonical-path services service-metadata default-deny header
       protocol backend-plain backend-tls /management /dashboard /carbon
       /fileupload);
my $hits = $g->{counters}{rule_hits};
is_deeply([ map { $_->{rule} } @{$hits}[0 .. $#builtin] ], \@builtin,
          'rule hits: the built-in checks and denies first');
my @named = @{$hits}[@builtin .. $#$hits - 1];
is_deeply([ map { $_->{rule} } @named ],
          [ 'MiGateAllow GET /healthcare', 'MiGateAllowExact POST /orders',
            'MiGateAllowMatch GET ^/re/[0-9]+$',
            'MiGateAllowService OpsProxy', 'MiGateDeny /globaldeny',
            'MiGateDenyMatch ^/a<b>&"q', 'MiGateDeny /macrodeny',
            "MiGateDeny /caf\x{fffd}" ],
          'then the operator\'s rules, in policy order, named by what '
          . 'they say') or diag(explain($hits));
ok(!grep({ ($_->{where} // '') !~ /:\d+$/ } @named)
   && !grep({ exists $_->{where} } @{$hits}[0 .. $#builtin]),
   'each operator\'s rule with its file:line beside, no built-in one');
is($hits->[-1]{rule}, '-', 'then "-"');
like((grep { ($_->{pattern} // '') eq '/macrodeny' } @$hits)[0]{where},
     qr/^macro 'OpsDeny' .*".*:\d+$/i,
     'a rule from a macro: a file name with double quotes');

# --- a known mix from several clients at once -----------------------

my %before = (g => $g->{counters}, rep => $rep->{counters});
my $m = mark_logs();

# Per client, on ops_gated: 6 passes and 13 refusals; on ops_report:
# 1 pass, 2 reported, 1 refusal (always enforced).  The comment names the
# rule that decides (the operator's by directive and pattern).
my @gated = (
    [ 'GET',   '/healthcare/a' ],               # MiGateAllow /healthcare
    [ 'GET',   '/healthcare/b/c' ],             # MiGateAllow /healthcare
    [ 'HEAD',  '/healthcare' ],                 # MiGateAllow /healthcare
    [ 'POST',  '/orders' ],                     # MiGateAllowExact /orders
    [ 'GET',   '/re/42' ],                      # MiGateAllowMatch
    [ 'GET',   '/services/OpsProxy' ],          # MiGateAllowService
    [ 'GET',   '/nope' ],                       # not-allowed
    [ 'GET',   '/migate-status' ],              # not-allowed
    [ 'POST',  '/healthcare/x' ],               # method
    [ 'TRACE', '/healthcare' ],                 # method
    [ 'GET',   '/services/Foo' ],               # services
    [ 'GET',   '/management/x' ],               # hard-deny
    [ 'GET',   '/healthcare?a=%0d%0a' ],        # control-char
    [ 'GET',   '/a%2fb' ],                      # encoding
    [ 'GET',   '/healthcare/h', 'X-Note' => "a\x1bb" ],    # protocol
    [ 'GET',   '/healthcare/h', 'Connection' => 'activityid' ],    # header
    [ 'GET',   '/globaldeny/x' ],               # hard-deny, main server
    [ 'GET',   '/A%3cB%3e%26%22Q' ],            # hard-deny, MiGateDenyMatch
    [ 'GET',   '/macrodeny' ],                  # hard-deny, from the macro
);
# Hits per rule and client: by name for the built-in ones, by directive
# and pattern for the operator's.
my %want_rules_g = (
    'MiGateAllow /healthcare' => 3, 'MiGateAllowExact /orders' => 1,
    'MiGateAllowMatch ^/re/[0-9]+$' => 1,
    'MiGateAllowService OpsProxy' => 1,
    'builtin:default-deny' => 3, 'builtin:method' => 1,
    'builtin:services' => 1, 'builtin:/management' => 1,
    'builtin:canonical-path' => 2, 'builtin:protocol' => 1,
    'builtin:header' => 1, 'MiGateDeny /globaldeny' => 1,
    'MiGateDenyMatch ^/a<b>&"q' => 1, 'MiGateDeny /macrodeny' => 1,
);
my %want_rules_rep = ('MiGateAllow /healthcare' => 1,
                      'builtin:default-deny' => 2, 'builtin:services' => 1);
my @report = (
    [ 'GET',  '/healthcare/r' ],                # passed
    [ 'GET',  '/nope' ],                        # reported not-allowed
    [ 'POST', '/healthcare' ],                  # reported method
    [ 'GET',  '/services/x' ],                  # refused services
);

my @kids;
for my $c (1 .. $CLIENTS) {
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        my $bad = 0;
        for my $q (@gated) {
            my ($meth, $target, @h) = @$q;
            my $x = req('ops_gated', $meth, $target, @h);
            $bad++ unless $x->{status};
        }
        for my $q (@report) {
            my $x = req('ops_report', @$q);
            $bad++ unless $x->{status};
        }
        POSIX::_exit($bad ? 1 : 0);
    }
    push @kids, $pid;
}
my $kids_ok = 1;
for (@kids) {
    waitpid($_, 0);
    $kids_ok = 0 if $?;
}
ok($kids_ok, "$CLIENTS clients got an answer to every request");

# Every request has its access line before the counters are read.
my $want_lines = $CLIENTS * (@gated + @report);
wait_for(sub { edge_access_since($m) >= $want_lines }, 60);
my @blocked = blocked_since($m);
my %pids = map { /\[pid (\d+)/ ? ($1 => 1) : () } @blocked;
diag(scalar(keys %pids) . " child process(es) logged the refusals");

($r, $doc) = status_json();
$g = server_of($doc, 'ops_gated');
$rep = server_of($doc, 'ops_report');
my %after = (g => $g->{counters}, rep => $rep->{counters});

sub delta {
    my ($which, $key, $reason) = @_;
    my ($b, $a) = ($before{$which}, $after{$which});
    return defined $reason ? $a->{$key}{$reason} - $b->{$key}{$reason}
                           : $a->{$key} - $b->{$key};
}

my %want_g = ('not-allowed' => 2, method => 2, services => 1,
              'hard-deny' => 4, 'control-char' => 1, encoding => 1,
              header => 1, protocol => 1);
is(delta('g', 'passed'), 6 * $CLIENTS, 'gated: passed');
is(delta('g', 'refused'), 13 * $CLIENTS, 'gated: refused in all');
is(delta('g', 'reported'), 0, 'gated: nothing reported');
for my $reason (@reasons) {
    is(delta('g', 'refused_by_reason', $reason),
       ($want_g{$reason} // 0) * $CLIENTS, "gated: refused $reason");
}
is(delta('rep', 'passed'), $CLIENTS, 'report: passed');
is(delta('rep', 'reported_by_reason', 'not-allowed'), $CLIENTS,
   'report: reported not-allowed');
is(delta('rep', 'reported_by_reason', 'method'), $CLIENTS,
   'report: reported method');
is(delta('rep', 'refused_by_reason', 'services'), $CLIENTS,
   'report: /services still refused');
is(delta('rep', 'reported'), 2 * $CLIENTS, 'report: reported in all');

# Exact hits per rule: the expected ones, and zero for every other rule.
sub rule_key {
    my ($h) = @_;
    return defined $h->{directive} ? "$h->{directive} $h->{pattern}"
                                   : $h->{rule};
}

sub rule_deltas {
    my ($which) = @_;
    my ($b, $a) = ($before{$which}{rule_hits}, $after{$which}{rule_hits});
    my %d;
    for my $i (0 .. $#$a) {
        $d{rule_key($a->[$i])} += $a->[$i]{hits} - $b->[$i]{hits};
    }
    return \%d;
}
for ([ g => \%want_rules_g ], [ rep => \%want_rules_rep ]) {
    my ($which, $want) = @$_;
    my $got = rule_deltas($which);
    my %exp = map { $_ => ($want->{$_} // 0) * $CLIENTS } keys %$got;
    is_deeply($got, \%exp, "$which: exact hits per rule, zero elsewhere")
        or diag(explain($got));
}

# --- the status URL inside a gated vhost ----------------------------

# Allowed there: it answers, and its own request counts as a pass.
my ($r1, $d1) = status_json('ops_status_gated');
my ($r2, $d2) = status_json('ops_status_gated');
my $s1 = server_of($d1, 'ops_status_gated');
my $s2 = server_of($d2, 'ops_status_gated');
ok($r1->{status} == 200 && $s1 && $s2
   && $s2->{counters}{passed} - $s1->{counters}{passed} == 1,
   'status in a gated vhost where allowed; it counts itself');

# --- the HTML page and the methods ---------------------------------

$r = raw_req('ops_status', "GET /migate-status HTTP/1.0\r\n\r\n");
my $body = $r->{body};
ok($r->{status} == 200
   && ($r->{headers}{'content-type'} // '') =~ m{^text/html}
   && $body =~ m{<h1>MI gate status for} && $body =~ m{</html>\s*\z},
   'HTML page');
ok(index($body, '^/a&lt;b&gt;&amp;&quot;q') >= 0
   && index($body, '<b>&') < 0 && index($body, '/caf&#233;') >= 0,
   'HTML escapes the configuration');
my $gp = port('ops_gated');
ok($body =~ /:$gp\b/ && $body =~ /<td>services<\/td>/,
   'HTML shows the vhosts and the reasons');
ok($body =~ m{<td><code>builtin:/management</code></td><td>built-in</td>}
   && $body =~ m{<td>MiGateDeny</td><td>all</td><td><code>/macrodeny</code></td><td>macro}
   && $body =~ m{<td><code>MiGateDeny /macrodeny</code></td><td>macro (?:'|&#39;)OpsDeny(?:'|&#39;)[^<]*&quot;}i,
   'HTML shows the rules and the hits per rule by name, with file:line, '
   . 'escaped') or diag($body);

$r = req('ops_status', 'HEAD', '/migate-status?json');
ok($r->{status} == 200 && $r->{body} eq '', 'HEAD');
$r = req('ops_status', 'POST', '/migate-status');
ok($r->{status} == 405 && ($r->{headers}{allow} // '') =~ /GET/,
   'POST is 405 with Allow');

# --- metrics, read by real parsers ---------------------------------

# Both expositions, and the JSON of the same moment (the status vhost is
# not gated: reading the page counts nothing).
my $metrics = raw_req('ops_status', "GET /migate-status?metrics HTTP/1.0\r\n"
                                    . "Host: localhost\r\n\r\n");
my $om = raw_req('ops_status', "GET /migate-status?metrics HTTP/1.0\r\n"
                 . "Host: localhost\r\nAccept: application/openmetrics-text;"
                 . "version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n\r\n");
(undef, $doc) = status_json();
like($metrics->{headers}{'content-type'} // '',
     qr{^text/plain; version=0\.0\.4}, 'Prometheus text format');
like($om->{headers}{'content-type'} // '',
     qr{^application/openmetrics-text; version=1\.0\.0},
     'OpenMetrics when asked for');

my $dir = File::Temp::tempdir('migate-metrics.XXXXXX', TMPDIR => 1,
                              CLEANUP => 1);
my $prom_file = write_file("$dir/metrics.txt", $metrics->{body});
my $out = `promtool check metrics <'$prom_file' 2>&1`;
ok($? == 0, 'promtool check metrics: valid, no lint problem') or diag($out);

# The samples as python3-prometheus-client's parsers read them (the
# Prometheus format's and the OpenMetrics one), one JSON line each:
# [name, labels, value].
my $parse = write_file("$dir/parse.py", <<'EOF');
import json, sys
from prometheus_client.parser import text_string_to_metric_families as prom
from prometheus_client.openmetrics.parser import \
    text_string_to_metric_families as om
parser = om if sys.argv[1] == 'om' else prom
for fam in parser(open(sys.argv[2], encoding='utf-8').read()):
    for s in fam.samples:
        print(json.dumps([s.name, s.labels, s.value]))
EOF
my %samples;
my $om_file = write_file("$dir/om.txt", $om->{body});
for ([ prom => $prom_file ], [ om => $om_file ]) {
    my ($fmt, $file) = @$_;
    my @lines = `python3 '$parse' $fmt '$file' 2>&1`;
    my $rc = $?;
    my @s = map { eval { JSON::PP->new->decode($_) } // () } @lines;
    ok($rc == 0 && @s && @s == @lines, "python parser ($fmt): parsed")
        or diag(join '', @lines[0 .. 9]);
    $samples{$fmt} = \@s;
}
is_deeply($samples{om}, $samples{prom},
          'the two formats carry the same samples');

# What the metrics say of ops_gated is what the JSON says.
$g = server_of($doc, 'ops_gated');
my %series;
for (@{$samples{prom}}) {
    my ($name, $l, $v) = @$_;
    next unless ($l->{vhost} // '') eq $g->{name};
    my $key = $name eq 'migate_requests_total'
        ? "$l->{verdict} $l->{reason}" : "rule $l->{rule}";
    $series{$key} = $v;
}
my %want_series = ('passed pass' => $g->{counters}{passed});
for my $reason (@reasons) {
    $want_series{"refused $reason"} =
        $g->{counters}{refused_by_reason}{$reason};
    $want_series{"reported $reason"} =
        $g->{counters}{reported_by_reason}{$reason};
}
$want_series{"rule $_->{rule}"} += $_->{hits}
    for @{$g->{counters}{rule_hits}};
is_deeply(\%series, \%want_series,
          'ops_gated: a series per verdict and reason and per rule, '
          . 'the counts of the JSON, label values unescaped as they were')
    or diag(explain(\%series));
ok((grep { $_->[0] eq 'migate_counters_start_time_seconds'
           && $_->[2] == $doc->{counters_since_epoch} } @{$samples{prom}}),
   'the start time of the counters');

# --- a graceful restart keeps the counters --------------------------

# The same configuration again: every counter as it was, the same start
# time (t/ops/status-restart.t changes the policy across gracefuls with
# requests in flight).
my $gen0 = $doc->{generation};
my $before = server_of($doc, 'ops_gated')->{counters};
my $pidfile = t_logs() . '/httpd.pid';
open my $pf, '<', $pidfile or die "$pidfile: $!";
chomp(my $hpid = <$pf>);
close $pf;
kill 'USR1', $hpid;
my $d;
wait_for(sub {
    my (undef, $x) = eval { status_json() };
    $d = $x if $x && $x->{generation} > $gen0;
    return $d;
}, 30);
my $c = $d && server_of($d, 'ops_gated')->{counters};
ok($c && $d->{counters_since_epoch} == $doc->{counters_since_epoch}
   && eq_hash($c, $before),
   'after a graceful restart: the counters as they were, since the start')
    or diag(explain($c));
req('ops_gated', 'GET', '/healthcare/again');
wait_for(sub {
    my (undef, $x) = eval { status_json() };
    $d = $x if $x && server_of($x, 'ops_gated')->{counters}{passed}
                     > $before->{passed};
    return $d && server_of($d, 'ops_gated')->{counters}{passed}
                 > $before->{passed};
}, 10);
$c = server_of($d, 'ops_gated')->{counters};
my %hits_before = map { $_->{rule} => $_->{hits} } @{$before->{rule_hits}};
my %more = map { rule_key($_) => $_->{hits} - $hits_before{$_->{rule}} }
           grep { $_->{hits} != $hits_before{$_->{rule}} }
           @{$c->{rule_hits}};
ok($c->{passed} == $before->{passed} + 1
   && $c->{refused} == $before->{refused}
   && eq_hash(\%more, { 'MiGateAllow /healthcare' => 1 }),
   'and the new generation counts on them')
    or diag(explain($c));
