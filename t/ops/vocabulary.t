# One home for each fact, and its copies checked against it: the method
# tokens of the rule language live in mod_migate/migate_core.c, the
# built-in denies in mod_migate/migate_rules.c.  tools/migate-suggest
# (which writes MiGateAllow lines from refusal lines and must only write
# methods the module accepts, and skip what it always denies),
# tools/migate-policy (Synapse's methods, a subset, in the module's
# order) and docs/directives.md carry copies: they must agree, in order.
use strict;
use warnings FATAL => 'all';

use Apache::Test;

my $top = Apache::Test::vars('top_dir');

sub slurp {
    my ($f) = @_;
    open my $fh, '<', "$top/$f" or die "$f: $!";
    local $/;
    return scalar <$fh>;
}

# A C array of string literals: static const char *const name[] = {...};
sub c_strings {
    my ($src, $name) = @_;
    my ($body) = $src =~ /\b\Q$name\E\[\]\s*=\s*\{(.*?)\};/s
        or die "no array $name";
    $body =~ s{/\*.*?\*/}{}gs;
    return $body =~ /"([^"]*)"/g;
}

my @never = qw(TRACE TRACK CONNECT);
my %never = map { $_ => 1 } @never;

my @core = c_strings(slurp('mod_migate/migate_core.c'), 'methods');
my @listable = grep { !$never{$_} } @core;

my $suggest = slurp('tools/migate-suggest');
my ($sm) = $suggest =~ /my \@METHODS = qw\(([^)]*)\)/ or die;
my @suggest = split ' ', $sm;

my $docs = slurp('docs/directives.md');
my ($dm) = $docs =~ /Known methods: `([^`]*)`/ or die;
my @docs = split ' ', $dm;

my @deny = map { s{^/}{}r } c_strings(slurp('mod_migate/migate_rules.c'),
                                      'builtin_deny');
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

plan tests => 8;

ok(@listable >= 14 && (grep { $never{$_} } @core) == 3);
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
