# Requests httpd's core refuses before the gate decides (SPEC "Request
# IDs and logs"): one "blocked reason=protocol" line each, whose detail
# is httpd's status and httpd's own cause as httpd logged it (the bad
# header's name, the request-line problem), and an answer that carries
# the request id in MiGateResponseIdHeader like every other refusal.
# httpd's own line is in the error log beside it, with the same id; a
# request the core accepts logs nothing more than before.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use MiGate::Test;

my $long = 'a' x 9000;
# name, raw request head (without the final CRLF), status, detail
my @cases = (
    ['request line with two spaces',
     "GET  /healthcare/x HTTP/1.1\r\nHost: localhost\r\n", 400,
     qr/AH03448: HTTP Request Line; Excess whitespace/],
    ['unknown protocol',
     "GET /healthcare/x FOO/1.1\r\nHost: localhost\r\n", 400,
     qr/AH02418: HTTP Request Line; Unrecognized protocol 'FOO\/1\.1'/],
    ['request line over LimitRequestLine',
     "GET /healthcare/$long HTTP/1.1\r\nHost: localhost\r\n", 414,
     qr/AH00565: request failed: client's request-line exceeds LimitRequestLine/],
    ['header name with a space',
     "GET /healthcare/x HTTP/1.1\r\nHost: localhost\r\nBad Name: x\r\n", 400,
     qr/AH02426: Request header field name is malformed: Bad Name/],
    ['header line without a colon',
     "GET /healthcare/x HTTP/1.1\r\nHost: localhost\r\nNoColon\r\n", 400,
     qr/AH02426: Request header field name is malformed: NoColon/],
    ['raw ESC in a header value',
     "GET /healthcare/x HTTP/1.1\r\nHost: localhost\r\nX-Note: a\x1bb\r\n",
     400, qr/AH02427: Request header value is malformed/],
    ['header over LimitRequestFieldSize',
     "GET /healthcare/x HTTP/1.1\r\nHost: localhost\r\nX-Long: $long\r\n",
     400, qr/AH00561: Request header exceeds LimitRequestFieldSize: X-Long$/],
    ['more headers than LimitRequestFields',
     "GET /healthcare/x HTTP/1.1\r\nHost: localhost\r\n"
     . join('', map { "X-F$_: v\r\n" } 1 .. 101), 400,
     qr/AH00563: Number of request headers exceeds LimitRequestFields/],
    ['Host httpd does not accept',
     "GET /healthcare/x HTTP/1.1\r\nHost: local host\r\n", 400,
     qr/AH02415: \[strict\] Invalid host name 'local host'/],
);

plan tests => 3 * @cases + 2;

my $uuid = uuid_re();
for my $c (@cases) {
    my ($name, $head, $status, $detail) = @$c;
    my $m = mark_logs();
    my $r = raw_req('edge', $head . "Connection: close\r\n\r\n");
    my @b = blocked_since($m);
    my @mi = mi_since($m);
    my $id = $r->{headers}{'x-request-id'} // '';
    ok($r->{status} == $status && $id =~ /^$uuid$/ && !@mi,
       "$name: $status with the request id, MI saw nothing")
        or diag("status $r->{status}, id '$id', MI saw " . scalar(@mi));
    ok(@b == 1
       && $b[0] =~ /\bblocked reason=protocol id=\Q$id\E .*rule="builtin:protocol" detail="status $status: ([^"]*)"$/
       && $1 =~ /^$detail/,
       "$name: one protocol line with httpd's cause")
        or diag(join "\n", @b);
    my @core = grep { /\[core:\w+\] .*\[id \Q$id\E\]/ }
        split /\n/, err_since($m);
    ok(grep({ $_ =~ $detail } @core), "$name: httpd's own line, same id")
        or diag(join "\n", map { substr($_, 0, 300) } @core);
}

# A request the core accepts: read at the server's own log level again
# from post_read_request on, so nothing of core's is logged for it.
my $m = mark_logs();
my $r = req('edge', 'GET', '/healthcare/x');
my @mi = mi_since($m, 1);
my $id = $r->{headers}{'x-request-id'} // '';
ok($r->{status} == 200 && @mi == 1 && $mi[0]{id} eq $id,
   'an accepted request passes');
ok(!grep({ /\[core:/ && /\[id \Q$id\E\]/ } split /\n/, err_since($m)),
   'no line of core for an accepted request');
