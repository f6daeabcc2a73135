# One home for each fact, and its copies checked against it.  The facts
# come from the module itself, never from a list kept here: the method
# tokens and the built-in denies from their C tables (in whichever
# mod_migate/*.c file holds them); the methods never passed from what
# "apache2 -t -D MIGATE_DUMP" prints; the directives from "apache2 -L"
# (the module's command table as compiled); the MiGateBackendTLS words
# from the error the module gives for a word it does not know (its word
# table).  tools/migate-suggest (which writes MiGateAllow lines from
# refusal lines and must only write methods the module accepts, and skip
# what it always denies), tools/migate-policy (Synapse's methods, a
# subset, in the module's order) and docs/directives.md carry copies:
# they must agree, in order.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;
use File::Temp ();

my $top = Apache::Test::vars('top_dir');

sub slurp {
    my ($f) = @_;
    open my $fh, '<', "$top/$f" or die "$f: $!";
    local $/;
    return scalar <$fh>;
}

# The module's C sources, as one text: a table is found by its name
# wherever it lives.
my $c_src = join '', map { slurp(s{^\Q$top\E/}{}r) }
    sort glob("$top/mod_migate/*.c");

# A C array of string literals: static const char *const name[] = {...};
sub c_strings {
    my ($src, $name) = @_;
    my ($body) = $src =~ /\b\Q$name\E\[\]\s*=\s*\{(.*?)\};/s
        or die "no array $name";
    $body =~ s{/\*.*?\*/}{}gs;
    return $body =~ /"([^"]*)"/g;
}

# What the module under test says about a small configuration.
my $dir = File::Temp::tempdir(CLEANUP => 1);
sub httpd_says {
    my ($body, @args) = @_;
    my $conf = write_file("$dir/v.conf", own_httpd_conf($dir)
                          . "Listen 127.0.0.1:29996\n$body");
    my $httpd = httpd_under_test();
    return scalar `'$httpd' -f '$conf' @args 2>&1`;
}

my $dump = httpd_says("MiGate On\nMiGateAllow /x\nMiGateBackendTLS off\n",
                      '-t', '-D', 'MIGATE_DUMP');
my ($nm) = $dump =~ /^\s+deny: .*; methods ([A-Z, ]+)$/m
    or die "no methods in the dump:\n$dump";
my @never = split /, /, $nm;
my %never = map { $_ => 1 } @never;

my @directives = httpd_says('', '-L') =~ /^(MiGate\w*) \(mod_migate\.c\)$/mg;
my ($tls_words) = httpd_says("MiGateBackendTLS ?\n", '-t')
    =~ /'\?' is not allowed: use (.*)$/m or die 'no MiGateBackendTLS words';
my @tls = split /, | or /, $tls_words;

my @core = c_strings($c_src, 'methods');
my @listable = grep { !$never{$_} } @core;

my $suggest = slurp('tools/migate-suggest');
my ($sm) = $suggest =~ /my \@METHODS = qw\(([^)]*)\)/ or die;
my @suggest = split ' ', $sm;

my $docs = slurp('docs/directives.md');
my ($dm) = $docs =~ /Known methods: `([^`]*)`/ or die;
my @docs = split ' ', $dm;

my @deny = map { s{^/}{}r } c_strings($c_src, 'builtin_deny');
my ($sd) = $suggest =~ /%ALWAYS_DENIED = map \{ \$_ => 1 \}\s*qw\(([^)]*)\)/
    or die;
my %suggest_deny = map { $_ => 1 } split ' ', $sd;

my $policy = slurp('tools/migate-policy');
my ($pm) = $policy =~ /my \@METHODS = qw\(([^)]*)\)/ or die;
my @policy = split ' ', $pm;
my %rank;
@rank{@listable} = (0 .. $#listable);
my ($pd) = $policy =~ /my \$HARD_DENY = qr\{\^\/\(([^)]*)\)/ or die;
my %policy_deny = map { $_ => 1 } split /\|/, $pd;

plan tests => 12;

ok(@listable >= 14 && @never >= 3 && (grep { $never{$_} } @core) == @never)
    or print STDERR "# never: @never\n# core: @core\n";
ok("@suggest" eq "@listable")
    or print STDERR "# migate-suggest: @suggest\n# core: @listable\n";
ok("@docs" eq "@listable")
    or print STDERR "# docs: @docs\n# core: @listable\n";
ok(!grep { $never{$_} } @suggest, @docs);
# migate-suggest skips the built-in denies and /services.
ok(@deny == 4 && !grep { !$suggest_deny{$_} } @deny)
    or print STDERR "# builtin: @deny\n# suggest: ", join(' ', sort keys %suggest_deny), "\n";
ok(keys %suggest_deny == @deny + 1 && $suggest_deny{services});

# migate-policy: only listable methods, in the module's order; the same
# built-in denies and /services.
ok(!grep({ !exists $rank{$_} } @policy)
   && join(' ', @policy) eq join(' ', sort { $rank{$a} <=> $rank{$b} }
                                      @policy))
    or print STDERR "# migate-policy: @policy\n";
ok(keys %policy_deny == @deny + 1 && $policy_deny{services}
   && !grep { !$policy_deny{$_} } @deny)
    or print STDERR "# migate-policy: $pd\n";

# Directives: every one the documentation names, and every rule
# directive the tools write, is one the module has, and the reference
# has a section for each.
my %directive = map { $_ => 1 } @directives;
my @documented = $docs =~ /^## (MiGate\w*(?:, MiGate\w+)*)(?: Directive)?$/mg;
my %documented = map { $_ => 1 } map { split /, / } @documented;
ok(@directives >= 15 && join(' ', sort @directives)
   eq join(' ', sort keys %documented))
    or print STDERR "# module: @directives\n# docs: ",
                    join(' ', sort keys %documented), "\n";
my %written = map { $_ => 1 }
    ($suggest . $policy) =~ /\b(MiGate(?:Allow|Deny)\w*)\b/g;
ok(keys %written >= 4 && !grep { !$directive{$_} } keys %written)
    or print STDERR "# tools write: ", join(' ', sort keys %written), "\n";

# MiGateBackendTLS: the words in the reference are the module's.
my ($doc_tls) = $docs =~ /^\| `MiGateBackendTLS` \| `([^`]*)` \|/m
    or die 'no MiGateBackendTLS row';
ok(@tls == 3 && join(' ', sort @tls)
   eq join(' ', sort split /\\\|/, $doc_tls))
    or print STDERR "# module: @tls\n# docs: $doc_tls\n";
ok(!grep { !/^[a-z]+$/ } @tls);
