# High availability: the gated vhost fault_ha proxies to a balancer of
# two stand-in MI nodes (TLS, MiGateBackendTLS strict on each member),
# which mod_proxy_hcheck probes every second (GET /testHealth over TLS,
# under the same policy).  Under load, node 1 is killed (SIGKILL, its
# connections with it); traffic goes on on node 2.
#
# Driven by counts and by the state it waits for, never by the clock:
# $N requests on both nodes before the kill; then the error-log line
# that marks node 1 down; then $N requests started after that,
# none of which may fail or reach node 1.  Requests that were in flight
# between the kill and that line are counted and reported only.  Every
# wait is bounded by $BOUND seconds, far above what a loaded machine
# with the sanitizer build needs.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::Bin;

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use FaultBackend;
use File::Temp qw(tempdir);
use Load;
use Time::HiRes qw(time);

# mod_proxy's own lines while this file takes balancer members down.
error_log_allow(qr/AH01170: balancer:\/\/mi_nodes: All workers are in error/,
                qr/AH01102: error reading status line from remote server/,
                qr/AH00957: https: attempt to connect to/,
                qr/AH01114: HTTP: failed to make connection to backend/,
                # a request in flight on node 1 when it is killed:
                # in its handshake, its body or its response
                qr/AH00898: Error (?:reading from remote server|during SSL Handshake with remote server)/,
                qr/AH01084: pass request body failed/,
                qr/AH01097: pass request body failed/,
                qr/AH01110: error reading response/);

plan tests => 12;

my $pki = Apache::Test::vars('top_dir') . '/build/pki';
my $dir = tempdir('migate-ha.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $N = 40;             # requests in each phase
my $BOUND = 120;        # seconds, for any one wait

my %node;
$node{$_} = FaultBackend::start(port => port("fault_$_"), mode => 'node',
                                name => $_, pki => $pki)
    for qw(node1 node2);

my $on = sub { my $n = shift; scalar grep { $_->{body} =~ /"$n"/ } @_ };
my $failed = sub { scalar grep { $_->{status} != 200 } @_ };
my $show = sub {
    join "\n", map { "$_->{status} " . substr($_->{body}, 0, 60) }
               grep { defined } (grep { $_->{status} != 200 } @_)[0 .. 4];
};

# Until both nodes have been seen healthy by the balancer.
my %seen;
wait_for(sub {
    my $r = req('fault_ha', 'GET', '/ok/probe');
    $seen{$1}++ if $r->{status} == 200 && $r->{body} =~ /"node":"(\w+)"/;
    return $seen{node1} && $seen{node2};
}, $BOUND);
ok($seen{node1} && $seen{node2}, 'both nodes serve through the balancer');

# Node 1 as the balancer-manager shows it (mod_proxy_balancer's XML
# view of the shared worker state): its status loses "Ok"
# (ap_proxy_parse_wstatus) once the member is no longer usable.
my $port1 = port('fault_node1');
my $member_status = sub {
    # (a Referer on the server's own name, or mod_proxy_balancer
    # ignores the xml parameter: its guard against cross-site requests)
    my $r = req('fault_ha', 'GET', '/balancer-manager?xml=1',
                Referer => 'http://localhost/balancer-manager');
    return undef unless $r->{status} == 200;
    for my $w (split m{<httpd:worker>}, $r->{body}) {
        return $1 if $w =~ m{<httpd:port>\Q$port1\E</httpd:port>}
                  && $w =~ m{<httpd:status>([^<]*)</httpd:status>};
    }
    return undef;
};
my $member_down = sub {
    my $st = $member_status->();
    return defined $st && $st !~ /\bOk\b/ ? "status \"$st\"" : 0;
};
my $st = $member_status->();
ok(defined $st && $st =~ /\bOk\b/,
   'the balancer-manager shows node 1 usable: ' . ($st // 'not found'));

my $m = mark_logs();
my $load = Load::start(port => port('fault_ha'), clients => 4, dir => $dir,
                       pause => 0.005,
                       path => sub { "/ok/ha-c$_[0]-$_[1]" });
ok(Load::wait_count($load, $N, $BOUND, sub { $_[0]{body} =~ /"node1"/ })
   && Load::wait_count($load, $N, $BOUND,
                       sub { $_[0]{body} =~ /"node2"/ }),
   "before: $N requests on each node");

my $mk = mark_logs();
my $t_kill = time;
FaultBackend::stop(delete $node{node1});
# Node 1 is marked down by whichever notices first: mod_proxy_hcheck
# ("Health check DISABLING <url>", LogLevel proxy_hcheck:info in
# t/conf/faults.conf.in), a request that cannot connect, which puts the
# member in its error state ("disabling worker for (host:port)"), or a
# request that fails on a connection node 1 had open, which puts it
# there without a line (mod_proxy.c's proxy_handler on a 503 from a
# balancer member).  So the balancer-manager's view ($member_down) is
# read too.  From then on the balancer sends no request to it
# but the one that tries it again after retry=1 s, and that one is
# failed over to node 2.
my $how;
my $down = wait_for(sub {
    $how = err_since($mk) =~ m{((?:Health check DISABLING https?://[^\s:]+
                                |disabling\ worker\ for\ \([^\s:]+)
                               :\Q$port1\E)\b}x
           ? "\"$1\"" : $member_down->();
}, $BOUND);
my $t_down = time;
ok($down, sprintf 'node 1 marked down after %.1f s (%s)',
   $t_down - $t_kill, $how // 'not seen') or diag(err_since($mk));
my $after_ok = Load::wait_count($load, $N, $BOUND,
                                sub { $_[0]{t} >= $t_down });
my @done = Load::stop($load);

# Before: over before the kill.  After: started once node 1 was marked
# down.  The switch: everything in between (in flight at the kill, or
# sent while the health check had not run yet).
my @before = grep { $_->{e} < $t_kill } @done;
my @switch = grep { $_->{e} >= $t_kill && $_->{t} < $t_down } @done;
my @after = grep { $_->{t} >= $t_down } @done;

ok($on->('node1', @before) && $on->('node2', @before),
   scalar(@before) . ' requests before the kill, on both nodes');
ok($failed->(@before) == 0, 'before: no failure') or diag($show->(@before));
ok($after_ok && @after >= $N,
   scalar(@after) . ' requests after node 1 was marked down');
ok($failed->(@after) == 0, 'after the health check: no failure')
    or diag($show->(@after));
ok($on->('node2', @after) == @after, 'after: all on node 2');
diag(sprintf "failover: %d requests before the kill, %d in the %.1f s "
     . "until node 1 was marked down (%d failed), %d after (%d failed)",
     scalar(@before), scalar(@switch), $t_down - $t_kill,
     $failed->(@switch), scalar(@after), $failed->(@after));
if (open my $fh, '>', t_logs() . '/faults_ha.txt') {
    printf $fh "before %d\nswitch %d\nswitch_seconds %.1f\n"
        . "switch_failed %d\nafter %d\nafter_failed %d\n",
        scalar(@before), scalar(@switch), $t_down - $t_kill,
        $failed->(@switch), scalar(@after), $failed->(@after);
}

# The gate stayed in force on the balancer: no blocked line for the
# allowed traffic (lines without a request, id=-, are probes), and a
# refused path is refused.
ok(!grep({ !/id=- / } blocked_since($m)),
   'no blocked line for allowed traffic');
my $m2 = mark_logs();
my $r = req('fault_ha', 'GET', '/ok/services/Foo');
my @b = blocked_since($m2);
ok($r->{status} == 403 && @b == 1 && $b[0] =~ /reason=services/,
   'the gate still refuses /ok/services/Foo');
ok(wait_for($member_down, $BOUND),
   'the balancer-manager shows node 1 down');
