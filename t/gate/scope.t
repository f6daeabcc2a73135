# Scope: a vhost inherits every setting of the main server that it does
# not set itself; the main server's deny rules are added to the vhost's
# own; its allow rules and opened services only reach a vhost with none
# of its own.  An httpd of its own (the main server here is gated), run
# as the test user with "apache2 -f conf -k start|stop".
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;
use File::Temp qw(tempdir);

plan tests => 33;

my ($pa, $pb) = (port('scope_a'), port('scope_b'));
my ($pc, $pd, $pe) = (port('scope_c'), port('scope_d'), port('scope_e'));
my $dir = tempdir('migate-scope.XXXXXX', TMPDIR => 1, CLEANUP => 1);

mkdir "$dir/htdocs";
for my $f (qw(main own x)) {
    open my $fh, '>', "$dir/htdocs/$f" or die;
    print $fh "$f\n";
    close $fh;
}

open my $fh, '>', "$dir/httpd.conf" or die;
print $fh own_httpd_conf($dir, qw(headers proxy proxy_http)), <<"EOC";
StartServers 1
DocumentRoot $dir/htdocs
<Directory $dir/htdocs>
    Require all granted
</Directory>
Listen 127.0.0.1:$pa
Listen 127.0.0.1:$pb
Listen 127.0.0.1:$pc
Listen 127.0.0.1:$pd
Listen 127.0.0.1:$pe

MiGate On
MiGateMode report
MiGateDenyStatus 404
MiGateRequestIdVersion 7
MiGateResponseIdHeader X-Id
MiGateAllow /main
MiGateDeny /main/secret
MiGateAllowService MainProxy
MiGateServiceMetadata On
MiGateRequestIdHeader X-Corr
MiGateTrustedProxy 127.0.0.1
MiGateBackendTLS off

# Sets nothing: inherits everything.  Its plain-http ProxyPass passes
# the configuration test only because MiGateBackendTLS off is inherited.
<VirtualHost 127.0.0.1:$pa>
    ProxyPass /plain/ http://127.0.0.1:1/
    Header always set X-Echo "expr=%{req:X-Corr}"
</VirtualHost>

# Sets its own mode, status, id settings and allow rules.
<VirtualHost 127.0.0.1:$pb>
    MiGateMode enforce
    MiGateDenyStatus 403
    MiGateRequestIdVersion 4
    MiGateResponseIdHeader X-Other-Id
    MiGateAllow /own
    MiGateAllow /main/secret
    MiGateDeny /own/secret
    MiGateAllowService OwnProxy
    MiGateServiceMetadata Off
    MiGateRequestIdHeader X-B
    MiGateTrustedProxy 10.0.0.0/8
    MiGateBackendTLS strict
    Header always set X-Echo "expr=%{req:X-B}"
</VirtualHost>

# Turns the gate off under a gated main server: nothing of the main
# server's policy or ids applies.
<VirtualHost 127.0.0.1:$pc>
    MiGate Off
    Header always set X-Echo "expr=%{req:X-Corr}"
</VirtualHost>

# Gated, but gives requests no id: no response header, and the id header
# toward MI carries only what a trusted peer vouched for.
<VirtualHost 127.0.0.1:$pd>
    MiGateRequestId Off
    Header always set X-Echo "expr=%{req:X-Corr}"
</VirtualHost>

# Ids as the main server, but not in the response.
<VirtualHost 127.0.0.1:$pe>
    MiGateResponseIdHeader Off
    Header always set X-Echo "expr=%{req:X-Corr}"
</VirtualHost>
EOC
close $fh;

my $httpd = httpd_under_test();
my $out = `$httpd -f $dir/httpd.conf -k start 2>&1`;
ok($? == 0) or print STDERR "# $out";
END { system("$httpd -f $dir/httpd.conf -k stop >/dev/null 2>&1") if $dir }

my $uuid = uuid_re();
sub get {
    my ($port, $path, @hdrs) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 10) or return {};
    my $extra = '';
    $extra .= shift(@hdrs) . ': ' . shift(@hdrs) . "\r\n" while @hdrs;
    print $s "GET $path HTTP/1.1\r\nHost: localhost\r\n$extra"
        . "Connection: close\r\n\r\n";
    local $/;
    my $resp = <$s> // '';
    my ($st) = $resp =~ m{^HTTP/1\.\d (\d+)};
    my %h = map { /^([^:]+):\s*(.*?)\r?$/ ? (lc $1, $2) : () }
            split /\n/, (split /\r\n\r\n/, $resp, 2)[0] // '';
    return { status => $st // 0, h => \%h };
}
wait_for(sub { get($pa, '/main')->{status} }, 60);

# Vhost A inherits: report mode (a miss passes: the file exists), the
# response id header, version 7, the allow rule, the deny rule, and the
# opened service (refused only as not allowed here: there is no backend).
my $r = get($pa, '/x');
ok($r->{status} == 200);                              # report mode
ok(($r->{h}{'x-id'} // '') =~ /^$uuid$/);             # response header
ok(substr($r->{h}{'x-id'} // '', 14, 1) eq '7');      # version 7
ok(get($pa, '/main')->{status} == 200);                # inherited allow
ok(get($pa, '/main/secret')->{status} == 404);         # inherited deny, 404
ok(get($pa, '/services/Other')->{status} == 404);      # always enforced

# Vhost B: its own settings win; the main server's allow rules and
# service are not inherited, its deny is added to B's own.
$r = get($pb, '/x');
ok($r->{status} == 403);                               # enforce, 403
ok(!exists $r->{h}{'x-id'});
ok(($r->{h}{'x-other-id'} // '') =~ /^$uuid$/);
ok(substr($r->{h}{'x-other-id'} // '', 14, 1) eq '4'); # version 4
ok(get($pb, '/own')->{status} == 200);                 # own allow
ok(get($pb, '/main')->{status} == 403);                # main allow not inherited
ok(get($pb, '/own/secret')->{status} == 403);          # own deny
# main deny added to B's own, over B's allow of /main/secret
my $before = -s "$dir/error_log" || 0;
ok(get($pb, '/main/secret/x')->{status} == 403);
wait_for(sub { -s "$dir/error_log" > $before }, 30);
my $log;
open $log, '<', "$dir/error_log" or die;
seek $log, $before, 0;
ok(grep { /blocked reason=hard-deny .*path="\/main\/secret\/x"/ } <$log>);
close $log;
ok(get($pb, '/services/MainProxy')->{status} == 403);  # service not inherited

# The request id header toward MI, the trusted peers and the metadata
# switch: inherited by A, B's own in B.
my $valid = '0b7e2d5c-3f4a-4c1e-9a2b-6d8e0f1a2b3c';
$r = get($pa, '/main/x', 'X-Corr' => $valid);
ok(($r->{h}{'x-id'} // '') eq $valid                  # trusted peer kept
   && ($r->{h}{'x-echo'} // '') eq $valid);           # header X-Corr
$r = get($pb, '/own/x', 'X-B' => $valid);
ok(($r->{h}{'x-other-id'} // '') =~ /^$uuid$/
   && $r->{h}{'x-other-id'} ne $valid                 # B trusts 10/8 only
   && ($r->{h}{'x-echo'} // '') eq $r->{h}{'x-other-id'}); # header X-B
my $mark = -s "$dir/error_log" || 0;
get($pa, '/services/MainProxy?wsdl');                 # metadata On
get($pb, '/services/OwnProxy?wsdl');                  # metadata Off
wait_for(sub { (-s "$dir/error_log" || 0) > $mark }, 30);
open $log, '<', "$dir/error_log" or die;
seek $log, $mark, 0;
my @lines = grep { /blocked reason=/ } <$log>;
close $log;
ok(@lines == 1 && $lines[0] =~ /reason=service-metadata .*OwnProxy/);

# Vhost C: MiGate Off.  No id, no response header; what the gate would
# refuse (an unopened service, the main server's deny) is served or not
# by httpd alone, without a "blocked" line.
$mark = -s "$dir/error_log" || 0;
$r = get($pc, '/x');
ok($r->{status} == 200);
ok(!exists $r->{h}{'x-id'});
ok(($r->{h}{'x-echo'} // '') eq '');                  # no id toward MI
$r = get($pc, '/x', 'X-Corr' => 'forged|value');
ok(($r->{h}{'x-echo'} // '') eq 'forged|value');      # not the gate's header
get($pc, '/services/Other');
get($pc, '/main/secret');
# a gated request afterwards, so that the log has caught up
get($pa, '/services/Other');
wait_for(sub { (-s "$dir/error_log" || 0) > $mark }, 3);
open $log, '<', "$dir/error_log" or die;
seek $log, $mark, 0;
@lines = grep { /blocked reason=/ } <$log>;
close $log;
ok(@lines == 1 && $lines[0] =~ /reason=services .*path="\/services\/Other"/);

# Vhost D: MiGateRequestId Off.  Still gated by the main server's policy.
$r = get($pd, '/main');
ok($r->{status} == 200);                               # inherited allow
ok(!exists $r->{h}{'x-id'});                           # no id to return
ok(($r->{h}{'x-echo'} // '') eq '');                   # none toward MI
$r = get($pd, '/main', 'X-Corr' => 'not-a-uuid');
ok(($r->{h}{'x-echo'} // '') eq '');                   # removed, not passed
ok(get($pd, '/main/secret')->{status} == 404);         # inherited deny, 404

# Vhost E: MiGateResponseIdHeader Off.  The id still goes toward MI.
$r = get($pe, '/main');
ok(!exists $r->{h}{'x-id'});
ok(($r->{h}{'x-echo'} // '') =~ /^$uuid$/
   && substr($r->{h}{'x-echo'}, 14, 1) eq '7');        # version 7 inherited

$out = `$httpd -f $dir/httpd.conf -k stop 2>&1`;
ok($? == 0);
