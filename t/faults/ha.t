# High availability: the gated vhost fault_ha proxies to a balancer of
# two stand-in MI nodes (TLS, MiGateBackendTLS strict on each member),
# which mod_proxy_hcheck probes every second (GET /testHealth over TLS,
# under the same policy).  Under
# load, node 1 is killed (SIGKILL, its connections with it); traffic goes
# on on node 2.  Requests that fail in the switch are counted and
# reported; after the health check has had time to mark node 1 down
# (hcinterval 1 s, hcfails 1: 3 s allowed) none may fail.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::Bin;

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use FaultBackend;
use File::Temp qw(tempdir);
use Load;
use Time::HiRes qw(time sleep);

plan tests => 8;

my $pki = Apache::Test::vars('top_dir') . '/build/pki';
my $dir = tempdir('migate-ha.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $MARKED_DOWN = 3;    # seconds: hcinterval 1 s, hcfails 1, slack

my %node;
$node{$_} = FaultBackend::start(port => port("fault_$_"), mode => 'node',
                                name => $_, pki => $pki)
    for qw(node1 node2);
END { FaultBackend::stop($_) for values %node }

# Until both nodes have been seen healthy by the balancer.
my %seen;
wait_for(sub {
    my $r = req('fault_ha', 'GET', '/ok/probe');
    $seen{$1}++ if $r->{status} == 200 && $r->{body} =~ /"node":"(\w+)"/;
    return $seen{node1} && $seen{node2};
}, 30);
ok($seen{node1} && $seen{node2}, 'both nodes serve through the balancer');

my $m = mark_logs();
my $load = Load::start(port => port('fault_ha'), clients => 4, dir => $dir,
                       max_secs => 60, pause => 0.005,
                       path => sub { "/ok/ha-c$_[0]-$_[1]" });
sleep 2;
my $t_kill = time;
FaultBackend::stop(delete $node{node1});
sleep $MARKED_DOWN + 3;
my @done = Load::stop($load);

# A request is timed from its start: one started just before the kill
# may still be in flight on node 1 when it dies, so the switch window
# opens half a second before the kill.
my $t_switch = $t_kill - 0.5;
my @before = grep { $_->{t} < $t_switch } @done;
my @switch = grep { $_->{t} >= $t_switch
                    && $_->{t} < $t_kill + $MARKED_DOWN } @done;
my @after = grep { $_->{t} >= $t_kill + $MARKED_DOWN } @done;
my $failed = sub { scalar grep { $_->{status} != 200 } @_ };
my $on = sub { my $n = shift; scalar grep { $_->{body} =~ /"$n"/ } @_ };

ok(@before > 20 && $on->('node1', @before) && $on->('node2', @before),
   'before: both nodes take traffic');
ok($failed->(@before) == 0, 'before: no failure')
    or diag(join "\n", map { "$_->{status} " . substr($_->{body}, 0, 60) }
                       grep { defined } (grep { $_->{status} != 200 }
                                         @before)[0 .. 4]);
ok(@after > 20, scalar(@after) . ' requests after node 1 was marked down');
ok($failed->(@after) == 0, 'after the health check: no failure')
    or diag(join "\n", map { "$_->{status} " . substr($_->{body}, 0, 60) }
                       grep { defined } (grep { $_->{status} != 200 }
                                         @after)[0 .. 4]);
ok($on->('node2', @after) == @after, 'after: all on node 2');
diag(sprintf "failover: %d requests before the kill, %d from 0.5 s before "
     . "to %d s after it (%d failed), %d later (%d failed)",
     scalar(@before), scalar(@switch), $MARKED_DOWN,
     $failed->(@switch), scalar(@after), $failed->(@after));
if (open my $fh, '>', t_logs() . '/faults_ha.txt') {
    printf $fh "before %d\nswitch %d\nswitch_failed %d\nafter %d\n"
        . "after_failed %d\n", scalar(@before), scalar(@switch),
        $failed->(@switch), scalar(@after), $failed->(@after);
}

# The gate stayed in force on the balancer: no blocked line for the
# allowed traffic, and a refused path is refused.
ok(!grep({ !/id=- / } blocked_since($m)),
   'no blocked line for allowed traffic');
my $m2 = mark_logs();
my $r = req('fault_ha', 'GET', '/ok/services/Foo');
my @b = blocked_since($m2);
ok($r->{status} == 403 && @b == 1 && $b[0] =~ /reason=services/,
   'the gate still refuses /ok/services/Foo');

