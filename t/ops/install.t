# make install into a scratch DESTDIR: the module and the a2enmod files
# land where Debian keeps them, and an httpd configured from the
# installed files (mods-enabled links, as a2enmod makes them) lists
# migate_module and accepts the shipped migate.conf with every default
# written out.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);
use File::Path qw(make_path);

plan tests => 14;

my $top = Apache::Test::vars('top_dir');
my $httpd = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
my $dest = tempdir('migate-install-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $libexec = `apxs -q LIBEXECDIR`;
chomp $libexec;
my $avail = "$dest/etc/apache2/mods-available";

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return undef;
    local $/;
    return <$fh>;
}

my $log = "$dest/make.log";
# -o: install the module the suite runs, never rebuild it here.
my $rc = system("make -s -C '$top' -o build/mod_migate.so install "
                . "DESTDIR='$dest' >'$log' 2>&1");
ok($rc == 0, 'make install DESTDIR=... succeeds')
    or diag(slurp($log));

my $so = "$dest$libexec/mod_migate.so";
ok(-f $so, "module installed in LIBEXECDIR ($libexec)");
ok(-f $so && (slurp($so) // '') =~ /\A\x7fELF/, 'it is a shared object');
ok(-f "$avail/migate.load" && -f "$avail/migate.conf",
   'migate.load and migate.conf in mods-available');
is((stat "$avail/migate.conf")[2] & 07777, 0644, 'migate.conf mode 644');
my $load = slurp("$avail/migate.load") // '';
ok($load =~ m{^LoadModule migate_module \Q$libexec\E/mod_migate\.so$}m,
   'migate.load names the installed module');
my $conf = slurp("$avail/migate.conf") // '';
ok($conf !~ /^\s*MiGate\s+On/mi, 'migate.conf does not turn the gate on');
ok(!-e "$dest/etc/apache2/mods-enabled", 'nothing is enabled by install');

# What a2enmod does: links in mods-enabled.  The LoadModule path points
# into DESTDIR here, since the suite does not install into /usr.
my $en = "$dest/etc/apache2/mods-enabled";
make_path($en, "$dest/run", "$dest/logs");
(my $load_dest = $load) =~ s{(LoadModule migate_module )(\S+)}{$1$dest$2};
open my $lf, '>', "$dest/migate-destdir.load" or die $!;
print $lf $load_dest;
close $lf;
symlink("$dest/migate-destdir.load", "$en/migate.load") or die $!;
symlink("$avail/migate.conf", "$en/migate.conf") or die $!;

sub httpd_conf {
    my ($name, $extra) = @_;
    my $mods = '/usr/lib/apache2/modules';
    my $f = "$dest/$name.conf";
    open my $fh, '>', $f or die $!;
    print $fh <<"EOC";
ServerRoot "$dest"
ServerName localhost
Listen 127.0.0.1:1
PidFile "$dest/run/httpd.pid"
DefaultRuntimeDir "$dest/run"
ErrorLog "$dest/logs/error.log"
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule authz_host_module $mods/mod_authz_host.so
IncludeOptional "$en/*.load"
IncludeOptional "$en/*.conf"
$extra
EOC
    close $fh;
    return $f;
}

sub run_httpd {
    my ($f, @args) = @_;
    my $out = `'$httpd' -f '$f' @args 2>&1`;
    return ($? >> 8, $out);
}

my $c1 = httpd_conf('minimal', '');
my ($st, $out) = run_httpd($c1, '-t', '-D', 'DUMP_MODULES');
ok($st == 0 && $out =~ /^\s*migate_module \(shared\)/m,
   'httpd -M of the installed layout lists migate_module')
    or diag($out);
($st, $out) = run_httpd($c1, '-t');
ok($st == 0 && $out =~ /Syntax OK/, 'configtest passes with the module')
    or diag($out);

# Every default written out in migate.conf is valid as it stands.
(my $open = $conf) =~ s/^(\s*)#(\s*(?:MiGate\w*|<\/?Location|SetHandler|Require)\b)/$1$2/mg;
unlink "$en/migate.conf";
open my $of, '>', "$dest/migate-open.conf" or die $!;
print $of $open;
close $of;
symlink("$dest/migate-open.conf", "$en/migate.conf") or die $!;
($st, $out) = run_httpd($c1, '-t');
ok($st == 0 && $open =~ /^\s*MiGateMode enforce/m,
   'the commented defaults of migate.conf parse when uncommented')
    or diag($out);

# ... and are really read (the <IfModule> names the module).
(my $bad = $open) =~ s/MiGateMode enforce/MiGateMode bogus/;
open $of, '>', "$dest/migate-open.conf" or die $!;
print $of $bad;
close $of;
($st, $out) = run_httpd($c1, '-t');
ok($st != 0 && $out =~ /MiGateMode/, 'migate.conf is read when enabled')
    or diag($out);

# A gated vhost in the installed layout passes configtest, and one with
# a broken rule fails it with a message naming the directive.
open $of, '>', "$dest/migate-open.conf" or die $!;
print $of $conf;
close $of;
my $c2 = httpd_conf('gated', <<'EOV');
<VirtualHost 127.0.0.1:1>
    MiGate On
    MiGateAllow GET /healthcare
</VirtualHost>
EOV
($st, $out) = run_httpd($c2, '-t');
ok($st == 0, 'a gated vhost passes configtest') or diag($out);
my $c3 = httpd_conf('broken', <<'EOV');
<VirtualHost 127.0.0.1:1>
    MiGate On
    MiGateAllow GET healthcare
</VirtualHost>
EOV
($st, $out) = run_httpd($c3, '-t');
ok($st != 0 && $out =~ /MiGateAllow/, 'a broken rule fails configtest')
    or diag($out);
