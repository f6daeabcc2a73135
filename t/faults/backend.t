# Backend faults behind a gated vhost (t/conf/faults.conf.in): MI down,
# MI hanging, MI resetting the connection.  Each request fails with a
# 5xx that carries the request id into the error log, and the edge goes
# on serving other requests (and the next one) normally.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::Bin;

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use FaultBackend;
use File::Temp qw(tempdir);
use POSIX ();
use Time::HiRes qw(time);

# mod_proxy's own lines for the backends this file breaks on purpose
# (down, hanging, resetting): what an operator sees beside the edge's.
error_log_allow(qr/AH00957: https: attempt to connect to/,
                qr/AH01114: HTTP: failed to make connection to backend/,
                qr/AH01102: error reading status line from remote server/,
                qr/AH00898: Error reading from remote server/,
                qr/AH01110: error reading response/);

plan tests => 17;

my $pki = Apache::Test::vars('top_dir') . '/build/pki';
my $uuid = uuid_re();
my $BOUND = 120;        # seconds, for any one wait

# The id the edge logged for the last request since the mark.
sub access_id {
    my ($m, $vhost_re) = @_;
    my @l = grep { /\Q$vhost_re\E/ } edge_access_since($m);
    return @l ? (split /\t/, $l[-1])[1] : '';
}

sub edge_fine {
    my $r = req('edge', 'GET', '/testHealth');
    return $r->{status} == 200;
}

# --- MI down: 503, the id in the error line, the edge stays up --------
{
    my $m = mark_logs();
    my $r = req('fault_down', 'GET', '/ok/x');
    ok($r->{status} == 503, 'backend down: 503') or diag($r->{status});
    my $id = $r->{headers}{'x-request-id'} // access_id($m, "\t503\t");
    ok($id =~ /^$uuid$/, 'backend down: the request has an id');
    wait_for(sub { err_since($m) =~ /\[id \Q$id\E\]/ }, $BOUND);
    my @lines = grep { /\[id \Q$id\E\]/ } split /\n/, err_since($m);
    ok(scalar(grep { /proxy/ } @lines),
       'backend down: the proxy error line carries [id <uuid>]')
        or diag(err_since($m));
    my $r2 = req('fault_down', 'GET', '/ok/y');
    ok($r2->{status} == 503, 'backend down: the next request is a 503 too');
    ok(edge_fine(), 'backend down: the edge serves other vhosts');
}

# --- MI hangs: ProxyTimeout (2 s) ends it, the edge stays responsive
{
    my $dir = tempdir('migate-backend.XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $seen = "$dir/hang.seen";
    my $be = FaultBackend::start(port => port('fault_hang_be'),
                                 mode => 'hang', pki => $pki,
                                 seen => $seen);
    my $m = mark_logs();
    my $t0 = time;
    # three hanging requests in parallel, each in its own process
    my @kids;
    for my $k (1 .. 3) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            my $r = req('fault_hang', 'GET', "/ok/hang$k");
            # mod_proxy_http answers a status line that never came
            # with 502 (AH01102), a timeout on the body with 504
            POSIX::_exit($r->{status} == 502 || $r->{status} == 504
                         ? 0 : 1);
        }
        push @kids, $pid;
    }
    # Until the three hang at the backend: from then on each has
    # ProxyTimeout (2 s) to go.
    my $arrived = wait_for(sub { FaultBackend::seen($seen) >= 3 }, $BOUND);
    my $t_seen = time;
    # meanwhile: the edge answers other requests at once
    my $fine = 0;
    $fine += edge_fine() for 1 .. 5;
    my $t_fine = time;
    my $pending = grep { waitpid($_, POSIX::WNOHANG()) == 0 } @kids;
    ok($arrived && $fine == 5,
       'backend hangs: other requests answered meanwhile');
    # No hanging request may be over before its timeout; only when the
    # five took longer than the timeout themselves (a very slow machine)
    # can none be left to see.
    ok($pending >= 1 || $t_fine - $t_seen >= 2,
       'backend hangs: they were answered while requests hung')
        or diag(sprintf 'pending %d after %.1f s', $pending,
                $t_fine - $t_seen);
    my $bad = 0;
    for my $pid (@kids) {
        waitpid $pid, 0;
        $bad++ if $? != 0;
    }
    my $took = time - $t0;
    ok($bad == 0, 'backend hangs: every hanging request got a 502/504');
    # ProxyTimeout is 2 s; allow a loaded machine plenty of slack
    ok($took >= 1.5 && $took < $BOUND,
       sprintf('backend hangs: answered after the timeout (%.1f s)', $took));
    my @l = grep { /\[id $uuid\]/ && /(?:timed out|Timeout|AH01102)/i }
            split /\n/, err_since($m);
    ok(scalar(@l) >= 3, 'backend hangs: error lines with ids')
        or diag(err_since($m));
    FaultBackend::stop($be);
    ok(edge_fine(), 'backend hangs: the edge is fine afterwards');
}

# --- MI resets before / in the middle of its answer -------------------
{
    my $be = FaultBackend::start(port => port('fault_reset_be'),
                                 mode => 'reset', pki => $pki);
    my $m = mark_logs();
    my $r = req('fault_reset', 'GET', '/ok/head');
    ok($r->{status} == 502, 'reset before the answer: 502')
        or diag($r->{status});
    my $id = $r->{headers}{'x-request-id'} // '';
    ok($id =~ /^$uuid$/ && err_since($m) =~ /\[id \Q$id\E\]/,
       'reset before the answer: the error line carries the id');

    my $b = req('fault_reset', 'GET', '/ok/body');
    my ($len) = ($b->{headers}{'content-length'} // '') =~ /(\d+)/;
    # the head went out already: the client sees a short body (the edge
    # closes the connection), or a 502 when the reset came first
    ok(($b->{status} == 200 && length($b->{body}) < 100000)
           || $b->{status} == 502,
       'reset mid-answer: truncated or 502, never a complete answer')
        or diag("status $b->{status}, body " . length($b->{body}));
    FaultBackend::stop($be);
    ok(edge_fine(), 'reset: the edge is fine afterwards');
    my $again = req('fault_reset', 'GET', '/ok/head');
    ok($again->{status} == 503 || $again->{status} == 502,
       'reset: with the backend gone, a clean 5xx');
}

# No child crashed on the way.
ok(err_since({ err => 0 }) !~ /exit signal (?:Segmentation|Abort|Bus)/,
   'no child process died of a signal');
