# Request ids: one UUID per request, the same in the access log (%L),
# the error log (%L and the "blocked" line), the environment
# (MIGATE_REQUEST_ID, mod_unique_id's UNIQUE_ID), the response and MI's
# activityid; kept across an internal redirect; inbound ids replaced
# unless a trusted peer sends a well-formed UUID; v7 ids ordered.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;
use IO::Socket::INET;

plan tests => 35;

my $re = uuid_re();
my $valid = '0b7e2d5c-3f4a-4c1e-9a2b-6d8e0f1a2b3c';

# One passed request: the same id everywhere.
{
    my $m = mark_logs();
    my $r = req('edge_ids', 'GET', '/healthcare/x');
    my @mi = mi_since($m, 1);
    my @acc = grep { /^\S+\t\S+\t\d+\tGET \/healthcare\/x / }
        edge_access_since($m);
    my $id = $r->{headers}{'x-request-id'} // '';
    ok($r->{status} == 200 && $id =~ /^$re$/);
    ok(@mi == 1 && $mi[0]{id} eq $id);
    ok(@acc == 1 && (split /\t/, $acc[0])[1] eq $id);
    ok(($r->{headers}{'x-env-id'} // '') eq $id);
    # mod_unique_id takes r->log_id when it is set first.
    ok(($r->{headers}{'x-unique-id'} // '') eq $id);
}

# One refused request, served an ErrorDocument through an internal
# redirect: the blocked line, the error log's [id %L], the access log's
# %L (of the final request), the response and the environment of the
# redirected request agree; the gate does not decide the redirect again.
{
    my $m = mark_logs();
    my $r = req('edge_ids', 'GET', '/nope');
    blocked_since($m);      # waits until the access line is in
    my @err = split /\n/, err_since($m);
    my @b = grep { /blocked reason=/ } @err;
    my @mi = mi_since($m);
    my @acc = grep { /\tGET \/nope / } edge_access_since($m);
    my $id = $r->{headers}{'x-request-id'} // '';
    ok($r->{status} == 403 && $id =~ /^$re$/);
    ok(@b == 1 && $b[0] =~ /\[id \Q$id\E\] .*blocked reason=not-allowed id=\Q$id\E /);
    ok(@acc == 1 && (split /\t/, $acc[0])[1] eq $id);
    ok(($r->{headers}{'x-env-id'} // '') eq $id);
    ok(($r->{headers}{'x-unique-id'} // '') eq $id);
    ok(!@mi);
}

# Refused by httpd's core before the gate (a raw ESC in a header): the
# one blocked line and the access line still share an id.
{
    my $m = mark_logs();
    my $r = req('edge_ids', 'GET', '/healthcare/core', 'X-Note' => "a\x1bb");
    my @b = blocked_since($m);
    my @acc = grep { /\tGET \/healthcare\/core / } edge_access_since($m);
    my ($id) = @b ? $b[0] =~ /\bid=($re)/ : ('');
    ok($r->{status} == 400 && @b == 1
       && $b[0] =~ /reason=protocol .*rule="builtin:protocol" detail="status 400/);
    ok(@acc == 1 && defined $id && (split /\t/, $acc[0])[1] eq $id);
}

# Inbound ids from an untrusted peer are replaced, whatever they hold.
for my $spoof ($valid, 'garbage', 'x|forged|corr', '%1b[31mred',
               uc $valid) {
    my $m = mark_logs();
    my $r = req('edge', 'GET', '/healthcare/x', activityid => $spoof);
    my @mi = mi_since($m, 1);
    ok(@mi == 1 && $mi[0]{id} =~ /^$re$/ && $mi[0]{id} ne lc $spoof
       && $mi[0]{id} eq ($r->{headers}{'x-request-id'} // ''));
}

# A raw ESC in the id header is refused before anything reaches MI.
refused_ok('edge', 'GET', '/healthcare/x', 400, 'protocol', 'raw ESC in id',
           activityid => "$valid\x1b[2K");
# A Unicode line separator passes httpd's core and is the gate's to refuse.
refused_ok('edge', 'GET', '/healthcare/x', 400, 'control-char',
           'U+2028 in id', activityid => "a\xe2\x80\xa8b");

# A trusted peer keeps a well-formed RFC 9562 id (lowercased); anything
# else from it is refused (400, reason header): a proxy that vouches for
# ids sends UUIDs.
{
    my $m = mark_logs();
    my $r = req('edge_trusted', 'GET', '/healthcare/x',
                activityid => uc $valid);
    my @mi = mi_since($m, 1);
    my @acc = grep { /\tGET \/healthcare\/x / } edge_access_since($m);
    ok(@mi == 1 && $mi[0]{id} eq $valid);
    ok(($r->{headers}{'x-request-id'} // '') eq $valid);
    ok(@acc == 1 && (split /\t/, $acc[0])[1] eq $valid);
}
for my $bad ('garbage', "$valid|x", "${valid}0",
             '0b7e2d5c3f4a4c1e9a2b6d8e0f1a2b3c') {
    refused_ok('edge_trusted', 'GET', '/healthcare/x', 400, 'header',
               "trusted id $bad", activityid => $bad);
}

# A header folded onto the id header (obs-fold) is merged by httpd into
# one line; from an untrusted peer the result is replaced all the same.
{
    my $m = mark_logs();
    my $r = raw_req('edge', "GET /healthcare/x HTTP/1.1\r\nHost: localhost\r\n"
                    . "activityid: x\r\n |forged|line\r\nConnection: close\r\n\r\n");
    my @mi = mi_since($m, 1);
    ok(@mi == 1 && $mi[0]{id} =~ /^$re$/);
}

# MiGateRequestIdHeader: the id travels in the named header; activityid,
# which MI reads whatever the gate calls its header, stays the gate's: a
# client's never reaches MI.
{
    my $m = mark_logs();
    my $r = req('edge_v7', 'GET', '/healthcare/x',
                activityid => 'forged|a|b');
    my @mi = mi_since($m, 1);
    my $id = $r->{headers}{'x-request-id'} // '';
    ok($id =~ /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    ok(@mi == 1 && $mi[0]{id} eq '-');  # MI's format logs activityid
}

# v7 ids: time-ordered, strictly increasing over sequential requests.
# They are monotonic within a process: the requests go over one
# keep-alive connection, which one child serves.
{
    my @ids;
    my $m = mark_logs();
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => port('edge_v7'),
                                     Proto => 'tcp', Timeout => 30)
        or die "connect: $!";
    local $/ = "\r\n";
    for (1 .. 50) {
        print $sock "GET /healthcare/x HTTP/1.1\r\nHost: localhost\r\n\r\n";
        my $head = '';
        while (defined(my $l = <$sock>)) {
            last if $l eq "\r\n";
            $head .= $l;
        }
        my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
        my $body;
        read($sock, $body, $len // 0);
        my ($id) = $head =~ /^X-Request-Id:\s*(\S+)/mi;
        push @ids, $id // '';
    }
    close $sock;
    # The edge logs a request after answering it, MI likewise: wait for
    # all 50 in both logs, so that none lands after the next mark.
    wait_for(sub { grep({ /\tmi$/ } edge_access_since($m)) >= 50 }, 30);
    mi_since($m, 50);
    my $ordered = 1;
    for my $i (1 .. $#ids) {
        $ordered = 0 unless $ids[$i - 1] lt $ids[$i];
    }
    ok($ordered);
}

# MiGateRequestId Off: no id is made, but the id header toward MI stays
# the gate's: from an untrusted peer it is removed.
{
    my $m = mark_logs();
    my $r = req('edge_noid', 'GET', '/healthcare/x',
                activityid => "x|forged");
    my @mi = mi_since($m, 1);
    ok(@mi == 1 && $mi[0]{id} eq '-');
    ok(!exists $r->{headers}{'x-request-id'});
}
# ... and from a trusted peer a well-formed UUID passes, anything else is
# refused.
{
    my $m = mark_logs();
    req('edge_noid_trusted', 'GET', '/healthcare/x', activityid => $valid);
    my @mi = mi_since($m, 1);
    my ($x) = grep { $_->{request} =~ m{/healthcare/x } } @mi;
    ok($x && $x->{id} eq $valid);
    # (no id: the blocked line says id=-)
    $m = mark_logs();
    my $r = req('edge_noid_trusted', 'GET', '/healthcare/y',
                activityid => 'x|y');
    my @b = blocked_since($m);
    @mi = mi_since($m);
    ok($r->{status} == 400 && @b == 1
       && $b[0] =~ /blocked reason=header id=- .*detail="activityid"/ && !@mi);
}
