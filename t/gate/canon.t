# Ambiguous or forging targets are refused with 400 before anything else,
# with one escaped log line; their raw bytes never reach a log line.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;

my @cases = (
    ['/healthcare/%zz',          'encoding',     'invalid escape'],
    ['/healthcare/%4',           'encoding',     'truncated escape'],
    ['/healthcare/%252e%252e/',  'encoding',     '%25 in the path'],
    ['/healthcare/%2f',          'encoding',     'encoded slash'],
    ['/healthcare/%3f',          'encoding',     'encoded ?'],
    ['/healthcare/%23',          'encoding',     'encoded #'],
    ['/healthcare/%ff',          'encoding',     'invalid UTF-8'],
    ['/healthcare/%e2%82',       'encoding',     'truncated UTF-8'],
    ['/healthcare/%ed%a0%80',    'encoding',     'surrogate'],
    ['/healthcare/%0d%0aX-Forged:%201', 'control-char', 'encoded CRLF'],
    ['/healthcare/%0a',          'control-char', 'encoded LF'],
    ['/healthcare/%00',          'control-char', 'encoded NUL'],
    ['/healthcare/%1b[31m',      'control-char', 'encoded ESC'],
    ['/healthcare/%7f',          'control-char', 'encoded DEL'],
    ['/healthcare/%e2%80%a8',    'control-char', 'U+2028'],
    ['/healthcare/%e2%80%a9',    'control-char', 'U+2029'],
    ['/healthcare/%c2%85',       'control-char', 'U+0085'],
    ['/healthcare?q=%0d%0a',     'control-char', 'CRLF in query'],
    ['/healthcare?q=%250d%250a', 'control-char', 'double-encoded CRLF'],
    ['/healthcare?q=%2500',      'control-char', 'double-encoded NUL'],
    ['/healthcare?q=%e2%80%a8',  'control-char', 'U+2028 in query'],
    ['/healthcare?q=%c2%85',     'control-char', 'U+0085 in query'],
    ['/healthcare/a/../../..',   'dot-segment',  'climbs above root'],
    ['/healthcare/..;/x',        'dot-segment',  'hidden by ;'],
    ['/healthcare/%2e%2e;/x',    'dot-segment',  'encoded, hidden by ;'],
);

plan tests => @cases + 4;

refused_ok('edge', 'GET', $_->[0], 400, $_->[1], $_->[2]) for @cases;

# No log line of the edge starts with injected text, and the quoted path
# is escaped.
my $m = mark_logs();
my $r = req('edge', 'GET', '/healthcare/%0d%0aFORGED%20LINE');
my @b = blocked_since($m);
ok(@b == 1 && $b[0] =~ /path="\/healthcare\/%0d%0aFORGED%20LINE"/);
open my $fh, '<', t_logs() . '/error_log' or die;
ok(!grep { /^FORGED/ } <$fh>);
close $fh;

# A raw control byte in a header value: httpd's core refuses it before
# the gate decides; the gate still logs the one line with an id.
refused_ok('edge', 'GET', '/healthcare/x', 400, 'protocol',
           'ESC in a header', 'X-Note' => "a\x1b[31mb");

# "OPTIONS *" asks about the server: httpd answers it, the gate leaves it
# alone (httpd's MPM sends it on its dummy connections too).
{
    my $m = mark_logs();
    my $r = raw_req('edge', "OPTIONS * HTTP/1.1\r\nHost: localhost\r\n"
                            . "Connection: close\r\n\r\n");
    my @b = blocked_since($m);
    ok($r->{status} == 200 && !@b);
}
