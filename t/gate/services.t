# /services as MI sees it: every spelling of a service request is refused,
# except the opened services; metadata queries only where allowed.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use MiGate::Test;

# Each refused whatever the allowlist says (edge allows /healthcare and
# /api/v1/, and opens StockQuoteProxy).
my @services = (
    '/services',
    '/services/',
    '/services?x=1',
    '/services/ServiceAdmin',
    '/services/StockQuoteProxyX',
    '/services/stockquoteproxy',
    '/Services/StockQuoteProxy2',
    '/SERVICES/ServiceAdmin',
    '/sErViCeS/ServiceAdmin',
    '//services/ServiceAdmin',
    '/healthcare/../services/ServiceAdmin',
    '/healthcare/services/ServiceAdmin',
    '/api/v1/services/ServiceAdmin',
    '/healthcare?next=/services/ServiceAdmin',
    '/healthcare/x?a=b&u=/SERVICES/x',
    '/healthcare?next=%2Fservices%2FServiceAdmin',
    '/services/StockQuoteProxy/../ServiceAdmin',
    '/services/StockQuoteProxy;x=1',
    '/services/StockQuoteProxy/services/ServiceAdmin',
    '/services/StockQuoteProxy?to=/services/ServiceAdmin',
    '/%73ervices/ServiceAdmin',
    '/servic%65s/ServiceAdmin',
    '/services/%53tockQuoteProxy',
    '/healthcare/./../services/x',
    '/services;/ServiceAdmin',
    '/services/./ServiceAdmin',
);

my @bad = (
    ['/%2573ervices/ServiceAdmin', 'encoding', 'double-encoded s'],
    ['/services%2FServiceAdmin',   'encoding', 'encoded slash'],
    ['/services%2fServiceAdmin',   'encoding', 'encoded slash lower'],
    ['/healthcare/..;/services/x', 'dot-segment', '..;/ hides a dot segment'],
    ['/healthcare/.;x/services/x', 'dot-segment', '.;x hides a dot segment'],
    ['/%c0%afservices/x',          'encoding', 'overlong slash'],
    ['/healthcare/%c0%ae%c0%ae/services/x', 'encoding', 'overlong dots'],
    ['/healthcare%5c..%5cservices/x', 'encoding', 'encoded backslash'],
    ['/healthcare\\..\\services/x', 'encoding', 'raw backslash'],
    ['/..;/services/x',            'dot-segment', '..; at root'],
    ['/../services/x',             'dot-segment', 'above root'],
    ['/services%00/x',             'control-char', 'encoded NUL'],
    ['/%u0073ervices/x',           'encoding', '%u escape'],
);

my @metadata = (
    '/healthcare?wsdl', '/healthcare?WSDL', '/healthcare?wsdl2',
    '/healthcare?xsd=xsd0.xsd', '/healthcare?info', '/healthcare?swagger.json',
    '/healthcare?swagger.yaml', '/healthcare?policy', '/healthcare?a=1&wsdl',
    '/services/StockQuoteProxy?wsdl', '/services/StockQuoteProxy?xsd',
    '/healthcare?%77sdl',
);

# MiGateServiceMetadata wsdl xsd: those kinds pass on exactly
# /services/<opened name>, every other kind is refused there too, in any
# spelling and position.
my @kinds_pass = ('?wsdl', '?WSDL', '?Wsdl', '?%77sdl', '?xsd', '?xsd=a.xsd',
                  '?XSD1', '?wsdl&xsd=1', '?symbol=IBM');
my @kinds_refused = ('?info', '?%69nfo', '?INFO', '?a=1&info', '?wsdl&info',
                     '?info&wsdl', '?wsdl2', '?swagger.json',
                     '?Swagger.yaml', '?policy', '?a=1&%70olicy=x');

plan tests => @services + @bad + @metadata + 14 + @kinds_pass
            + @kinds_refused + 2;

refused_ok('edge', 'GET', $_, 403, 'services', "services: $_") for @services;
refused_ok('edge', 'GET', $_->[0], 400, $_->[1], $_->[2]) for @bad;
refused_ok('edge', 'GET', $_, 403, 'service-metadata', "metadata: $_")
    for @metadata;

# The opened service passes, in its three forms, with no allow rule.
passed_ok('edge', 'POST', '/services/StockQuoteProxy', 'opened service');
passed_ok('edge', 'POST', '/services/StockQuoteProxy/getQuote', 'operation');
passed_ok('edge', 'POST', '/services/StockQuoteProxy.SOAP11Endpoint',
          'endpoint');
passed_ok('edge', 'GET', '/services/StockQuoteProxy?symbol=IBM', 'query');
refused_ok('edge', 'TRACE', '/services/StockQuoteProxy', 403, 'method',
           'TRACE to an opened service');

# MiGateServiceMetadata On: ?wsdl only on exactly /services/<opened name>.
passed_ok('edge_meta', 'GET', '/services/StockQuoteProxy?wsdl', 'wsdl');
passed_ok('edge_meta', 'GET', '/services/OrderProxy?xsd=1', 'xsd');
passed_ok('edge_meta', 'HEAD', '/services/StockQuoteProxy?WSDL', 'HEAD');
refused_ok('edge_meta', 'POST', '/services/StockQuoteProxy?wsdl', 403,
           'service-metadata', 'POST ?wsdl');
refused_ok('edge_meta', 'GET', '/services/StockQuoteProxy/op?wsdl', 403,
           'service-metadata', 'below the service');
refused_ok('edge_meta', 'GET', '/services/Other?wsdl', 403, 'services',
           'unopened service');
refused_ok('edge_meta', 'GET', '/healthcare?swagger.json', 403,
           'service-metadata', 'API metadata');
refused_ok('edge_meta', 'GET', '/services/ServiceAdmin', 403, 'services',
           'admin service');
passed_ok('edge_meta', 'GET', '/healthcare/x', 'allowlist still works');

passed_ok('edge_meta_kinds', 'GET', "/services/StockQuoteProxy$_",
          "kinds wsdl xsd: $_") for @kinds_pass;
refused_ok('edge_meta_kinds', 'GET', "/services/StockQuoteProxy$_", 403,
           'service-metadata', "kinds wsdl xsd: $_") for @kinds_refused;
refused_ok('edge_meta_kinds', 'POST', '/services/StockQuoteProxy?wsdl', 403,
           'service-metadata', 'kinds wsdl xsd: POST ?wsdl');
refused_ok('edge_meta_kinds', 'GET', '/healthcare?wsdl', 403,
           'service-metadata', 'kinds wsdl xsd: not a service');
