# Graceful restarts of an edge of its own (not Apache::Test's httpd): a
# generated configuration in a temporary directory, on a port reserved in
# t/conf/faults.conf.in, in front of the suite's stand-in MI, run as the
# test user with "apache2 -f conf -k start|graceful|stop".
#
# 1. Under load from keep-alive clients, "-k graceful" five times, the
#    allowlist switching between /a and /b each time (/both in both):
#    no failed request for /both, and the last policy is in force.
# 2. "-k graceful" with a configuration error (a bad directive, a
#    forbidden service name, plain http toward MI in a gated vhost) is
#    refused, and the old configuration goes on serving.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::Bin;

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Load;
use Time::HiRes qw(time sleep);

plan tests => 14;

my $top = Apache::Test::vars('top_dir');
my $port = port('fault_own');
my $mi = port('mi');
my $dir = tempdir('migate-graceful.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $conf = "$dir/httpd.conf";
my $GRACEFULS = 5;

sub write_conf {
    my ($policy, $extra) = @_;
    $extra //= '';
    open my $fh, '>', "$conf.new" or die $!;
    print $fh own_httpd_conf($dir, qw(socache_shmcb ssl proxy proxy_http)),
        <<"EOF";
StartServers 2
ServerLimit 4
ThreadsPerChild 16
MaxRequestWorkers 64
KeepAlive On
MaxKeepAliveRequests 0
ErrorLogFormat "[%{u}t] [%-m:%l] [pid %P] [id\\ %L] %M"
LogFormat "%L\\t%>s\\t%r" edge
CustomLog $dir/access_log edge
Listen 127.0.0.1:$port
<VirtualHost 127.0.0.1:$port>
    MiGate On
    MiGateAllow /both
    MiGateAllow /$policy
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

# status of one request on a new connection
sub get {
    my $path = shift;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 10)
        or return 0;
    print $s "GET $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n\r\n";
    my $l = <$s> // '';
    close $s;
    return $l =~ m{^HTTP/1\.\d (\d{3})} ? $1 : 0;
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
        wait_for(sub { !kill(0, $p) }, 10);
    }
}

# --- start --------------------------------------------------------------
write_conf('a');
my ($rc, $out) = ctl('start');
ok($rc == 0 && wait_for(sub { policy_is('a') }, 20),
   'own edge started with policy a') or diag($out);
my $pid0 = pid();

# --- gracefuls under load ---------------------------------------------
my $load = Load::start(port => $port, clients => 4, dir => $dir,
                       max_secs => 120,
                       path => sub { "/both/c$_[0]-$_[1]" });
sleep 1;
my ($switched, $graceful_ok) = (0, 0);
my $policy = 'a';
my $t0 = time;
for my $n (1 .. $GRACEFULS) {
    $policy = $policy eq 'a' ? 'b' : 'a';
    write_conf($policy);
    my ($rc, $o) = ctl('graceful');
    $graceful_ok++ if $rc == 0;
    diag("graceful $n: $o") if $rc != 0;
    $switched++ if wait_for(sub { policy_is($policy) }, 20);
    sleep 0.5;
}
my $dt = time - $t0;
sleep 1;
my @done = Load::stop($load);
my @failed = grep { $_->{status} != 200 } @done;
my $retries = grep { $_->{retry} } @done;
ok($graceful_ok == $GRACEFULS, "$GRACEFULS gracefuls accepted");
ok($switched == $GRACEFULS, 'each graceful put its allowlist in force');
ok(@done > 100, scalar(@done) . ' requests for /both during the gracefuls');
ok(@failed == 0, scalar(@failed) . ' failed requests (connection errors, '
   . "no answer, non-200); $retries resent after a keep-alive close")
    or diag(join "\n", map { "$_->{status} $_->{body}" } @failed[0 .. 9]);
ok(pid() == $pid0, 'the same parent process throughout');
ok(policy_is('b'), 'the last policy (b) is in force: /b passes, /a is 403');
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
for my $name (sort keys %bad) {
    write_conf('a', $bad{$name});
    my ($rc, $o) = ctl('graceful');
    ok($rc != 0 && $o =~ /\S/, "$name: graceful refused") or diag($o);
    sleep 1;
    ok(pid() == $pid0 && kill(0, $pid0) && policy_is('b'),
       "$name: the old configuration (b) still serves");
}

# --- stop ---------------------------------------------------------------
write_conf('b');        # "-k stop" reads the configuration too
($rc, $out) = ctl('stop');
ok($rc == 0 && wait_for(sub { !kill(0, $pid0) }, 15), 'own edge stopped')
    or diag($out);
unlink "$dir/httpd.pid";
