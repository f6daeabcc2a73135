# Graceful restarts of an edge of its own (not Apache::Test's httpd): a
# generated configuration in a temporary directory, on a port reserved in
# t/conf/faults.conf.in, in front of the suite's stand-in MI, run as the
# test user with "apache2 -f conf -k start|graceful|stop".
#
# 1. Under load from keep-alive clients, "-k graceful" five times, the
#    allowlist switching between /a and /b each time (/both in both):
#    no failed request for /both, and the last policy is in force.
#    Every request the edge logged was counted once, in counters kept
#    across the gracefuls (passed and refused, as the status page of
#    the vhost itself shows them).
# 2. "-k graceful" with a configuration error (a bad directive, a
#    forbidden service name, plain http toward MI in a gated vhost) is
#    refused, and the old configuration goes on serving.
#
# Driven by counts and by the state it waits for, never by the clock: the
# load has done $N requests before the first graceful and $N more after
# each new generation was seen serving its policy; every wait is bounded
# by $BOUND seconds, far above what a loaded machine with the sanitizer
# build needs.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::Bin;

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Load;
use JSON::PP ();
use Time::HiRes qw(time sleep);

plan tests => 17;

my $top = Apache::Test::vars('top_dir');
my $port = port('fault_own');
my $mi = port('mi');
my $dir = tempdir('migate-graceful.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $conf = "$dir/httpd.conf";
my $GRACEFULS = 5;
my $N = 20;             # requests for /both in each generation
my $BOUND = 120;        # seconds, for any one wait

sub write_conf {
    my ($policy, $extra) = @_;
    $extra //= '';
    open my $fh, '>', "$conf.new" or die $!;
    print $fh own_httpd_conf($dir, qw(socache_shmcb ssl proxy proxy_http)),
        <<"EOF";
StartServers 2
# Room for the children of older generations that still finish their
# requests after each graceful (else httpd says "scoreboard is full").
ServerLimit 16
ThreadsPerChild 16
MaxRequestWorkers 64
KeepAlive On
MaxKeepAliveRequests 0
SSLSessionCache shmcb:$dir/ssl_scache(512000)
ErrorLogFormat "[%{u}t] [%-m:%l] [pid %P] [id\\ %L] %M"
LogFormat "%L\\t%>s\\t%r" edge
CustomLog $dir/access_log edge
Listen 127.0.0.1:$port
<VirtualHost 127.0.0.1:$port>
    MiGate On
    MiGateAllow /both
    MiGateAllow /$policy
    MiGateAllowExact GET /migate-status
    <Location /migate-status>
        SetHandler migate-status
    </Location>
    ProxyPass /migate-status !
    SSLProxyEngine on
    SSLProxyCACertificateFile $top/build/pki/ca.crt
    SSLProxyVerify require
    ProxyPass / https://localhost:$mi/healthcare/
$extra
</VirtualHost>
EOF
    close $fh;
    rename "$conf.new", $conf or die $!;
}

sub ctl { own_httpd_ctl($conf, @_) }
sub pid { own_httpd_pid($dir) }

# status of one request on a new connection; $answered counts those
# that got an answer (each is logged)
my $answered = 0;
sub get {
    my $path = shift;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 10)
        or return 0;
    print $s "GET $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n\r\n";
    my $l = <$s> // '';
    close $s;
    $answered++ if $l =~ m{^HTTP/};
    return $l =~ m{^HTTP/1\.\d (\d{3})} ? $1 : 0;
}

# What the file $f gained since it was $from bytes long.
sub _since {
    my ($f, $from) = @_;
    open my $fh, '<', $f or return '';
    seek $fh, $from, 0;
    local $/;
    return <$fh> // '';
}

# The access log's lines: [status, request line].
sub access_lines {
    open my $fh, '<', "$dir/access_log" or return ();
    return map { chomp; my @f = split /\t/; [ $f[1], $f[2] // '' ] } <$fh>;
}

# The vhost's counters from its own status page (HTTP/1.0: not chunked;
# the tag names the request in the access log).
sub counters {
    my $tag = shift;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 30)
        or return undef;
    print $s "GET /migate-status?json&$tag HTTP/1.0\r\n\r\n";
    local $/;
    my $r = <$s> // '';
    close $s;
    my ($body) = $r =~ /\r\n\r\n(.*)\z/s;
    my $doc = eval { JSON::PP->new->decode($body // '') } or return undef;
    return $doc->{servers}[0]{counters};
}

sub policy_is {
    my $p = shift;
    my $q = $p eq 'a' ? 'b' : 'a';
    return get("/$p/x") == 200 && get("/$q/x") == 403;
}

END {
    my $p = pid();
    if ($p) {
        kill 'TERM', $p;
        wait_for(sub { !kill(0, $p) }, $BOUND);
    }
}

# --- start --------------------------------------------------------------
write_conf('a');
my ($rc, $out) = ctl('start');
ok($rc == 0 && wait_for(sub { policy_is('a') }, $BOUND),
   'own edge started with policy a') or diag($out);
my $pid0 = pid();

# --- gracefuls under load ---------------------------------------------
my $load = Load::start(port => $port, clients => 4, dir => $dir,
                       path => sub { "/both/c$_[0]-$_[1]" });
# $N more requests done since time $since.
my $served = sub {
    my $since = shift;
    return Load::wait_count($load, $N, $BOUND,
                            sub { $_[0]{t} >= $since });
};
my $loaded = $served->(0);
my ($switched, $graceful_ok) = (0, 0);
my $policy = 'a';
my $t0 = time;
for my $n (1 .. $GRACEFULS) {
    $policy = $policy eq 'a' ? 'b' : 'a';
    write_conf($policy);
    my ($rc, $o) = ctl('graceful');
    $graceful_ok++ if $rc == 0;
    diag("graceful $n: $o") if $rc != 0;
    next unless wait_for(sub { policy_is($policy) }, $BOUND);
    $switched++;
    $loaded &&= $served->(time);
}
my $dt = time - $t0;
my @done = Load::stop($load);
my @failed = grep { $_->{status} != 200 } @done;
my $retries = grep { $_->{retry} } @done;
ok($graceful_ok == $GRACEFULS, "$GRACEFULS gracefuls accepted");
ok($switched == $GRACEFULS, 'each graceful put its allowlist in force');
ok($loaded && @done >= $N * ($GRACEFULS + 1),
   scalar(@done) . " requests for /both, at least $N in each generation");
ok(@failed == 0, scalar(@failed) . ' failed requests (connection errors, '
   . "no answer, non-200); $retries resent after a keep-alive close")
    or diag(join "\n", map { "$_->{status} $_->{body}" } @failed[0 .. 9]);
ok(pid() == $pid0, 'the same parent process throughout');
ok(policy_is('b'), 'the last policy (b) is in force: /b passes, /a is 403');
# Every request answered is logged; once all are, the counters (kept
# across the gracefuls) hold each logged request once: passed or
# refused, the 403s refused.
wait_for(sub { access_lines() >= @done + $answered }, $BOUND);
my $c = counters('all');
my @lines;
wait_for(sub { @lines = access_lines();
               grep { $_->[1] =~ /\?json&all / } @lines }, $BOUND);
@lines = grep { $_->[1] !~ /\?json&all / } @lines;
my $refused = grep { $_->[0] == 403 } @lines;
ok($c && $c->{passed} + $c->{refused} == @lines,
   ($c ? $c->{passed} + $c->{refused} : 'no')
   . ' requests counted over ' . ($GRACEFULS + 1) . ' generations, '
   . scalar(@lines) . ' logged') or diag(explain($c));
ok($c && $c->{refused} == $refused && $c->{refused_by_reason}{'not-allowed'}
   == $refused, "$refused refused (403, not-allowed)")
    or diag(explain($c));
diag(sprintf "graceful under load: %d requests in %.1f s, %d failed, "
     . "%d resent on a new connection, %d gracefuls",
     scalar(@done), $dt, scalar(@failed), $retries, $GRACEFULS);
if (open my $fh, '>', t_logs() . '/faults_graceful.txt') {
    printf $fh "requests %d\nseconds %.1f\nfailed %d\nresent %d\n"
        . "gracefuls %d\n", scalar(@done), $dt, scalar(@failed), $retries,
        $GRACEFULS;
}

# --- configuration errors on graceful ---------------------------------
my %bad = (
    'bad method list' => "    MiGateAllow GET,TRACE /c\n",
    'admin service' => "    MiGateAllowService AdminService\n",
    'plain http toward MI' => "    ProxyPass /plain http://127.0.0.1:1/\n",
);
my $marks = 0;
for my $name (sort keys %bad) {
    my $from = -s "$dir/error_log" // 0;
    write_conf('a', $bad{$name});
    my ($rc, $o) = ctl('graceful');
    ok($rc != 0 && $o =~ /\S/, "$name: graceful refused") or diag($o);
    # A refused graceful sends no signal, and nothing shows that none was
    # sent.  A good graceful after it shows itself: once its marker path
    # passes, the parent has handled every signal sent before.  Then the
    # log holds that one graceful restart only, the parent is the same
    # (a restart into the bad configuration would have stopped it) and
    # policy b is in force, not the bad a.
    my $marker = '/marker' . ++$marks;
    write_conf('b', "    MiGateAllow $marker\n");
    my ($rc2, $o2) = ctl('graceful');
    my $shown = $rc2 == 0
        && wait_for(sub { get("$marker/x") == 200 }, $BOUND);
    my @restarts = grep { /AH00493: SIGUSR1 received/ }
        split /\n/, _since("$dir/error_log", $from);
    ok($shown && @restarts == 1 && pid() == $pid0 && kill(0, $pid0)
       && policy_is('b'),
       "$name: the old configuration (b) still serves")
        or diag("marker graceful: $rc2 $o2; " . scalar(@restarts)
                . " graceful restarts logged");
}

# --- stop ---------------------------------------------------------------
write_conf('b');        # "-k stop" reads the configuration too
($rc, $out) = ctl('stop');
ok($rc == 0 && wait_for(sub { !kill(0, $pid0) }, $BOUND),
   'own edge stopped')
    or diag($out);
unlink "$dir/httpd.pid";

# Its error log, through five gracefuls under load, three refused ones
# and a stop, holds no error and no warning of httpd's.
my @bad = unexpected_errors("$dir/error_log", 0);
ok(!@bad, 'no unexpected line in its error log')
    or diag(join "\n", @bad[0 .. ($#bad < 9 ? $#bad : 9)]);
