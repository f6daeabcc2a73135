# What MI receives is what the gate decided on.  Request targets are
# made from the pieces on which httpd, mod_proxy, a servlet container and
# MI can disagree (';' segments, empty segments, '.', '..', their escaped
# forms, escaped separators, case, "/services" and its neighbours) and
# sent through a real edge under every way mod_proxy maps a request
# (t/conf/sent.conf.in: ProxyPass, ProxyPassMatch, RewriteRule [P] and
# [P,NE], SetHandler "proxy:...", a balancer, ErrorDocuments that would
# be proxied).  Every request that reached the stand-in MI is
# then judged on the target MI itself received, with a model of the
# policy written here without any code of the gate: its path must be
# canonical as sent, and, decoded, a path the policy allows.
#
# MIGATE_SENT_N targets per configuration (default 40; "make fuzz-sent"
# runs many more), from seed MIGATE_SENT_SEED (default 1).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;

my @vhosts = qw(sent_pass sent_nocanon sent_match sent_location sent_rewrite
                sent_rewrite_ne sent_merge_off sent_encslash sent_nodecode
                sent_servlet sent_encoded sent_balancer sent_sethandler
                sent_errdoc);
my $N = $ENV{MIGATE_SENT_N} || 40;
my $seed = $ENV{MIGATE_SENT_SEED} || 1;

my @pieces = (';', ';x=1', '', '.', '..', '%2e', '%2E%2e', '.%2e', '%2e.',
              '..;', '.;x', '%2e%2e;y', '%2f', '%2F', '%3b', '%3B', '%25',
              '%5c', 'a;b', 'x', 'internal', 'admin', 'ADMIN', 'api', 'API',
              '%61pi', 'healthcare', 'services', 'SERVICES', 'servicesX',
              'StockQuoteProxy', 'StockQuoteProxy.Ep', 'management',
              'Management', '%6danagement', 'a%22b', '%7C', '%3Cx%3E',
              'caf%C3%A9', '%7B%7D', '%5E%60');
my @plain = ('x', 'doctors', 'api', 'healthcare', '%61pi', 'a;b', 'op');
my @starts = ('', 'api', 'healthcare', 'services/StockQuoteProxy',
              'api/admin');
my @queries = ('', '?a=1', '?x=/services/Foo', '?x=/servicesXSecret',
               '?wsdl', '?q=%2e%2e/x', '?y=/SERVICES.Bar', '?a=%2Fservices%2FX');

# The cases that were walked past before, in every configuration.
my @fixed = ('/internal/;/../api/x', '/x/y/;/;/../../api/x',
             '/internal//../api/x', '/internal/../api/x',
             '/management/%2e%2e/api/x', '/api/admin/./../x',
             '/api/;x=1/../admin', '/services/StockQuoteProxy?x=/servicesXSecret',
             '/services/StockQuoteProxy/servicesXSecret', '/api/x',
             '/healthcare/doctors', '/services/StockQuoteProxy');

srand($seed);
print STDERR "# seed $seed, $N targets per mapping\n" if $ENV{MIGATE_SENT_VERBOSE} || $N > 40;
sub pick { $_[int rand @_] }
my @targets = @fixed;
for (1 .. $N) {
    my @segs = grep { length } split m{/}, pick(@starts);
    # half of the segments plain, so that many targets reach MI
    push @segs, rand() < 0.5 ? pick(@pieces) : pick(@plain)
        for 1 .. 1 + int rand 4;
    push @targets, '/' . join('/', @segs) . pick(@queries);
}

plan tests => 3 * @vhosts + 1 + 8 + 1;

# --- the policy, as MI would see the target it received --------------

sub unescape { my $s = shift; $s =~ s/%([0-9a-fA-F]{2})/chr hex $1/ge; $s }

# Why MI's target is not canonical as sent, or undef.
sub not_canonical {
    my ($path) = @_;
    return 'escaped separator' if $path =~ /%(2f|5c|3b|25|3f|23)/i;
    my @segs = split m{/}, $path, -1;
    shift @segs;                        # before the leading '/'
    for my $i (0 .. $#segs) {
        my $name = (split /;/, $segs[$i], 2)[0] // '';
        my $dec = unescape($name);
        return 'dot segment' if $dec eq '.' || $dec eq '..';
        return 'empty segment' if $segs[$i] eq '' && $i < $#segs;
    }
    return undef;
}

# Why the policy would refuse what MI received, or undef.
sub refused_by_policy {
    my ($target) = @_;
    my ($path, $query) = split /\?/, $target, 2;
    $query //= '';
    # decoded once, ';parameters' cut from each segment
    my $p = join '/', map { (split /;/, $_, 2)[0] // '' }
                      split m{/}, unescape($path), -1;
    my $q = unescape($query);
    for my $deny (qw(/management /dashboard /carbon /fileupload /api/admin)) {
        return "deny $deny" if $p =~ m{^\Q$deny\E(/|$)}i;
    }
    if ($p =~ m{^/services(/|$)}i || "$path?$query" =~ m{/services/}i
        || $p =~ m{/services/}i || $q =~ m{/services/}i) {
        return 'services' unless $p =~ m{^/services/StockQuoteProxy([/.]|$)}
            && $path !~ /;/
            && substr($path, 1) !~ m{/services.}i && $query !~ m{/services.}i
            && substr($p, 1) !~ m{/services.}i && $q !~ m{/services.}i;
        return 'metadata' if $query =~ /(^|&)(wsdl|wsdl2|xsd|info|swagger|policy)/i;
        return undef;
    }
    return 'metadata' if $query =~ /(^|&)(wsdl|wsdl2|xsd|info|swagger|policy)/i
                      || $q =~ /(^|&)(wsdl|wsdl2|xsd|info|swagger|policy)/i;
    return undef if $p =~ m{^/(api|healthcare)(/|$)};
    return 'not allowed';
}

# --- the run ---------------------------------------------------------

my $m0 = mark_logs();
my (%sent, @mi_answers, $refused_bad);
$refused_bad = 0;
for my $vh (@vhosts) {
    my ($n_mi, $n_ref, $odd) = (0, 0, 0);
    for my $t (@targets) {
        my $r = raw_req($vh, "GET $t HTTP/1.1\r\nHost: localhost\r\n"
                             . "Connection: close\r\n\r\n");
        my $id = $r->{headers}{'x-request-id'} // '';
        my $from_mi = $r->{body} =~ /^\{"mi":|<wsdl:/;
        $sent{$id} = { vhost => $vh, target => $t, status => $r->{status},
                       from_mi => $from_mi } if $id;
        if ($from_mi) {
            $n_mi++;
            push @mi_answers, $id;
        }
        elsif ($r->{status} =~ /^(400|403|502)$/) {
            $n_ref++;
        }
        else {
            $odd++;
            print STDERR "# $vh $t: status $r->{status} from neither\n";
        }
    }
    ok($n_mi > 0);          # some requests reach MI in every configuration
    ok($n_ref > 0);         # and some are refused
    ok($odd == 0);          # nothing else: no 404 or 500 of the edge's own
    print STDERR "# $vh: $n_mi reached MI, $n_ref refused\n"
        if $ENV{MIGATE_SENT_VERBOSE};
}

# Every MI line, judged on the target MI received.
my @mi = mi_since($m0, scalar @mi_answers);
my $bad = 0;
my %seen;
for my $l (@mi) {
    my $s = $sent{$l->{id}} or next;            # another test's request
    $seen{$l->{id}} = 1;
    my ($target) = $l->{request} =~ m{^\S+ (\S+) HTTP/};
    $target //= '';
    my ($path) = split /\?/, $target, 2;
    # (MI's access log shows a raw '"' or '\' escaped with a '\'.)
    my $why = ($target =~ /[ "<>|\\^`{}\x80-\xff]/
               ? 'not a valid request-target' : undef)
        // not_canonical($path) // refused_by_policy($target)
        // ($target =~ /errorpage/ ? 'error page of a refused request'
                                    : undef);
    if ($why) {
        $bad++;
        print STDERR "# $s->{vhost}: $s->{target} reached MI as $target"
            . " ($why)\n";
    }
}
my @missing = grep { !$seen{$_} } @mi_answers;
print STDERR "# no MI line for @missing\n" if @missing;
ok($bad == 0 && !@missing);

# --- plain schemes reached only at run time ---------------------------

for my $scheme (qw(http ws h2c ajp fcgi scgi uwsgi unix)) {
    refused_ok('sent_plain', 'GET', "/$scheme/api/x", 502, 'backend-plain',
               "RewriteRule [P] to $scheme");
}
passed_ok('sent_plain', 'GET', '/tls/api/x', 'RewriteRule [P] to https');
