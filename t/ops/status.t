# SetHandler migate-status: the effective policy of each gated vhost and
# counters summed over every child, read as JSON before and after a known
# mix of requests sent by several clients at once.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use JSON::PP ();
use POSIX ();

plan tests => 49;

my $CLIENTS = 4;

sub status_json {
    my ($vhost) = @_;
    # HTTP/1.0: the answer is not chunked.
    my $r = raw_req($vhost // 'ops_status',
                    "GET /migate-status?json HTTP/1.0\r\n"
                    . "Host: localhost\r\n\r\n");
    my $doc = eval { JSON::PP->new->decode($r->{body}) };
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
ok($doc->{counters_kept_across_restarts}
   && $doc->{counters_since_epoch} > 0, 'counters since a start time');

my $g = server_of($doc, 'ops_gated');
my $rep = server_of($doc, 'ops_report');
ok($g && $rep, 'the gated vhosts are listed');
ok(!server_of($doc, 'ops_status') && !server_of($doc, 'edge_off'),
   'ungated vhosts are not');
ok(server_of($doc, 'edge'), 'every gated vhost of the server is listed');

is($g->{mode}, 'enforce', 'mode');
is($g->{deny_status}, 403, 'deny status');
is($g->{backend_tls}, 'strict', 'backend TLS mode');
ok(!$g->{service_metadata}, 'metadata off');
is($g->{request_id}{header}, 'activityid', 'request id header');
is($g->{request_id}{response_header}, 'X-Request-Id', 'response header');
is($g->{request_id}{version}, 4, 'uuid version');
is_deeply($g->{allow},
          [ { directive => 'MiGateAllow', kind => 'prefix',
              pattern => '/healthcare', methods => ['GET'] },
            { directive => 'MiGateAllowExact', kind => 'exact',
              pattern => '/orders', methods => ['POST'] } ],
          'allow rules, with their methods');
is_deeply($g->{services}, ['OpsProxy'], 'opened services');
is_deeply([ map { $_->{pattern} } @{$g->{deny}} ],
          [ '/globaldeny', '^/a<b>&"q' ],
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

# --- a known mix from several clients at once -----------------------

my %before = (g => $g->{counters}, rep => $rep->{counters});
my $m = mark_logs();

# Per client, on ops_gated: 4 passes and 9 refusals; on ops_report:
# 1 pass, 2 reported, 1 refusal (always enforced).
my @gated = (
    [ 'GET',   '/healthcare/a' ],
    [ 'GET',   '/healthcare/b/c' ],
    [ 'HEAD',  '/healthcare' ],
    [ 'POST',  '/orders' ],
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
);
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
              'hard-deny' => 1, 'control-char' => 1, encoding => 1,
              header => 1, protocol => 1);
is(delta('g', 'passed'), 4 * $CLIENTS, 'gated: passed');
is(delta('g', 'refused'), 10 * $CLIENTS, 'gated: refused in all');
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
   && index($body, '<b>&') < 0, 'HTML escapes the configuration');
my $gp = port('ops_gated');
ok($body =~ /:$gp\b/ && $body =~ /<td>services<\/td>/,
   'HTML shows the vhosts and the reasons');

$r = req('ops_status', 'HEAD', '/migate-status?json');
ok($r->{status} == 200 && $r->{body} eq '', 'HEAD');
$r = req('ops_status', 'POST', '/migate-status');
ok($r->{status} == 405 && ($r->{headers}{allow} // '') =~ /GET/,
   'POST is 405 with Allow');

# --- a graceful restart keeps the counters --------------------------

($r, $doc) = status_json();
my $gen0 = $doc->{restarts_since};
my $since0 = $doc->{counters_since_epoch};
my $passed0 = server_of($doc, 'ops_gated')->{counters}{passed};
my $pidfile = t_logs() . '/httpd.pid';
open my $pf, '<', $pidfile or die "$pidfile: $!";
chomp(my $hpid = <$pf>);
close $pf;
kill 'USR1', $hpid;
my $d;
wait_for(sub {
    my (undef, $x) = eval { status_json() };
    $d = $x if $x && $x->{restarts_since} > $gen0;
    return $d;
}, 30);
ok($d && $d->{counters_since_epoch} == $since0
   && server_of($d, 'ops_gated')->{counters}{passed} == $passed0,
   'a graceful restart keeps the counters and their start time');
