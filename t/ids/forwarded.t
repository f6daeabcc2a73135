# Forwarded headers toward MI: from an untrusted peer MI sees only what
# the edge vouches for; a trusted proxy's values pass only when they are
# what a proxy writes; a bad Host is refused.  Also with ProxyAddHeaders
# Off and ProxyPreserveHost On.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;

my $forge = '1.2.3.4" "GET /forged HTTP/1.1" 200 "x';

# Untrusted peer: each header with forging content -> the edge's value.
my @untrusted = (
    ['X-Forwarded-For',    $forge,                  xff => '127.0.0.1'],
    ['X-Forwarded-Host',   'evil.example|x',        xfh => 'localhost'],
    ['X-Forwarded-Server', 'forged" "x',            xfs => 'localhost'],
    ['X-Forwarded-Proto',  'https" forged',         xfp => '-'],
    ['Forwarded',          'for=6.6.6.6;by="a|b"',  forwarded => '-'],
    ['X-Real-IP',          '6.6.6.6',               real_ip => '-'],
);

# Trusted peer: values a proxy writes pass (X-Forwarded-For with the peer
# appended by mod_proxy).
my @trusted_kept = (
    ['X-Forwarded-For', '10.1.2.3, 2001:db8::1',
     xff => '10.1.2.3, 2001:db8::1, 127.0.0.1'],
    ['X-Forwarded-For', '10.1.2.3 ,10.1.2.4',
     xff => '10.1.2.3 ,10.1.2.4, 127.0.0.1'],
    ['X-Forwarded-Proto', 'https',              xfp => 'https'],
    ['X-Real-IP',         '10.9.8.7',           real_ip => '10.9.8.7'],
    ['Forwarded', 'for=192.0.2.60;proto=https;by=203.0.113.43',
     forwarded => 'for=192.0.2.60;proto=https;by=203.0.113.43'],
    ['Forwarded', 'for="[2001:db8:cafe::17]:4711", for=_hidden',
     # (mod_log_config writes a quote in a header as \")
     forwarded => 'for=\\"[2001:db8:cafe::17]:4711\\", for=_hidden'],
);

# Trusted peer: anything else is refused with 400, reason header.
my @trusted_refused = (
    ['X-Forwarded-For', $forge,                  'quotes'],
    ['X-Forwarded-For', '1.2.3.4 5.6.7.8',       'spaces between words'],
    ['X-Forwarded-For', '1.2.3.4|x',             'pipe'],
    ['X-Forwarded-For', '1.2.3.4%0d%0aforged',   'encoded CRLF'],
    ['X-Forwarded-For', 'unknown',               'not an address'],
    ['X-Forwarded-For', '1.2.3.4,,5.6.7.8',      'empty element'],
    ['X-Forwarded-For', '300.1.2.3',             'bad IPv4'],
    ['X-Forwarded-Host', 'a.example|x',          'bad forwarded host'],
    ['X-Forwarded-Proto', 'ftp',                 'bad proto'],
    ['X-Real-IP', '1.2.3.4 x',                   'bad real ip'],
    ['Forwarded', 'for="a|b"',                   'bad Forwarded'],
    ['Forwarded', 'for=1.2.3.4 by=x',            'Forwarded, spaces'],
);

# Host values httpd's core refuses before the gate (reason protocol) and
# those it admits but the gate does not (reason header): 400, one
# blocked line either way.
my @bad_hosts = (map({ [$_, 'protocol'] }
                     'a%41.example', 'a b', '[::1', 'host:0', 'host:99999',
                     'ex..ample', 'a|b', 'a"b', 'a,b', 'a/b', '*', 'a;b',
                     'a.example:80:80'),
                 map({ [$_, 'header'] } '-bad.example', '1.2.3.999'));
# A Connection header naming what the gate owns toward MI: mod_proxy
# would drop the header named.
my @connection_bad = ('activityid', 'close, activityid', 'X-Forwarded-For',
                      'x-forwarded-host', 'Forwarded', ' X-Real-IP ,close',
                      'X-Forwarded-Anything');
my @good_hosts = ('xn--bcher-kva.example', '[::1]:8080', '127.0.0.1:1',
                  'a.b.c.', 'foo_bar.example.com');

plan tests => @untrusted + 1 + @trusted_kept + @trusted_refused + 1
    + @bad_hosts + 1 + @good_hosts + 3 + 2 + @connection_bad + 1;

sub one_mi {
    my ($vhost, @hdrs) = @_;
    my $m = mark_logs();
    my $r = req($vhost, 'GET', '/healthcare/fwd', @hdrs);
    my @b = blocked_since($m);
    my @mi = $r->{status} == 200 ? mi_since($m, 1) : mi_since($m);
    return (@mi == 1 && !@b && $r->{status} == 200) ? $mi[0] : undef;
}

sub field_is {
    my ($mi, $field, $want, $name) = @_;
    my $got = $mi ? $mi->{$field} : '(nothing reached MI)';
    print STDERR "# $name: $field is '$got', want '$want'\n"
        unless defined $got && $got eq $want;
    ok(defined $got && $got eq $want);
}

for my $c (@untrusted) {
    my ($h, $v, $field, $want) = @$c;
    field_is(one_mi('edge', $h => $v), $field, $want, "untrusted $h");
}

# All at once: MI's view is exactly the edge's.
{
    my $mi = one_mi('edge', map { ($_->[0] => $_->[1]) } @untrusted);
    ok($mi && $mi->{xff} eq '127.0.0.1' && $mi->{xfh} eq 'localhost'
       && $mi->{xfs} eq 'localhost' && $mi->{xfp} eq '-'
       && $mi->{forwarded} eq '-' && $mi->{real_ip} eq '-');
}

for my $c (@trusted_kept) {
    my ($h, $v, $field, $want) = @$c;
    field_is(one_mi('edge_trusted', $h => $v), $field, $want, "trusted $h");
}

for my $c (@trusted_refused) {
    my ($h, $v, $name) = @$c;
    refused_ok('edge_trusted', 'GET', '/healthcare/fwd', 400, 'header',
               "trusted, $name", $h => $v);
}

# A continuation line (obs-fold): httpd joins it with a space, and the
# result is no list of addresses.
{
    my $m = mark_logs();
    my $r = raw_req('edge_trusted', "GET /healthcare/fwd HTTP/1.1\r\n"
                    . "Host: localhost\r\nX-Forwarded-For: 1.2.3.4\r\n"
                    . " 5.6.7.8\r\nConnection: close\r\n\r\n");
    my @b = blocked_since($m);
    my @mi = mi_since($m);
    ok($r->{status} == 400 && @b == 1 && $b[0] =~ /reason=header/ && !@mi);
}

for my $c (@bad_hosts) {
    my ($h, $reason) = @$c;
    refused_ok('edge', 'GET', '/healthcare/fwd', 400, $reason,
               "Host $h", Host => $h);
}
for my $v (@connection_bad) {
    refused_ok('edge', 'GET', '/healthcare/fwd', 400, 'header',
               "Connection: $v", Connection => $v);
}
# Naming any other header is the client's business.
ok(one_mi('edge', Connection => 'keep-alive, X-Note'));

# httpd's core reduces "user@host" to "user" itself: what reaches MI has
# no userinfo.
{
    my $m = mark_logs();
    my $r = req('edge', 'GET', '/healthcare/fwd', Host => 'user@evil.example');
    my @mi = $r->{status} == 200 ? mi_since($m, 1) : mi_since($m);
    ok(!grep { $_->{line} =~ /@/ } @mi);
}

for my $h (@good_hosts) {
    field_is(one_mi('edge', Host => $h), 'xfh', $h, "Host $h");
}

# ProxyAddHeaders Off: nothing forwarded from an untrusted peer, a
# trusted proxy's valid list as it came (no peer appended), a bad one
# refused.
{
    my $mi = one_mi('edge_noadd', 'X-Forwarded-For' => $forge,
                    'X-Forwarded-Host' => 'evil.example');
    ok($mi && $mi->{xff} eq '-' && $mi->{xfh} eq '-' && $mi->{xfs} eq '-');
    field_is(one_mi('edge_noadd_trusted', 'X-Forwarded-For' => '10.1.2.3'),
             'xff', '10.1.2.3', 'ProxyAddHeaders Off, trusted');
    refused_ok('edge_noadd_trusted', 'GET', '/healthcare/fwd', 400, 'header',
               'ProxyAddHeaders Off, trusted, forged', 'X-Forwarded-For' => $forge);
}

# ProxyPreserveHost On: the client's Host reaches MI, so it must be valid.
{
    my $mi = one_mi('edge_preserve', Host => 'localhost');
    ok($mi && $mi->{host} eq 'localhost' && $mi->{xfh} eq 'localhost');
    refused_ok('edge_preserve', 'GET', '/healthcare/fwd', 400, 'header',
               'ProxyPreserveHost On, bad Host', Host => '-a.example');
}
