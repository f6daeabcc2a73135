# MiGateBackendTLS toward real TLS backends: "openssl s_server" processes
# on free loopback ports, reached through /tls/<port>/ of the gated
# vhosts in t/conf/tls.conf.in.  The whole set runs through a vhost with
# careful SSLProxy* settings and one with weak ones; strict gives the same
# verdict in both.  Then audit, off, plain http at run time, balancers and
# the start-up notice.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep time);

# What mod_proxy and mod_ssl log of every backend handshake the policy or
# OpenSSL refuses: expected here, the test is about those handshakes.
error_log_allow(qr/AH00898: Error during SSL Handshake with remote server/,
                qr/AH01084: pass request body failed/,
                qr/AH01097: pass request body failed/,
                qr/AH02039: Certificate Verification: Error/);

my $pki = Apache::Test::vars('top_dir') . '/build/pki';
my $uuid = uuid_re();

# name => [s_server arguments, expected verdict]
#   'ok'          200, a GCM suite on TLS 1.2/1.3, no blocked line
#   'abort'       OpenSSL ends the handshake the forced policy leaves no
#                 way through (no shared suite or protocol): a refusal
#                 all the same, 502 and one blocked line whose detail
#                 carries OpenSSL's reason and the alert
#   other string  502 and exactly one blocked line with this detail
my @cert = (-cert => "$pki/mi.crt", -key => "$pki/mi.key");
my %backend = (
    rsa       => [[@cert], 'ok'],
    rsa_tls12 => [[@cert, '-no_tls1_3'], 'ok'],
    ec        => [[-cert => "$pki/ec.crt", -key => "$pki/ec.key"], 'ok'],
    ec_tls12  => [[-cert => "$pki/ec.crt", -key => "$pki/ec.key",
                   '-no_tls1_3'], 'ok'],
    cbc       => [[@cert, '-no_tls1_3', -cipher =>
                   'ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA:AES128-SHA'],
                  'abort'],
    nonfs_gcm => [[@cert, '-no_tls1_3', -cipher => 'AES128-GCM-SHA256'],
                  'abort'],
    tls11     => [[@cert, '-tls1_1', -cipher => 'ALL:@SECLEVEL=0'],
                  'abort'],
    chacha13  => [[@cert, '-tls1_3', -ciphersuites =>
                   'TLS_CHACHA20_POLY1305_SHA256'], 'abort'],
    rsa1024   => [[-cert => "$pki/rsa1024.crt", -key => "$pki/rsa1024.key",
                   -cipher => 'ALL:@SECLEVEL=0'], 'RSA key 1024 bits'],
    sha1      => [[-cert => "$pki/sha1.crt", -key => "$pki/sha1.key",
                   -cipher => 'ALL:@SECLEVEL=0'], 'signature hash sha1'],
    wronghost => [[-cert => "$pki/wronghost.crt",
                   -key => "$pki/wronghost.key"],
                  'certificate not valid for host localhost'],
    untrusted => [[-cert => "$pki/untrusted.crt",
                   -key => "$pki/untrusted.key"],
                  'certificate verify failed: unable to get local issuer '
                  . 'certificate'],
    wso2      => [[-cert => "$pki/wso2.crt", -key => "$pki/wso2.key"],
                  'WSO2 default certificate (self-signed O=WSO2)'],
);
my @names = sort keys %backend;

# Weak backends that audit lets through (the handshake succeeds without
# the forced policy) with the verdict it reports.
my %audit = (
    cbc       => qr/cipher \S+ is not AES-GCM/,
    nonfs_gcm => qr/cipher AES128-GCM-SHA256 is not forward-secret/,
    tls11     => qr/protocol TLSv1\.1 below TLSv1\.2/,
    untrusted => qr/certificate verify failed/,
    wso2      => qr/WSO2 default certificate/,
    rsa1024   => qr/RSA key 1024 bits/,
);

plan tests => 2 * @names + @names + 2 * keys(%audit) + keys(%audit)
    + 2 + 2 + 1;

# ---- the backends ------------------------------------------------------

my %pid;
my %port;

sub free_port {
    for (1 .. 200) {
        my $p = 20000 + int(rand(40000));
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => $p, Proto => 'tcp',
                                      Listen => 1, ReuseAddr => 0);
        next unless $s;
        close $s;
        return $p;
    }
    die "no free port";
}

sub listening {
    my $p = shift;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p,
                                  Proto => 'tcp', Timeout => 2);
    return 0 unless $s;
    close $s;
    return 1;
}

sub start_backend {
    my ($name, $args) = @_;
    for (1 .. 5) {
        my $p = free_port();
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if (!$pid) {
            open STDIN, '<', '/dev/null';
            open STDOUT, '>', '/dev/null';
            open STDERR, '>', '/dev/null';
            no warnings 'exec';
            exec 'openssl', 's_server', '-accept', "127.0.0.1:$p", '-www',
                '-quiet', @$args;
            POSIX::_exit(127);
        }
        # A generous bound: a loaded machine may take seconds to start it.
        my $end = time + 30;
        while (time < $end) {
            last if waitpid($pid, POSIX::WNOHANG()) == $pid;
            if (listening($p)) {
                $pid{$name} = $pid;
                $port{$name} = $p;
                return;
            }
            sleep 0.05;
        }
        kill 'TERM', $pid;
        waitpid($pid, 0);
    }
    die "s_server for $name did not start";
}

END {
    # waitpid sets $?, which END would pass on as the exit status.
    local $?;
    for my $pid (values %pid) {
        kill 'TERM', $pid;
        waitpid($pid, 0);
    }
}

start_backend($_, $backend{$_}[0]) for @names;

# ---- one request -------------------------------------------------------

sub _read_err {
    my $m = shift;
    open my $fh, '<:raw', t_logs() . '/error_log' or return '';
    seek $fh, $m->{err}, 0;
    local $/;
    my $s = <$fh> // '';
    close $fh;
    return $s;
}

# Through vhost to backend name: status, the blocked lines, the error log
# lines, the request's id from the access log, the suite s_server saw.
sub through {
    my ($vhost, $name, $prefix) = @_;
    my $m = mark_logs();
    my $r = req($vhost, 'GET', ($prefix // '/tls') . "/$port{$name}/");
    my @b = blocked_since($m);
    my @access = grep { /^\S+\t\S+\t/ } edge_access_since($m);
    my ($id) = @access ? (split /\t/, $access[-1])[1] : ('');
    my ($proto, $cipher) = $r->{body} =~ /New, (TLSv[\d.]+), Cipher is (\S+)/;
    return { status => $r->{status}, blocked => \@b, err => _read_err($m),
             id => $id, proto => $proto // '', cipher => $cipher // '' };
}

sub verdict_of {
    my $x = shift;
    return 'ok' if $x->{status} == 200;
    return "status $x->{status}" if $x->{status} < 500;
    return 'refused, ' . scalar(@{$x->{blocked}}) . ' lines: '
        . join(' | ', map { /detail="([^"]*)"/ ? $1 : $_ } @{$x->{blocked}});
}

sub judge_strict {
    my ($vhost, $name, $x) = @_;
    my $want = $backend{$name}[1];
    my $good;
    my @b = @{$x->{blocked}};
    if ($want eq 'ok') {
        $good = $x->{status} == 200 && !@b
            && $x->{proto} =~ /^TLSv1\.[23]$/ && $x->{cipher} =~ /GCM/;
    }
    elsif ($want eq 'abort') {
        $good = $x->{status} == 502 && @b == 1
            && $b[0] =~ /\bblocked reason=backend-tls id=($uuid) .*rule="builtin:backend-tls" detail="[^"]*alert [a-z ]+ (from MI|sent)"/
            && $1 eq $x->{id}
            && $b[0] !~ /action=report/;
    }
    else {
        # The gate refused the session: a bad gateway.
        $good = $x->{status} == 502 && @b == 1
            && $b[0] =~ /\bblocked reason=backend-tls id=($uuid) /
            && $1 eq $x->{id}
            && $b[0] =~ /detail="\Q$want\E"/
            && $b[0] !~ /action=report/;
    }
    unless ($good) {
        print STDERR "# $vhost/$name: want $want, got " . verdict_of($x)
            . " ($x->{proto} $x->{cipher}, id $x->{id})\n";
        print STDERR "#   $_\n" for @b;
    }
    ok($good);
}

# ---- strict, careful and weak SSLProxy* settings ----------------------

my %seen;
for my $vhost (qw(tls_careful tls_weak)) {
    for my $name (@names) {
        my $x = through($vhost, $name);
        $seen{$vhost}{$name} = $x;
        judge_strict($vhost, $name, $x);
    }
}
# The same verdict whatever the SSLProxy* settings.
for my $name (@names) {
    my ($c, $w) = map { $seen{$_}{$name} } qw(tls_careful tls_weak);
    my $same = ($c->{status} == 200) == ($w->{status} == 200)
        && ($c->{status} >= 500) == ($w->{status} >= 500)
        && join("\n", map { /detail="([^"]*)"/ } @{$c->{blocked}})
           eq join("\n", map { /detail="([^"]*)"/ } @{$w->{blocked}});
    print STDERR "# $name: careful " . verdict_of($c) . "; weak "
        . verdict_of($w) . "\n" unless $same;
    ok($same);
}

# ---- audit and off -----------------------------------------------------

for my $name (sort keys %audit) {
    my $x = through('tls_audit', $name);
    my @b = @{$x->{blocked}};
    my $good = $x->{status} == 200 && @b == 1
        && $b[0] =~ /\breported reason=backend-tls id=$uuid .*action=report/
        && $b[0] =~ $audit{$name};
    print STDERR "# audit/$name: " . verdict_of($x) . "\n" unless $good;
    ok($good);

    $x = through('tls_off', $name);
    $good = $x->{status} == 200 && !@{$x->{blocked}};
    print STDERR "# off/$name: " . verdict_of($x) . "\n" unless $good;
    ok($good);
}
# Audit runs the verdict, not the forced context: a strong backend is
# still silent.
for my $name (sort keys %audit) {
    my $x = through('tls_audit', 'rsa');
    ok($x->{status} == 200 && !@{$x->{blocked}});
}

# ---- plain http at run time (mod_rewrite [P]) --------------------------

refused_ok('tls_careful', 'GET', "/tls/plain/$port{rsa}/", 502, 'backend-plain',
           'rewrite [P] to http:// in a strict vhost');
refused_ok('tls_weak', 'GET', "/tls/plain/$port{rsa}/", 502, 'backend-plain',
           'rewrite [P] to http:// with weak SSLProxy settings');

# ---- balancers ---------------------------------------------------------

passed_ok('tls_balancer', 'GET', '/healthcare', 'balancer of the stand-in MI');
{
    my $m = mark_logs();
    my $r = req('tls_balancer', 'GET', '/testHealth');
    my @b = blocked_since($m);
    my $good = $r->{status} == 502 && @b == 1
        && $b[0] =~ /\bblocked reason=backend-tls id=$uuid .*detail="WSO2 default certificate/;
    print STDERR "# balancer/wso2: $r->{status}\n#   @b\n" unless $good;
    ok($good);
}

# ---- the start-up notice -----------------------------------------------

{
    my $weak = Apache::Test::vars('tls_weak_port');
    open my $fh, '<', t_logs() . '/error_log' or die;
    my @notice = grep { /\[migate:notice\].*MIGATE0022: .*:\Q$weak\E \(.*overridden: minimum protocol TLSv1 -> TLSv1\.2, cipher list, TLS 1\.3 suites, security level 0 -> 2, certificate verification none -> require/ } <$fh>;
    close $fh;
    # One per start (not one per configuration pass).
    open $fh, '<', t_logs() . '/error_log' or die;
    my $starts = grep { /resuming normal operations/ } <$fh>;
    close $fh;
    print STDERR "# notices for tls_weak: " . scalar(@notice)
        . ", starts: $starts\n" unless @notice && @notice == $starts;
    ok(@notice && @notice == $starts);
}
