package MiGate::Docs;

# The configurations the documentation shows, for the tests that load
# them: so that what an operator copies from docs/*.md is what was
# tested, and the two cannot drift apart.

use strict;
use warnings FATAL => 'all';

use Exporter 'import';

our @EXPORT = qw(apache_blocks fenced_blocks complete_configuration
                 with_test_pki);

# Every fenced ```apache block of a markdown file, in order: its text,
# the line its fence opens on and the heading it stands under.
sub apache_blocks { fenced_blocks($_[0], 'apache') }

# The same for the blocks of another language (```yaml).
sub fenced_blocks {
    my ($file, $lang) = @_;
    open my $fh, '<', $file or die "$file: $!";
    my (@blocks, $cur, $heading);
    # $cur: the fenced block we are in, of any language (a "#" line in
    # it is no heading).
    while (my $l = <$fh>) {
        if ($cur) {
            if ($l =~ /^\s*```\s*$/) {
                push @blocks, $cur if $cur->{lang} eq $lang;
                undef $cur;
            }
            else {
                $cur->{text} .= $l;
            }
        }
        elsif ($l =~ /^\s*```\s*(\S*)/) {
            $cur = { file => $file, line => $., heading => $heading,
                     lang => $1, text => '' };
        }
        elsif ($l =~ /^#+\s+(.*?)\s*$/) {
            $heading = $1;
        }
    }
    close $fh;
    return @blocks;
}

# The configuration under "## A complete configuration" of
# docs/deployment.md: its first apache block.
sub complete_configuration {
    my ($top) = @_;
    my ($b) = grep { ($_->{heading} // '') eq 'A complete configuration' }
              apache_blocks("$top/docs/deployment.md");
    return $b ? $b->{text} : undef;
}

# The certificate and CA paths of a configuration pointed at the
# suite's PKI (build/pki, tools/make-pki): the client-facing
# certificate is the one for edge.test, MI's CA is the suite's CA.
sub with_test_pki {
    my ($text, $top) = @_;
    my $pki = "$top/build/pki";
    $text =~ s/^(\s*SSLCertificateFile)\s+\S+/$1 $pki\/edge.crt/mg;
    $text =~ s/^(\s*SSLCertificateKeyFile)\s+\S+/$1 $pki\/edge.key/mg;
    $text =~ s/^(\s*SSLProxyCACertificateFile)\s+\S+/$1 $pki\/ca.crt/mg;
    return $text;
}

1;
