# The example configurations of conf/examples/ pass "apache2 -t" with
# mod_migate, once their certificate paths point at the suite's PKI, and
# the a2enmod files with them.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use File::Temp qw(tempdir);

my $top = Apache::Test::vars('top_dir');
my $httpd = httpd_under_test();
my @examples = sort glob("$top/conf/examples/*.conf");
my @modules = qw(authz_host alias ssl socache_shmcb
                 proxy proxy_http proxy_balancer lbmethod_byrequests
                 slotmem_shm watchdog proxy_hcheck headers log_config);

my $dir = tempdir('migate-examples-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# The complete configuration of docs/deployment.md is an example too.
open my $doc, '<', "$top/docs/deployment.md" or die $!;
my $md = do { local $/; <$doc> };
close $doc;
my ($full) = $md =~ /^## A complete configuration\n.*?^```apache\n(.*?)^```/ms;
if (defined $full) {
    open my $fh, '>', "$dir/deployment-md.conf" or die $!;
    print $fh "# from docs/deployment.md\n$full";
    close $fh;
    push @examples, "$dir/deployment-md.conf";
}

plan tests => 2 * @examples + 2;
ok(@examples >= 4, scalar(@examples) . ' examples');
ok(defined $full, 'docs/deployment.md has a complete configuration');

for my $ex (@examples) {
    (my $name = $ex) =~ s{.*/}{};
    open my $in, '<', $ex or die "$ex: $!";
    my $text = do { local $/; <$in> };
    close $in;
    ok($text =~ /^\s*MiGate On/m && $text =~ /^#/,
       "$name: commented, gated");
    $text =~ s/^(\s*SSLCertificateFile)\s+\S+/$1 $top\/build\/pki\/mi.crt/mg;
    $text =~ s/^(\s*SSLCertificateKeyFile)\s+\S+/$1 $top\/build\/pki\/mi.key/mg;
    $text =~ s/^(\s*SSLProxyCACertificateFile)\s+\S+/$1 $top\/build\/pki\/ca.crt/mg;
    open my $out, '>', "$dir/test-$name" or die $!;
    print $out own_httpd_conf($dir, @modules)
        . "Define APACHE_LOG_DIR $dir\nDefine APACHE_RUN_DIR $dir\n"
        . "Include \"$top/conf/migate.conf\"\n"
        . $text;
    close $out;
    my $res = `'$httpd' -t -f '$dir/test-$name' 2>&1`;
    ok($? == 0 && $res =~ /Syntax OK/, "$name: apache2 -t") or diag($res);
}
