# 10,000 requests from 8 concurrent keep-alive clients against an edge
# with several child processes: 10,000 distinct, well-formed ids at MI,
# each the one the edge logged (%L) and returned for that request.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;
use IO::Socket::INET;

my $CLIENTS = 8;
my $PER = 1250;                 # 8 x 1250 = 10,000
my $N = $CLIENTS * $PER;

# MI closing an idle pooled connection as the edge reuses it: the 502
# the client below sends again.
error_log_allow(qr/AH01102: error reading status line from remote server/,
                qr/AH00898: Error reading from remote server/,
                qr/AH01110: error reading response/);

plan tests => 7;

# One keep-alive client: $PER answered requests, reconnecting whenever
# the server closes.  A request that gets no answer or no 200 (the edge's
# pooled connection to MI can be closed under it: a 502) is sent again
# under the same tag, a bounded number of times; prints "tag\tid" for
# each answered one.
sub client {
    my ($k, $out) = @_;
    my $port = port('edge_load');
    my $sock;
    my $sent = 0;
    my $attempts = 0;
    open my $fh, '>', $out or die "$out: $!";
    while ($sent < $PER && $attempts++ < $PER + 200) {
        $sock ||= IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                        PeerPort => $port, Proto => 'tcp',
                                        Timeout => 30) or next;
        my $tag = "c$k-$sent";
        print $sock "GET /healthcare/load?$tag HTTP/1.1\r\n"
            . "Host: localhost\r\nactivityid: spoofed-$tag\r\n\r\n";
        my ($head, $body) = ('', '');
        local $/ = "\r\n";
        while (defined(my $l = <$sock>)) {
            last if $l eq "\r\n";
            $head .= $l;
        }
        my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
        if (!$status) {
            close $sock; undef $sock;   # closed by the server: again
            next;
        }
        if ($head =~ /^Content-Length:\s*(\d+)/mi) {
            read($sock, $body, $1);
        }
        elsif ($head =~ /^Transfer-Encoding:\s*chunked/mi) {
            while (defined(my $l = <$sock>)) {
                my $n = hex $l;
                if (!$n) { <$sock>; last }
                my $c = '';
                read($sock, $c, $n);
                $body .= $c;
                <$sock>;
            }
        }
        if ($head =~ /^Connection:\s*close/mi || $status != 200) {
            close $sock; undef $sock;
        }
        next unless $status == 200;
        my ($id) = $body =~ /"activityid":"([^"]*)"/;
        print $fh join("\t", $tag, $id // '-'), "\n";
        $sent++;
    }
    close $fh;
}

my $dir = t_logs();
my $m = mark_logs();
my $lm = -s "$dir/ids_load.log" || 0;
my @pids;
for my $k (1 .. $CLIENTS) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        client($k, "$dir/ids_load.client$k");
        require POSIX;
        POSIX::_exit(0);
    }
    push @pids, $pid;
}
waitpid $_, 0 for @pids;

# What the clients got back.
my (%by_tag, @ids);
for my $k (1 .. $CLIENTS) {
    open my $fh, '<', "$dir/ids_load.client$k" or next;
    while (<$fh>) {
        chomp;
        my ($tag, $id) = split /\t/;
        $by_tag{$tag} = $id;
        push @ids, $id;
    }
    close $fh;
    unlink "$dir/ids_load.client$k";
}
my $re = uuid_re();
my %uniq = map { $_ => 1 } @ids;
ok(@ids == $N);
ok(!grep { !/^$re$/ } @ids);
ok(keys %uniq == $N);

# What MI logged: every id the clients got back, each once, none of them
# the spoofed one.  (A request retried after a 502 may have reached MI
# twice, under two ids: every id MI saw must still be distinct.)
wait_for(sub {
    open my $fh, '<', "$dir/mi_access.log" or return 0;
    seek $fh, $m->{mi}, 0;
    my $n = grep { m{\tGET /healthcare/load\?c\d} } <$fh>;
    return $n >= $N;
}, 120);
my @mi = grep { $_->{request} =~ m{^GET /healthcare/load\?c\d} } mi_since($m);
my %mi_ids;
$mi_ids{$_->{id}}++ for @mi;
ok(@mi >= $N && !grep({ $_ > 1 } values %mi_ids)
   && !grep { !/^$re$/ } keys %mi_ids);
ok(!grep { !exists $mi_ids{$_} } keys %uniq);

# The edge's own log: %L, MIGATE_REQUEST_ID and mod_unique_id's UNIQUE_ID
# agree on every line and with what the client got; several processes
# served the load.
wait_for(sub {
    open my $fh, '<', "$dir/ids_load.log" or return 0;
    seek $fh, $lm, 0;
    my $n = () = <$fh>;
    return $n >= $N;
}, 120);
open my $fh, '<', "$dir/ids_load.log" or die;
seek $fh, $lm, 0;
my (%pids, %tags, %edge_ids, $agree, $lines);
while (<$fh>) {
    chomp;
    my ($pid, $log_id, $env, $unique, $status, $req) = split /\t/;
    next unless $req && $req =~ m{/healthcare/load\?(c\d+-\d+) };
    my $tag = $1;
    $lines++;
    $pids{$pid}++;
    $edge_ids{$log_id}++;
    next unless $log_id =~ /^$re$/ && $env eq $log_id && $unique eq $log_id;
    $agree++;
    $tags{$tag}++ if $status == 200 && ($by_tag{$tag} // '') eq $log_id;
}
close $fh;
print STDERR "# $lines lines, ", scalar(keys %pids), " processes\n";
ok($lines >= $N && $agree == $lines && keys %tags == $N
   && keys %edge_ids == $lines);
ok(keys %pids >= 2);
