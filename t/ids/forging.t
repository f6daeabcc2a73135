# Log forging: a corpus of line-breaking and control characters, raw
# where the protocol lets them through and percent-encoded otherwise, in
# the path, the query and header values.  Each request is refused with
# 400 and one "blocked" line, none reaches MI, and no line of the edge's
# logs (or MI's) begins with the injected text.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;

my %encoded = (
    CR => '%0d', LF => '%0a', CRLF => '%0d%0a', NUL => '%00', ESC => '%1b',
    DEL => '%7f', 'U+2028' => '%e2%80%a8', 'U+2029' => '%e2%80%a9',
    'U+0085' => '%c2%85', 'CRLF, upper case' => '%0D%0A',
    'U+009B' => '%c2%9b', 'U+202E' => '%e2%80%ae', 'U+2066' => '%E2%81%A6',
);
my %raw = (
    CR => "\r", NUL => "\x00", ESC => "\x1b", DEL => "\x7f",
    'U+2028' => "\xe2\x80\xa8", 'U+0085' => "\xc2\x85",
    'U+2029' => "\xe2\x80\xa9", 'U+202E' => "\xe2\x80\xae",
);

# [name, request target or header, reason].  httpd's core refuses raw
# ASCII control characters in the request line and in header values
# before any module runs (reason protocol); the gate refuses every
# escaped form and the raw Unicode line breaks (control-char).
sub reason_of {
    my ($bytes) = @_;
    return $bytes =~ /[\x00-\x1f\x7f]/ ? 'protocol' : 'control-char';
}
my @corpus;
# No space: the request line stays well-formed, so that the gate, not
# httpd's parser, judges the escape.
my $tail = "INJECTED%20blocked%20reason=none%20id=forged";
for my $k (sort keys %encoded) {
    my $p = $encoded{$k};
    push @corpus, ["path, encoded $k", "/healthcare/a$p$tail", 'control-char'],
                  ["query, encoded $k", "/healthcare/a?q=$p$tail",
                   'control-char'];
}
# Double-encoded in the query (a backend that decodes twice).
push @corpus, ['query, %250d%250a', "/healthcare/a?q=%250d%250a$tail",
               'control-char'],
              ['query, %2500', "/healthcare/a?q=%2500$tail", 'control-char'];
for my $k (sort keys %raw) {
    my $p = $raw{$k};
    push @corpus, ["path, raw $k", "/healthcare/a${p}INJECTED", reason_of($p)],
                  ["query, raw $k", "/healthcare/a?q=${p}INJECTED",
                   reason_of($p)];
}
my @headers;
for my $k (sort keys %raw) {
    for my $h ('X-Note', 'activityid', 'X-Forwarded-For', 'User-Agent') {
        push @headers, ["header $h, raw $k", $h, "x$raw{$k}$tail",
                        reason_of($raw{$k})];
    }
}

plan tests => @corpus + @headers + 4;

my $m0 = mark_logs();

sub refused {
    my ($name, $bytes, $reason) = @_;
    my $m = mark_logs();
    my $r = raw_req('edge', $bytes);
    my @b = blocked_since($m);
    my $re = uuid_re();
    my ($id) = @b == 1 ? $b[0] =~ /blocked reason=\S+ id=($re) / : ();
    my ($line) = $bytes =~ /\A([^\r\n]*)/;
    # What MI logged since the mark that is this request: its id, or its
    # request line (a late line of an earlier test's request is not).
    my @mi = grep { (defined $id && $_->{id} eq $id)
                    || $_->{request} eq $line } mi_since($m);
    my $good = $r->{status} == 400 && @b == 1
        && $b[0] =~ /blocked reason=\Q$reason\E id=$re /
        && !@mi;
    print STDERR "# $name: status $r->{status}, " . scalar(@b)
        . " blocked (want $reason), MI saw " . scalar(@mi) . "\n"
        . join('', map { "#   $_\n" } @b) unless $good;
    ok($good);
}

for my $c (@corpus) {
    my ($name, $target, $reason) = @$c;
    refused($name, "GET $target HTTP/1.1\r\nHost: localhost\r\n"
                 . "Connection: close\r\n\r\n", $reason);
}
for my $c (@headers) {
    my ($name, $h, $v, $reason) = @$c;
    refused($name, "GET /healthcare/a HTTP/1.1\r\nHost: localhost\r\n"
                 . "$h: $v\r\nConnection: close\r\n\r\n", $reason);
}

sub since {
    my ($file, $off) = @_;
    open my $fh, '<:raw', t_logs() . "/$file" or return '';
    seek $fh, $off, 0;
    local $/;
    my $s = <$fh> // '';
    return $s;
}

my $err = since('error_log', $m0->{err});
my $acc = since('edge_access.log', $m0->{edge});
my $mi = since('mi_access.log', $m0->{mi});
# No line starts with injected text (a raw line break would start one).
ok(!grep { /^INJECTED/ } split /\n/, $err . $acc);
# No raw control character other than the separators of the formats,
# and no raw Unicode line break, in the edge's logs.
ok($err !~ /[\x00-\x08\x0b-\x1f\x7f]|\xe2\x80[\xa8\xa9]|\xc2\x85/);
ok($acc !~ /[\x00-\x08\x0b-\x1f\x7f]|\xe2\x80[\xa8\xa9]|\xc2\x85/);
# MI saw none of it.
ok($mi !~ /INJECTED/);
