package Load;

# Load for the fault tests: forked keep-alive HTTP/1.1 clients against a
# loopback port, each recording every request it made, until a stop file
# appears (or max_secs, a safety bound, has passed).  Without wrk.
#
# Tests drive the load by counts, not by time: progress() shows the
# requests done so far (each client writes its line as soon as the
# request is over), and a test waits for the number it needs, with a
# generous upper bound, before it moves to its next step.  A slow machine
# then makes the test slower, never wrong.
#
# A request that gets no answer on a connection that was already used
# once is sent again on a new connection, once, as an HTTP client does
# for an idempotent request when a keep-alive connection closes under it
# (httpd closes idle keep-alive connections on a graceful restart); that
# counts as a retry, not a failure.  A failure is: no connection, no
# answer on a new connection, or a status other than 200.

use strict;
use warnings;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time sleep);

# start(port => P, clients => N, dir => D, path => sub { $k, $i },
#       [pause => seconds between requests], [max_secs => S]):
# returns a handle for progress(), wait_count() and stop().
sub start {
    my %a = @_;
    my @pids;
    unlink "$a{dir}/load.stop";
    for my $k (1 .. $a{clients}) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            client($k, %a);
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    return { pids => \@pids, %a };
}

# progress(handle): the requests done so far, in the order they started,
# each as { t (start), e (end), status, body, retry, client }.
sub progress {
    my $h = shift;
    my @all;
    for my $k (1 .. $h->{clients}) {
        open my $in, '<', "$h->{dir}/load.$k" or next;
        while (<$in>) {
            last unless chomp;          # a line still being written
            my ($t, $e, $status, $retry, $body) = split /\t/, $_, 5;
            push @all, { t => $t, e => $e, status => $status,
                         retry => $retry, body => $body // '',
                         client => $k };
        }
    }
    return sort { $a->{t} <=> $b->{t} } @all;
}

# wait_count(handle, n, secs, [pred]): wait until n of the requests done
# pass pred (default: all count), at most secs; whether they did.
sub wait_count {
    my ($h, $n, $secs, $pred) = @_;
    $pred //= sub { 1 };
    my $end = time + $secs;
    while (1) {
        return 1 if grep({ $pred->($_) } progress($h)) >= $n;
        return 0 if time >= $end;
        sleep 0.1;
    }
}

# stop(handle): stop the clients; every request, as progress() gives it.
sub stop {
    my $h = shift;
    open my $fh, '>', "$h->{dir}/load.stop" or die $!;
    close $fh;
    waitpid $_, 0 for @{ $h->{pids} };
    return progress($h);
}

sub connect_to {
    my $port = shift;
    return IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                 Proto => 'tcp', Timeout => 10);
}

# One exchange on $sock: (status, body, keep) or () when no answer.
sub exchange {
    my ($sock, $target) = @_;
    my ($status, $body, $keep) = (0, '', 1);
    my $ok = eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 15;
        print $sock "GET $target HTTP/1.1\r\nHost: localhost\r\n\r\n"
            or die "write\n";
        local $/ = "\r\n";
        my $line = <$sock>;
        die "eof\n" unless defined $line;
        ($status) = $line =~ m{^HTTP/1\.\d (\d{3})} or die "garbage\n";
        my $len = 0;
        while (defined(my $l = <$sock>)) {
            last if $l eq "\r\n";
            $len = $1 if $l =~ /^content-length:\s*(\d+)/i;
            $keep = 0 if $l =~ /^connection:\s*close/i;
        }
        my $got = 0;
        while ($got < $len) {
            my $n = read($sock, $body, $len - $got, $got);
            die "short body\n" unless $n;
            $got += $n;
        }
        alarm 0;
        1;
    };
    alarm 0;
    return $ok ? ($status, $body, $keep) : ();
}

sub client {
    my ($k, %a) = @_;
    open my $out, '>', "$a{dir}/load.$k" or die $!;
    $out->autoflush(1);
    my $end = time + ($a{max_secs} // 600);
    my $sock;
    my $used = 0;
    for (my $i = 0; time < $end; $i++) {
        last if -e "$a{dir}/load.stop";
        my $target = $a{path}->($k, $i);
        my $t = time;
        my ($retry, @r) = (0);
        for my $attempt (1, 2) {
            if (!$sock) {
                $sock = connect_to($a{port});
                $used = 0;
                last unless $sock;
            }
            @r = exchange($sock, $target);
            last if @r;
            my $was_used = $used;
            close $sock;
            undef $sock;
            last unless $was_used;
            $retry = 1;
        }
        if (@r) {
            $used++;
            my ($status, $body, $keep) = @r;
            $body =~ s/[\t\r\n]/ /g;
            print $out join("\t", $t, time, $status, $retry, $body), "\n";
            if (!$keep) {
                close $sock;
                undef $sock;
            }
        }
        else {
            print $out join("\t", $t, time, 0, $retry, 'no answer'), "\n";
        }
        sleep($a{pause}) if $a{pause};
    }
    close $out;
}

1;
