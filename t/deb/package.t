# The Debian package the way an administrator meets it: "make deb"
# builds it, lintian finds no error, and (as root) dpkg installs it,
# a2enmod enables it, apache2 loads it and accepts the shipped
# migate.conf, man shows its pages, and dpkg --purge leaves nothing of it
# behind.  Run by "make test-deb", not by the Apache::Test suite: it
# installs a package, so it is its own step and restores the machine
# (purge, modules it enabled, apache2 left stopped) even when it fails.
# It never starts apache2: the maintainer scripts' restart request is
# caught (an invoke-rc.d first on their PATH) and recorded instead.
use strict;
use warnings;

use Cwd qw(getcwd);
use File::Basename qw(dirname basename);
use File::Temp qw(tempdir);
use Test::More;

plan skip_all => 'run by "make test-deb" (installs a package as root)'
    unless $ENV{MIGATE_TEST_DEB};
plan skip_all => 'dpkg-buildpackage is not available (not Debian)'
    unless has('dpkg-buildpackage');

my $PKG = 'libapache2-mod-migate';
my $top = getcwd();
my $tmp = tempdir('migate-deb.XXXXXX', TMPDIR => 1, CLEANUP => 1);

sub has { system("command -v '$_[0]' >/dev/null 2>&1") == 0 }

# Runs a shell command; returns its exit status and its output.
sub run {
    my ($cmd) = @_;
    my $out = `$cmd 2>&1`;
    return ($? >> 8, $out);
}

# Every path below these directories, as a set.
sub files_under {
    my (@dirs) = @_;
    my %seen;
    for my $d (@dirs) {
        $seen{$_} = 1 for split /\n/, `find '$d' -mindepth 1 2>/dev/null`;
    }
    return \%seen;
}

sub is_installed {
    my $st = `dpkg-query -W -f='\${db:Status-Status}' $PKG 2>/dev/null`;
    return $st ne '' && $st ne 'not-installed';
}

# dpkg refuses at once when another dpkg or apt holds its lock (other
# jobs may be installing packages): wait for the lock, not for a time.
sub dpkg {
    my ($args) = @_;
    my ($rc, $out);
    for (1 .. 300) {
        ($rc, $out) = run("PATH='$tmp/bin':\"\$PATH\" dpkg $args");
        last unless $rc && $out =~ /lock/i && $out =~ /dpkg/;
        select(undef, undef, undef, 1);
    }
    return ($rc, $out);
}

# ---- build -----------------------------------------------------------

my $parent = dirname($top);
my %before_parent = map { $_ => 1 } glob("'$parent'/*");
my ($rc, $out) = run("make -s deb");
ok($rc == 0, 'make deb builds the package') or diag($out);
my ($deb) = glob("$top/build/${PKG}_*.deb");
my ($changes) = glob("$top/build/mod-migate_*.changes");
ok($deb && -f $deb && $changes && glob("$top/build/mod-migate_*.buildinfo"),
   'the .deb, .changes and .buildinfo are in build/');
my @littered = grep { !$before_parent{$_} && /mod-migate|\.deb$|\.changes$/ }
               glob("'$parent'/*");
is_deeply(\@littered, [], 'nothing written next to the tree');
BAIL_OUT('no package to check') unless $deb && -f $deb;

# What it holds: what migate.load loads, every tool and man page of the
# tree, the guides, and the a2enmod files as conffiles.
my %content = map { (m{^\S+\s+\S+\s+\d+\s+\S+\s+\S+\s+\.(/\S*)} ? ($1 => 1) : ()) }
              split /\n/, `dpkg-deb -c '$deb'`;
my ($so) = `cat '$top/conf/migate.load'` =~ /^LoadModule\s+migate_module\s+(\S+)/m;
ok($so && $content{$so}, "the module is where migate.load loads it ($so)");
my @want = ('/etc/apache2/mods-available/migate.load',
            '/etc/apache2/mods-available/migate.conf',
            "/usr/share/doc/$PKG/README", "/usr/share/doc/$PKG/copyright",
            (map { '/usr/bin/' . basename($_) } glob("$top/tools/migate-*")),
            (map { "/usr/share/doc/$PKG/" . basename($_) }
                 glob("$top/docs/*.md")),
            (map { m{/([^/]+)\.(\d)\.pod$}; "/usr/share/man/man$2/$1.$2.gz" }
                 glob("$top/man/*.pod")));
# dh_compress gzips README once it is larger than 4 kB; the guides stay
# as they are (debian/rules).
my @missing = grep { !$content{$_} && !($_ =~ /README$/ && $content{"$_.gz"}) }
              @want;
is_deeply(\@missing, [], scalar(@want) . ' expected files in the package');
my $conffiles = `dpkg-deb --info '$deb' conffiles`;
is(join(' ', sort split /\s+/, $conffiles),
   '/etc/apache2/mods-available/migate.conf '
   . '/etc/apache2/mods-available/migate.load',
   'migate.load and migate.conf are conffiles');
my $depends = `dpkg-deb -f '$deb' Depends`;
like($depends, qr/\bapache2-api-\d+\b/, 'depends on the httpd module API');
like($depends, qr/\blibssl\d/, 'depends on OpenSSL (shlibs)');
like($depends, qr/\blibpcre2-8-\d/, 'depends on PCRE2 (shlibs)');
like($depends, qr/\blibio-socket-ssl-perl\b/,
     "depends on the tools' Perl modules");
my $postinst = `dpkg-deb --info '$deb' postinst 2>/dev/null`;
unlike($postinst, qr/enmod/, 'installing does not enable the module');

($rc, $out) = run("lintian '$changes'");
my @errors = grep { /^E: / } split /\n/, $out;
is_deeply(\@errors, [], 'lintian: no errors');
diag("lintian: $_") for grep { /^[WIPX]: / } split /\n/, $out;

# ---- install, enable, purge ------------------------------------------

# What this test changed on the machine, undone at the end whatever
# happened: the package, and the modules and a2enmod state that
# "a2enmod migate" added (it enables the modules migate.load depends on).
my $STATE = ['/etc/apache2/mods-enabled', '/var/lib/apache2'];
my ($installed, $state_before);

sub restore {
    dpkg("--purge $PKG") if $installed && is_installed();
    return unless $state_before;
    my @mods = grep { $_ ne 'migate' }
               map { m{^/etc/apache2/mods-enabled/(.+)\.load$} ? $1 : () }
               grep { !$state_before->{$_} } keys %{files_under(@$STATE)};
    run("a2dismod -q -f @mods") if @mods;
    my @new = grep { !$state_before->{$_} } keys %{files_under(@$STATE)};
    unlink grep { !-d $_ } @new;
    rmdir for sort { length $b <=> length $a } grep { -d $_ } @new;
}
END { my $st = $?; restore(); $? = $st }
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

SKIP: {
    skip 'dpkg -i needs root', 14 if $> != 0;
    skip "$PKG is installed on this machine: not touching it", 14
        if is_installed();

    # The maintainer scripts restart apache2 after a2dismod: on a
    # machine with systemd that would start Debian's apache2 on port
    # 80.  This invoke-rc.d, first on dpkg's PATH, records the request.
    mkdir "$tmp/bin" or die $!;
    open my $fh, '>', "$tmp/bin/invoke-rc.d" or die $!;
    print $fh "#!/bin/sh\necho \"\$*\" >>'$tmp/invoke-rc.d.log'\n";
    close $fh;
    chmod 0755, "$tmp/bin/invoke-rc.d" or die $!;
    my $pidfile = '/var/run/apache2/apache2.pid';
    my $was_running = -e $pidfile;

    # The man pages and guides are installed even where dpkg's
    # configuration leaves /usr/share/man and /usr/share/doc out
    # (container images).
    $installed = 1;
    ($rc, $out) = dpkg("--path-include='/usr/share/man/*' "
                       . "--path-include='/usr/share/doc/$PKG/*' "
                       . "-i '$deb'");
    ok($rc == 0, 'dpkg -i installs it') or diag($out);
    ok(!-e '/etc/apache2/mods-enabled/migate.load',
       'not enabled by installing');

    $state_before = files_under(@$STATE);
    ($rc, $out) = run('a2enmod migate');
    ok($rc == 0, 'a2enmod migate') or diag($out);
    ($rc, $out) = run('apache2ctl -M');
    like($out, qr/^\s*migate_module \(shared\)$/m,
         'apache2ctl -M lists migate_module');
    ($rc, $out) = run('apache2ctl configtest');
    ok($rc == 0, 'apache2ctl configtest passes with the shipped migate.conf')
        or diag($out);

    ($rc, $out) = run('LC_ALL=C MANPAGER=cat MANWIDTH=80 man migate-check');
    ok($rc == 0 && $out =~ /^NAME\s+migate-check - /m && $out =~ /--resolve/,
       'man migate-check renders') or diag($out);
    my @pages = map { m{/([^/]+)\.(\d)\.pod$}; "$2 $1" }
                glob("$top/man/*.pod");
    my @bad = grep { (run("LC_ALL=C MANPAGER=cat man $_"))[0] != 0 } @pages;
    is_deeply(\@bad, [], 'man renders every page: ' . join(', ', @pages));
    ok(-f "/usr/share/doc/$PKG/directives.md",
       'the directive reference mod_migate(8) names is there');

    my @files = grep { $_ ne '/.' } split /\n/, `dpkg -L $PKG`;
    my %was_dir = map { $_ => -d $_ && !-l $_ } @files;
    ($rc, $out) = dpkg("--purge $PKG");
    ok($rc == 0 && !is_installed(), 'dpkg --purge') or diag($out);
    my @left = grep {
        (-e $_ || -l $_)
            && (!$was_dir{$_} || system("dpkg-query -S '$_' >/dev/null 2>&1"))
    } @files;
    is_deeply(\@left, [], 'no file of the package is left ('
              . scalar(@files) . ' paths checked)');
    my @traces = grep { m{/migate(\.load|\.conf)?$} }
                 keys %{files_under(@$STATE)};
    is_deeply(\@traces, [], 'no mods-enabled link or a2enmod state left');

    restore();
    ($rc, $out) = run('apache2ctl configtest');
    ok($rc == 0, 'apache2ctl configtest still passes after purge')
        or diag($out);
    my @new = grep { !$state_before->{$_} } keys %{files_under(@$STATE)};
    is_deeply(\@new, [], 'what a2enmod enabled is disabled again');
    ok($was_running || !-e $pidfile, "Debian's apache2 was not started");
}

done_testing();
