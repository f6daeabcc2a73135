# tools/migate-suggest on a generated error log of an edge in report
# mode: the suggested rules cover the traffic, identifiers collapse into
# prefixes, methods are listed, the log's escapes are undone, and nothing
# under the always-enforced denies is ever suggested.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);
use MiGate::Test;

plan tests => 24;

my $top = Apache::Test::vars('top_dir');
my $tool = "$top/tools/migate-suggest";
my $dir = tempdir('migate-suggest-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $n = 0;

# A line as mod_migate writes it: the raw target in path="...", the
# gate's canonical path in canonical="..." (default: the same).
sub line {
    my ($reason, $method, $path, $report, $canon) = @_;
    $n++;
    my $id = sprintf '3f1c2a4e-0000-4000-8000-%012d', $n;
    return "[Tue Nov 24 10:00:00.000000 2026] [migate:warn] [pid 42:tid 43]"
        . " [id $id] mod_migate.c(1): [client 10.0.0.1:5000] MIGATE0010:"
        . ' ' . ($report ? 'reported' : 'blocked')
        . " reason=$reason id=$id method=$method path=\"$path\""
        . ' rule="builtin:default-deny" canonical="' . ($canon // $path) . '"'
        . ($report ? ' action=report' : '') . "\n";
}

my @log;
push @log, line('not-allowed', 'GET', "/healthcare/doctors/$_", 1)
    for 1 .. 5;
push @log, line('not-allowed', 'POST', '/healthcare/appointments', 1);
push @log, line('not-allowed', 'HEAD', '/healthcare/doctors/7', 1);
push @log, line('not-allowed', 'GET',
                '/orders/9b2e1f4c-1d2b-4c3a-9f00-0123456789ab/items', 1);
push @log, line('not-allowed', 'DELETE', '/orders/42', 1);
push @log, line('not-allowed', 'GET', '/testHealth', 1);
push @log, line('not-allowed', 'GET', '/testHealth?x=1', 1, '/testHealth');
push @log, line('method', 'PUT', '/api/v1/users/17', 1);
push @log, line('not-allowed', 'GET', "/catalog/$_/list", 1)
    for qw(a b c d e f);
push @log, line('not-allowed', 'GET', '/123/report', 1);
# Escaped as mod_migate escapes: \" \\ and \xHH; the canonical path is
# decoded.  "caf\xc3\xa9" is UTF-8 "café".
push @log, line('not-allowed', 'GET', '/caf%C3%A9/menu', 1,
                '/caf\\xc3\\xa9/menu');
push @log, line('not-allowed', 'GET', '/shop/%62ooks', 1, '/shop/books');
push @log, line('not-allowed', 'GET', '/q%22uote/x', 1, '/q\\"uote/x');
# Always enforced: never suggested, whatever the log says.
push @log, line('not-allowed', 'GET', $_, 1)
    for '/services/Foo', '/SERVICES/x', '/management/login',
        '/Dashboard/x', '/carbon/admin', '/FileUpload/x',
        '/api/services/Foo';
push @log, line('not-allowed', 'GET', '/healthcare/../services/x', 1,
                '/services/x');
push @log, line('not-allowed', 'GET', '/%73ervices/x', 1, '/services/x');
# Not report lines: only with --all.
push @log, line('not-allowed', 'GET', '/enforced/only', 0);
push @log, "[Tue Nov 24 10:00:00 2026] [proxy:error] unrelated line\n";

open my $fh, '>', "$dir/error_log" or die $!;
print $fh @log;
close $fh;

my $out = `'$^X' '$tool' '$dir/error_log' 2>&1`;
ok($? == 0, 'exit 0') or diag($out);
my @rules = grep { /^MiGate/ } split /\n/, $out;
my %rule = map { /^(\S+) (\S+) (\S+)$/ ? ($3 => "$1 $2") : () } @rules;

is($rule{'/healthcare/doctors'}, 'MiGateAllow GET',
   'numeric ids collapse; HEAD folds into GET');
is($rule{'/healthcare/appointments'}, 'MiGateAllowExact POST',
   'a path seen only exactly is an exact rule');
is($rule{'/orders'}, 'MiGateAllow GET,DELETE',
   'uuid and numeric segments collapse, methods merge in order');
is($rule{'/testHealth'}, 'MiGateAllowExact GET', 'the query is ignored');
is($rule{'/api/v1'}, 'MiGateAllow PUT', 'reason=method lines count');
ok($out =~ /refused only for the method/, 'and are marked as such');
is($rule{'/catalog'}, 'MiGateAllow GET',
   'many second segments collapse into the first');
ok(!grep({ m{^/catalog/} } keys %rule), 'and are not listed one by one');
is($rule{'^/[0-9]+/report$'}, 'MiGateAllowMatch GET',
   'a variable first segment gives an anchored regex');
is($rule{'^/caf\\xc3\\xa9/menu$'}, 'MiGateAllowMatch GET',
   'log escapes undone; a non-ASCII path becomes a byte regex');
is($rule{'/shop/books'}, 'MiGateAllowExact GET',
   'percent-encoding is decoded once');
ok(!grep({ /"/ } @rules) && $rule{'^/q\\x22uote/x$'},
   'no quote reaches a rule');
ok(!grep({ m{services|management|dashboard|carbon|fileupload}i } @rules),
   'nothing under the always-enforced denies');
ok($out =~ /9 under the always-enforced denies/, 'and says how many');
ok(!exists $rule{'/enforced/only'}, 'enforce-mode lines ignored...');

my $all = `'$^X' '$tool' --all '$dir/error_log' 2>&1`;
ok($all =~ m{^MiGateAllowExact GET /enforced/only$}m, '... unless --all')
    or diag($all);

# The suggestions are valid configuration as they stand.
my $mods = '/usr/lib/apache2/modules';
my $httpd = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
open my $cf, '>', "$dir/httpd.conf" or die $!;
print $cf <<"EOC";
ServerRoot "$dir"
ServerName localhost
Listen 127.0.0.1:1
PidFile "$dir/httpd.pid"
DefaultRuntimeDir "$dir"
ErrorLog "$dir/httpd-error.log"
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule migate_module "$top/build/mod_migate.so"
<VirtualHost 127.0.0.1:1>
MiGate On
$all
</VirtualHost>
EOC
close $cf;
my $t = `'$httpd' -t -f '$dir/httpd.conf' 2>&1`;
ok($? == 0 && $t =~ /Syntax OK/, 'httpd -t accepts the suggested rules')
    or diag($t);

# ---- From a real edge's log ---------------------------------------------
#
# The edge in report mode (edge_report: only GET /healthcare allowed)
# writes the lines; migate-suggest takes each path from the line's
# canonical="..." field, the gate's own canonical path, so that what it
# suggests is what the gate will match - also where a second
# canonicalisation would have disagreed (%3B, which the gate refuses
# outright: no suggestion).
my $mark = mark_logs();
my @sent = (['GET', '/shop/%62ooks'],
            ['GET', '/reports/./2026/../summary;jsessionid=1'],
            ['POST', '/caf%C3%A9/menu'],
            ['GET', '/q%22uote/x'],
            ['GET', '/a%3Bb/c'],
            ['GET', '/healthcare/x']);
my @status = map { req('edge_report', @$_)->{status} } @sent;
ok($status[4] == 400 && !grep({ $_ == 400 || $_ == 403 }
                               @status[0 .. 3, 5]),
   'the report-mode edge passed the misses and refused %3B')
    or diag("@status");
my $reports = sub {
    grep { /MIGATE0010: (?:blocked|reported) reason=/ && / action=report/ }
        split /\n/, err_since($mark);
};
wait_for(sub { $reports->() >= 4 }, 10);
my @lines = $reports->();
ok(@lines == 4 && !grep({ !/ canonical="/ } @lines),
   'four report lines, each with the canonical path')
    or diag(join "\n", @lines);
open $fh, '>', "$dir/edge_log" or die $!;
print $fh map { "$_\n" } @lines;
close $fh;
my $real = `'$^X' '$tool' '$dir/edge_log' 2>&1`;
like($real, qr{^MiGateAllowExact GET /shop/books$}m,
     'an escape decoded as the gate decodes it');
like($real, qr{^MiGateAllowExact GET /reports/summary$}m,
     'dot segments and parameters as the gate resolves them');
like($real, qr{^MiGateAllowMatch POST \^/caf\\xc3\\xa9/menu\$$}m,
     'a non-ASCII path as the gate matches it, byte by byte (httpd'
     . "'s own escaping of the log undone)");
like($real, qr{^MiGateAllowMatch GET \^/q\\x22uote/x\$$}m,
     'a quote in the path, escaped by mod_migate and by httpd');
