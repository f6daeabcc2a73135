# tools/migate-policy end to end: the sample artifacts of
# t/ops/policy-artifacts (APIs, proxy and data services, an inbound
# endpoint in the shape of MI's samples) packed into a CApp by the test;
# the generated policy Included in a gated vhost of an edge of the
# test's own (port reserved in t/conf/policy.conf.in) in front of the
# suite's stand-in MI.  Requests MI would dispatch to each resource pass
# with the resource's methods; near misses (siblings, other methods,
# other versions, extra segments, /services) are refused.  Also: the
# configuration test accepts the policy, the output is deterministic and
# the same from a CApp as from the Synapse folder, --diff shows changes,
# and bad input is a clear error (exit 2) that writes nothing.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use Archive::Zip qw(:ERROR_CODES);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use XML::LibXML;

my $top = Apache::Test::vars('top_dir');
my $tool = "$top/tools/migate-policy";
my $src = "$top/t/ops/policy-artifacts";
my $httpd = httpd_under_test();
my $port = port('policy_own');
my $mi = port('mi');
my $dir = tempdir('migate-policy.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $conf = "$dir/httpd.conf";

# ---- A CApp of the sample artifacts ------------------------------------

my %TYPE = (api => 'synapse/api', 'proxy-services' => 'synapse/proxy-service',
            'inbound-endpoints' => 'synapse/inbound-endpoint',
            dataservices => 'service/dataservice');

# Artifacts that expose nothing ride along, as in a real CApp.
my %EXTRA = (
    'GrandOakEndpoint' => ['synapse/endpoint', '<endpoint xmlns='
        . '"http://ws.apache.org/ns/synapse" name="GrandOakEndpoint">'
        . '<http method="get" uri-template="https://grandoak.internal/doctors/'
        . '{uri.var.doctorType}"/></endpoint>'],
    'InboundSeq' => ['synapse/sequence', '<sequence xmlns='
        . '"http://ws.apache.org/ns/synapse" name="InboundSeq"><log/>'
        . '<drop/></sequence>'],
);

# make_car(file, skip => [names], extra => {name => [type, xml]})
sub make_car {
    my ($file, %o) = @_;
    my %skip = map { $_ => 1 } @{$o{skip} || []};
    my $zip = Archive::Zip->new;
    my @deps;
    my $add = sub {
        my ($name, $type, $fname, $bytes) = @_;
        my $d = "${name}_1.0.0";
        $zip->addString($bytes, "$d/$fname");
        $zip->addString(qq{<?xml version="1.0" encoding="UTF-8"?>\n}
            . qq{<artifact name="$name" version="1.0.0" type="$type"}
            . qq{ serverRole="EnterpriseIntegrator">\n    <file>$fname}
            . "</file>\n</artifact>\n", "$d/artifact.xml");
        push @deps, qq{    <dependency artifact="$name" version="1.0.0"}
            . ' include="true" serverRole="EnterpriseIntegrator"/>';
    };
    for my $sub (sort keys %TYPE) {
        for my $f (sort glob("$src/$sub/*")) {
            (my $name = $f) =~ s{.*/|\.(xml|dbs)\z}{}g;
            next if $skip{$name};
            open my $fh, '<:raw', $f or die "$f: $!";
            local $/;
            my $bytes = <$fh>;
            $add->($name, $TYPE{$sub}, "$name-1.0.0." . ($f =~ /\.dbs\z/
                                                         ? 'dbs' : 'xml'),
                   $bytes);
        }
    }
    my %extra = (%EXTRA, %{$o{extra} || {}});
    $add->($_, $extra{$_}[0], "$_-1.0.0.xml", $extra{$_}[1])
        for sort keys %extra;
    $zip->addString(qq{<?xml version="1.0" encoding="UTF-8"?>\n<artifacts>\n}
        . qq{<artifact name="HospitalCompositeExporter" version="1.0.0"}
        . qq{ type="carbon/application">\n} . join("\n", @deps)
        . "\n</artifact>\n</artifacts>\n", 'artifacts.xml')
        unless $o{no_descriptor};
    $zip->writeToFileNamed($file) == AZ_OK or die "cannot write $file";
}

# run(args...): exit status, stdout, stderr.
sub run {
    my @args = @_;
    my $cmd = join ' ', map { "'$_'" } $^X, $tool, @args;
    my $out = `$cmd 2>'$dir/stderr'`;
    my $rc = $? >> 8;
    open my $fh, '<', "$dir/stderr" or die $!;
    local $/;
    my $err = <$fh> // '';
    return ($rc, $out, $err);
}

sub slurp {
    my ($f) = @_;
    open my $fh, '<:raw', $f or return undef;
    local $/;
    return <$fh>;
}

sub rules_of { join "\n", grep { /^MiGate/ } split /\n/, $_[0] }

# ---- The requests -------------------------------------------------------

# [method, target, pass?]: MI's dispatch, by the artifacts' resources.
my @CASES = (
    # HealthcareAPI (context /healthcare)
    [GET => '/healthcare/doctor/surgery', 1],
    [GET => '/healthcare/doctor/surgery/', 1],
    [GET => '/healthcare/doctor/general%20practice', 1],
    [OPTIONS => '/healthcare/doctor/surgery', 1],
    [POST => '/healthcare/doctor/surgery', 0],
    [GET => '/healthcare/doctor/surgery/extra', 0],
    [GET => '/healthcare/doctors/surgery', 0],
    [GET => '/healthcare/doctor', 0],
    [GET => '/Healthcare/doctor/surgery', 0],
    [POST => '/healthcare/categories/surgery/reserve', 1],
    [POST => '/healthcare/categories/surgery/reserve/', 1],
    [GET => '/healthcare/categories/surgery/reserve', 0],
    [POST => '/healthcare/categories/surgery/reserve/now', 0],
    [POST => '/healthcare/categories/reserve', 0],
    [GET => '/healthcare/appointments/42/fee', 1],
    [GET => '/healthcare/appointments/42/fees', 0],
    [GET => '/healthcare/appointments/42', 0],
    [GET => '/healthcare/querydoctor?category=surgery', 1],
    [GET => '/healthcare/querydoctor/surgery', 0],
    [GET => '/healthcare/querydoctor/', 0],
    [POST => '/healthcare/settlements', 1],
    [DELETE => '/healthcare/settlements/', 1],
    [PUT => '/healthcare/settlements', 0],
    [POST => '/healthcare/settlements/7', 0],
    [GET => '/healthcare', 0],
    [GET => '/healthcare/', 0],
    # StockQuoteAPI: a template and a url-mapping prefix
    [GET => '/stockquote/view/IBM', 1],
    [GET => '/stockquote/view/WSO2?format=json', 1],
    [POST => '/stockquote/order', 1],
    [PUT => '/stockquote/order/123', 1],
    [POST => '/stockquote/order/a/b', 1],
    [DELETE => '/stockquote/order/123', 0],
    [GET => '/stockquote/order', 0],
    [POST => '/stockquote/orders', 0],
    [GET => '/stockquote/view/IBM/history', 0],
    [GET => '/stockquote/view', 0],
    # SwaggerPetstore: version 1.0.5 in the context
    [POST => '/petstore/1.0.5/pet', 1],
    [PUT => '/petstore/1.0.5/pet/', 1],
    [GET => '/petstore/1.0.5/pet/findByStatus?status=sold', 1],
    [GET => '/petstore/1.0.5/pet/12', 1],
    [DELETE => '/petstore/1.0.5/pet/12', 1],
    [POST => '/petstore/1.0.5/pet/12/uploadImage', 1],
    [GET => '/petstore/1.0.5/store/inventory', 1],
    [DELETE => '/petstore/1.0.5/store/order/9', 1],
    [GET => '/petstore/1.0.5/user/alice.json', 1],
    [GET => '/petstore/1.0.6/pet/12', 0],
    [GET => '/petstore/pet/12', 0],
    [GET => '/petstore/1.0.5', 0],
    [PATCH => '/petstore/1.0.5/pet/12', 0],
    [GET => '/petstore/1.0.5/pet/12/uploadImage', 0],
    [POST => '/petstore/1.0.5/store/inventory', 0],
    [GET => '/petstore/1.0.5/user/alice', 0],
    [GET => '/petstore/1.0.5/pet/12/tags', 0],
    # OrderAPI: version v1 as the first segment after /orders
    [POST => '/orders/v1', 1],
    [POST => '/orders/v1/', 1],
    [GET => '/orders/v1/77', 1],
    [PATCH => '/orders/v1/77', 1],
    [GET => '/orders/v1/77/items/3', 1],
    [GET => '/orders/v2/77', 0],
    [GET => '/orders/77', 0],
    [POST => '/orders', 0],
    [DELETE => '/orders/v1/77', 0],
    [GET => '/orders/v1/77/items', 0],
    [GET => '/orders/v1/77/items/3/x', 0],
    # CatalogAPI: url-mapping exact, prefix, extension; {+path}
    [GET => '/catalog/items', 1],
    [GET => '/catalog/items/', 1],
    [GET => '/catalog/books', 1],
    [HEAD => '/catalog/books/x', 1],
    [GET => '/catalog/books/a/b', 1],
    [GET => '/catalog/list.json', 1],
    [GET => '/catalog/a/b/c.json', 1],
    [GET => '/catalog/files/a/b/c.txt', 1],
    [GET => '/catalog/items/1', 0],
    [POST => '/catalog/items', 0],
    [GET => '/catalog/bookshelf', 0],
    [GET => '/catalog/list.xml', 0],
    [GET => '/catalog/files', 0],
    [GET => '/catalog', 0],
    # EchoAPI: a default resource takes every method below /echo
    [GET => '/echo', 1],
    [PUT => '/echo/a/b', 1],
    [DELETE => '/echo/x?y=1', 1],
    [GET => '/echoes', 0],
    # Under /services: only the opened proxy service
    [POST => '/services/StockQuoteProxy', 1],
    [GET => '/services/StockQuoteProxy/getQuote', 1],
    [GET => '/services/legacy/status', 0],
    [POST => '/services/OrderProxy', 0],
    [POST => '/services/UserAdminProxy', 0],
    [GET => '/services/StudentDataService/students/1', 0],
    [GET => '/healthcare/doctor/services/x', 0],
    # Nothing else
    [GET => '/', 0],
    [GET => '/management/login', 0],
    [GET => '/unknown', 0],
);

# Requests made from every uri-template of the artifacts, with seeded
# random values, for each of the resource's methods: MI dispatches them.
srand(4242);
my @generated;
for my $f (sort glob("$src/api/*.xml")) {
    my $api = XML::LibXML->load_xml(location => $f)->documentElement;
    next if $api->getAttribute('context') =~ m{^/services};
    my $ctx = $api->getAttribute('context') =~ s{/+\z}{}r;
    my $v = $api->getAttribute('version') // '';
    my $vt = $api->getAttribute('version-type') // '';
    $ctx =~ s/\{version\}/$v/g if $vt eq 'context';
    $ctx .= "/$v" if $vt eq 'url';
    for my $r ($api->getChildrenByLocalName('resource')) {
        my $t = $r->getAttribute('uri-template') or next;
        for (1 .. 3) {
            my $path = $t =~ s/\{\+[^}]+\}/join '\/', map { word() } 1 .. 3/ger;
            $path =~ s/\{[^}]+\}/word()/ge;
            for my $m (split ' ', $r->getAttribute('methods')) {
                push @generated, [$m => $ctx . $path, 1];
            }
        }
    }
}

sub word {
    my @c = ('a' .. 'z', 'A' .. 'Z', 0 .. 9, '-', '_');
    return join '', map { $c[int rand @c] } 1 .. 1 + int rand 8;
}

my @BAD;        # see below

plan tests => 17 + @CASES + @generated + 4 + 3 * 9;

# ---- Generate ------------------------------------------------------------

make_car("$dir/app.car");
my ($rc, $out, $err) = run('--open-service', 'StockQuoteProxy', '-o',
                           "$dir/mi-apis.conf", "$dir/app.car");
ok($rc == 0 && $out eq '' && -s "$dir/mi-apis.conf",
   'a policy from the CApp, written with -o') or diag($err);
my $policy = slurp("$dir/mi-apis.conf") // '';

my ($rc2, $again) = run('--open-service', 'StockQuoteProxy', "$dir/app.car");
ok($rc2 == 0 && $again eq $policy, 'the same output on stdout, twice');

my ($rc3, $folder) = run('--open-service', 'StockQuoteProxy', $src);
ok($rc3 == 0 && rules_of($folder) eq rules_of($policy)
   && rules_of($policy) ne '',
   'the same rules from the Synapse configuration folder')
    or diag("car:\n" . rules_of($policy) . "\nfolder:\n" . rules_of($folder));

# An MI server folder: the CApps in carbonapps/ are what MI deploys.
mkdir "$dir/server";
mkdir "$dir/server/carbonapps";
make_car("$dir/server/carbonapps/app.car");
my ($rc4, $server) = run('--open-service', 'StockQuoteProxy',
                         "$dir/server");
ok($rc4 == 0 && rules_of($server) eq rules_of($policy),
   'the same rules from an MI server folder with the CApp in carbonapps/');

# Every rule follows a comment that names its API, resource and file.
my @lines = split /\n/, $policy;
my $uncommented = grep {
    my $j = $_ - 1;
    $j-- while $j >= 0 && $lines[$j] =~ /^(?:MiGateAllow(?!Service)|#   )/;
    $lines[$j] !~ /^# \w+: .*(?:uri-template|url-mapping|default resource).*, \S*app\.car!\w+_1\.0\.0\/\w+-1\.0\.0\.xml$/;
} grep { $lines[$_] =~ /^MiGateAllow(?!Service)/ } 0 .. $#lines;
ok(!$uncommented, 'each rule follows a comment naming API, resource and file');
sub lines_re { my $re = join '', @_; return qr/$re/m }
like($policy, lines_re('^# HealthcareAPI: GET uri-template /doctor/\{doctorType\}, .*\n',
                       'MiGateAllowTemplate GET,OPTIONS /healthcare/doctor/\{doctorType\}$'),
     'a uri-template of {name} segments is written as a template');
my @regex = grep { $lines[$_] =~ /^MiGateAllowMatch / } 0 .. $#lines;
ok(@regex && !grep({ $lines[$_ - 1] !~ /^#   a regex: \S/ } @regex),
   'each regex follows a comment that says why no template can say it')
    or diag(join "\n", map { "$lines[$_ - 1]\n$lines[$_]" } @regex);
like($policy, lines_re('^# API LegacySoapAPI: /services/legacy .*\n',
                       '# Not opened: MI serves this API under /services,',
                       ' which the gate always refuses'),
     'an API under /services is a comment that says why');
like($policy, qr{^#MiGateAllowService OrderProxy$}m,
     'a proxy service not opened is commented out');
like($policy, lines_re('^# Never opened: its name contains "admin"\.\n',
                       '#MiGateAllowService UserAdminProxy$'),
     'an admin service never');
like($policy, qr{^#MiGateAllowService StudentDataService$}m,
     'data services too');
like($policy, lines_re('^#   HttpListenerEP \(http, port 8085\) .*\n',
                       '(?:#.*\n)*#   MiGateDenyMatch services/\n',
                       '(?:#.*\n)*.*closes every service opened'),
     'inbound endpoints listed, with the services/ caveat');

# ---- The edge ----------------------------------------------------------

open my $cf, '>', $conf or die $!;
print $cf own_httpd_conf($dir, qw(socache_shmcb ssl proxy proxy_http)),
    <<"EOF";
StartServers 1
ServerLimit 1
ThreadsPerChild 8
MaxRequestWorkers 8
Listen 127.0.0.1:$port
<VirtualHost 127.0.0.1:$port>
    MiGate On
    Include "$dir/mi-apis.conf"
    SSLProxyEngine on
    SSLProxyCACertificateFile $top/build/pki/ca.crt
    SSLProxyVerify require
    ProxyPass / https://localhost:$mi/
</VirtualHost>
EOF
close $cf;

my $t = `'$httpd' -t -f '$conf' 2>&1`;
ok($? == 0 && $t =~ /Syntax OK/, 'apache2 -t accepts the generated policy')
    or diag($t);

sub pid {
    my $p = slurp("$dir/httpd.pid") // 0;
    chomp $p;
    return $p;
}

END {
    my $p = pid();
    if ($p) {
        kill 'TERM', $p;
        wait_for(sub { !kill(0, $p) }, 10);
    }
}

# One request on a new connection: (status, body).
sub send_req {
    my ($method, $target) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 10)
        or return (0, '');
    print $s "$method $target HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n\r\n";
    local $/;
    my $resp = <$s> // '';
    close $s;
    my ($status) = $resp =~ m{^HTTP/1\.\d (\d{3})};
    my (undef, $body) = split /\r\n\r\n/, $resp, 2;
    return ($status // 0, $body // '');
}

my $start = `'$httpd' -f '$conf' -k start 2>&1`;
ok(wait_for(sub { (send_req(GET => '/echo'))[1] =~ /"mi":/ }, 20),
   'the edge with the policy started') or diag($start);

# Passed: MI answered (its echo names the target).  HEAD has no body:
# not refused by the gate is what can be seen.  Refused: 403 or 400
# from the edge, nothing from MI.
sub check {
    my ($method, $target, $pass) = @_;
    my ($status, $body) = send_req($method, $target);
    my $from_mi = $body =~ /"mi":/;
    my $good = $pass
        ? ($method eq 'HEAD' ? $status && $status !~ /^(?:400|403|405)$/
                             : $from_mi)
        : (($status == 403 || $status == 400) && !$from_mi);
    ok($good, ($pass ? 'passes: ' : 'refused: ') . "$method $target")
        or diag("status $status: $body");
}
check(@$_) for @CASES, @generated;

# ---- Review: --diff ------------------------------------------------------

make_car("$dir/smaller.car", skip => ['CatalogAPI']);
($rc, $out) = run('--open-service', 'StockQuoteProxy', '--diff',
                  "$dir/mi-apis.conf", "$dir/app.car");
ok($rc == 0 && $out eq '', '--diff: no change, no output, exit 0')
    or diag("$rc: $out");
($rc, $out) = run('--open-service', 'StockQuoteProxy', '--diff',
                  "$dir/mi-apis.conf", "$dir/smaller.car");
ok($rc == 1 && $out =~ m{^-MiGateAllow GET,HEAD,OPTIONS /catalog/books$}m
   && $out !~ m{^[-+]MiGateAllow\S* \S+ /healthcare}m,
   '--diff: an API gone shows as its removed rules, exit 1') or diag($out);
ok(slurp("$dir/mi-apis.conf") eq $policy, '--diff writes nothing');
($rc, $out, $err) = run('--diff', "$dir/mi-apis.conf", "$dir/app.car");
ok($rc == 0 && $out eq '' && $err eq '',
   '--diff: the opened service is kept from the file in service')
    or diag("$rc: $out$err");
($rc, $out, $err) = run('--close-service', 'StockQuoteProxy', '--diff',
                        "$dir/mi-apis.conf", "$dir/app.car");
ok($rc == 1 && $out =~ /^-MiGateAllowService StockQuoteProxy$/m
   && $out =~ /^\+#MiGateAllowService StockQuoteProxy$/m
   && $err =~ /^migate-policy: warning: service StockQuoteProxy is open in \S*mi-apis\.conf; the new policy would close it: closed with --close-service$/m,
   '--diff: a service closed shows, with a warning') or diag("$out$err");

# ---- The artifacts' text never becomes a directive ---------------------

($rc, $out) = run(scratch_file('inject.xml', qq{<api xmlns="http://ws.apache.}
    . qq{org/ns/synapse" name="A&#10;MiGateAllow /" context="/caf\xc3\xa9">}
    . qq{<resource methods="GET" uri-template="/x&#10;MiGateAllow /y"/>}
    . qq{<resource methods="GET" uri-template="/{id}"/></api>}));
ok($rc == 0 && rules_of($out) eq 'MiGateAllowMatch GET,OPTIONS'
   . ' ^/caf\xc3\xa9/[^/]*/?$' && $out =~ /^# A\\x0aMiGateAllow \/: /m,
   'a newline in a name or template stays inside its comment')
    or diag($out);

($rc, $out) = run('--no-options', scratch_file('noopt.xml', qq{<api xmlns=}
    . qq{"http://ws.apache.org/ns/synapse" name="N" context="/n">}
    . qq{<resource methods="GET HEAD" uri-template="/a"/>}
    . qq{<resource url-mapping="/b/*"/></api>}));
ok($rc == 0 && rules_of($out) eq join("\n", 'MiGateAllowExact GET,HEAD /n/a',
   'MiGateAllowExact GET,HEAD /n/a/', 'MiGateAllow /n/b'),
   '--no-options: the methods as listed; no list for every method')
    or diag($out);

# ---- Bad input: a clear error, exit 2, nothing written -----------------

sub scratch_file {
    my ($name, $bytes) = @_;
    open my $fh, '>:raw', "$dir/$name" or die $!;
    print $fh $bytes;
    close $fh;
    return "$dir/$name";
}

my $api = sub {
    my ($name, $ctx, $tmpl) = @_;
    return qq{<api xmlns="http://ws.apache.org/ns/synapse" name="$name"}
        . qq{ context="$ctx">\n  <resource methods="GET"}
        . qq{ uri-template="$tmpl"><inSequence><respond/></inSequence>}
        . "</resource>\n</api>\n";
};
my $nodesc = "$dir/nodesc.car";
make_car($nodesc, no_descriptor => 1);
@BAD = (
    ['not XML', [scratch_file('broken.xml', qq{<api xmlns="http://ws.apache.}
        . qq{org/ns/synapse" name="A" context="/a">\n<resource>\n</api>\n})],
     qr{broken\.xml:\d+: not well-formed XML}],
    ['not a Synapse artifact', [scratch_file('pom.xml',
        "<project><artifactId>x</artifactId></project>\n")],
     qr{pom\.xml: not a Synapse artifact}],
    ['a CApp without artifacts.xml', [$nodesc],
     qr{nodesc\.car: not a CApp: no artifacts\.xml}],
    ['a .car that is not a zip', [scratch_file('text.car', "hello\n")],
     qr{text\.car: not a CApp: not a zip}],
    ['duplicate API contexts', ["$dir/app.car", scratch_file('dup.xml',
        $api->('OtherHealthcare', '/healthcare/', '/x'))],
     qr{dup\.xml: API OtherHealthcare has the context /healthcare, as API}
        . qr{ HealthcareAPI}],
    ['a template Synapse refuses', [scratch_file('tmpl.xml',
        $api->('T', '/t', '/find{?q}'))],
     qr{tmpl\.xml:2: API T: uri-template '/find\{\?q\}'}],
    ['a CApp entry that is not XML', [do {
        make_car("$dir/badentry.car", extra => {
            BrokenAPI => ['synapse/api', '<api name="B" context="/b">'] });
        "$dir/badentry.car" }],
     qr{badentry\.car!BrokenAPI_1\.0\.0/BrokenAPI-1\.0\.0\.xml:\d+: not well-formed}],
    ['an admin service to open', ['--open-service', 'UserAdminProxy',
                                  "$dir/app.car"],
     qr{UserAdminProxy: a service whose name contains "admin" is never}],
    ['an unknown service to open', ['--open-service', 'NoSuchProxy',
                                    "$dir/app.car"],
     qr{NoSuchProxy: no proxy or data service of that name}],
);
for my $b (@BAD) {
    my ($name, $args, $want) = @$b;
    scratch_file('current.conf', "KEEP\n");
    my ($rc, $out, $err) = run('-o', "$dir/current.conf", @$args);
    ok($rc == 2 && $err =~ $want, "$name: exit 2 and says so")
        or diag("exit $rc: $err");
    ok(slurp("$dir/current.conf") eq "KEEP\n" && $out eq ''
       && !(() = glob("$dir/.migate-policy.*")),
       "$name: -o left the file alone");
    ($rc, $out) = run(@$args);
    ok($rc == 2 && $out eq '', "$name: nothing on stdout");
}
