# Every example configuration passes "apache2 -t" with mod_migate, once
# its certificate paths point at the suite's PKI:
#
#  - the files of conf/examples/ (each commented and gated);
#  - in docs/*.md, every ```apache block that holds a <VirtualHost>: such
#    a block is a complete configuration an operator may copy as it
#    stands, so it must load on its own.  Blocks without one are
#    fragments (a directive or two shown in context) and are not loaded
#    alone.  docs/deployment.md's "A complete configuration" is one of
#    them; t/ops/deployment.t also runs it against the stand-in MI;
#  - the demo's edge and stand-in MI (conf/demo/*.conf.in), filled in as
#    tools/demo fills them in for "make run".
#
# And none of them closes a service it opens: a deny rule (main server or
# vhost) that matches /services/<name> of a MiGateAllowService would win
# over it.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use MiGate::Docs;
use File::Temp qw(tempdir);

my $top = Apache::Test::vars('top_dir');
my $httpd = httpd_under_test();
my @modules = qw(authz_host alias ssl socache_shmcb
                 proxy proxy_http proxy_balancer lbmethod_byrequests
                 slotmem_shm watchdog proxy_hcheck headers log_config);

my $dir = tempdir('migate-examples-XXXXXX', TMPDIR => 1, CLEANUP => 1);

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or die "$f: $!";
    local $/;
    return scalar <$fh>;
}

# [name, text, from conf/examples]
my @examples = map { [ s{^\Q$top\E/}{}r, slurp($_), 1 ] }
               sort glob("$top/conf/examples/*.conf");
my $n_files = @examples;
for my $md (sort glob("$top/docs/*.md")) {
    (my $name = $md) =~ s{^\Q$top\E/}{};
    push @examples, map { [ "$name:$_->{line}", $_->{text}, 0 ] }
                    grep { $_->{text} =~ /^\s*<VirtualHost\b/m }
                    apache_blocks($md);
}

my @demo = sort glob("$top/conf/demo/*.conf.in");

plan tests => 2 * @examples + $n_files + @demo + 3;
ok($n_files >= 3, "$n_files files in conf/examples");
ok(@examples - $n_files >= 5,
   (@examples - $n_files) . ' complete configurations in docs/*.md');
ok(defined complete_configuration($top),
   'docs/deployment.md has a complete configuration');

# The services a configuration opens that one of its deny rules closes.
sub closed_services {
    my ($text) = @_;
    my @names = map { split ' ' } $text =~ /^\s*MiGateAllowService\s+(.*)$/mg;
    my @closed;
    for my $svc (@names) {
        my $path = "/services/$svc";
        for my $p ($text =~ /^\s*MiGateDeny\s+(\S+)/mg) {
            $p =~ s/^"(.*)"$/$1/;
            # Case-insensitive and segment-aware, as the gate matches.
            my ($lp, $lpath) = (lc $p, lc $path);
            push @closed, "$svc by MiGateDeny $p"
                if $lpath eq $lp
                   || (index($lpath, $lp) == 0
                       && ($lp =~ m{/$}
                           || substr($lpath, length $lp, 1) eq '/'));
        }
        for my $re ($text =~ /^\s*MiGateDenyMatch\s+(.+?)\s*$/mg) {
            $re =~ s/^"(.*)"$/$1/;
            push @closed, "$svc by MiGateDenyMatch $re"
                if grep { /$re/i } $path, "$path?wsdl";
        }
    }
    return @closed;
}

my $i = 0;
for my $ex (@examples) {
    my ($name, $text, $is_file) = @$ex;
    if ($is_file) {
        ok($text =~ /^\s*MiGate On/m && $text =~ /^#/,
           "$name: commented, gated");
    }
    my @closed = closed_services($text);
    ok(!@closed, "$name: closes no service it opens")
        or diag(join "\n", @closed);
    my $conf = "$dir/test-" . $i++ . '.conf';
    open my $out, '>', $conf or die $!;
    print $out own_httpd_conf($dir, @modules)
        . "Define APACHE_LOG_DIR $dir\nDefine APACHE_RUN_DIR $dir\n"
        . "Include \"$top/conf/migate.conf\"\n"
        . "# $name\n" . with_test_pki($text, $top);
    close $out;
    my $res = `'$httpd' -t -f '$conf' 2>&1`;
    ok($? == 0 && $res =~ /Syntax OK/, "$name: apache2 -t") or diag($res);
}

# The demo, with the placeholders tools/demo fills in (any other left
# would fail the syntax check) and the module under test.
for my $in (@demo) {
    (my $name = $in) =~ s{^\Q$top\E/}{};
    my $text = slurp($in);
    my %fill = (RUN => $dir, TOP => $top, LUA => "$top/conf/mi/mi.lua",
                USER => '');
    $text =~ s/\@(RUN|TOP|LUA|USER)\@/$fill{$1}/g;
    my $mod = module_under_test();
    $text =~ s/^(LoadModule migate_module )\S+/$1"$mod"/m;
    my $conf = "$dir/demo-" . $i++ . '.conf';
    open my $out, '>', $conf or die $!;
    print $out $text;
    close $out;
    my $res = `'$httpd' -t -f '$conf' 2>&1`;
    ok($? == 0 && $res =~ /Syntax OK/, "$name: apache2 -t") or diag($res);
}
