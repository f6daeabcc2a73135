package MiGate::Test;

# Helpers of the mod_migate test suite: raw requests to a named edge
# vhost, and what the edge's error log and the stand-in MI's log gained
# because of them.

use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use IO::Socket::INET;
use Time::HiRes qw(sleep time);
use Apache::Test ();

our @EXPORT = qw(port req raw_req mark_logs blocked_since mi_since
                 edge_access_since refused_ok passed_ok uuid_re
                 t_logs wait_for httpd_under_test module_under_test
                 own_httpd_conf own_httpd_ctl own_httpd_pid write_file);

sub t_logs { Apache::Test::vars('t_logs') }

# --- unexpected error-log lines fail the test file ----------------------
#
# Every test file that uses this module is checked when it ends: a line
# the edge's error log gained meanwhile at level error or above, or an
# httpd warning (an AH code at level warn), fails the file unless the
# file said it expects it with error_log_allow(qr/.../, ...).  The gate's
# own warnings (MIGATE codes: "blocked" lines, start-up notices) are what
# tests assert on and are not checked here.

# Lines nobody's request causes, allowed in every file: mod_proxy_hcheck
# probes the deliberately dead members of t/conf/faults.conf.in's
# balancer on their own schedule.
my @ALLOWED_ALWAYS = (qr/AH00957: HCOH: attempt to connect to/,
                      qr/AH00959: ap_proxy_connect_backend disabling worker/);
my @allowed;
my $err_start;
my $err_check = 1;

# Lines matching any of these patterns are expected in this file.
sub error_log_allow { push @allowed, @_ }

# Turn the check off for a file that reads the edge's error log its own
# way (say why where it is called).
sub error_log_unchecked { $err_check = 0 }

# The lines the edge's error log gained since $from (a size) that no
# pattern allows.
sub unexpected_errors {
    my ($file, $from, @allow) = @_;
    my @bad;
    for my $l (split /\n/, _read_from($file, $from)) {
        my ($module, $level) = $l =~ /^\[[^]]*\] \[(?:([\w.]*):)?(\w+)\]/
            or next;
        next if ($module // '') eq 'migate';
        next unless $level =~ /^(?:error|crit|alert|emerg)$/
            || ($level eq 'warn' && $l =~ /\bAH\d{5}\b/);
        next if grep { $l =~ $_ } @ALLOWED_ALWAYS, @allow;
        push @bad, $l;
    }
    return @bad;
}

eval { $err_start = _size(t_logs() . '/error_log') };

END {
    if ($err_check && defined $err_start) {
        my @bad = unexpected_errors(t_logs() . '/error_log', $err_start,
                                    @allowed);
        if (@bad) {
            print STDERR "# unexpected lines in the edge's error log:\n";
            print STDERR "#   $_\n" for @bad[0 .. ($#bad < 19 ? $#bad : 19)];
            $? ||= 1;
        }
    }
}
push @EXPORT, qw(error_log_allow error_log_unchecked unexpected_errors);

# The httpd and the module the suite runs against: Debian's httpd and
# build/mod_migate.so, or what "make test-asan" chose (MIGATE_HTTPD and
# MIGATE_MODULE).  Tests that start an httpd of their own use these.
sub httpd_under_test { Apache::Test::vars('httpd') || '/usr/sbin/apache2' }

sub module_under_test {
    my $m = $ENV{MIGATE_MODULE} || 'build/mod_migate.so';
    return $m =~ m{^/} ? $m : Apache::Test::vars('top_dir') . "/$m";
}

# The start of a configuration for an httpd of a test's own, in $dir:
# its files there, the given modules (names as in mod_<name>.so; those
# this httpd lacks are left out) and mod_migate under test.
sub own_httpd_conf {
    my ($dir, @modules) = @_;
    my $mods = '/usr/lib/apache2/modules';
    return join '', "ServerRoot \"$dir\"\n", "ServerName localhost\n",
        "DefaultRuntimeDir \"$dir\"\n", "PidFile \"$dir/httpd.pid\"\n",
        "ErrorLog \"$dir/error_log\"\n", "LogLevel warn\n",
        (map { -f "$mods/mod_$_.so"
                   ? "LoadModule ${_}_module $mods/mod_$_.so\n" : () }
         'mpm_event', 'authz_core', @modules),
        'LoadModule migate_module "' . module_under_test() . "\"\n";
}

# "apache2 -f $conf -k start|graceful|stop" for an httpd of a test's
# own: its exit status and what it printed.
sub own_httpd_ctl {
    my ($conf, $k) = @_;
    my $httpd = httpd_under_test();
    my $out = `'$httpd' -f '$conf' -k $k 2>&1`;
    return ($? >> 8, $out);
}

# The pid of an httpd of a test's own (its PidFile in $dir), or 0.
sub own_httpd_pid {
    my ($dir) = @_;
    open my $fh, '<', "$dir/httpd.pid" or return 0;
    my $p = <$fh> // 0;
    chomp $p;
    return $p;
}

# Write $text to the file $path; returns $path.
sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh or die "$path: $!";
    return $path;
}

sub port {
    my $name = shift;
    my $p = Apache::Test::vars(lc($name) . '_port');
    die "no vhost $name" unless $p;
    return $p;
}

# Send bytes as they are and read the whole answer (Connection: close).
sub raw_req {
    my ($vhost, $bytes) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => port($vhost),
                                     Proto => 'tcp', Timeout => 30)
        or die "connect $vhost: $!";
    binmode $sock;
    print $sock $bytes;
    local $/;
    my $resp = <$sock> // '';
    close $sock;
    my ($head, $body) = split /\r\n\r\n/, $resp, 2;
    $head //= '';
    my ($status) = $head =~ m{^HTTP/\d\.\d (\d{3})};
    my %h;
    for my $l (split /\r\n/, $head) {
        next unless $l =~ /^([^:]+):\s*(.*)$/;
        $h{lc $1} = $2;
    }
    return { status => $status // 0, headers => \%h, body => $body // '',
             raw => $resp };
}

# req(vhost, method, target, [header => value, ...])
sub req {
    my ($vhost, $method, $target, @hdrs) = @_;
    my $host = 'localhost';
    my $bytes = "$method $target HTTP/1.1\r\n";
    my $has_host = 0;
    while (@hdrs) {
        my ($k, $v) = splice @hdrs, 0, 2;
        $has_host = 1 if lc $k eq 'host';
        $bytes .= "$k: $v\r\n";
    }
    $bytes .= "Host: $host\r\n" unless $has_host;
    $bytes .= "Connection: close\r\n\r\n";
    return raw_req($vhost, $bytes);
}

sub _size { my $f = shift; return -s $f || 0 }

sub mark_logs {
    return { err => _size(t_logs() . '/error_log'),
             mi => _size(t_logs() . '/mi_access.log'),
             edge => _size(t_logs() . '/edge_access.log') };
}

sub _read_from {
    my ($file, $off) = @_;
    open my $fh, '<:raw', $file or return '';
    seek $fh, $off, 0;
    local $/;
    my $s = <$fh> // '';
    close $fh;
    return $s;
}

sub wait_for {
    my ($cond, $secs) = @_;
    my $end = time + ($secs // 5);
    while (time < $end) {
        return 1 if $cond->();
        sleep 0.05;
    }
    return $cond->();
}

# The "blocked" and "reported" lines the error log gained since the
# mark.  The access log line of the request is written after the
# response: wait for it, so that every log line of the request is in.
sub blocked_since {
    my ($mark) = @_;
    wait_for(sub { _read_from(t_logs() . '/edge_access.log', $mark->{edge})
                       =~ /\n/ }, 3);
    my $s = _read_from(t_logs() . '/error_log', $mark->{err});
    return grep { /(?:blocked|reported) reason=/ } split /\n/, $s;
}

# What the error log gained since the mark, as one string.
sub err_since {
    my ($mark) = @_;
    return _read_from(t_logs() . '/error_log', $mark->{err});
}
push @EXPORT, 'err_since';

sub edge_access_since {
    my ($mark) = @_;
    wait_for(sub { _read_from(t_logs() . '/edge_access.log', $mark->{edge})
                       =~ /\n/ }, 3);
    return split /\n/, _read_from(t_logs() . '/edge_access.log',
                                  $mark->{edge});
}

# The requests MI saw since the mark, each as a hash.  MI writes its log
# line after it has answered, so the edge may have passed MI's answer on
# before MI's line is in.  The edge's access log says, for each request
# it finished since the mark, whether MI answered it (the X-MI header the
# stand-in MI sets on every answer, logged as the last field): MI's log
# is read once it holds at least that many lines, and at least $want.
# A sentinel request through the ungated edge is waited for too, for
# requests logged elsewhere than the edge's access log.
sub mi_since {
    my ($mark, $want) = @_;
    $want //= 0;
    my $tag = sprintf "sentinel-%d-%06d", $$, int(rand(1e6));
    req('edge_off', 'GET', "/testHealth?$tag");
    my $file = t_logs() . '/mi_access.log';
    my $lines = sub {
        grep { !/sentinel-/ } split /\n/, _read_from($file, $mark->{mi});
    };
    # The edge writes a request's access line before it closes the
    # client's connection: every request answered so far is in.
    my $answered = grep { !/sentinel-/ && /\tmi$/ }
        split /\n/, _read_from(t_logs() . '/edge_access.log', $mark->{edge});
    $want = $answered if $answered > $want;
    wait_for(sub { _read_from($file, $mark->{mi}) =~ /\Q$tag\E/
                       && $lines->() >= $want }, 30);
    my @seen;
    for my $l ($lines->()) {
        my @f = split /\t/, $l, -1;
        push @seen, { id => $f[0], request => $f[1], xff => $f[2],
                      xfh => $f[3], xfs => $f[4], xfp => $f[5],
                      forwarded => $f[6], real_ip => $f[7], host => $f[8],
                      line => $l };
    }
    return @seen;
}

sub uuid_re { qr/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/ }

# refused_ok(vhost, method, target, status, reason, name, [headers])
# The request is answered with status, exactly one "blocked" line with
# the reason and a request id is logged, and MI sees nothing.
sub refused_ok {
    my ($vhost, $method, $target, $status, $reason, $name, @hdrs) = @_;
    my $m = mark_logs();
    my $r = req($vhost, $method, $target, @hdrs);
    my @b = blocked_since($m);
    my @mi = mi_since($m);
    my $re = uuid_re();
    my $good = $r->{status} == $status
        && @b == 1
        && $b[0] =~ /\bblocked reason=\Q$reason\E id=$re method=\S+ path="/
        && !@mi;
    unless ($good) {
        print STDERR "# $name: status $r->{status} (want $status), "
            . scalar(@b) . " blocked lines, MI saw " . scalar(@mi) . "\n";
        print STDERR "#   $_\n" for @b;
        print STDERR "#   MI: $_->{line}\n" for @mi;
    }
    Apache::Test::ok($good);
    return $r;
}

# passed_ok(vhost, method, target, name, [headers]): no blocked line and
# MI saw exactly this request.
sub passed_ok {
    my ($vhost, $method, $target, $name, @hdrs) = @_;
    my $m = mark_logs();
    my $r = req($vhost, $method, $target, @hdrs);
    my @b = blocked_since($m);
    my @mi = mi_since($m, 1);
    my $good = !@b && @mi == 1 && $r->{status} != 400
        && $r->{status} != 403 && $r->{status} < 500;
    unless ($good) {
        print STDERR "# $name: status $r->{status}, " . scalar(@b)
            . " blocked lines, MI saw " . scalar(@mi) . "\n";
        print STDERR "#   $_\n" for @b;
    }
    Apache::Test::ok($good);
    return wantarray ? ($r, $mi[0]) : $r;
}

1;
