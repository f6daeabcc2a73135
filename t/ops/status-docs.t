# The Prometheus files of docs/status.md, as they stand there: the
# prometheus.yml that scrapes the status page and the alert rules it
# loads pass promtool's checks, and each alert fires on the series it is
# meant for and on no other.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use MiGate::Docs;
use File::Temp qw(tempdir);

plan tests => 6;

my $top = Apache::Test::vars('top_dir');
my @yaml = fenced_blocks("$top/docs/status.md", 'yaml');
my ($config) = grep { $_->{text} =~ /^scrape_configs:/m } @yaml;
my ($rules) = grep { $_->{text} =~ /^groups:/m } @yaml;
ok($config && $rules, 'docs/status.md: a prometheus.yml and alert rules');
my ($rules_name) = ($config->{text} // '') =~ /^rule_files:\n\s+- (\S+)/m;
ok($rules_name, "the configuration loads $rules_name");

my $dir = tempdir('migate-prom.XXXXXX', TMPDIR => 1, CLEANUP => 1);
write_file("$dir/" . ($rules_name // 'rules.yml'), $rules->{text});
my $conf = write_file("$dir/prometheus.yml", $config->{text});

my $out = `promtool check config '$conf' 2>&1`;
ok($? == 0, 'promtool check config (and the rule file it loads)')
    or diag($out);
$out = `promtool check rules '$dir/$rules_name' 2>&1`;
ok($? == 0, 'promtool check rules') or diag($out);

# The alerts on series as the status page exports them: /services
# refused from minute 10, backend-tls refused from minute 10, and
# not-allowed refusals all along (no alert of their own).  The
# annotations are left out here: their text is not what is tested.
(my $bare = $rules->{text}) =~ s/^( +)annotations:\n(?:\1 +\S.*\n)*//mg;
write_file("$dir/bare.yml", $bare);
my $lbl = 'instance="edge:8081",job="migate",vhost="api.example.com:443"';
my $exp = '{severity: %s, instance: "edge:8081", '
          . 'vhost: "api.example.com:443"}';
my $test = write_file("$dir/test.yml", <<"EOF");
rule_files:
  - bare.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'migate_requests_total{$lbl,verdict="refused",reason="services"}'
        values: '0x9 3x20'
      - series: 'migate_requests_total{$lbl,verdict="refused",reason="backend-tls"}'
        values: '0x9 1x20'
      - series: 'migate_requests_total{$lbl,verdict="refused",reason="not-allowed"}'
        values: '0+10x30'
    alert_rule_test:
      - eval_time: 5m
        alertname: MiGateServicesProbe
        exp_alerts: []
      - eval_time: 5m
        alertname: MiGateBackendTLS
        exp_alerts: []
      - eval_time: 12m
        alertname: MiGateServicesProbe
        exp_alerts:
          - exp_labels: @{[ sprintf $exp, 'warning' ]}
      - eval_time: 12m
        alertname: MiGateBackendTLS
        exp_alerts:
          - exp_labels: @{[ sprintf $exp, 'critical' ]}
      - eval_time: 29m
        alertname: MiGateServicesProbe
        exp_alerts: []
      - eval_time: 29m
        alertname: MiGateBackendTLS
        exp_alerts: []
EOF
ok($bare !~ /annotations:/ && $bare =~ /alert: MiGateBackendTLS/,
   'the rules without their annotations');
$out = `cd '$dir' && promtool test rules '$test' 2>&1`;
ok($? == 0, 'promtool test rules: each alert fires when it should')
    or diag($out);
