# tools/migate-check against the suite's own edges: the gated edge
# refuses every probe and returns a request id on every answer; the bare
# proxy (no mod_migate) leaks and the tool says so with its exit status.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use MiGate::Test;

plan tests => 9;

my $top = Apache::Test::vars('top_dir');
my $tool = "$top/tools/migate-check";

sub check {
    my (@args) = @_;
    my $out = `'$^X' '$tool' @args 2>&1`;
    return ($? >> 8, $out);
}

my $edge = 'http://127.0.0.1:' . port('edge') . '/healthcare';
my ($st, $out) = check('--id-header', 'X-Request-Id',
                       '--pass', '/healthcare/x', '--pass', '/testHealth',
                       $edge);
my @lines = grep { /^(PASS|LEAK|FAIL|ERROR) / } split /\n/, $out;
ok($st == 0, 'the gated edge: exit 0') or diag($out);
ok(@lines > 60 && !grep({ !/^PASS / } @lines),
   scalar(@lines) . ' probes, one line each, all pass');
like($out, qr/^\d+ probes: \d+ passed, 0 leaked, 0 failed, 0 errors$/m,
     'summary line');
ok((grep { /, id [0-9a-f-]{36}\)$/ } @lines) > 50,
   'request ids checked on the answers');
ok(!grep({ /[\x00-\x1f\x7f]/ } split //, join '', @lines),
   'the report prints no control character');

# The same edge without --pass is all refusals too; a --pass path that
# the edge refuses is a failure.
($st, $out) = check('--quiet', '--pass', '/nope', $edge);
ok($st == 1 && $out =~ /^FAIL\s.*GET \/nope \(refused\)$/m,
   'a --pass path that is refused fails the run') or diag($out);

# The bare proxy in front of the same MI: the probes reach MI.
my $off = 'http://127.0.0.1:' . port('edge_off') . '/healthcare';
($st, $out) = check($off);
ok($st == 1, 'no mod_migate: exit 1') or diag($out);
ok($out =~ m{^LEAK\s+\d{3} services\s+GET /services/ServiceAdmin }m
   && $out =~ m{^LEAK\s+200 method\s+TRACE }m
   && $out =~ m{^LEAK\s+200 metadata\s+GET /healthcare\?wsdl }m,
   'leaks of each family are reported') or diag($out);

# Nobody listening: exit 2.
($st, $out) = check('--timeout', '3', 'http://127.0.0.1:1/');
ok($st == 2, 'unreachable edge: exit 2') or diag($out);
