# Oversize input against a gated vhost: an 8 KB path, 100 headers, a
# long query, a long header value, long paths full of bytes that must be
# escaped.  Each is answered within httpd's limits (a 4xx from httpd's
# core or the gate, or passed), never a 5xx; every blocked line stays
# escaped (no raw control or non-ASCII byte) and bounded (the path field
# holds at most 512 input bytes, then "..."); the edge stays up.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use MiGate::Test;

# The stand-in MI (the same httpd) maps a path just under the line limit
# to a file name longer than PATH_MAX, and says so.
error_log_allow(qr/AH00127: Cannot map GET \/healthcare\/b+/);

plan tests => 28;

sub hdrs { map { ("X-Fill-$_" => "v$_") } 1 .. shift }

# name, method, target, allowed statuses, headers
my @cases = (
    ['8 KB path', 'GET', '/ok/' . ('a' x 8192), [414, 400]],
    # passed to MI, which answers 403 itself: its httpd maps the path
    # to a file name longer than PATH_MAX (no blocked line at the edge)
    ['path just under the line limit', 'GET',
     '/ok/' . join('/', ('b' x 199) x 40), [200, 403], 'pass'],
    ['long query', 'GET', '/ok/x?q=' . ('c' x 7900), [200], 'pass'],
    ['query over the line limit', 'GET', '/ok/x?q=' . ('d' x 9000),
     [414, 400]],
    ['100 headers', 'GET', '/ok/x', [400, 431], hdrs(100)],
    # with Host and Connection: 102 fields, over LimitRequestFields 100;
    # 92 (the edge adds four on the way to MI, whose limit is 100 too)
    ['90 headers', 'GET', '/ok/x', [200], 'pass', hdrs(90)],
    ['9 KB header value', 'GET', '/ok/x', [400, 431],
     'X-Big' => 'e' x 9000],
    ['7 KB of %0d%0a in the path', 'GET', '/ok/' . ('%0d%0a' x 1200),
     [400]],
    ['6 KB of U+2028 in the path', 'GET', '/ok/' . ("\xe2\x80\xa8" x 2000),
     [400]],
    ['7 KB of quotes and backslashes', 'GET',
     '/no/' . ('"\\' x 3500), [400, 403]],
    ['7 KB of %22 outside the allowlist', 'GET', '/no/' . ('%22' x 2300),
     [403]],
);

for my $c (@cases) {
    my ($name, $method, $target, $want, @h) = @$c;
    my $pass = @h % 2 ? shift @h : '';
    my $m = mark_logs();
    my $r = req('fault_big', $method, $target, @h);
    ok((grep { $_ == $r->{status} } @$want),
       "$name: status $r->{status} within (@$want)");
    my @b = blocked_since($m);
    my $bad = '';
    for my $l (@b) {
        # httpd's error log doubles every backslash of the message
        $l =~ s/\\\\/\\/g;
        $bad .= "raw byte; " if $l =~ /[^\x20-\x7e]/;
        my ($p) = $l =~ /path="((?:[^"\\]|\\.)*)"/;
        $bad .= "no path field; " unless defined $p;
        next unless defined $p;
        # count input bytes: \xHH and \c stand for one byte each
        (my $dec = $p) =~ s/\\x[0-9a-f]{2}|\\./#/g;
        $dec =~ s/\.\.\.\z//;
        $bad .= 'path ' . length($dec) . ' bytes; ' if length($dec) > 512;
        $bad .= 'line ' . length($l) . ' bytes; ' if length($l) > 4096;
    }
    $bad .= 'blocked, should have passed; ' if $pass && @b;
    ok($bad eq '', "$name: blocked lines escaped and bounded")
        or diag("$bad\n" . join("\n", map { substr($_, 0, 300) } @b));
}

# httpd's core refuses these before the gate decides: reason protocol
# with httpd's own status, never a guessed reason.
for my $c (['8 KB path', '/ok/' . ('a' x 8192), []],
           ['100 headers', '/ok/x', [hdrs(100)]],
           ['9 KB header value', '/ok/x', ['X-Big' => 'e' x 9000]]) {
    my ($name, $target, $h) = @$c;
    my $m = mark_logs();
    my $r = req('fault_big', 'GET', $target, @$h);
    my @b = blocked_since($m);
    my $want = qr/blocked reason=protocol id=\S+ .*rule="builtin:protocol" detail="status \Q$r->{status}\E\b/;
    ok(@b == 1 && $b[0] =~ $want,
       "$name: reason protocol, status $r->{status}")
        or diag(join("\n", map { substr($_, 0, 300) } @b));
}

# The cut is marked: a refused 7 KB path logs 512 bytes and "...".
{
    my $m = mark_logs();
    req('fault_big', 'GET', '/no/' . ('z' x 7000));
    my @b = blocked_since($m);
    ok(@b == 1 && $b[0] =~ /path="\/no\/z{508}\.\.\."/,
       'a long refused path is cut at 512 bytes, marked "..."')
        or diag(join("\n", map { substr($_, 0, 300) } @b));
}

my $r = req('edge', 'GET', '/testHealth');
ok($r->{status} == 200, 'the edge is up after the oversize input');
ok(!grep({ /exit signal/ } do {
       open my $fh, '<', t_logs() . '/error_log';
       <$fh> }),
   'no child process died of a signal');
