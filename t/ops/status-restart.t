# The status counters across a graceful restart, with a request in
# flight, on an edge of its own (not Apache::Test's httpd) whose
# restart swaps the places of its two gated vhosts: what docs/status.md
# says survives a restart, exactly.
#
# Counters belong to one configuration generation.  A request that a
# child of the old generation finishes after the restart is counted
# there, never in the new generation's counters, and never under the
# vhost or rule that took its place; the new counters start from zero
# and count exactly what the new children decide.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin/../faults";

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use FaultBackend;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use JSON::PP ();

plan tests => 11;

my $top = Apache::Test::vars('top_dir');
my ($px, $py, $pst, $pbe) = map { port($_) }
    qw(ops_own_x ops_own_y ops_own_status ops_own_be);
my $dir = tempdir('migate-status-restart.XXXXXX', TMPDIR => 1,
                  CLEANUP => 1);
my $conf = "$dir/httpd.conf";

# Vhost x allows /x and /hold, vhost y allows /y and has a deny rule
# more: their blocks differ in size and in rule indexes.
my %vhost = (
    x => "<VirtualHost 127.0.0.1:$px>\n    MiGate On\n"
         . "    MiGateAllow /x\n    MiGateAllow /hold\n    Use Backend\n"
         . "</VirtualHost>\n",
    y => "<VirtualHost 127.0.0.1:$py>\n    MiGate On\n"
         . "    MiGateAllow /y\n    MiGateDeny /y/private\n"
         . "    Use Backend\n</VirtualHost>\n",
);

sub write_conf {
    my @order = @_;
    open my $fh, '>', "$conf.new" or die $!;
    print $fh own_httpd_conf($dir, qw(socache_shmcb ssl proxy proxy_http
                                      macro)),
        <<"EOF", map { $vhost{$_} } @order;
StartServers 2
ServerLimit 4
ThreadsPerChild 8
MaxRequestWorkers 32
LogFormat "%p\\t%>s\\t%r" edge
CustomLog $dir/access_log edge
Listen 127.0.0.1:$px
Listen 127.0.0.1:$py
Listen 127.0.0.1:$pst
<Macro Backend>
    SSLProxyEngine on
    SSLProxyCACertificateFile $top/build/pki/ca.crt
    SSLProxyVerify require
    ProxyPass / https://localhost:$pbe/
</Macro>
<VirtualHost 127.0.0.1:$pst>
    <Location /migate-status>
        SetHandler migate-status
    </Location>
</VirtualHost>
EOF
    close $fh;
    rename "$conf.new", $conf or die $!;
}

sub ctl { own_httpd_ctl($conf, @_) }
sub pid { own_httpd_pid($dir) }

# Send a request; the socket, to read the answer from later.
sub send_req {
    my ($port, $path) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 60)
        or die "connect $port: $!";
    print $s "GET $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n\r\n";
    return $s;
}

sub status_of {
    my $s = shift;
    my $l = <$s> // '';
    close $s;
    return $l =~ m{^HTTP/1\.\d (\d{3})} ? $1 : 0;
}

sub get { status_of(send_req(@_)) }

# The status page's JSON, or undef.
sub status_json {
    my $s = send_req($pst, '/migate-status?json');
    local $/;
    my $r = <$s> // '';
    close $s;
    my ($body) = $r =~ /\r\n\r\n(.*)\z/s;
    return eval { JSON::PP->new->decode($body // '') };
}

# Of one vhost (by port): its counters, with the hits per rule as
# { "directive pattern" or "builtin:..." => hits } where not zero.
sub counters {
    my ($doc, $port) = @_;
    my ($s) = grep { $_->{addresses} =~ /:$port\b/ } @{$doc->{servers}};
    my $c = $s->{counters} or return undef;
    my %hits = map { (defined $_->{directive}
                          ? "$_->{directive} $_->{pattern}" : $_->{rule})
                     => $_->{hits} }
               grep { $_->{hits} } @{$c->{rule_hits}};
    return { passed => $c->{passed}, refused => $c->{refused},
             reported => $c->{reported}, hits => \%hits };
}

# The access lines of the gated vhosts (not of the status page).
sub access_lines {
    open my $fh, '<', "$dir/access_log" or return ();
    return grep { /^(?:$px|$py)\t/ } <$fh>;
}

my $be = FaultBackend::start(port => $pbe, mode => 'hold', name => 'be',
                             pki => "$top/build/pki", dir => $dir);
END {
    my $p = pid();
    if ($p) {
        kill 'TERM', $p;
        wait_for(sub { !kill(0, $p) }, 10);
    }
    FaultBackend::stop($be) if $be;
}

# --- generation 1: x, then y ---------------------------------------
write_conf(qw(x y));
my ($rc, $out) = ctl('start');
my $doc;
ok($rc == 0 && wait_for(sub { $doc = status_json() }, 20),
   'own edge started') or diag($out);
my ($gen1, $since1) = @{$doc}{qw(generation counters_since_epoch)};
ok(get($px, '/x/1') == 200 && wait_for(sub {
       my $d = status_json();
       $d && (counters($d, $px)->{passed} // 0) == 1 }, 10),
   'generation 1 counts a request of x');

# A request of x in flight: the old child decided it, MI holds it.
my $held = send_req($px, '/hold/1');
ok(wait_for(sub { -e "$dir/held" }, 20), 'a request of x in flight');

# --- generation 2: y takes the place of x --------------------------
write_conf(qw(y x));
($rc, $out) = ctl('graceful');
ok($rc == 0 && wait_for(sub {
       $doc = status_json();
       $doc && $doc->{generation} > $gen1 }, 30),
   'graceful restart: a new generation') or diag($out);

# The old child finishes the request in flight, and logs it (the count
# comes before the access line).
open my $fh, '>', "$dir/release" or die $!;
close $fh;
is(status_of($held), 200, 'the request in flight is answered');
ok(wait_for(sub { grep { m{\tGET /hold/1 } } access_lines() }, 20),
   'and logged by its child');

$doc = status_json();
my %zero = (passed => 0, refused => 0, reported => 0, hits => {});
is_deeply(counters($doc, $px), \%zero,
          'x: new counters, the request in flight is not among them');
is_deeply(counters($doc, $py), \%zero,
          'y: nor did it land on the vhost that took its place');
ok($doc->{counters_since_epoch} >= $since1, 'counters since the restart');

# --- the new generation counts exactly what it decides --------------
my @sent = (get($px, '/x/2'), get($py, '/y/2'), get($py, '/y/private/3'),
            get($py, '/nope'));
wait_for(sub { access_lines() >= 6 }, 20);
$doc = status_json();
is_deeply(counters($doc, $px),
          { passed => 1, refused => 0, reported => 0,
            hits => { 'MiGateAllow /x' => 1 } },
          'x: exactly its request of generation 2') or diag(explain($doc));
is_deeply(counters($doc, $py),
          { passed => 1, refused => 2, reported => 0,
            hits => { 'MiGateAllow /y' => 1, 'MiGateDeny /y/private' => 1,
                      'builtin:default-deny' => 1 } },
          "y: exactly its requests of generation 2 (@sent)")
    or diag(explain($doc));

($rc, $out) = ctl('stop');
wait_for(sub { !kill(0, pid()) }, 15);
unlink "$dir/httpd.pid";
