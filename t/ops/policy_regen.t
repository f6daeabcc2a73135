# tools/migate-policy regenerates safely, on the sample artifacts of
# t/ops/policy-artifacts and on API artifacts of wso2/micro-integrator's
# own tests (t/ops/policy-artifacts-mi):
#
#   - the operator's choices (opened services, metadata kinds,
#     --no-options) are read back from the file in service (-o, --diff)
#     and kept; --close-service, --options and --fresh undo them, and a
#     service the new policy closes is a warning, with why;
#   - attributes Synapse does not read (MI's own tests spell
#     "url-pattern" and "ransports") are warnings, on standard error and
#     beside the rule, never silent;
#   - comments name a file the same way however the input was given
#     (relative, absolute, a trailing '/', '.', the folder or the files).
#
# No server: the tool's output and its standard error are the product.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Cwd qw(getcwd);
use MiGate::Test;
use File::Temp qw(tempdir);

my $top = Apache::Test::vars('top_dir');
my $tool = "$top/tools/migate-policy";
my $src = "$top/t/ops/policy-artifacts";
my $mi = "$top/t/ops/policy-artifacts-mi";
my $dir = tempdir('migate-policy-regen.XXXXXX', TMPDIR => 1, CLEANUP => 1);

plan tests => 29;

# run(args...): exit status, stdout, stderr; in $cwd when given.
sub run_in {
    my ($cwd, @args) = @_;
    my $cmd = join ' ', map { "'$_'" } $^X, $tool, @args;
    my $here = getcwd();
    chdir $cwd or die "$cwd: $!";
    my $out = `$cmd 2>'$dir/stderr'`;
    my $rc = $? >> 8;
    chdir $here;
    open my $fh, '<', "$dir/stderr" or die $!;
    local $/;
    my $err = <$fh> // '';
    return ($rc, $out, $err);
}
sub run { run_in($dir, @_) }

sub slurp {
    my ($f) = @_;
    open my $fh, '<:raw', $f or return '';
    local $/;
    return <$fh>;
}

# The policy without its header (which lists the inputs in full).
sub body { my ($t) = @_; $t =~ s/\A(?:#.*\n)*\n//; return $t }
sub services { join ' ', sort $_[0] =~ /^MiGateAllowService (\S+)$/mg }

# ---- Choices kept across regenerations ---------------------------------

my $conf = "$dir/mi-apis.conf";
my ($rc, $out, $err) = run('--open-service', 'StockQuoteProxy',
                           '--service-metadata', 'wsdl,xsd',
                           '--no-options', '-o', $conf, $src);
my $first = slurp($conf);
ok($rc == 0 && $err eq ''
   && $first =~ /^# Choices, kept when this file is regenerated: --open-service StockQuoteProxy --service-metadata wsdl,xsd --no-options$/m
   && $first =~ /^MiGateServiceMetadata wsdl xsd$/m
   && $first !~ /OPTIONS/,
   'the choices are written into the header, and followed')
    or diag("$rc $err\n$first");

($rc, $out, $err) = run('-o', $conf, $src);
ok($rc == 0 && $err eq '' && slurp($conf) eq $first,
   'regenerated with -o and no options: the same file');
($rc, $out, $err) = run('--diff', $conf, $src);
ok($rc == 0 && $out eq '' && $err eq '', '--diff: nothing changes')
    or diag("$rc $out $err");

($rc, $out, $err) = run('--open-service', 'OrderProxy', '-o', $conf, $src);
my $two = slurp($conf);
ok($rc == 0 && services($two) eq 'OrderProxy StockQuoteProxy'
   && $two =~ /^MiGateServiceMetadata wsdl xsd$/m,
   'a service opened later adds to those kept') or diag($two);

($rc, $out, $err) = run('--close-service', 'OrderProxy', '--options',
                        '--service-metadata', 'On', '-o', $conf, $src);
my $three = slurp($conf);
ok($rc == 0 && services($three) eq 'StockQuoteProxy'
   && $three =~ /^MiGateAllowExact POST,DELETE,OPTIONS \/healthcare\/settlements$/m
   && $three =~ /^MiGateServiceMetadata On$/m,
   '--close-service, --options and --service-metadata change the choices')
    or diag($three);
like($err, qr/^migate-policy: warning: service OrderProxy is open in \S+; the new policy closes it: closed with --close-service$/m,
     'a service closed is a warning that says why');

($rc, $out, $err) = run('--diff', $conf, '--fresh', $src);
ok($rc == 1 && $out =~ /^-MiGateAllowService StockQuoteProxy$/m
   && $out =~ /^-MiGateServiceMetadata On$/m
   && $err =~ /^migate-policy: warning: service StockQuoteProxy is open in \S+; the new policy would close it: --fresh leaves out the choices of /m,
   '--fresh forgets the choices, and --diff warns about the service')
    or diag("$out$err");

# Opened by hand in the file: kept as well.
(my $hand = $three) =~ s/^#MiGateAllowService OrderProxy$/MiGateAllowService OrderProxy/m;
open my $fh, '>', $conf or die $!;
print $fh $hand;
close $fh;
($rc, $out, $err) = run('-o', $conf, $src);
ok($rc == 0 && services(slurp($conf)) eq 'OrderProxy StockQuoteProxy'
   && slurp($conf) =~ /--open-service OrderProxy,StockQuoteProxy/,
   'a service opened by hand in the file is kept, and becomes a choice');

# Kept, but gone from the input: closed, with a warning.
($rc, $out, $err) = run('--diff', $conf, glob("$src/api/*.xml"));
ok($rc == 1 && $out =~ /^-MiGateAllowService OrderProxy$/m
   && $err =~ /opens service OrderProxy; not kept: no proxy or data service of that name in the input$/m
   && $err =~ /^migate-policy: warning: service StockQuoteProxy is open in \S+; the new policy would close it: no proxy/m,
   'a kept service no longer in the input: closed, and said twice')
    or diag("$out$err");

# Errors: an unknown metadata kind; admin names stay closed.
($rc, $out, $err) = run('--service-metadata', 'wsdl,bogus', $src);
ok($rc == 2 && $err =~ /'bogus' is not a metadata kind/ && $out eq '',
   'an unknown metadata kind is an error');
($hand = slurp($conf)) =~ s/^#MiGateAllowService UserAdminProxy$/MiGateAllowService UserAdminProxy/m;
open $fh, '>', $conf or die $!;
print $fh $hand;
close $fh;
($rc, $out, $err) = run('-o', $conf, $src);
ok($rc == 0 && slurp($conf) =~ /^#MiGateAllowService UserAdminProxy$/m
   && $err =~ /UserAdminProxy; not kept: a service whose name contains "admin" is never opened/
   && $err =~ /service UserAdminProxy is open in \S+; the new policy closes it/,
   'an admin service opened by hand is closed again, with a warning')
    or diag($err);

# The kinds the tool offers are the module's (mod_migate's meta_kinds[]).
my ($table) = join('', map { slurp($_) } glob("$top/mod_migate/*.c"))
    =~ /meta_kinds\[\]\s*=\s*\{(.*?)\};/s;
my @c_kinds = ($table // '') =~ /\{\s*"([^"]+)"/g;
my ($tool_kinds) = slurp($tool) =~ /my \@META_KINDS = qw\(([^)]*)\)/;
is("@c_kinds", $tool_kinds // '', 'metadata kinds as in the module');

# ---- Attributes Synapse does not read -------------------------------------

($rc, $out, $err) = run($mi);
ok($rc == 0, 'the micro-integrator artifacts read') or diag($err);
like($err, qr{^migate-policy: warning: api/AuthHeaderTestAPI\.xml:\d+: API AuthHeaderTestAPI: resource attribute url-pattern is not one Synapse reads: MI ignores it, so this is a default resource, which takes every path of its API$}m,
     'url-pattern: a warning that says it widens to the whole API');
like($out, qr{^#   warning: resource attribute url-pattern .*\nMiGateAllow POST,OPTIONS /stockquote$}m,
     'and a comment beside the rule MI needs');
like($err, qr{CallBlockingPayloadAPI: attribute ransports is not one Synapse reads on an <api>}m,
     'a misspelt API attribute is a warning');
like($err, qr{attribute startOnLoad is not one}, 'so is one Synapse never had');
like($out, qr{^MiGateAllowTemplate GET,OPTIONS /customerService/customer/\{id\}$}m,
     'their uri-templates of {name} segments are templates');
# The policy, templates and all, is configuration the module accepts.
open $fh, '>', "$dir/mi.conf" or die $!;
print $fh $out;
close $fh;
open $fh, '>', "$dir/httpd.conf" or die $!;
print $fh own_httpd_conf($dir), "Listen 127.0.0.1:1\n",
    "<VirtualHost 127.0.0.1:1>\nMiGate On\nInclude \"$dir/mi.conf\"\n",
    "</VirtualHost>\n";
close $fh;
my $httpd = httpd_under_test();
my $t = `'$httpd' -t -f '$dir/httpd.conf' 2>&1`;
ok($? == 0 && $t =~ /Syntax OK/, 'apache2 -t accepts it') or diag($t);
($rc, $out, $err) = run($src);
ok($rc == 0 && $err eq '', 'no warning on artifacts Synapse reads whole')
    or diag($err);

# ---- File names, however the input is given -----------------------------

(my $rel = $src) =~ s{^\Q$top\E/}{};
my ($r1, $abs) = run($src);
my @ways = (
    ['relative', $top, $rel],
    ['with a trailing /', $top, "$rel/"],
    ['as .', $src, '.'],
    ['as ./', $src, './'],
    ['through ..', "$src/api", '..'],
    ['file by file, relative', $src,
     map { s{^\Q$src\E/}{}r } sort glob("$src/*/*.xml"), glob("$src/*/*.dbs")],
    ['file by file, absolute', $dir,
     sort glob("$src/*/*.xml"), glob("$src/*/*.dbs")],
);
for my $w (@ways) {
    my ($name, $cwd, @in) = @$w;
    my ($rc, $o) = run_in($cwd, @in);
    ok($rc == 0 && body($o) eq body($abs), "the same comments and rules: $name")
        or diag(join "\n", grep { /^#/ } split /\n/, body($o));
}
like($abs, qr{^# API HealthcareAPI: .* in api/HealthcareAPI\.xml$}m,
     'a Synapse file is named by its folder and name');
like($abs, qr{^# data service StudentDataService in StudentDataService\.dbs$}m,
     'a data service by its name');
