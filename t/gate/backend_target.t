# The gate decides on the edge's path, then looks once more at the exact
# target mod_proxy sends to MI (r->filename after mod_proxy's fixup): a
# ProxyPass prefix or a RewriteRule [P] cannot turn an allowed edge path
# into MI's /management or a /services request.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;

plan tests => 7;

my ($r, $mi) = passed_ok('edge_mapped', 'GET', '/mi/healthcare/doctors',
                         'mapped API');
ok(($mi->{request} // '') =~ m{^GET /healthcare/doctors });

for my $c (['/mi/management/apis', 'hard-deny', 'backend target.*/management'],
           ['/mi/Dashboard', 'hard-deny', 'backend target.*/Dashboard'],
           ['/legacy/ServiceAdmin', 'services', 'backend target.*/services/ServiceAdmin'],
           # refused on the edge's own target already
           ['/legacy/StockQuoteProxy?wsdl', 'service-metadata', undef]) {
    my $m = mark_logs();
    my $res = req('edge_mapped', 'GET', $c->[0]);
    my @b = blocked_since($m);
    my @seen = mi_since($m);
    my $good = $res->{status} == 403 && @b == 1 && !@seen
        && $b[0] =~ /blocked reason=\Q$c->[1]\E id=\S+ /
        && (defined $c->[2] ? $b[0] =~ /detail="$c->[2]/
                            : $b[0] !~ /detail=/);
    print STDERR "# $c->[0]: $res->{status}, MI saw " . scalar(@seen)
        . "\n#   @b\n" unless $good;
    ok($good);
}

# The opened-service exception is for the edge's own /services path: a
# rewrite onto an opened service is no way round it either (nothing is
# opened on this vhost).
refused_ok('edge_mapped', 'POST', '/legacy/StockQuoteProxy', 403, 'services',
           'rewrite onto a service');
