package FaultBackend;

# Backends for the fault tests: small TLS servers on a loopback port,
# each a forked process group that the test kills when it is done (or to
# simulate a node that dies).  Modes:
#
#   node    a stand-in MI node: /testHealth answers 200, anything else
#           200 with {"node":"<name>","target":"..."}; keep-alive
#   hold    a node that holds a request for .../hold...: it makes the
#           file <dir>/held when the request is in, and answers once the
#           test has made <dir>/release (a request in flight, for as long
#           as the test wants)
#   hang    completes the handshake, reads the request, never answers
#   reset   /ok/head...: reads the request and resets the connection
#           (RST, no TLS close_notify) before any answer;
#           /ok/body...: sends a 200 head promising 100000 bytes, 1000 of
#           them, then resets
#   record  a stand-in MI that writes every byte it reads to the file
#           bytes => FILE, and answers 200 {"mi":"<name>",...} (404 for a
#           target containing "missing"); keep-alive
#
# Options: plain => 1 serves plain HTTP instead of TLS; cert => NAME
# serves build/pki/NAME.crt instead of mi.crt.
#
# The certificate is build/pki/mi.crt (CN/SAN localhost, signed by the
# test CA), so the gate's strict backend TLS policy accepts the session.

use strict;
use warnings;
use IO::Socket::INET;
use IO::Socket::SSL;
use POSIX ();
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(sleep time);

# start(port => P, mode => M, name => N, pki => DIR, [seen => FILE]): the
# server's pid (also its process group).  Returns once the port accepts
# connections.  With seen, each request's target is appended to FILE as
# a line once the request has been read, so that a test can wait for
# the requests it sent to arrive (seen()).
# The servers started and not stopped yet, each with the process that
# started it: stopped when that process exits, also when a test dies
# half-way (a server left behind would hold the test's output open, and
# the harness would wait for it).  A forked child of the test leaves
# them alone.
my %running;
END { $running{$_} == $$ and stop($_) for keys %running }

sub start {
    my %a = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        POSIX::setpgid(0, 0);
        eval { serve(%a) };
        POSIX::_exit(0);
    }
    $running{$pid} = $$;
    # A generous bound: a loaded machine may take seconds to get there.
    my $end = time + 60;
    while (time < $end) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $a{port}, Proto => 'tcp');
        if ($s) {
            close $s;
            return $pid;
        }
        sleep 0.05;
    }
    stop($pid);
    die "backend $a{mode} on port $a{port} did not start";
}

# seen(FILE): the targets of the requests a backend has read so far.
sub seen {
    my $file = shift;
    my @targets;
    if (open my $fh, '<', $file) {
        @targets = map { /^(.*)\n\z/ ? $1 : () } <$fh>;
    }
    return @targets;
}

# stop(pid): SIGKILL the server and every connection it is serving.
sub stop {
    my $pid = shift or return;
    local $?;               # called from END blocks: keep the exit status
    delete $running{$pid};
    kill 'KILL', -$pid;
    kill 'KILL', $pid;
    waitpid $pid, 0;
}

sub serve {
    my %a = @_;
    $SIG{CHLD} = 'IGNORE';
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                  LocalPort => $a{port}, Proto => 'tcp',
                                  Listen => 64, ReuseAddr => 1)
        or die "listen $a{port}: $!";
    while (1) {
        my $c = $l->accept or next;
        my $kid = fork;
        if (!defined $kid) {
            close $c;
            next;
        }
        if ($kid) {
            close $c;
            next;
        }
        close $l;
        my $cert = $a{cert} // 'mi';
        my $ssl = $a{plain} ? $c
            : IO::Socket::SSL->start_SSL($c, SSL_server => 1,
                      SSL_cert_file => "$a{pki}/$cert.crt",
                      SSL_key_file => "$a{pki}/$cert.key",
                      Timeout => 10);
        connection($ssl, $c, %a) if $ssl;
        POSIX::_exit(0);
    }
}

# Append what was read to the file $bytes (if any).
sub log_bytes {
    my ($bytes, $data) = @_;
    return unless $bytes && length $data;
    open my $fh, '>>:raw', $bytes or return;
    print $fh $data;
    close $fh;
}

# One request head (and body, by Content-Length), or undef at EOF.  With
# $bytes every byte read is appended to that file.
sub read_request {
    my ($s, $bytes) = @_;
    my $head = '';
    while (defined(my $l = <$s>)) {
        log_bytes($bytes, $l);
        $head .= $l;
        last if $l eq "\r\n";
    }
    return undef unless $head =~ /\r\n\r\n\z/;
    my ($len) = $head =~ /^content-length:\s*(\d+)/im;
    if ($len) {
        my $body;
        read($s, $body, $len);
        log_bytes($bytes, $body // '');
    }
    my ($method, $target) = $head =~ /^(\S+) (\S+)/;
    return { method => $method, target => $target // '', head => $head };
}

sub reset_now {
    my $raw = shift;
    # SO_LINGER on, 0 s: close() sends RST.
    setsockopt($raw, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
    POSIX::_exit(0);
}

sub connection {
    my ($s, $raw, %a) = @_;
    while (my $rq = read_request($s, $a{bytes})) {
        if ($a{seen} && open my $fh, '>>', $a{seen}) {
            print $fh "$rq->{target}\n";
            close $fh;
        }
        if ($a{mode} eq 'hang') {
            sleep 3600;
        }
        if ($a{mode} eq 'reset') {
            if ($rq->{target} =~ m{^/ok/body}) {
                print $s "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    . "Content-Length: 100000\r\n\r\n" . ('x' x 1000);
                sleep 0.2;
            }
            reset_now($raw);
        }
        if ($a{mode} eq 'hold' && $rq->{target} =~ m{/hold}) {
            if (open my $fh, '>', "$a{dir}/held") {
                close $fh;
            }
            for (1 .. 1200) {
                last if -e "$a{dir}/release";
                sleep 0.05;
            }
        }
        if ($a{mode} eq 'record') {
            my $missing = $rq->{target} =~ /missing/;
            my $body = qq({"mi":"$a{name}","target":"$rq->{target}"}\n);
            print $s 'HTTP/1.1 ' . ($missing ? '404 Not Found' : '200 OK')
                . "\r\nContent-Type: application/json\r\n"
                . "Content-Length: " . length($body) . "\r\n\r\n$body";
            next;
        }
        my $body = $rq->{target} eq '/testHealth'
            ? "healthy $a{name}\n"
            : qq({"node":"$a{name}","target":"$rq->{target}"}\n);
        print $s "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            . "Content-Length: " . length($body) . "\r\n\r\n$body";
    }
}

1;
