# Debian's a2enmod on the shipped conf/migate.load, in a scratch
# configuration directory (APACHE_CONFDIR, APACHE_STATE_DIRECTORY): its
# "# Depends:" line makes "a2enmod migate" enable mod_proxy,
# mod_proxy_http and mod_ssl first, as README's quick start expects.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);
use File::Copy qw(copy);

my $a2enmod = '/usr/sbin/a2enmod';
my $avail_sys = '/etc/apache2/mods-available';
plan skip_all => "no $a2enmod and $avail_sys (Debian's apache2)"
    unless -x $a2enmod && -d $avail_sys;
plan tests => 3;

my $top = Apache::Test::vars('top_dir');
my $dir = tempdir('migate-a2enmod.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $conf = "$dir/etc/apache2";
mkdir $_ or die "$_: $!"
    for "$dir/etc", $conf, "$conf/mods-available", "$conf/mods-enabled";
# Debian's own module files, which the dependencies resolve to, and ours.
copy($_, "$conf/mods-available/") or die "$_: $!"
    for glob("$avail_sys/*.load"), glob("$avail_sys/*.conf");
copy("$top/conf/$_", "$conf/mods-available/$_") or die "$_: $!"
    for qw(migate.load migate.conf);

my $out = `APACHE_CONFDIR='$conf' APACHE_STATE_DIRECTORY='$dir/state' \\
           '$a2enmod' migate 2>&1`;
ok($? == 0, 'a2enmod migate') or diag($out);
my @enabled = map { s{.*/}{}r } glob("$conf/mods-enabled/*.load");
my %on = map { $_ => 1 } @enabled;
ok($on{'migate.load'} && -l "$conf/mods-enabled/migate.conf",
   'migate.load and migate.conf enabled') or diag("@enabled");
ok(!grep({ !$on{"$_.load"} } qw(proxy proxy_http ssl)),
   'its dependencies proxy, proxy_http and ssl enabled with it')
    or diag("enabled: @enabled\n$out");
