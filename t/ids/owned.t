# The headers the edge owns toward MI, as an attacker tries them: every
# owned name (read from docs/owned-headers.md, which test_hdr holds to
# the C table) in every spelling -- case, '_' for '-', duplicates --
# over HTTP/1.1, h2c and h2; Connection and Trailer naming them in every
# way mod_proxy reads; Proxy-Connection and Keep-Alive; trailers after a
# chunked body, toward an HTTP/2 backend that forwards them; a trusted
# proxy's values; and MiGateTraceContext On, its traceparent read by
# OpenTelemetry's own propagator.  An httpd of its own: the suite's does
# not load mod_http2.  The stand-in MI (t/ids/owned-mi.lua) answers with
# every header it received, so the client sees exactly what MI saw.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;
use File::Temp qw(tempdir);
use FindBin;
use lib $FindBin::Bin;
use H2Raw;

my $top = Apache::Test::vars('top_dir');
my $pki = "$top/build/pki";
my %port = map { $_ => port("owned_$_") }
           qw(mi edge trusted idhdr tls h2mi plain);
my $dir = tempdir('migate-owned.XXXXXX', TMPDIR => 1,
                  CLEANUP => !$ENV{MIGATE_KEEP_TMP});
my $uuid = uuid_re();

# --- the owned names, from the documented table --------------------------
my (@owned, @prefixes);
{
    open my $fh, '<', "$top/docs/owned-headers.md" or die "docs: $!";
    my $rows = 0;
    while (<$fh>) {
        if (/^\| `([^`]+)`/) {
            $rows++;
            my $n = $1;
            if ($n =~ s/\*$//) { push @prefixes, $n } else { push @owned, $n }
        }
        elsif ($rows) {
            last;
        }
    }
}
sub norm { my $n = lc shift; $n =~ tr/_/-/; return $n }
sub is_owned {
    my ($name, $id_header) = @_;
    my $n = norm($name);
    return 1 if $id_header && $n eq norm($id_header);
    return 1 if grep { norm($_) eq $n } @owned;
    return 1 if grep { index($n, norm($_)) == 0 } @prefixes;
    return 0;
}
# A concrete name for each entry (a prefix gets a suffix).
my @names = (@owned, map { $_ . 'Anything' } @prefixes);

# --- the httpd -------------------------------------------------------------
my $lua = "$top/t/ids/owned-mi.lua";
# A gated edge on port $p in front of the stand-in MI (https:// or
# h2://), with what else the scenario sets.
sub edge {
    my ($p, $scheme, @more) = @_;
    return join "\n    ", "<VirtualHost 127.0.0.1:$p>", @more, 'MiGate On',
        'MiGateAllow /echo', 'MiGateResponseIdHeader X-Id',
        'SSLProxyEngine on', "SSLProxyCACertificateFile $pki/ca.crt",
        'SSLProxyVerify require',
        "ProxyPass / $scheme://localhost:$port{mi}/\n</VirtualHost>\n";
}
my @tls = ('ServerName localhost', 'SSLEngine on',
           "SSLCertificateFile $pki/mi.crt",
           "SSLCertificateKeyFile $pki/mi.key");
write_file("$dir/httpd.conf",
    own_httpd_conf($dir, qw(ssl socache_shmcb proxy proxy_http proxy_http2
                            http2 lua reflector headers)) . <<"EOC"
StartServers 1
@{[ map { "Listen 127.0.0.1:$_\n" } sort values %port ]}
# The request's trailers as the edge holds them once the body is read:
# what mod_proxy_http2 forwards to an HTTP/2 backend.
# With MergeTrailers On they are the headers' too.
LogFormat "%v %>s %L %r\t%{X-Note-Trailer}^ti\t%{X-Forwarded-For}^ti\t%{activityid}^ti\t%{x_real_ip}^ti\t%{X-Real-IP}^ti\t%{traceparent}^ti\t%{X-Note-Trailer}i\t%{X-Forwarded-For}i\t%{x_real_ip}i\t%{X-Real-IP}i" owned
CustomLog "$dir/access_log" owned
Protocols h2 h2c http/1.1

# The stand-in MI, over TLS, HTTP/2 or HTTP/1.1.
<VirtualHost 127.0.0.1:$port{mi}>
    @{[ join "\n    ", @tls ]}
    LuaMapHandler "^/echo/(?!body/)" $lua handle
    # A body read to its end, so that its trailers arrive before MI
    # answers.
    <Location /echo/body/>
        SetHandler reflector
    </Location>
    CustomLog "$dir/mi_log" "%r"
</VirtualHost>
EOC
    # Untrusted peers, h2c and HTTP/1.1, with the edge's trace context.
    . edge($port{edge}, 'https', 'MiGateTraceContext On')
    # A trusted proxy (the test itself).
    . edge($port{trusted}, 'https', 'MiGateTraceContext On',
           'MiGateTrustedProxy 127.0.0.0/8')
    # The id under another name: activityid stays owned.
    . edge($port{idhdr}, 'https', 'MiGateRequestIdHeader X-Request-ID')
    # h2 over TLS.
    . edge($port{tls}, 'https', @tls, 'MiGateTraceContext On')
    # MI over HTTP/2 (mod_proxy_http2), which forwards request trailers.
    # and merges trailers into the headers.
    . edge($port{h2mi}, 'h2', 'MergeTrailers On')
    # No gate: what mod_proxy itself does with Connection.
    . edge($port{plain}, 'https') =~ s/\n    MiGate(?: On|Allow \S+)//gr);

my $httpd = httpd_under_test();
my $started = `'$httpd' -f '$dir/httpd.conf' -k start 2>&1`;
my $start_rc = $?;
END {
    system("'$httpd' -f '$dir/httpd.conf' -k stop >/dev/null 2>&1")
        if $dir && $start_rc == 0;
}

# --- clients ---------------------------------------------------------------
my $tagn = 0;
sub tag { return sprintf 't%d-%d', $$, ++$tagn }

# HTTP/1.1 as bytes: status, response headers, and MI's echo.
sub h1 {
    my ($which, $bytes) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $port{$which}, Timeout => 30)
        or die "connect $which: $!";
    binmode $s;
    print $s $bytes;
    local $/;
    my $resp = <$s> // '';
    return parse_response($resp);
}

sub h1_get {
    my ($which, $path, @hdrs) = @_;
    my $b = "GET $path HTTP/1.1\r\nHost: localhost\r\n";
    $b .= shift(@hdrs) . ': ' . shift(@hdrs) . "\r\n" while @hdrs;
    return h1($which, "${b}Connection: close\r\n\r\n");
}

sub parse_response {
    my ($resp) = @_;
    my ($head, $body) = split /\r\n\r\n/, $resp, 2;
    $head //= '';
    my ($status) = $head =~ m{^HTTP/[\d.]+ (\d{3})};
    my %h = map { /^([^:]+):\s*(.*?)\s*$/ ? (lc $1, $2) : () }
            split /\r\n/, $head;
    my @mi;
    for (split /\n/, $body // '') {
        push @mi, [$1, $2] if /^header: ([^:]+): (.*)$/;
    }
    return { status => $status // 0, h => \%h, mi => \@mi,
             body => $body // '' };
}

# curl over HTTP/2 (h2c with prior knowledge, or h2 over TLS).
sub h2_get {
    my ($url, @hdrs) = @_;
    my @args = ('curl', '-s', '-i', '--max-time', '30',
                $url =~ /^https/ ? ('--http2', '--cacert', "$pki/ca.crt")
                                 : ('--http2-prior-knowledge'));
    push @args, '-H', shift(@hdrs) . ': ' . shift(@hdrs) while @hdrs;
    open my $fh, '-|', @args, $url or die "curl: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh;
    my $r = parse_response($out);
    $r->{proto} = $out =~ m{^HTTP/2 } ? 'h2' : 'other';
    return $r;
}

# What MI saw that the edge owns: [name, value] of each owned header
# that is not one the edge itself writes with the value it writes.
sub foreign_owned {
    my ($r, $port, %o) = @_;
    my $id = $r->{h}{'x-id'} // 'none';
    (my $hex = $id) =~ tr/-//d;
    my @bad;
    for my $hv (@{$r->{mi}}) {
        my ($n, $v) = @$hv;
        next unless is_owned($n, $o{id_header});
        my $k = norm($n);
        next if $k eq 'x-forwarded-for' && $v eq ($o{xff} // '127.0.0.1');
        next if $k eq 'x-forwarded-host'
            && $v =~ /^(?:localhost|127\.0\.0\.1)(?::\d+)?$/;
        next if $k eq 'x-forwarded-server' && $v eq 'localhost';
        next if $k eq norm($o{id_header} // 'activityid') && $v eq $id;
        next if $k eq 'traceparent' && $o{trace}
            && $v =~ /^00-\Q$hex\E-[0-9a-f]{16}-01$/;
        push @bad, "$n: $v";
    }
    return @bad;
}

sub mi_has {
    my ($r, $name) = @_;
    my ($v) = map { $_->[1] } grep { norm($_->[0]) eq norm($name) }
              @{$r->{mi}};
    return $v;
}

# The error log's "blocked" lines since an offset, once the access log has
# the request's line (written after the blocked line).
sub blocked_after {
    my ($err_off, $acc_off, $tag) = @_;
    wait_for(sub { (read_from("$dir/access_log", $acc_off) // '')
                       =~ /\Q$tag\E/ }, 30);
    return grep { /blocked reason=/ }
           split /\n/, read_from("$dir/error_log", $err_off);
}

sub read_from {
    my ($f, $off) = @_;
    open my $fh, '<', $f or return '';
    seek $fh, $off, 0;
    local $/;
    return <$fh> // '';
}

# Refused with 400 reason header, and MI never saw it: a sentinel request
# through the same edge reaching MI is the signal that MI's log is in.
sub refused_header {
    my ($which, $name, $bytes_or_hdrs) = @_;
    my $tag = tag();
    my ($e0, $a0, $m0) = map { -s $_ || 0 }
        "$dir/error_log", "$dir/access_log", "$dir/mi_log";
    my $r = ref $bytes_or_hdrs
        ? h1_get($which, "/echo/$tag", @$bytes_or_hdrs)
        : h1($which, sprintf($bytes_or_hdrs, $tag));
    my @b = blocked_after($e0, $a0, $tag);
    my $sentinel = tag();
    h1_get($which, "/echo/$sentinel");
    wait_for(sub { read_from("$dir/mi_log", $m0) =~ /\Q$sentinel\E/ }, 30);
    my $mi = read_from("$dir/mi_log", $m0);
    my $good = $r->{status} == 400 && @b == 1
        && $b[0] =~ /blocked reason=header id=$uuid /
        && $mi =~ /\Q$sentinel\E/ && $mi !~ /\Q$tag\E/;
    print STDERR "# $name: status $r->{status}, blocked: @b\n" unless $good;
    ok($good);
}

# --- the plan --------------------------------------------------------------
my @spellings = (
    ['as documented', sub { $_[0] }],
    ['lower case',    sub { lc $_[0] }],
    ['upper case',    sub { uc $_[0] }],
    ['with _',        sub { (my $n = $_[0]) =~ tr/-/_/; $n }],
);
my @connection = (
    'activityid', 'keep-alive activityid', "keep-alive\tactivityid",
    'close;activityid', 'keep-alive,,ACTIVITYID', 'X-Forwarded-For',
    'x_forwarded_for', 'X-Forwarded-Port', 'traceparent', 'TraceState',
    'X-B3-TraceId', 'X-Real-IP close', 'Forwarded', 'X-Original-URL',
    'X-Request-ID',
);
my @trusted_refused = (
    [activityid => '00000000-0000-0000-0000-000000000000', 'nil UUID'],
    [activityid => 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'max UUID'],
    [activityid => '0b7e2d5c-3f4a-4c1e-ca2b-6d8e0f1a2b3c', 'variant 110'],
    [activityid => '0b7e2d5c-3f4a-0c1e-9a2b-6d8e0f1a2b3c', 'version 0'],
    [activityid => 'forged|a|b', 'not a UUID'],
    [traceparent => '00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01',
     'traceparent upper case'],
    [traceparent => '00-00000000000000000000000000000000-b7ad6b7169203331-01',
     'traceparent zero trace id'],
    [traceparent => '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
     'traceparent version 01'],
    [traceparent => '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
                    . ', 00-0af7651916cd43dd8448eb211c80319d-b7ad6b71692033'
                    . '31-01', 'two traceparents'],
    ['X-Forwarded-Port' => '0', 'port 0'],
    ['True-Client-IP' => '1.2.3.4 x', 'True-Client-IP not an address'],
    ['X-Forwarded-For' => '1.2.3.4|x', 'X-Forwarded-For with a pipe'],
);
# A tracestate is only read beside the peer's own traceparent.
my $peer_tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
my @trusted_refused_state = (
    ['tracestate key in upper case', 'Congo=t61rcWkgMzE'],
    ['tracestate value with a "="', 'congo=a=b'],
    ['tracestate empty value', 'congo='],
    ['tracestate of 33 members', join ',', map { "k$_=v" } 1 .. 33],
);

plan tests => 1 + @spellings + 1 + 1 + 2 * 2 + 1 + @connection + 6 + 2
    + 7 + @trusted_refused + @trusted_refused_state + 2 + 5 + 6 + 2 + 1;

ok($start_rc == 0) or print STDERR "# $started";
wait_for(sub { h1_get('edge', '/echo/ready')->{status} == 200 }, 60);

# 1. Every owned name, in every spelling, from an untrusted client over
#    HTTP/1.1: MI sees only the edge's own.
for my $sp (@spellings) {
    my ($what, $spell) = @$sp;
    my $i = 0;
    my $r = h1_get('edge', '/echo/' . tag(),
                   map { ($spell->($_) => 'forged-' . $i++) } @names);
    my @bad = foreign_owned($r, 'edge', trace => 1);
    my $good = $r->{status} == 200 && !@bad && $r->{body} !~ /forged/
        && (mi_has($r, 'activityid') // '') =~ /^$uuid$/;
    print STDERR "# $what: status $r->{status}; MI saw: @bad\n" unless $good;
    ok($good);
}

# 2. Duplicated lines, and a value folded onto the next line (obs-fold).
{
    my $r = h1('edge', "GET /echo/dup HTTP/1.1\r\nHost: localhost\r\n"
               . "activityid: forged-1\r\nActivityId: forged-2\r\n"
               . "X-Forwarded-For: 6.6.6.6\r\nx-forwarded-for: 7.7.7.7\r\n"
               . "traceparent: forged\r\n  -3\r\n"
               . "X_Forwarded_Host: forged\r\nConnection: close\r\n\r\n");
    my @bad = foreign_owned($r, 'edge', trace => 1);
    ok($r->{status} == 200 && !@bad && $r->{body} !~ /forged|6\.6|7\.7/)
        or print STDERR "# duplicates: @bad\n";
}

# 3. The id under another name: a client's activityid still never reaches
#    MI; the id travels in X-Request-ID.
{
    my $r = h1_get('idhdr', '/echo/' . tag(), activityid => 'forged|a|b',
                   'X-Request-ID' => 'forged', 'x_request_id' => 'forged');
    my @bad = foreign_owned($r, 'idhdr', id_header => 'X-Request-ID');
    ok($r->{status} == 200 && !@bad && $r->{body} !~ /forged/
       && (mi_has($r, 'X-Request-ID') // '') eq ($r->{h}{'x-id'} // '-'))
        or print STDERR "# id header: @bad\n";
}

# 4. HTTP/2: h2c with prior knowledge and h2 over TLS, each name as
#    documented (curl sends it lower case, HPACK-coded as a literal) and
#    with '_'.
for my $url ("http://127.0.0.1:$port{edge}/echo/h2c",
             "https://localhost:$port{tls}/echo/h2") {
    for my $sp ($spellings[0], $spellings[3]) {
        my $i = 0;
        my $r = h2_get($url, map { ($sp->[1]->($_) => 'forged-' . $i++) }
                             @names);
        my @bad = foreign_owned($r, 'edge', trace => 1);
        my $good = $r->{proto} eq 'h2' && $r->{status} == 200 && !@bad
            && $r->{body} !~ /forged/;
        print STDERR "# $url $sp->[0]: $r->{proto} $r->{status}: @bad\n"
            unless $good;
        ok($good);
    }
}

# 5. HTTP/2 forbids Connection (mod_http2 drops it): over h2c it removes
#    nothing the edge sends.
{
    my $r = h2_get("http://127.0.0.1:$port{edge}/echo/h2conn",
                   Connection => 'activityid, traceparent');
    ok($r->{status} != 200 || ((mi_has($r, 'activityid') // '') eq
                               ($r->{h}{'x-id'} // '-')
                               && mi_has($r, 'traceparent')));
}

# 6. Connection naming an owned header, every way mod_proxy reads it:
#    400, reason header, nothing reaches MI.
refused_header('edge', "Connection: $_", [Connection => $_]) for @connection;
# two Connection lines (httpd merges them with ", ")
refused_header('edge', 'two Connection lines',
    "GET /echo/%s HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n"
    . "Connection: activityid\r\n\r\n");
# obs-fold
refused_header('edge', 'Connection, obs-fold',
    "GET /echo/%s HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n"
    . " activityid\r\nConnection: close\r\n\r\n");
# the renamed id header, and activityid beside it
refused_header('idhdr', 'Connection: x-request-id',
               [Connection => 'keep-alive x-request-id']);
refused_header('idhdr', 'Connection: activityid, another id header',
               [Connection => 'activityid']);
# Trailer announcing owned fields
refused_header('edge', 'Trailer: activityid', [Trailer => 'activityid']);
refused_header('edge', 'Trailer: x-forwarded-for',
               [Trailer => 'Expires, X-Forwarded-For']);

# mod_proxy itself, ungated, drops every header Connection names, the
# tokens split at white space and ';' as well as ',' (the premise of the
# checks above).
for my $c ('keep-alive activityid', "close;activityid") {
    my $r = h1_get('plain', '/echo/' . tag(), activityid => 'x',
                   'X-Kept' => 'y', Connection => $c);
    ok($r->{status} == 200 && defined mi_has($r, 'X-Kept')
       && !defined mi_has($r, 'activityid'));
}

# 7. Proxy-Connection and Keep-Alive name nothing to mod_proxy (it drops
#    both unread): the edge's headers reach MI.
for my $h ('Proxy-Connection', 'Keep-Alive') {
    my $r = h1_get('edge', '/echo/' . tag(), $h => 'activityid, traceparent',
                   'X-Forwarded-For' => 'forged');
    ok($r->{status} == 200
       && (mi_has($r, 'activityid') // '') eq ($r->{h}{'x-id'} // '-')
       && mi_has($r, 'traceparent') && !foreign_owned($r, 'edge', trace => 1));
}

# 8. A trusted proxy keeps what proxies write, when well-formed; the rest
#    of the owned headers go.
{
    my $id = '0b7e2d5c-3f4a-4c1e-9a2b-6d8e0f1a2b3c';
    my $tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    my $r = h1_get('trusted', '/echo/' . tag(), activityid => uc $id,
                   traceparent => $tp, tracestate => 'congo=t61rcWkgMzE',
                   'X-Forwarded-For' => '10.1.2.3',
                   'X-Forwarded-Port' => '443',
                   'X-Forwarded-Proto' => 'https',
                   'X-Forwarded-Prefix' => '/forged',
                   'X-Original-URL' => '/forged', b3 => 'forged',
                   'X_Forwarded_For' => '10.9.9.9',
                   'X-Correlation-ID' => 'forged');
    ok($r->{status} == 200);
    ok((mi_has($r, 'activityid') // '') eq $id && $r->{h}{'x-id'} eq $id);
    ok((mi_has($r, 'traceparent') // '') eq $tp);
    ok((mi_has($r, 'tracestate') // '') eq 'congo=t61rcWkgMzE');
    ok((mi_has($r, 'X-Forwarded-For') // '') eq '10.1.2.3, 127.0.0.1'
       && (mi_has($r, 'X-Forwarded-Port') // '') eq '443');
    ok($r->{body} !~ /forged|10\.9\.9\.9/
       && !grep { /_/ } map { $_->[0] } @{$r->{mi}});
    # tracestate without a traceparent of the peer's: not the edge's trace
    $r = h1_get('trusted', '/echo/' . tag(), tracestate => 'congo=x');
    ok($r->{status} == 200 && !defined mi_has($r, 'tracestate')
       && (mi_has($r, 'traceparent') // '') =~ /^00-[0-9a-f]{32}-/);
}
refused_header('trusted', $_->[2], [$_->[0] => $_->[1]]) for @trusted_refused;
refused_header('trusted', $_->[0],
               [traceparent => $peer_tp, tracestate => $_->[1]])
    for @trusted_refused_state;

# 9. Trailers: an owned header never comes after the body.  The edge's
#    access log shows the request's trailers once its body has been read
#    (what mod_proxy_http2 forwards to an HTTP/2 backend; mod_proxy_http
#    forwards none): a trailer of no one's is there, no owned one; and
#    with MergeTrailers On, where the trailers join the headers (what
#    mod_proxy would send had a module read the body first), no owned
#    one there either.
for my $which ('h2mi', 'edge') {
    my $tag = tag();
    my $a0 = -s "$dir/access_log" || 0;
    my $r = h1($which, "POST /echo/body/$tag HTTP/1.1\r\n"
               . "Host: localhost\r\nTransfer-Encoding: chunked\r\n"
               . "Connection: close\r\n\r\n5\r\nhello\r\n0\r\n"
               . "X-Note-Trailer: $tag\r\nX-Forwarded-For: 6.6.6.6\r\n"
               . "activityid: forged\r\nx_real_ip: 6.6.6.6\r\n"
               . "X-Real-IP: 6.6.6.6\r\n"
               . "traceparent: 00-0af7651916cd43dd8448eb211c80319c-"
               . "b7ad6b7169203331-01\r\n\r\n");
    wait_for(sub { read_from("$dir/access_log", $a0) =~ /\Q$tag\E\n/ }, 30);
    my ($line) = grep { /\Q$tag\E/ } split /\n/,
                 read_from("$dir/access_log", $a0);
    my (undef, $seen, @f) = split /\t/, $line // '', -1;
    my @owned_t = @f[0 .. 4, 6 .. 8];
    # With MergeTrailers On (h2mi) the trailers are the headers' too.
    my $merged = $which eq 'h2mi' ? $tag : '-';
    # (MI's mod_http2 sometimes resets a stream whose trailers come after
    # its answer: mod_proxy_http2 then answers 502.  What is judged here
    # is the edge's request, whatever MI made of it.)
    ok(($r->{status} == 200 || ($which eq 'h2mi' && $r->{status} == 502))
       && ($seen // '') eq $tag && @f == 9
       && ($f[5] // '') eq $merged && !grep { ($_ // '') ne '-' } @owned_t)
        or print STDERR "# trailers via $which: $r->{status}: "
                        . ($line // '') . "\n";
}

# 10. MiGateTraceContext On: MI's traceparent carries the request id, as
#     %L and activityid do, and OpenTelemetry's own W3C propagator reads
#     it as that trace.
{
    my $a0 = -s "$dir/access_log" || 0;
    my $r = h1_get('edge', '/echo/trace');
    my $id = $r->{h}{'x-id'} // '';
    (my $hex = $id) =~ tr/-//d;
    my $tp = mi_has($r, 'traceparent') // '';
    ok($id =~ /^$uuid$/ && (mi_has($r, 'activityid') // '') eq $id);
    ok($tp =~ /^00-\Q$hex\E-([0-9a-f]{16})-01$/ && $1 ne '0' x 16);
    # A second request: another trace, another parent.
    my $tp2 = mi_has(h1_get('edge', '/echo/trace2'), 'traceparent') // '';
    ok($tp2 ne $tp && substr($tp2, 36, 16) ne substr($tp, 36, 16));
    my $otel = "$top/build/otel/node_modules";
    if (-d "$otel/\@opentelemetry/core") {
        my $out = `NODE_PATH='$otel' node '$top/t/ids/traceparent-check.js' '$tp'`;
        ok($out =~ /^valid \Q$hex\E [0-9a-f]{16} 1$/)
            or print STDERR "# OpenTelemetry: $out";
    }
    else {
        # Without node's OpenTelemetry (tools/install-deps installs it),
        # the recommendation's grammar (section 3.2).
        print STDERR "# no \@opentelemetry/core: W3C grammar only\n";
        ok($tp =~ /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/);
    }
    # and %L names the same request in the edge's access log.
    ok(wait_for(sub { read_from("$dir/access_log", $a0)
                          =~ m{ 200 \Q$id\E GET /echo/trace } }, 30));
}

# 11. HTTP/2 as an attacker writes it by hand (h2c): header blocks that
#     curl would not send.  MI's echo is the DATA of the stream.
sub raw_h2 {
    my (%a) = @_;
    my $r = H2Raw::request(port => $port{edge}, path => '/echo/' . tag(),
                           %a);
    my @mi = map { /^header: ([^:]+): (.*)$/ ? [$1, $2] : () }
             split /\n/, $r->{data};
    my ($id) = map { $_->[1] } grep { norm($_->[0]) eq 'activityid' } @mi;
    $r->{mi} = \@mi;
    $r->{h} = { 'x-id' => (($id // '') =~ /^$uuid$/ ? $id : 'none') };
    return $r;
}
# A refusal ends an HTTP/1.x connection (t/gate/allowlist.t); over
# HTTP/2 only its stream: the next request goes on the same connection.
{
    my $r = H2Raw::request(port => $port{edge},
                           path => '/services/ServiceAdmin?' . tag(),
                           then => '/echo/' . tag());
    ok($r->{done} && !$r->{goaway} && !defined $r->{reset}
       && $r->{then_done} && ($r->{then_status} // 0) == 200
       && $r->{then_data} =~ /^header: activityid: /mi)
        or print STDERR "# h2 after a refusal: done ", $r->{done} // 0,
            " goaway ", $r->{goaway} // 0, " then ",
            $r->{then_status} // '-', "\n";
}
{
    # Every owned name, each HPACK literal representation in turn, the
    # block split over CONTINUATION.
    my @kinds = qw(indexed plain never);
    my $i = 0;
    my @h = map { [lc($_), 'forged-' . $i, $kinds[$i++ % 3]] } @names;
    push @h, map { (my $n = lc $_->[0]) =~ tr/-/_/; [$n, 'forged-u', 'never'] }
             @h;
    my $r = raw_h2(headers => \@h, split => 1);
    my @bad = foreign_owned($r, 'edge', trace => 1);
    ok(($r->{status} // 0) == 200 && $r->{h}{'x-id'} ne 'none' && !@bad
       && $r->{data} !~ /forged/)
        or print STDERR "# raw h2: status " . ($r->{status} // '?')
                        . " reset " . ($r->{reset} // '-') . ": @bad\n";
}
# Upper-case names are malformed in HTTP/2 (RFC 9113 8.2.1): refused, or
# if ever admitted, still owned.
{
    my $r = raw_h2(headers => [['X-Forwarded-For', 'forged'],
                               ['ACTIVITYID', 'forged']]);
    ok(defined $r->{reset} || $r->{goaway}
       || (!foreign_owned($r, 'edge', trace => 1)
           && $r->{data} !~ /forged/));
}
# Connection-specific fields are malformed in HTTP/2 (8.2.2): whatever
# mod_http2 does with them, nothing the edge sends is named away.
for my $h (['connection', 'activityid, traceparent, x-forwarded-for'],
           ['proxy-connection', 'activityid'],
           ['keep-alive', 'activityid']) {
    my $r = raw_h2(headers => [$h]);
    my $tp = mi_has($r, 'traceparent') // '';
    ok(defined $r->{reset} || $r->{goaway}
       || (($r->{status} // 0) == 200 && $r->{h}{'x-id'} ne 'none'
           && $tp =~ /^00-/ && mi_has($r, 'X-Forwarded-For')))
        or print STDERR "# raw h2 $h->[0]: " . ($r->{status} // '?') . "\n";
}
# Trailers after DATA on HTTP/2: the edge's request keeps no owned one.
{
    my $tag = tag();
    my $a0 = -s "$dir/access_log" || 0;
    my $r = H2Raw::request(port => $port{edge}, path => "/echo/body/$tag",
        body => 'hello',
        trailers => [['x-note-trailer', $tag], ['x-forwarded-for', '6.6.6.6'],
                     ['activityid', 'forged'], ['x_real_ip', '6.6.6.6'],
                     ['x-real-ip', '6.6.6.6', 'never'],
                     ['traceparent', '00-0af7651916cd43dd8448eb211c80319c-'
                                     . 'b7ad6b7169203331-01']]);
    wait_for(sub { read_from("$dir/access_log", $a0) =~ /\Q$tag\E/ }, 30);
    my ($line) = grep { /\Q$tag\E/ } split /\n/,
                 read_from("$dir/access_log", $a0);
    my (undef, $seen, @f) = split /\t/, $line // '', -1;
    ok(($seen // '') eq $tag && @f == 9 && !grep { $_ ne '-' } @f[0 .. 8])
        or print STDERR "# h2 trailers: " . ($line // '') . "\n";
}
