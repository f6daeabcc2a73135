# MiGateAllowTemplate through a real edge: a vhost with templates and a
# vhost with the regexes tools/migate-policy writes for the same
# uri-templates answer every request alike (status, reason, and MI sees
# the passed ones only); the refusal names its rule; -D MIGATE_DUMP
# shows templates as written; a bad template stops httpd with a message
# pointing to MiGateAllowMatch.  And regexes that hit PCRE2's match
# limit refuse, saying so.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;
use File::Temp qw(tempdir);

my @fixed = qw(
    /shop/orders/1 /shop/orders/1/ /shop/orders/ /shop/orders /shop/orders//
    /shop/orders/1/items /shop/orders/1/items/ /shop/orders/1/items/2
    /shop/orders/1/items/2/ /shop/orders/1/items/2/3 /shop/orders//items/2
    /shop/1/items /shop/1/items/ /shop//items /shop/orders/1/x
    /v1/a/b /v1/a/b/ /v1//b /v1/a/c /customer/ /customer /customer/7
    /customer/7/ /customer/7/8 /Shop/orders/1 /shop/orders/%31
    /shop/orders/1;x=y /shop/orders/a/../1 /shop/orders/1?x=2
);
# More paths near the templates, the same on every run.
my @segs = ('shop', 'orders', 'items', '1', 'v1', 'b', 'customer', '',
            'x');
srand(22);
my @random = map {
    '/' . join('/', map { $segs[int rand @segs] } 1 .. 1 + int rand 5)
        . (rand() < 0.3 ? '/' : '')
} 1 .. 40;
my @methods = qw(GET PUT POST);

plan tests => 3 + 6 + 4;

# 1. The differential: each request to both vhosts.
my ($same, $n, $passed, $mi_ok) = (0, 0, 0, 1);
for my $path (@fixed, @random) {
    for my $m (@methods) {
        my $mark = mark_logs();
        my $t = req('edge_template', $m, $path);
        my @bt = blocked_since($mark);
        $mark = mark_logs();
        my $r = req('edge_template_re', $m, $path);
        my @br = blocked_since($mark);
        my ($rt) = map { /reason=(\S+)/ } @bt;
        my ($rr) = map { /reason=(\S+)/ } @br;
        $n++;
        $passed++ if !@bt;
        if ($t->{status} == $r->{status} && @bt == @br
            && ($rt // '') eq ($rr // '')) {
            $same++;
        } else {
            print STDERR "# $m $path: template $t->{status} "
                . ($rt // 'passed') . ", regex $r->{status} "
                . ($rr // 'passed') . "\n";
        }
    }
}
ok($same == $n);
ok($passed > 20 && $passed < $n - 20);
print STDERR "# $n requests, $passed passed\n";

# What passed reached MI, what was refused did not, and the refusal
# names the template rule's vhost default deny (no template matched) or
# the method.
{
    my $m = mark_logs();
    req('edge_template', 'GET', '/shop/orders/42/items/7');
    req('edge_template', 'DELETE', '/shop/orders/42');
    my @b = blocked_since($m);
    my @mi = mi_since($m, 1);
    ok(@mi == 1 && $mi[0]{request} =~ m{^GET /shop/orders/42/items/7 }
       && @b == 1
       && $b[0] =~ /reason=method .*rule="builtin:default-deny"/)
        or print STDERR "# MI: @{[map { $_->{line} } @mi]}\n# @b\n";
}

# 2. Configuration: the dump shows templates as written, bad templates
# stop httpd naming MiGateAllowMatch.
my $httpd = httpd_under_test();
my $dir = tempdir(CLEANUP => 1);
my $head = own_httpd_conf($dir, qw(proxy proxy_http socache_shmcb ssl))
    . "Listen 127.0.0.1:29997\n";
my $conf = "$dir/t.conf";
write_file($conf, $head . <<'EOC');
<VirtualHost 127.0.0.1:29997>
    MiGate On
    MiGateAllowTemplate GET,HEAD /orders/{id}/items/{itemId}
    MiGateAllowTemplate /customer/{id}?expand={x}
</VirtualHost>
EOC
my $out = `'$httpd' -t -D MIGATE_DUMP -f '$conf' 2>&1`;
ok($? == 0);
ok($out =~ m{^    allow: +MiGateAllowTemplate GET,HEAD /orders/\{id\}/items/\{itemId\} \(\S+t\.conf:\d+\)$}m)
    or print STDERR map { "# $_\n" } split /\n/, $out;
ok($out =~ m{^    allow: +MiGateAllowTemplate /customer/\{id\}\?expand=\{x\} }m);
for my $bad ('/orders/{+path}', '/orders/id-{id}', '/orders/*') {
    write_file($conf, $head . <<"EOC");
<VirtualHost 127.0.0.1:29997>
    MiGate On
    MiGateAllowTemplate $bad
</VirtualHost>
EOC
    $out = `'$httpd' -t -f '$conf' 2>&1`;
    ok($? != 0 && $out =~ /MiGateAllowTemplate.*MiGateAllowMatch/)
        or print STDERR "# $bad: $out\n";
}

# 3. Regex limits: refused, and the blocked line says why.
my $long_a = '/a/' . ('a' x 6000) . '!';
my $words = '/w/' . ('ab%20' x 30) . '!';
my $deny = '/ok/d/' . ('a' x 40) . '!';
for my $c ([$long_a, 'not-allowed', 'allows nothing'],
           [$words, 'not-allowed', 'allows nothing'],
           [$deny, 'hard-deny', 'refused']) {
    my ($path, $reason, $what) = @$c;
    my $m = mark_logs();
    my $r = req('edge_regex_limit', 'GET', $path);
    my @b = blocked_since($m);
    my @mi = mi_since($m);
    ok($r->{status} == 403 && @b == 1 && !@mi
       && $b[0] =~ /reason=\Q$reason\E .*detail="regex \S+ not run \(match limit exceeded\): [^"]*\Q$what\E"/)
        or print STDERR "# $path: $r->{status}, MI saw "
            . join(' ', map { $_->{request} } @mi) . "\n# @b\n";
}
passed_ok('edge_regex_limit', 'GET', '/a/aaaa', 'a regex within its limit');
