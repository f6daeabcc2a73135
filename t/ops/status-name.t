# The status page names a gated vhost ServerName:port.  A ServerName
# without a port (ops_tls: "ServerName edge.test") leaves httpd's port 0:
# the page then shows the port the vhost listens on, never ":0".
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use JSON::PP ();

plan tests => 4;

sub status {
    my ($query) = @_;
    return raw_req('ops_status', "GET /migate-status$query HTTP/1.0\r\n"
                                 . "Host: localhost\r\n\r\n");
}

my $r = status('?json');
my $doc = eval { JSON::PP->new->decode($r->{body}) } // { servers => [] };
my %name = map { $_->{addresses} => $_->{name} } @{$doc->{servers}};
my $tls = port('ops_tls');
my $gated = port('ops_gated');
my ($tls_name) = map { $name{$_} } grep { /:\Q$tls\E\b/ } keys %name;
my ($gated_name) = map { $name{$_} } grep { /:\Q$gated\E\b/ } keys %name;

is($tls_name, "edge.test:$tls",
   'ServerName without a port: named with the port it listens on');
is($gated_name, "localhost:$gated", 'ServerName with a port: that port');
ok(!grep({ /:0$/ } values %name), 'no vhost is named with port 0')
    or diag(join ', ', values %name);

$r = status('');
like($r->{body}, qr{<h2>edge\.test:$tls</h2>}, 'the HTML page too');
