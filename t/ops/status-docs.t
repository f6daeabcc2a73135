# The Prometheus files the package ships in
# /usr/share/doc/libapache2-mod-migate/examples/ (conf/examples/ here):
# the prometheus.yml that scrapes the status page and the alert rules it
# loads pass promtool's checks, and each alert fires on the series it is
# meant for and on no other.  docs/status.md shows the same two files.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use MiGate::Test;
use MiGate::Docs;
use File::Temp qw(tempdir);

plan tests => 7;

my $top = Apache::Test::vars('top_dir');

sub slurp {
    my $f = shift;
    open my $fh, '<', $f or return '';
    local $/;
    return <$fh>;
}

# A shipped file's YAML, without the comment that opens it.
sub yaml_of { (my $t = slurp(shift)) =~ s/\A(?:#.*\n)+//; return $t }

my %shipped = map { $_ => yaml_of("$top/conf/examples/$_") }
    qw(prometheus.yml migate-alerts.yml);
my $config = { text => $shipped{'prometheus.yml'} };
my $rules = { text => $shipped{'migate-alerts.yml'} };
ok($config->{text} =~ /^scrape_configs:/m && $rules->{text} =~ /^groups:/m,
   'conf/examples: a prometheus.yml and alert rules');
my ($rules_name) = ($config->{text} // '') =~ /^rule_files:\n\s+- (\S+)/m;
ok(($rules_name // '') eq 'migate-alerts.yml',
   'the configuration loads the shipped rules, migate-alerts.yml');

my @yaml = map { $_->{text} } fenced_blocks("$top/docs/status.md", 'yaml');
ok((grep { $_ eq $config->{text} } @yaml)
   && (grep { $_ eq $rules->{text} } @yaml),
   'docs/status.md shows the two shipped files as they are');

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
