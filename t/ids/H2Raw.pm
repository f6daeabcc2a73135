package H2Raw;

# A raw HTTP/2 client over cleartext (h2c, prior knowledge) for the
# attacker's view of t/ids/owned.t: it writes header blocks by hand, so
# that it can send what curl and nghttp2's own clients refuse to --
# Connection, upper-case names, the same name in every HPACK literal
# representation (RFC 7541 6.2: with incremental indexing, without
# indexing, never indexed), a block split over CONTINUATION frames, and
# trailers after DATA.  Names and values are sent as plain (not Huffman)
# strings.  The answer is read frame by frame: the DATA of stream 1
# (MI's echo), and whether the stream was reset.

use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

my %LITERAL = (indexed => 0x40, plain => 0x00, never => 0x10);

# HPACK integer with an n-bit prefix (RFC 7541 5.1), first byte or'd with
# $flags.
sub hpack_int {
    my ($v, $n, $flags) = @_;
    my $max = (1 << $n) - 1;
    return chr($flags | $v) if $v < $max;
    my $out = chr($flags | $max);
    $v -= $max;
    while ($v >= 128) {
        $out .= chr(($v % 128) + 128);
        $v = int($v / 128);
    }
    return $out . chr($v);
}

sub hpack_str { my $s = shift; return hpack_int(length $s, 7, 0) . $s }

# One header field as a literal with a new (literal) name.
sub field {
    my ($name, $value, $kind) = @_;
    my $first = $LITERAL{$kind // 'plain'};
    # 6-bit prefix for incremental indexing, 4-bit for the others; index
    # 0: the name follows as a string.
    return chr($first) . hpack_str($name) . hpack_str($value);
}

sub frame {
    my ($type, $flags, $stream, $payload) = @_;
    my $len = length $payload;
    return pack('CnCCN', $len >> 16, $len & 0xffff, $type, $flags, $stream)
        . $payload;
}

# A request's header block: its pseudo-headers, then @fields
# ([name, value, kind] each).
sub header_block {
    my ($method, $path, @fields) = @_;
    return join '', map { field(@$_) }
        [':method', $method], [':scheme', 'http'], [':path', $path],
        [':authority', 'localhost'], @fields;
}

# request(port => P, path => '/x', headers => [[name, value, kind], ...],
#          body => 'bytes', trailers => [[name, value, kind], ...],
#          split => 1 (the header block over HEADERS + CONTINUATION),
#          then => '/y' (a second request, stream 3, on the same
#          connection once stream 1 has ended))
# Returns { data => DATA of stream 1, reset => RST_STREAM code or undef,
#           goaway => 1 when the server sent GOAWAY, status => :status when
#           it is one of HPACK's static 200/204/206/304/400/404/500 };
#           with then, also then_status, then_data and then_done (stream
#           3 answered to its end).
sub request {
    my %a = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $a{port}, Timeout => 30)
        or die "connect: $!";
    binmode $s;
    my $block = header_block($a{body} ? 'POST' : 'GET', $a{path},
                             @{$a{headers} || []});
    my $end_stream = defined $a{body} ? 0 : 0x1;
    my $out = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" . frame(4, 0, 0, '');
    if ($a{split}) {
        my $half = int(length($block) / 2);
        $out .= frame(1, $end_stream, 1, substr($block, 0, $half))
              . frame(9, 0x4, 1, substr($block, $half));
    }
    else {
        $out .= frame(1, 0x4 | $end_stream, 1, $block);
    }
    if (defined $a{body}) {
        my $last = $a{trailers} ? 0 : 0x1;
        $out .= frame(0, $last, 1, $a{body});
        $out .= frame(1, 0x4 | 0x1, 1,
                      join '', map { field(@$_) } @{$a{trailers}})
            if $a{trailers};
    }
    print $s $out;

    my %r = (data => '');
    my %static = (8 => 200, 9 => 204, 10 => 206, 11 => 304, 12 => 400,
                  13 => 404, 14 => 500);
    my $sel = IO::Select->new($s);
    my $buf = '';
    my $deadline = time + 60;
    # Frames until stream $id has ended (or the connection has); what it
    # answered goes to $r{"${pre}status"}, $r{"${pre}data"}.
    my $read = sub {
        my ($id, $pre) = @_;
        my $done = 0;
        $r{"${pre}data"} //= '';
        while (!$done && time < $deadline
               && $sel->can_read($deadline - time)) {
            my $n = sysread($s, $buf, 65536, length $buf);
            last unless $n;
            while (length $buf >= 9) {
                my ($l1, $l2, $type, $flags, $stream) = unpack('CnCCN', $buf);
                my $len = ($l1 << 16) | $l2;
                last if length $buf < 9 + $len;
                my $payload = substr($buf, 9, $len);
                substr($buf, 0, 9 + $len) = '';
                $stream &= 0x7fffffff;
                if ($type == 4 && !($flags & 0x1)) {        # SETTINGS: ack
                    print $s frame(4, 0x1, 0, '');
                }
                elsif ($type == 1 && $stream == $id) {      # HEADERS
                    my $b = ord $payload;
                    $r{"${pre}status"} //= $static{$b & 0x7f} if $b & 0x80;
                    $done = 1 if $flags & 0x1;
                }
                elsif ($type == 0 && $stream == $id) {      # DATA
                    $r{"${pre}data"} .= $payload;
                    $done = 1 if $flags & 0x1;
                    print $s frame(8, 0, 0, pack('N', $len)) if $len;
                }
                elsif ($type == 3 && $stream == $id) {      # RST_STREAM
                    $r{"${pre}reset"} = unpack('N', $payload);
                    $done = 1;
                }
                elsif ($type == 7) {                        # GOAWAY
                    $r{goaway} = 1;
                    $done = 1;
                }
            }
        }
        return $done;
    };
    $r{done} = $read->(1, '');
    if (defined $a{then} && $r{done} && !$r{goaway}) {
        print $s frame(1, 0x4 | 0x1, 3, header_block('GET', $a{then}));
        $r{then_done} = $read->(3, 'then_') && !$r{goaway};
    }
    close $s;
    return \%r;
}

1;
