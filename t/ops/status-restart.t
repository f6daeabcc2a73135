# The status counters across graceful restarts, with requests in flight
# and the policy changed between them, on an edge of its own (not
# Apache::Test's httpd): what docs/status.md says survives a restart,
# exactly.
#
# Counters are kept from the start of httpd to its stop, whatever
# restarts come between.  A counter is named by its vhost and by what it
# counts (a rule by what it says), so a request that a child of the old
# generation finishes after a restart counts where it belongs, even when
# the new configuration moved the vhosts and rules around; a rule that
# is unchanged keeps its counts wherever it is written, a new rule
# starts at zero, a removed one leaves its requests in the totals.  A
# stop and start begins from zero.
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

plan tests => 27;

my $top = Apache::Test::vars('top_dir');
my ($px, $py, $pst, $pbe) = map { port($_) }
    qw(ops_own_x ops_own_y ops_own_status ops_own_be);
my $dir = tempdir('migate-status-restart.XXXXXX', TMPDIR => 1,
                  CLEANUP => 1);
my $conf = "$dir/httpd.conf";

# The policies.  1: x allows /x and /hold; y allows /y and denies
# /y/private.  2: the vhosts swap places, x's rules are written on other
# lines in another order and x gains /new; y's deny rule is /y/secret
# instead.  3: as 1, x keeps /new, y has MiGateAllow /y twice.
my %policy = (
    1 => { x => [ 'MiGateAllow /x', 'MiGateAllow /hold' ],
           y => [ 'MiGateAllow /y', 'MiGateDeny /y/private' ],
           order => [qw(x y)] },
    2 => { x => [ '# moved', '', 'MiGateAllow /new', 'MiGateAllow /hold',
                  '# moved too', 'MiGateAllow /x' ],
           y => [ 'MiGateAllow /y', 'MiGateDeny /y/secret' ],
           order => [qw(y x)] },
    3 => { x => [ 'MiGateAllow /x', 'MiGateAllow /hold',
                  'MiGateAllow /new' ],
           y => [ 'MiGateAllow /y', 'MiGateDeny /y/private',
                  'MiGateAllow /y' ],
           order => [qw(x y)] },
);
my %port = (x => $px, y => $py);

sub vhost {
    my ($n, $v) = @_;
    return "<VirtualHost 127.0.0.1:$port{$v}>\n    MiGate On\n"
        . join('', map { "    $_\n" } @{$policy{$n}{$v}})
        . "    Use Backend\n</VirtualHost>\n";
}

sub write_conf {
    my ($n) = @_;
    open my $fh, '>', "$conf.new" or die $!;
    print $fh own_httpd_conf($dir, qw(socache_shmcb ssl proxy proxy_http
                                      macro status)),
        <<"EOF";
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
    <Location /server-status>
        SetHandler server-status
    </Location>
</VirtualHost>
EOF
    print $fh map { vhost($n, $_) } @{$policy{$n}{order}};
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
    # HTTP/1.0: a long answer is not chunked.
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $pst,
                                  Proto => 'tcp', Timeout => 60)
        or return undef;
    print $s "GET /migate-status?json HTTP/1.0\r\nHost: localhost\r\n\r\n";
    local $/;
    my $r = <$s> // '';
    close $s;
    my ($body) = $r =~ /\r\n\r\n(.*)\z/s;
    return eval { JSON::PP->new->decode($body // '') };
}

# Of one vhost (by port): its counters, with the hits per rule by name
# where not zero, and its operator's rules by name => hits.
sub counters {
    my ($doc, $port) = @_;
    my ($s) = grep { $_->{addresses} =~ /:$port\b/ } @{$doc->{servers}};
    my $c = $s->{counters} or return undef;
    my %hits = map { $_->{rule} => $_->{hits} }
               grep { $_->{hits} } @{$c->{rule_hits}};
    my %rules = map { $_->{rule} => $_->{hits} }
                grep { $_->{where} } @{$c->{rule_hits}};
    return { passed => $c->{passed}, refused => $c->{refused},
             reported => $c->{reported}, hits => \%hits,
             rules => \%rules };
}

# Where the rule of that name is written, for a vhost (by port).
sub where {
    my ($doc, $port, $name) = @_;
    my ($s) = grep { $_->{addresses} =~ /:$port\b/ } @{$doc->{servers}};
    my ($h) = grep { $_->{rule} eq $name } @{$s->{counters}{rule_hits}};
    return $h ? $h->{where} : '';
}

# The access lines of the gated vhosts (not of the status page).
sub access_lines {
    open my $fh, '<', "$dir/access_log" or return ();
    return grep { /^(?:$px|$py)\t/ } <$fh>;
}

# Hold a request of x in flight: decided by a child of this generation,
# held by MI until released.
sub hold {
    my ($path) = @_;
    unlink "$dir/held", "$dir/release";
    my $s = send_req($px, $path);
    return wait_for(sub { -e "$dir/held" }, 20) ? $s : undef;
}

sub release {
    my ($s, $path) = @_;
    open my $fh, '>', "$dir/release" or die $!;
    close $fh;
    return status_of($s) == 200
        && wait_for(sub { grep { m{\tGET \Q$path\E } } access_lines() }, 20);
}

# A graceful restart into policy $n: the new generation serving.
my $gen = 0;
sub graceful {
    my ($n) = @_;
    write_conf($n);
    my ($rc, $out) = ctl('graceful');
    my $doc;
    my $ok = $rc == 0 && wait_for(sub {
        $doc = status_json();
        $doc && $doc->{generation} > $gen }, 30);
    diag($out) unless $ok;
    $gen = $doc->{generation} if $ok;
    return $ok;
}

# Wait until every request sent so far has its access line (the count
# comes before it), then read the page.
my $sent = 0;
sub settled {
    wait_for(sub { access_lines() >= $sent }, 20);
    return status_json();
}
sub send_get { $sent++; return get(@_) }

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

# A policy 4 too big for the table made at the start: x gains 4,500
# rules, more names than the table (4,096 entries for this small first
# configuration) has room left for.
$policy{4} = { %{$policy{3}} };
$policy{4}{x} = [ @{$policy{3}{x}}, map { "MiGateAllow /many/$_" } 1 .. 4500 ];

# --- generation 1 ----------------------------------------------------
write_conf(1);
my ($rc, $out) = ctl('start');
my $doc;
ok($rc == 0 && wait_for(sub { $doc = status_json() }, 20),
   'own edge started') or diag($out);
($gen, my $since) = @{$doc}{qw(generation counters_since_epoch)};
my @st = (send_get($px, '/x/1'), send_get($py, '/nope'));
$doc = settled();
is_deeply(counters($doc, $px),
          { passed => 1, refused => 0, reported => 0,
            hits => { 'MiGateAllow /x' => 1 },
            rules => { 'MiGateAllow /x' => 1, 'MiGateAllow /hold' => 0 } },
          "generation 1 counts x's request (@st)") or diag(explain($doc));
my $where_x = where($doc, $px, 'MiGateAllow /x');
$sent++;
my $held = hold('/hold/1');
ok($held, 'a request of x in flight, decided by generation 1');

# --- generation 2: everything moved ----------------------------------
ok(graceful(2), 'graceful restart 1: policy 2, the vhosts swapped');
ok(release($held, '/hold/1'),
   'the request in flight is answered and logged by its old child');
$doc = settled();
is_deeply(counters($doc, $px),
          { passed => 2, refused => 0, reported => 0,
            hits => { 'MiGateAllow /x' => 1, 'MiGateAllow /hold' => 1 },
            rules => { 'MiGateAllow /x' => 1, 'MiGateAllow /hold' => 1,
                       'MiGateAllow /new' => 0 } },
          'x: its counts kept, the old child\'s request on x\'s rule, the '
          . 'new rule at zero') or diag(explain($doc));
isnt(where($doc, $px, 'MiGateAllow /x'), $where_x,
     'MiGateAllow /x is written on another line now: the same counter');
is_deeply(counters($doc, $py),
          { passed => 0, refused => 1, reported => 0,
            hits => { 'builtin:default-deny' => 1 },
            rules => { 'MiGateAllow /y' => 0, 'MiGateDeny /y/secret' => 0 } },
          'y: its counts kept, nothing of x on it') or diag(explain($doc));
is($doc->{counters_since_epoch}, $since, 'counters since the start');

@st = (send_get($px, '/new/1'), send_get($py, '/y/secret/1'),
       send_get($py, '/y/2'));
$sent++;
$held = hold('/hold/2');
ok($held, "generation 2 serves (@st); a request of x in flight");

# --- generation 3: back, and /y/secret gone -------------------------
ok(graceful(3), 'graceful restart 2: policy 3');
ok(release($held, '/hold/2'), 'the request in flight is answered');
$doc = settled();
my $x3 = { passed => 4, refused => 0, reported => 0,
           hits => { 'MiGateAllow /x' => 1, 'MiGateAllow /hold' => 2,
                     'MiGateAllow /new' => 1 },
           rules => { 'MiGateAllow /x' => 1, 'MiGateAllow /hold' => 2,
                      'MiGateAllow /new' => 1 } };
my $y3 = { passed => 1, refused => 2, reported => 0,
           hits => { 'builtin:default-deny' => 1, 'MiGateAllow /y' => 1 },
           rules => { 'MiGateAllow /y' => 1,
                      'MiGateDeny /y/private' => 0 } };
is_deeply(counters($doc, $px), $x3, 'x: exact totals over two gracefuls')
    or diag(explain($doc));
is_deeply(counters($doc, $py), $y3,
          'y: exact totals; the removed rule\'s refusal stays in them')
    or diag(explain($doc));
like(where($doc, $py, 'MiGateAllow /y'), qr/:\d+, \S+:\d+$/,
     'a rule written twice: one counter, both places beside it');
my ($ys) = grep { $_->{addresses} =~ /:$py\b/ } @{$doc->{servers}};
is($ys->{counters}{refused_by_reason}{'hard-deny'}, 1,
   'y: under its reason too');

# The same numbers in the metrics.
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $pst,
                              Proto => 'tcp', Timeout => 60) or die $!;
print $s "GET /migate-status?metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
my $m = do { local $/; <$s> // '' };
close $s;
ok(index($m, qq(migate_rule_hits_total{vhost="localhost:$px",)
             . qq(rule="MiGateAllow /hold"} 2\n)) >= 0
   && index($m, qq(migate_requests_total{vhost="localhost:$py",)
                . qq(verdict="refused",reason="hard-deny"} 1\n)) >= 0,
   'the metrics say the same, rules named by what they say')
    or diag($m);

# mod_status's page has the totals too (its status_hook).
$s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $pst,
                           Proto => 'tcp', Timeout => 60) or die $!;
print $s "GET /server-status?auto HTTP/1.0\r\nHost: localhost\r\n\r\n";
$m = do { local $/; <$s> // '' };
close $s;
my %auto = $m =~ /^(MiGate\w+): (.*?)\r?$/mg;
my ($nx) = grep { $auto{"MiGateServer$_"} eq "localhost:$px" } 0 .. 1;
ok(defined $nx && $auto{"MiGatePassed$nx"} == 4
   && $auto{"MiGateRefused$nx"} == 0,
   'server-status?auto: x passed 4, refused 0') or diag($m);

$s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $pst,
                           Proto => 'tcp', Timeout => 60) or die $!;
print $s "GET /server-status HTTP/1.0\r\nHost: localhost\r\n\r\n";
$m = do { local $/; <$s> // '' };
close $s;
like($m, qr{<h2>MI gate \(mod_migate\)</h2>.*<tr><td>localhost:$px</td><td>4</td><td>0</td><td>0</td></tr>}s,
     'server-status: a section with the totals') or diag($m);

# --- generation 4: the same configuration, nothing more -------------
ok(graceful(3), 'graceful restart 3: the same policy');
$doc = settled();
ok(eq_hash(counters($doc, $px), $x3) && eq_hash(counters($doc, $py), $y3),
   'every count as it was: nothing lost, nothing counted twice')
    or diag(explain($doc));

# --- stop and start: from zero ---------------------------------------
my $old = pid();
($rc, $out) = ctl('stop');
ok($rc == 0 && $old && wait_for(sub { !kill(0, $old) }, 30), 'stopped')
    or diag($out);
unlink "$dir/httpd.pid";
$gen = -1;
($rc, $out) = ctl('start');
ok($rc == 0 && wait_for(sub { $doc = status_json() }, 20)
   && counters($doc, $px)->{passed} == 0
   && counters($doc, $py)->{refused} == 0,
   'a stop and start begins from zero') or diag($out);

# --- a configuration the table has no room for ----------------------
my $x0 = counters($doc, $px);
@st = (send_get($px, '/x/again'));
$doc = settled();
$gen = $doc->{generation};
ok(graceful(4), 'graceful restart into policy 4, with 4,503 rules on x');
my $err = do { local (@ARGV, $/) = ("$dir/error_log"); <> // '' };
my ($lost) = $err =~ /MIGATE0042: the migate-status counters are full .*?: (\d+) counters? of this configuration/;
ok($lost && $lost < 4500, "MIGATE0042 says how many counters are not kept ($lost)")
    or diag($err);
@st = (send_get($px, '/x/more'), send_get($px, '/many/4500/y'));
$doc = settled();
my $x4 = counters($doc, $px);
ok($x4->{passed} == 3 && $x4->{rules}{'MiGateAllow /x'} == 2,
   "the counters it had go on counting (@st)") or diag(explain($x4));
my ($xs) = grep { $_->{addresses} =~ /:$px\b/ } @{$doc->{servers}};
my ($last) = grep { $_->{rule} eq 'MiGateAllow /many/4500' }
             @{$xs->{counters}{rule_hits}};
ok($last && !defined $last->{hits}
   && $doc->{counters_table}{used} == $doc->{counters_table}{entries},
   'a rule without a counter shows null hits; the table says it is full')
    or diag(explain($last, $doc->{counters_table}));

($rc, $out) = ctl('stop');
wait_for(sub { !kill(0, pid()) }, 15);
unlink "$dir/httpd.pid";
