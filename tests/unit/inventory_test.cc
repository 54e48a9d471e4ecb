// inventory.yaml: the spec's defaults, every key, the shipped example, and the
// exact text of every kind of error.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <set>

#include "collector/inventory/inventory_loader.h"
#include "collector/monitors/registry.h"

namespace mimamori::collector {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<std::string> ErrorTexts(const std::vector<ConfigError>& errors) {
  std::vector<std::string> texts;
  for (const ConfigError& error : errors) texts.push_back(error.ToString());
  return texts;
}

// Parses text that must be valid.
Inventory Parse(std::string_view text) {
  std::vector<ConfigError> errors;
  std::optional<Inventory> inventory = ParseInventory(text, "inventory.yaml", errors);
  EXPECT_TRUE(inventory) << ::testing::PrintToString(ErrorTexts(errors));
  EXPECT_TRUE(errors.empty());
  return inventory.value_or(Inventory{});
}

TEST(Inventory, EmptyFileHasTheSpecDefaults) {
  for (std::string_view text : {"", "# nothing yet\n", "---\n"}) {
    const Inventory inventory = Parse(text);
    EXPECT_EQ(inventory.platform_name, "第三期サーバ仮想基盤");
    EXPECT_EQ(inventory.source, "inventory.yaml");
    const Defaults& d = inventory.defaults;
    EXPECT_EQ(d.intervals.ping, seconds(60));
    EXPECT_EQ(d.intervals.process, seconds(300));
    EXPECT_EQ(d.intervals.port, seconds(300));
    EXPECT_EQ(d.intervals.service, seconds(300));
    EXPECT_EQ(d.intervals.web, seconds(300));
    EXPECT_EQ(d.intervals.resource, seconds(300));
    EXPECT_EQ(d.failures.ping, 2);
    EXPECT_EQ(d.failures.port, 2);
    EXPECT_EQ(d.failures.process, 1);
    EXPECT_EQ(d.thresholds.cpu, (Threshold{75, 90}));
    EXPECT_EQ(d.thresholds.memory, (Threshold{90, 95}));
    EXPECT_EQ(d.thresholds.disk, (Threshold{75, 85}));
    EXPECT_TRUE(d.thresholds.disk_by_mount.empty());
    EXPECT_EQ(d.snmp.version, "2c");
    EXPECT_EQ(d.snmp.community, "MieKiban");
    EXPECT_EQ(d.snmp.port, 161);
    EXPECT_EQ(d.snmp.timeout, milliseconds(3000));
    EXPECT_EQ(d.snmp.retries, 1);
    EXPECT_EQ(d.ping.packets, 1);
    EXPECT_EQ(d.ping.timeout, milliseconds(5000));
    EXPECT_FALSE(d.ping.rtt_warning);
    EXPECT_FALSE(d.ping.loss_critical_percent);
    EXPECT_FALSE(d.hours.at(ServiceLevel::kA).business_hours_only);
    EXPECT_FALSE(d.hours.at(ServiceLevel::kB).business_hours_only);
    EXPECT_TRUE(d.hours.at(ServiceLevel::kC).business_hours_only);
    EXPECT_TRUE(d.hours.at(ServiceLevel::kC).ping);
    EXPECT_TRUE(d.hours.at(ServiceLevel::kCDev).business_hours_only);
    EXPECT_FALSE(d.hours.at(ServiceLevel::kCDev).ping);
    EXPECT_EQ(inventory.calendar.open_minute, 9 * 60);
    EXPECT_EQ(inventory.calendar.close_minute, 17 * 60 + 45);
    EXPECT_EQ(inventory.metrics.listen, "127.0.0.1:9716");
    EXPECT_TRUE(inventory.systems.empty());
    EXPECT_TRUE(inventory.nodes.empty());
    const AlertingSettings& a = inventory.alerting;
    EXPECT_TRUE(a.platform_managers.empty());
    EXPECT_TRUE(a.ict_service_center.empty());
    EXPECT_TRUE(a.on_duty.empty());
    EXPECT_EQ(a.mail.url, "");  // mail not configured
    EXPECT_EQ(a.mail.timeout, milliseconds(30000));
    EXPECT_TRUE(a.phone.command.empty());
    EXPECT_EQ(a.phone.webhook_url, "");
    EXPECT_EQ(a.phone.timeout, milliseconds(10000));
    EXPECT_EQ(a.retry.initial, seconds(30));
    EXPECT_EQ(a.retry.max, seconds(600));
    EXPECT_EQ(a.retry.phone_attempts, 3);
    EXPECT_EQ(a.priority.For(FailureClass::kAlive), Priority::kHigh);
    EXPECT_EQ(a.priority.For(FailureClass::kResourceCritical), Priority::kHigh);
    EXPECT_EQ(a.priority.For(FailureClass::kResourceWarning), Priority::kLow);
    EXPECT_EQ(a.ledger, "/var/lib/mimamori/ledger.db");
    EXPECT_EQ(a.templates, "/etc/mimamori/templates");
    EXPECT_EQ(a.grouping_window, seconds(60));
    EXPECT_EQ(a.platform_vm_threshold, 3);
    EXPECT_TRUE(a.suppressions.empty());
  }
}

TEST(Inventory, NodeStartsFromTheDefaultsWhereverTheyAreInTheFile) {
  const Inventory inventory = Parse(R"(nodes:
  - {name: web01, address: 10.0.1.21}
  - name: db01
    address: 10.0.1.22
    snmp: {port: 1161}
    ping: {rtt_warning: off}
    thresholds: {cpu: {warning: 60}, disk: {"/var": {warning: 50}}}
defaults:
  snmp: {community: Other, timeout: 1s}
  ping: {rtt_warning: 1s, rtt_critical: 3s}
  thresholds:
    disk: {critical: 80, "/boot": {warning: 95, critical: 99}}
)");
  ASSERT_EQ(inventory.nodes.size(), 2u);
  const Node& web = inventory.nodes[0];
  EXPECT_EQ(web.kind, NodeKind::kVm);
  EXPECT_TRUE(web.resource);
  EXPECT_EQ(web.line, 2);
  EXPECT_EQ(web.snmp.community, "Other");
  EXPECT_EQ(web.snmp.port, 161);
  EXPECT_EQ(web.snmp.timeout, milliseconds(1000));
  EXPECT_EQ(web.ping.rtt_warning, milliseconds(1000));
  EXPECT_EQ(web.thresholds.disk, (Threshold{75, 80}));
  EXPECT_EQ(web.thresholds.DiskFor("/boot"), (Threshold{95, 99}));
  EXPECT_EQ(web.thresholds.DiskFor("/home"), (Threshold{75, 80}));
  EXPECT_EQ(inventory.LevelOf(web), ServiceLevel::kA);  // no system: like level A

  const Node& db = inventory.nodes[1];
  EXPECT_EQ(db.snmp.community, "Other");
  EXPECT_EQ(db.snmp.port, 1161);
  EXPECT_FALSE(db.ping.rtt_warning);  // "off" clears the default
  EXPECT_EQ(db.ping.rtt_critical, milliseconds(3000));
  EXPECT_EQ(db.thresholds.cpu, (Threshold{60, 90}));
  EXPECT_EQ(db.thresholds.DiskFor("/var"), (Threshold{50, 80}));
  EXPECT_EQ(db.thresholds.DiskFor("/boot"), (Threshold{95, 99}));
}

TEST(Inventory, EveryKey) {
  const Inventory inventory = Parse(R"(platform_name: 第四期基盤
defaults:
  intervals: {ping: 30s, process: 2m, port: 120, service: 1h, web: 90s, resource: 600s}
  failures: {ping: 3, port: 4, process: 2, service: 5, web: 6, resource: 7}
  thresholds:
    cpu: {warning: 70.5, critical: 80%}
    memory: {warning: 85, critical: 99}
    disk: {warning: 60, critical: 70, "C:": {warning: 65}}
  snmp: {version: 2c, community: Secret, port: 1161, timeout: 1500ms, retries: 3}
  ping:
    packets: 3
    timeout: 2s
    packet_interval: 200ms
    rtt_warning: 1s
    rtt_critical: 3s
    loss_warning: 1
    loss_critical: 51
  monitoring_hours: {A: always-no-ping, B: business, C: always, C-dev: business-no-ping}
calendar:
  business_hours: "08:30-24:00"
  extra_closed_days: [2026-12-28]
  extra_open_days: ["2026-05-09", 2026-05-10]
metrics: {listen: "[::1]:0"}
systems:
  - name: 住民記録システム
    level: A
    owners:
      - {name: 山田太郎, mail: yamada@example.lg.jp}
      - {mail: team@example.lg.jp}
  - {name: 検証, level: C-dev}
nodes:
  - {name: esx01, address: esx01.example.lg.jp., kind: esxi-host}
  - name: web01
    address: "2001:db8::21"
    kind: vm
    host: esx01
    system: 住民記録システム
    os: RHEL 9
    resource: false
    snmp: {community: Web, port: 16161, timeout: 2s, retries: 0}
    ping: {packets: 2, timeout: 1s, packet_interval: 1s, rtt_warning: 2s, rtt_critical: 4s, loss_warning: 10, loss_critical: 60}
    processes:
      - {name: httpd, command: "/usr/sbin/httpd", arguments: ".*-DFOREGROUND.*", case_insensitive: true, min_count: 2, max_count: 10}
      - {name: sshd, command: "/usr/sbin/sshd"}
    ports: [22, {port: 443, name: https, timeout: 3s}]
    services:
      - {name: W3SVC, user: monitor, password_file: /etc/mimamori/winrm.pass, port: 15985, protocol: http, timeout: 4s, retries: 2}
      - {name: MSSQLSERVER, user: monitor, password_env: WINRM_PASSWORD, protocol: https}
    web:
      - {name: health, url: "http://10.0.1.21/health", expected_status: 204, body: "OK|ok", timeout: 7s}
      - {url: "https://web01.example.lg.jp/"}
    thresholds: {cpu: {warning: 80, critical: 95}, memory: {critical: 97}, disk: {"/var": {warning: 80, critical: 90}}}
  - {name: sw01, address: 10.0.0.1, kind: network}
  - {name: storage01, address: 10.0.0.2, kind: storage}
  - {name: vc01, address: 10.0.0.3, kind: vcenter}
  - {name: mon01, address: 10.0.0.4, kind: monitoring-server}
  - {name: dev01, address: 10.0.9.1, system: 検証}
)");
  EXPECT_EQ(inventory.platform_name, "第四期基盤");
  const Defaults& d = inventory.defaults;
  EXPECT_EQ(d.intervals.ping, seconds(30));
  EXPECT_EQ(d.intervals.process, seconds(120));
  EXPECT_EQ(d.intervals.port, seconds(120));
  EXPECT_EQ(d.intervals.service, seconds(3600));
  EXPECT_EQ(d.intervals.web, seconds(90));
  EXPECT_EQ(d.intervals.resource, seconds(600));
  EXPECT_EQ(d.failures.ping, 3);
  EXPECT_EQ(d.failures.port, 4);
  EXPECT_EQ(d.failures.process, 2);
  EXPECT_EQ(d.failures.service, 5);
  EXPECT_EQ(d.failures.web, 6);
  EXPECT_EQ(d.failures.resource, 7);
  EXPECT_EQ(d.thresholds.cpu, (Threshold{70.5, 80}));
  EXPECT_EQ(d.thresholds.memory, (Threshold{85, 99}));
  EXPECT_EQ(d.thresholds.disk, (Threshold{60, 70}));
  EXPECT_EQ(d.thresholds.DiskFor("C:"), (Threshold{65, 70}));
  EXPECT_EQ(d.snmp.community, "Secret");
  EXPECT_EQ(d.snmp.port, 1161);
  EXPECT_EQ(d.snmp.timeout, milliseconds(1500));
  EXPECT_EQ(d.snmp.retries, 3);
  EXPECT_EQ(d.ping.packets, 3);
  EXPECT_EQ(d.ping.timeout, milliseconds(2000));
  EXPECT_EQ(d.ping.interval, milliseconds(200));
  EXPECT_EQ(d.ping.rtt_warning, milliseconds(1000));
  EXPECT_EQ(d.ping.rtt_critical, milliseconds(3000));
  EXPECT_EQ(d.ping.loss_warning_percent, 1);
  EXPECT_EQ(d.ping.loss_critical_percent, 51);
  EXPECT_FALSE(d.hours.at(ServiceLevel::kA).business_hours_only);
  EXPECT_FALSE(d.hours.at(ServiceLevel::kA).ping);
  EXPECT_TRUE(d.hours.at(ServiceLevel::kB).business_hours_only);
  EXPECT_TRUE(d.hours.at(ServiceLevel::kB).ping);
  EXPECT_FALSE(d.hours.at(ServiceLevel::kC).business_hours_only);
  EXPECT_FALSE(d.hours.at(ServiceLevel::kCDev).ping);
  EXPECT_EQ(inventory.calendar.open_minute, 8 * 60 + 30);
  EXPECT_EQ(inventory.calendar.close_minute, 24 * 60);
  EXPECT_EQ(inventory.calendar.extra_closed_days, std::vector<std::string>{"2026-12-28"});
  EXPECT_EQ(inventory.calendar.extra_open_days,
            (std::vector<std::string>{"2026-05-09", "2026-05-10"}));
  EXPECT_EQ(inventory.metrics.listen, "[::1]:0");

  ASSERT_EQ(inventory.systems.size(), 2u);
  const System& system = inventory.systems[0];
  EXPECT_EQ(system.name, "住民記録システム");
  EXPECT_EQ(system.level, ServiceLevel::kA);
  ASSERT_EQ(system.owners.size(), 2u);
  EXPECT_EQ(system.owners[0].name, "山田太郎");
  EXPECT_EQ(system.owners[0].mail, "yamada@example.lg.jp");
  EXPECT_EQ(system.owners[1].name, "");
  EXPECT_EQ(inventory.systems[1].level, ServiceLevel::kCDev);

  ASSERT_EQ(inventory.nodes.size(), 7u);
  EXPECT_EQ(inventory.nodes[0].kind, NodeKind::kEsxiHost);
  EXPECT_EQ(inventory.nodes[0].address, "esx01.example.lg.jp.");
  const Node& web = inventory.nodes[1];
  EXPECT_EQ(web.name, "web01");
  EXPECT_EQ(web.address, "2001:db8::21");
  EXPECT_EQ(web.kind, NodeKind::kVm);
  EXPECT_EQ(web.host, "esx01");
  EXPECT_EQ(web.system, "住民記録システム");
  EXPECT_EQ(web.os, "RHEL 9");
  EXPECT_FALSE(web.resource);
  EXPECT_EQ(web.snmp.version, "2c");
  EXPECT_EQ(web.snmp.community, "Web");
  EXPECT_EQ(web.snmp.port, 16161);
  EXPECT_EQ(web.snmp.timeout, milliseconds(2000));
  EXPECT_EQ(web.snmp.retries, 0);
  EXPECT_EQ(web.ping.packets, 2);
  EXPECT_EQ(web.ping.timeout, milliseconds(1000));
  EXPECT_EQ(web.ping.interval, milliseconds(1000));
  EXPECT_EQ(web.ping.rtt_warning, milliseconds(2000));
  EXPECT_EQ(web.ping.rtt_critical, milliseconds(4000));
  EXPECT_EQ(web.ping.loss_warning_percent, 10);
  EXPECT_EQ(web.ping.loss_critical_percent, 60);

  ASSERT_EQ(web.processes.size(), 2u);
  EXPECT_EQ(web.processes[0].name, "httpd");
  EXPECT_EQ(web.processes[0].command, "/usr/sbin/httpd");
  EXPECT_EQ(web.processes[0].arguments, ".*-DFOREGROUND.*");
  EXPECT_TRUE(web.processes[0].case_insensitive);
  EXPECT_EQ(web.processes[0].min_count, 2);
  EXPECT_EQ(web.processes[0].max_count, 10);
  EXPECT_EQ(web.processes[1].arguments, ".*");
  EXPECT_FALSE(web.processes[1].case_insensitive);
  EXPECT_EQ(web.processes[1].min_count, 1);
  EXPECT_EQ(web.processes[1].max_count, 99);

  ASSERT_EQ(web.ports.size(), 2u);
  EXPECT_EQ(web.ports[0].port, 22);
  EXPECT_EQ(web.ports[0].name, "tcp/22");
  EXPECT_EQ(web.ports[0].timeout, milliseconds(5000));
  EXPECT_EQ(web.ports[1].port, 443);
  EXPECT_EQ(web.ports[1].name, "https");
  EXPECT_EQ(web.ports[1].timeout, milliseconds(3000));

  ASSERT_EQ(web.services.size(), 2u);
  EXPECT_EQ(web.services[0].service, "W3SVC");
  EXPECT_EQ(web.services[0].user, "monitor");
  EXPECT_EQ(web.services[0].password_file, "/etc/mimamori/winrm.pass");
  EXPECT_EQ(web.services[0].port, 15985);
  EXPECT_FALSE(web.services[0].https);
  EXPECT_EQ(web.services[0].timeout, milliseconds(4000));
  EXPECT_EQ(web.services[0].retries, 2);
  EXPECT_EQ(web.services[1].password_env, "WINRM_PASSWORD");
  EXPECT_TRUE(web.services[1].https);
  EXPECT_EQ(web.services[1].port, 5986);  // WinRM's HTTPS port when none is given
  EXPECT_EQ(web.services[1].timeout, milliseconds(5000));
  EXPECT_EQ(web.services[1].retries, 1);

  ASSERT_EQ(web.web.size(), 2u);
  EXPECT_EQ(web.web[0].name, "health");
  EXPECT_EQ(web.web[0].url, "http://10.0.1.21/health");
  EXPECT_EQ(web.web[0].expected_status, 204);
  EXPECT_EQ(web.web[0].body_regex, "OK|ok");
  EXPECT_EQ(web.web[0].timeout, milliseconds(7000));
  EXPECT_EQ(web.web[1].name, "https://web01.example.lg.jp/");
  EXPECT_EQ(web.web[1].expected_status, 200);
  EXPECT_EQ(web.web[1].body_regex, "");

  EXPECT_EQ(web.thresholds.cpu, (Threshold{80, 95}));
  EXPECT_EQ(web.thresholds.memory, (Threshold{85, 97}));
  EXPECT_EQ(web.thresholds.DiskFor("/var"), (Threshold{80, 90}));
  EXPECT_EQ(web.thresholds.DiskFor("C:"), (Threshold{65, 70}));  // from the defaults

  // Spec section 2: no resource monitoring of network devices and vCenter.
  EXPECT_EQ(inventory.nodes[2].kind, NodeKind::kNetwork);
  EXPECT_FALSE(inventory.nodes[2].resource);
  EXPECT_EQ(inventory.nodes[3].kind, NodeKind::kStorage);
  EXPECT_TRUE(inventory.nodes[3].resource);
  EXPECT_EQ(inventory.nodes[4].kind, NodeKind::kVcenter);
  EXPECT_FALSE(inventory.nodes[4].resource);
  EXPECT_EQ(inventory.nodes[5].kind, NodeKind::kMonitoringServer);
  EXPECT_TRUE(inventory.nodes[5].resource);
  EXPECT_EQ(inventory.LevelOf(inventory.nodes[6]), ServiceLevel::kCDev);
}

TEST(Inventory, AlertingSectionRoundTrips) {
  const Inventory inventory = Parse(R"(alerting:
  platform_managers:
    - {name: 基盤 統括, mail: toukatsu@example.lg.jp, phone: "+81-59-000-0001"}
    - {mail: kiban-team@example.lg.jp}
  ict_service_center:
    - {name: ICT センター, mail: ict@example.lg.jp, phone: 内線 1234}
  on_duty:
    - {name: 当番, mail: touban@example.lg.jp}
  mail:
    url: smtp://127.0.0.1:25
    starttls: true
    user: kanshi
    password_file: /etc/mimamori/smtp-password
    from: kanshi@example.lg.jp
    from_name: 監視システム
    timeout: 45s
  phone:
    command: [/usr/local/bin/call-duty, --urgent, ""]
    timeout: 20s
  retry: {initial: 1m, max: 15m, phone_attempts: 5}
  priority: {alive: low, process: low, port: low, service: low, web: low, resource-critical: low, resource-warning: high}
  ledger: /srv/mimamori/ledger.db
  templates: /srv/mimamori/templates
  grouping_window: 90s
  platform_vm_threshold: 2
  suppressions:
    - node: web01
      start: "2026-12-01 09:00"
      end: "2026-12-01 12:00"
      reason: 法定点検
      requested_by: 山田
    - {system: 住民記録システム, start: 2026-12-31 23:00, end: 2027-01-01 01:30, reason: 年越し作業, requested_by: 基盤 統括}
systems:
  - name: 住民記録システム
    level: A
    owners: [{name: 山田太郎, mail: yamada@example.lg.jp, phone: 059-000-0002}]
    priority: {resource-warning: high, web: low}
  - {name: 検証, level: C-dev}
nodes:
  - {name: web01, address: 10.0.1.21, system: 住民記録システム}
)");
  const AlertingSettings& a = inventory.alerting;
  ASSERT_EQ(a.platform_managers.size(), 2u);
  EXPECT_EQ(a.platform_managers[0].name, "基盤 統括");
  EXPECT_EQ(a.platform_managers[0].mail, "toukatsu@example.lg.jp");
  EXPECT_EQ(a.platform_managers[0].phone, "+81-59-000-0001");
  EXPECT_EQ(a.platform_managers[1].name, "");
  EXPECT_EQ(a.platform_managers[1].phone, "");
  ASSERT_EQ(a.ict_service_center.size(), 1u);
  EXPECT_EQ(a.ict_service_center[0].name, "ICT センター");
  EXPECT_EQ(a.ict_service_center[0].mail, "ict@example.lg.jp");
  EXPECT_EQ(a.ict_service_center[0].phone, "内線 1234");
  ASSERT_EQ(a.on_duty.size(), 1u);
  EXPECT_EQ(a.on_duty[0].mail, "touban@example.lg.jp");

  EXPECT_EQ(a.mail.url, "smtp://127.0.0.1:25");
  EXPECT_TRUE(a.mail.starttls);
  EXPECT_EQ(a.mail.user, "kanshi");
  EXPECT_EQ(a.mail.password_file, "/etc/mimamori/smtp-password");
  EXPECT_EQ(a.mail.password_env, "");
  EXPECT_EQ(a.mail.from, "kanshi@example.lg.jp");
  EXPECT_EQ(a.mail.from_name, "監視システム");
  EXPECT_EQ(a.mail.timeout, milliseconds(45000));

  EXPECT_EQ(a.phone.command,
            (std::vector<std::string>{"/usr/local/bin/call-duty", "--urgent", ""}));
  EXPECT_EQ(a.phone.webhook_url, "");
  EXPECT_EQ(a.phone.timeout, milliseconds(20000));

  EXPECT_EQ(a.retry.initial, seconds(60));
  EXPECT_EQ(a.retry.max, seconds(900));
  EXPECT_EQ(a.retry.phone_attempts, 5);
  // Every class was given, so each one's default is overturned.
  EXPECT_EQ(a.priority.For(FailureClass::kAlive), Priority::kLow);
  EXPECT_EQ(a.priority.For(FailureClass::kProcess), Priority::kLow);
  EXPECT_EQ(a.priority.For(FailureClass::kPort), Priority::kLow);
  EXPECT_EQ(a.priority.For(FailureClass::kService), Priority::kLow);
  EXPECT_EQ(a.priority.For(FailureClass::kWeb), Priority::kLow);
  EXPECT_EQ(a.priority.For(FailureClass::kResourceCritical), Priority::kLow);
  EXPECT_EQ(a.priority.For(FailureClass::kResourceWarning), Priority::kHigh);
  EXPECT_EQ(a.ledger, "/srv/mimamori/ledger.db");
  EXPECT_EQ(a.templates, "/srv/mimamori/templates");
  EXPECT_EQ(a.grouping_window, seconds(90));
  EXPECT_EQ(a.platform_vm_threshold, 2);

  ASSERT_EQ(a.suppressions.size(), 2u);
  EXPECT_EQ(a.suppressions[0].node, "web01");
  EXPECT_EQ(a.suppressions[0].system, "");
  EXPECT_EQ(a.suppressions[0].start, "2026-12-01 09:00");
  EXPECT_EQ(a.suppressions[0].end, "2026-12-01 12:00");
  EXPECT_EQ(a.suppressions[0].reason, "法定点検");
  EXPECT_EQ(a.suppressions[0].requested_by, "山田");
  EXPECT_EQ(a.suppressions[0].line, 27);
  EXPECT_EQ(a.suppressions[1].node, "");
  EXPECT_EQ(a.suppressions[1].system, "住民記録システム");
  EXPECT_EQ(a.suppressions[1].start, "2026-12-31 23:00");  // unquoted works too
  EXPECT_EQ(a.suppressions[1].end, "2027-01-01 01:30");
  EXPECT_EQ(a.suppressions[1].line, 32);

  ASSERT_EQ(inventory.systems.size(), 2u);
  const System& juki = inventory.systems[0];
  ASSERT_EQ(juki.owners.size(), 1u);
  EXPECT_EQ(juki.owners[0].phone, "059-000-0002");
  // Only the classes named: the rest follow alerting.priority.
  EXPECT_EQ(juki.priority,
            (std::map<FailureClass, Priority>{{FailureClass::kResourceWarning, Priority::kHigh},
                                              {FailureClass::kWeb, Priority::kLow}}));
  EXPECT_TRUE(inventory.systems[1].priority.empty());
}

TEST(Inventory, AlertingWebhookAndPasswordFromTheEnvironment) {
  const Inventory inventory = Parse(R"(alerting:
  mail: {url: "smtps://mail.example.lg.jp:465", user: kanshi, password_env: MIMAMORI_SMTP_PASSWORD, from: kanshi@example.lg.jp}
  phone: {webhook_url: "https://pager.example/hook", token_env: MIMAMORI_PAGER_TOKEN}
  priority: {resource-warning: high}
)");
  const AlertingSettings& a = inventory.alerting;
  EXPECT_EQ(a.mail.url, "smtps://mail.example.lg.jp:465");
  EXPECT_FALSE(a.mail.starttls);
  EXPECT_EQ(a.mail.password_file, "");
  EXPECT_EQ(a.mail.password_env, "MIMAMORI_SMTP_PASSWORD");
  EXPECT_TRUE(a.phone.command.empty());
  EXPECT_EQ(a.phone.webhook_url, "https://pager.example/hook");
  EXPECT_EQ(a.phone.token_env, "MIMAMORI_PAGER_TOKEN");
  // A partial mapping changes only the classes it names.
  EXPECT_EQ(a.priority.For(FailureClass::kResourceWarning), Priority::kHigh);
  EXPECT_EQ(a.priority.For(FailureClass::kAlive), Priority::kHigh);

  const Inventory token_file = Parse(R"(alerting:
  phone: {webhook_url: "http://127.0.0.1:8080/", token_file: /etc/mimamori/pager-token}
)");
  EXPECT_EQ(token_file.alerting.phone.token_file, "/etc/mimamori/pager-token");
  // "mail:" alone leaves mail unconfigured rather than asking for a URL.
  EXPECT_EQ(Parse("alerting:\n  mail:\n").alerting.mail.url, "");
}

TEST(Inventory, NodeStatesAndGoLive) {
  const Inventory inventory = Parse(R"(systems: [{name: dev, level: C-dev}]
nodes:
  - {name: on01, address: 10.0.0.1}
  - {name: off01, address: 10.0.0.2, enabled: false, processes: [{name: sshd, command: sshd}]}
  - {name: new01, address: 10.0.0.3, monitoring_starts: 2027-01-04, ports: [22, 443]}
  - {name: test01, address: 10.0.0.4, acceptance_testing: true, monitoring_starts: 2027-01-04}
  - {name: dev01, address: 10.0.0.5, system: dev, acceptance_testing: true}
)");
  const Node& off = *inventory.FindNode("off01");
  EXPECT_FALSE(off.enabled);
  const Node& next = *inventory.FindNode("new01");
  EXPECT_EQ(next.monitoring_starts_text, "2027-01-04");
  ASSERT_TRUE(next.monitoring_starts);
  // 00:00 Tokyo is 15:00 UTC the day before.
  EXPECT_EQ(*next.monitoring_starts,
            std::chrono::sys_days{std::chrono::year{2027} / 1 / 3} + std::chrono::hours{15});
  const auto before = *next.monitoring_starts - std::chrono::minutes(1);
  auto counts = inventory.CountByState(before, ScheduledChecks(inventory));
  EXPECT_EQ(counts[NodeState::kMonitored].nodes, 1u);
  EXPECT_EQ(counts[NodeState::kMonitored].checks, 3u);  // ping, resource, time
  EXPECT_EQ(counts[NodeState::kDisabled].checks, 4u);
  EXPECT_EQ(counts[NodeState::kBeforeGoLive].checks, 5u);
  // test01: ping, resource, time; dev01 (C-dev, not pinged): resource, time.
  EXPECT_EQ(counts[NodeState::kAcceptanceTesting].nodes, 2u);
  EXPECT_EQ(counts[NodeState::kAcceptanceTesting].checks, 5u);
  EXPECT_EQ(inventory.DescribeChecks(before, ScheduledChecks(inventory)),
            "8 checks run: 3 monitored (1 node), 5 acceptance-testing (2 nodes); not run: 5 "
            "before-go-live (1 node), 4 disabled (1 node)");
  EXPECT_EQ(inventory.DescribeChecks(*next.monitoring_starts, ScheduledChecks(inventory)),
            "13 checks run: 11 monitored (3 nodes), 2 acceptance-testing (1 node); not run: 4 "
            "disabled (1 node)");
  const Inventory one = Parse("nodes: [{name: a, address: 10.0.0.1}]\n");
  EXPECT_EQ(one.DescribeChecks({}, ScheduledChecks(one)), "3 checks run: 3 monitored (1 node)");
}

// One document names the platform differently in the suppression mails.
TEST(Inventory, SuppressionMailsPlatformNameAndLead) {
  const Inventory defaults = Parse("platform_name: 基盤X\n");
  EXPECT_EQ(defaults.SuppressionPlatformName(), "基盤X");
  EXPECT_EQ(defaults.alerting.suppression_notice_lead, seconds(300));
  const Inventory own = Parse(R"(platform_name: 第三期サーバ仮想基盤
alerting:
  suppression_platform_name: 第三期サーバ仮想化統合基盤
  suppression_notice_lead: 10m
)");
  EXPECT_EQ(own.platform_name, "第三期サーバ仮想基盤");
  EXPECT_EQ(own.SuppressionPlatformName(), "第三期サーバ仮想化統合基盤");
  EXPECT_EQ(own.alerting.suppression_notice_lead, seconds(600));
  EXPECT_EQ(Parse("alerting: {suppression_notice_lead: 0s}\n").alerting.suppression_notice_lead,
            seconds(0));
}

TEST(Inventory, DurationForms) {
  const std::pair<std::string, milliseconds> cases[] = {
      {"300s", milliseconds(300'000)}, {"5m", milliseconds(300'000)},
      {"500ms", milliseconds(500)},    {"1h", milliseconds(3'600'000)},
      {"90", milliseconds(90'000)},    {"1.5s", milliseconds(1500)},
      {"0.25", milliseconds(250)},     {"24h", milliseconds(86'400'000)}};
  for (const auto& [text, expected] : cases) {
    const Inventory inventory = Parse("defaults: {snmp: {timeout: " + text + "}}\n");
    EXPECT_EQ(inventory.defaults.snmp.timeout, expected) << text;
  }
}

TEST(Inventory, ShippedExampleLoadsAndUsesEveryKind) {
  std::vector<ConfigError> errors;
  std::optional<Inventory> inventory =
      LoadInventory(MIMAMORI_FIXTURES "/../../examples/inventory.yaml", errors);
  ASSERT_TRUE(inventory) << ::testing::PrintToString(ErrorTexts(errors));
  EXPECT_TRUE(errors.empty());
  std::set<ServiceLevel> levels;
  for (const System& system : inventory->systems) levels.insert(system.level);
  EXPECT_EQ(levels.size(), 4u);
  std::set<NodeKind> kinds;
  bool windows = false, rhel = false, processes = false, ports = false, services = false,
       web = false, per_mount = false;
  for (const Node& node : inventory->nodes) {
    kinds.insert(node.kind);
    windows = windows || node.os.starts_with("Windows");
    rhel = rhel || node.os.starts_with("RHEL");
    processes = processes || !node.processes.empty();
    ports = ports || !node.ports.empty();
    services = services || !node.services.empty();
    web = web || !node.web.empty();
    per_mount = per_mount || node.thresholds.disk_by_mount.count("/var");
  }
  EXPECT_EQ(kinds.size(), 6u);
  EXPECT_TRUE(windows && rhel && processes && ports && services && web && per_mount);
  const AlertingSettings& a = inventory->alerting;
  EXPECT_FALSE(a.platform_managers.empty());
  EXPECT_FALSE(a.ict_service_center.empty());
  EXPECT_FALSE(a.on_duty.empty());
  EXPECT_NE(a.mail.url, "");
  EXPECT_NE(a.mail.user, "");
  EXPECT_FALSE(a.phone.command.empty());
  EXPECT_FALSE(a.suppressions.empty());
  bool owner_phone = false, system_priority = false;
  for (const System& system : inventory->systems) {
    system_priority = system_priority || !system.priority.empty();
    for (const Owner& owner : system.owners) owner_phone = owner_phone || !owner.phone.empty();
  }
  EXPECT_TRUE(owner_phone && system_priority);
}

TEST(Inventory, ErrorsNameFilePositionFieldAndWhy) {
  // Each case: a file, and the exact line for its one error.
  const std::vector<std::pair<std::string, std::string>> cases = {
      // Unknown and repeated keys.
      {"nodez: []\n",
       "inventory.yaml:1:1: nodez: unknown key (known keys: alerting, calendar, defaults, "
       "messages, metrics, nodes, platform_name, systems, vcenter)"},
      {"nodes:\n  - name: web01\n    address: 10.0.0.1\n    prots: [22]\n",
       "inventory.yaml:4:5: nodes[0].prots: unknown key (known keys: acceptance_testing, address, "
       "backups, enabled, hardware, host, kind, messages, monitoring_starts, name, os, ping, "
       "ports, "
       "processes, resource, services, snmp, syslog, system, thresholds, time_sync, web)"},
      // Node states: disabled, acceptance testing, go-live.
      {"nodes: [{name: w, address: 10.0.0.1, enabled: false, acceptance_testing: true}]\n",
       "inventory.yaml:1:74: nodes[0].acceptance_testing: a node with enabled: false runs no "
       "checks, so it cannot be in acceptance testing; give one of the two"},
      {"nodes: [{name: w, address: 10.0.0.1, monitoring_starts: 2027-02-30}]\n",
       "inventory.yaml:1:57: nodes[0].monitoring_starts: expected a date YYYY-MM-DD, got "
       "'2027-02-30'"},
      {"nodes: [{name: w, address: 10.0.0.1, monitoring_starts: 2300-01-01}]\n",
       "inventory.yaml:1:57: nodes[0].monitoring_starts: '2300-01-01' is outside the supported "
       "times (1970-01-01 00:00 to 2261-12-31 23:59)"},
      {"nodes: [{name: w, address: 10.0.0.1, enabled: no}]\n",
       "inventory.yaml:1:47: nodes[0].enabled: expected true or false, got 'no'"},
      {"defaults:\n  snmp: {comunity: x}\n",
       "inventory.yaml:2:10: defaults.snmp.comunity: unknown key (known keys: community, port, "
       "retries, timeout, version)"},
      {"defaults:\n  thresholds:\n    disk: {warnign: 70}\n",
       "inventory.yaml:3:12: defaults.thresholds.disk.warnign: unknown key (known keys: critical, "
       "warning, or a mount point such as /var or C:)"},
      {"defaults:\n  monitoring_hours: {D: always}\n",
       "inventory.yaml:2:22: defaults.monitoring_hours.D: unknown key (known keys: A, B, C, "
       "C-dev)"},
      {"platform_name: a\nplatform_name: b\n",
       "inventory.yaml:2:1: platform_name: given twice (first at line 1)"},
      // Wrong types.
      {"nodes:\n  - {name: w, address: 10.0.0.1, ports: [abc]}\n",
       "inventory.yaml:2:42: nodes[0].ports[0]: expected an integer, got 'abc'"},
      {"nodes:\n  - {name: w, address: 10.0.0.1, ports: [{port: abc}]}\n",
       "inventory.yaml:2:49: nodes[0].ports[0].port: expected an integer, got 'abc'"},
      {"nodes:\n  - {name: w, address: 10.0.0.1, ports: [[22]]}\n",
       "inventory.yaml:2:42: nodes[0].ports[0]: expected a port number or a mapping, got a list"},
      {"nodes:\n  - {name: w, address: 10.0.0.1, ports: 22}\n",
       "inventory.yaml:2:41: nodes[0].ports: expected a list, got '22'"},
      {"nodes: {web01: {address: 10.0.0.1}}\n",
       "inventory.yaml:1:8: nodes: expected a list, got a mapping"},
      {"nodes:\n  - web01\n", "inventory.yaml:2:5: nodes[0]: expected a mapping, got 'web01'"},
      {"nodes:\n  -\n  - {name: w, address: 10.0.0.1}\n",
       "inventory.yaml:2:3: nodes[0]: empty list item"},
      {"defaults:\n  thresholds: {cpu: 80}\n",
       "inventory.yaml:2:21: defaults.thresholds.cpu: expected a mapping, got '80'"},
      {"defaults:\n  snmp: {retries: 1.5}\n",
       "inventory.yaml:2:19: defaults.snmp.retries: expected an integer, got '1.5'"},
      {"defaults:\n  thresholds: {cpu: {warning: high}}\n",
       "inventory.yaml:2:31: defaults.thresholds.cpu.warning: expected a percentage such as 75, "
       "got 'high'"},
      {"defaults:\n  snmp: {timeout: soon}\n",
       "inventory.yaml:2:19: defaults.snmp.timeout: expected a duration such as 300s, 5m, 500ms or "
       "1h, got 'soon'"},
      {"defaults:\n  snmp: {timeout: [3s]}\n",
       "inventory.yaml:2:19: defaults.snmp.timeout: expected a duration such as 300s, 5m, 500ms or "
       "1h, got a list"},
      {"nodes:\n  - {name: w, address: 10.0.0.1, resource: yes}\n",
       "inventory.yaml:2:44: nodes[0].resource: expected true or false, got 'yes'"},
      {"nodes:\n  - {name: [w], address: 10.0.0.1}\n",
       "inventory.yaml:2:12: nodes[0].name: expected a string, got a list"},
      // Out of range.
      {"nodes:\n  - {name: w, address: 10.0.0.1, ports: [0]}\n",
       "inventory.yaml:2:42: nodes[0].ports[0]: must be from 1 to 65535, got 0"},
      {"nodes:\n  - {name: w, address: 10.0.0.1, snmp: {port: 65536}}\n",
       "inventory.yaml:2:47: nodes[0].snmp.port: must be from 1 to 65535, got 65536"},
      {"defaults:\n  thresholds: {memory: {critical: 101}}\n",
       "inventory.yaml:2:35: defaults.thresholds.memory.critical: must be from 0 to 100, got 101"},
      {"defaults:\n  thresholds: {disk: {warning: -1}}\n",
       "inventory.yaml:2:32: defaults.thresholds.disk.warning: must be from 0 to 100, got -1"},
      {"defaults:\n  thresholds: {cpu: {warning: 95}}\n",
       "inventory.yaml:2:31: defaults.thresholds.cpu.warning: warning 95 is above critical 90"},
      {"nodes:\n  - {name: w, address: 10.0.0.1, thresholds: {disk: {\"/var\": {warning: 90}}}}\n",
       "inventory.yaml:2:72: nodes[0].thresholds.disk[\"/var\"].warning: warning 90 is above "
       "critical 85"},
      {"defaults:\n  intervals: {ping: 500ms}\n",
       "inventory.yaml:2:21: defaults.intervals.ping: must be at least 1s, got 500ms"},
      {"defaults:\n  intervals: {port: 0}\n",
       "inventory.yaml:2:21: defaults.intervals.port: must be at least 1s, got 0"},
      {"defaults:\n  intervals: {web: 1500ms}\n",
       "inventory.yaml:2:20: defaults.intervals.web: must be a whole number of seconds, got "
       "1500ms"},
      {"defaults:\n  intervals: {resource: 2d}\n",
       "inventory.yaml:2:25: defaults.intervals.resource: expected a duration such as 300s, 5m, "
       "500ms or 1h, got '2d'"},
      {"defaults:\n  intervals: {resource: 25h}\n",
       "inventory.yaml:2:25: defaults.intervals.resource: must be at most 24h, got 25h"},
      {"defaults:\n  snmp: {timeout: 0s}\n",
       "inventory.yaml:2:19: defaults.snmp.timeout: must be at least 1ms, got 0s"},
      {"defaults:\n  failures: {ping: 0}\n",
       "inventory.yaml:2:20: defaults.failures.ping: must be from 1 to 100, got 0"},
      {"defaults:\n  ping: {rtt_warning: 5s}\n",  // critical is unset: nothing to compare
       ""},
      {"defaults:\n  ping: {rtt_warning: 5s, rtt_critical: 3s}\n",
       "inventory.yaml:2:23: defaults.ping.rtt_warning: rtt_warning 5s is above rtt_critical 3s"},
      {"defaults:\n  ping: {loss_warning: 60, loss_critical: 51}\n",
       "inventory.yaml:2:24: defaults.ping.loss_warning: loss_warning 60 is above loss_critical "
       "51"},
      {"defaults:\n  ping: {packets: 0}\n",
       "inventory.yaml:2:19: defaults.ping.packets: must be from 1 to 100, got 0"},
      {"defaults:\n  snmp: {retries: -1}\n",
       "inventory.yaml:2:19: defaults.snmp.retries: must be from 0 to 10, got -1"},
      {"defaults:\n  snmp: {version: 3}\n",
       "inventory.yaml:2:19: defaults.snmp.version: only version 2c is supported, got '3'"},
      {"defaults:\n  snmp: {community: \"\"}\n",
       "inventory.yaml:2:21: defaults.snmp.community: must not be empty"},
      {"defaults:\n  monitoring_hours: {C: weekdays}\n",
       "inventory.yaml:2:25: defaults.monitoring_hours.C: expected one of always, always-no-ping, "
       "business, business-no-ping, got 'weekdays'"},
      // Processes. The text after "regular expression:" is libstdc++'s own.
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    processes:\n"
       "      - {name: p, command: x, min_count: 5, max_count: 2}\n",
       "inventory.yaml:5:42: nodes[0].processes[0].min_count: min_count 5 is above max_count 2"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    processes:\n"
       "      - {name: p, command: x, max_count: 0}\n",
       "inventory.yaml:5:42: nodes[0].processes[0].max_count: min_count 1 is above max_count 0"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    processes:\n"
       "      - {name: p, command: x, min_count: -1}\n",
       "inventory.yaml:5:42: nodes[0].processes[0].min_count: must be at least 0, got -1"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    processes:\n"
       "      - {name: p, command: \"/usr/sbin/(httpd\"}\n",
       "inventory.yaml:5:28: nodes[0].processes[0].command: '/usr/sbin/(httpd' is not a valid "
       "regular expression: Mismatched '(' and ')'"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    processes:\n"
       "      - {name: p, command: x, arguments: \"[z-a]\"}\n",
       "inventory.yaml:5:42: nodes[0].processes[0].arguments: '[z-a]' is not a valid regular "
       "expression: Invalid range in bracket expression"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    processes:\n"
       "      - {name: p, command: \"*httpd*\"}\n",
       "inventory.yaml:5:28: nodes[0].processes[0].command: '*httpd*' is not a valid regular "
       "expression: '*' at the start has nothing to repeat (for \"anything\" write .*)"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    processes:\n      - {name: p}\n",
       "inventory.yaml:5:9: nodes[0].processes[0].command: required key is missing"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    processes:\n"
       "      - {name: p, command: x}\n      - {name: p, command: y}\n",
       "inventory.yaml:6:9: nodes[0].processes[1]: duplicate process name 'p' (first at line 5)"},
      // A key with nothing after it: reported where the key is.
      {"nodes:\n  - name: w\n    address:\n    ports:\n",
       "inventory.yaml:3:5: nodes[0].address: must not be empty"},
      // Ports, services, web.
      {"nodes:\n  - {name: w, address: 10.0.0.1, ports: [22, {port: 22}]}\n",
       "inventory.yaml:2:46: nodes[0].ports[1]: duplicate port 22 (first at line 2)"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    services:\n"
       "      - {name: W3SVC, user: u, password: secret}\n",
       "inventory.yaml:5:42: nodes[0].services[0].password: the password itself does not belong in "
       "the inventory; give password_file or password_env"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    services:\n"
       "      - {name: W3SVC, user: u}\n",
       "inventory.yaml:5:9: nodes[0].services[0]: needs password_file or password_env"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    services:\n"
       "      - {name: W3SVC, user: u, password_file: /p, password_env: P}\n",
       "inventory.yaml:5:65: nodes[0].services[0].password_env: give password_file or "
       "password_env, "
       "not both"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    services:\n"
       "      - {name: W3SVC, password_file: /p}\n",
       "inventory.yaml:5:9: nodes[0].services[0].user: required key is missing"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    services:\n"
       "      - {name: W3SVC, user: u, password_file: /p, protocol: ftp}\n",
       "inventory.yaml:5:61: nodes[0].services[0].protocol: expected one of http, https, got "
       "'ftp'"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    web:\n      - {url: \"ftp://w/\"}\n",
       "inventory.yaml:5:15: nodes[0].web[0].url: must start with http:// or https://, got "
       "'ftp://w/'"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    web:\n      - {url: w.example/health}\n",
       "inventory.yaml:5:15: nodes[0].web[0].url: must start with http:// or https://, got "
       "'w.example/health'"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    web:\n      - {url: \"https:///x\"}\n",
       "inventory.yaml:5:15: nodes[0].web[0].url: no host in 'https:///x'"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    web:\n"
       "      - {url: \"http://w/\", expected_status: 0}\n",
       "inventory.yaml:5:45: nodes[0].web[0].expected_status: must be from 100 to 599, got 0"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    web:\n"
       "      - {url: \"http://w/\", body: \"(OK\"}\n",
       "inventory.yaml:5:34: nodes[0].web[0].body: '(OK' is not a valid regular expression: "
       "Mismatched '(' and ')'"},
      {"nodes:\n  - name: w\n    address: 10.0.0.1\n    web:\n"
       "      - {url: \"http://w/\"}\n      - {url: \"http://w/\"}\n",
       "inventory.yaml:6:9: nodes[0].web[1]: duplicate web check 'http://w/' (first at line 5)"},
      // Nodes and systems.
      {"nodes:\n  - {name: w}\n", "inventory.yaml:2:5: nodes[0].address: required key is missing"},
      {"nodes:\n  - {name: w, address: 10.0.0.256}\n",
       "inventory.yaml:2:24: nodes[0].address: '10.0.0.256' is not an IPv4 or IPv6 address or a "
       "DNS name"},
      {"nodes:\n  - {name: w, address: \"web 01\"}\n",
       "inventory.yaml:2:24: nodes[0].address: 'web 01' is not an IPv4 or IPv6 address or a DNS "
       "name"},
      {"nodes:\n  - {name: w, address: 10.0.0.1, kind: router}\n",
       "inventory.yaml:2:40: nodes[0].kind: expected one of vm, esxi-host, storage, network, "
       "vcenter, monitoring-server, got 'router'"},
      {"nodes:\n  - {name: w, address: 10.0.0.1}\n  - {name: w, address: 10.0.0.2}\n",
       "inventory.yaml:3:12: nodes[1].name: duplicate node name 'w' (first at line 2)"},
      {"nodes:\n  - {name: w, address: 10.0.0.1, system: 財務会計}\n",
       "inventory.yaml:2:42: nodes[0].system: no system named '財務会計' in systems"},
      {"nodes:\n  - {name: w, address: 10.0.0.1, host: esx09}\n",
       "inventory.yaml:2:40: nodes[0].host: no node named 'esx09' in nodes"},
      {"nodes:\n  - {name: w, address: 10.0.0.1, host: v}\n  - {name: v, address: 10.0.0.2}\n",
       "inventory.yaml:2:40: nodes[0].host: node 'v' is of kind vm, not esxi-host"},
      {"nodes:\n  - {name: esx01, address: 10.0.0.1, kind: esxi-host}\n"
       "  - {name: st01, address: 10.0.0.2, kind: storage, host: esx01}\n",
       "inventory.yaml:3:58: nodes[1].host: only a node of kind vm has a host, this one is "
       "storage"},
      {"systems:\n  - {name: 住民記録システム, level: D}\n",
       "inventory.yaml:2:29: systems[0].level: expected one of A, B, C, C-dev, got 'D'"},
      {"systems:\n  - {name: 住民記録システム}\n",
       "inventory.yaml:2:5: systems[0].level: required key is missing"},
      {"systems:\n  - {name: s, level: A}\n  - {name: s, level: B}\n",
       "inventory.yaml:3:12: systems[1].name: duplicate system name 's' (first at line 2)"},
      {"systems:\n  - {name: s, level: A, owners: [{name: 山田, mail: yamada.example.lg.jp}]}\n",
       "inventory.yaml:2:51: systems[0].owners[0].mail: 'yamada.example.lg.jp' is not a mail "
       "address (no '@')"},
      {"systems:\n  - {name: s, level: A, owners: [{name: 山田, mail: \"@example.lg.jp\"}]}\n",
       "inventory.yaml:2:51: systems[0].owners[0].mail: '@example.lg.jp' is not a mail address "
       "(nothing before or after '@')"},
      {"systems:\n  - {name: s, level: A, owners: [{name: 山田}]}\n",
       "inventory.yaml:2:34: systems[0].owners[0].mail: required key is missing"},
      // People reports go to.
      {"systems:\n  - {name: s, level: A, owners: [{mail: \"山田@example.lg.jp\"}]}\n",
       "inventory.yaml:2:41: systems[0].owners[0].mail: '山田@example.lg.jp' is not a mail "
       "address (letters, digits and !#$%&'*+-/=?^_`{|}~. before the '@', a host name after it)"},
      {"systems:\n  - {name: s, level: A, owners: [{mail: a@example.lg.jp, phone: yamada}]}\n",
       "inventory.yaml:2:65: systems[0].owners[0].phone: expected a phone number such as "
       "+81-59-000-0001, got 'yamada'"},
      {"alerting:\n  platform_managers:\n    - {name: 統括, mail: toukatsu.example.lg.jp}\n",
       "inventory.yaml:3:24: alerting.platform_managers[0].mail: 'toukatsu.example.lg.jp' is not a "
       "mail address (no '@')"},
      {"alerting:\n  ict_service_center: [{name: ICT}]\n",
       "inventory.yaml:2:24: alerting.ict_service_center[0].mail: required key is missing"},
      {"alerting:\n  on_duty: [{mail: t@example.lg.jp, phone: \"\"}]\n",
       "inventory.yaml:2:44: alerting.on_duty[0].phone: must not be empty"},
      {"alerting:\n  on_duty: [{mail: t@example.lg.jp, telephone: 1}]\n",
       "inventory.yaml:2:37: alerting.on_duty[0].telephone: unknown key (known keys: mail, name, "
       "phone)"},
      // The alerting section.
      {"alerting: {ledgr: /x}\n",
       "inventory.yaml:1:12: alerting.ledgr: unknown key (known keys: availability, "
       "grouping_window, ict_service_center, ledger, mail, on_duty, phone, platform_managers, "
       "platform_vm_threshold, priority, recovery_targets, retry, suppression_notice_lead, "
       "suppression_platform_name, suppressions, templates)"},
      {"vcenter: {url: https://vc.example.lg.jp/sdk, user: u, password: x}\n",
       "inventory.yaml:1:65: vcenter.password: the password itself does not belong in the "
       "inventory; give password_file or password_env"},
      {"vcenter: {url: ftp://vc/sdk, user: u}\n",
       "inventory.yaml:1:10: vcenter: needs password_file or password_env\n"
       "inventory.yaml:1:16: vcenter.url: must start with https:// or http://, got 'ftp://vc/sdk'"},
      {"alerting: {recovery_targets: {A: 30s}}\n",
       "inventory.yaml:1:34: alerting.recovery_targets.A: must be at least 1m, got 30s"},
      {"alerting: {recovery_targets: {D: 1h}}\n",
       "inventory.yaml:1:31: alerting.recovery_targets.D: unknown key (known keys: A, B, C, "
       "C-dev, platform, raise_priority)"},
      {"alerting: {ledger: ledger.db}\n",
       "inventory.yaml:1:20: alerting.ledger: must be an absolute path, got 'ledger.db'"},
      {"alerting: {templates: templates}\n",
       "inventory.yaml:1:23: alerting.templates: must be an absolute path, got 'templates'"},
      {"alerting: {grouping_window: 5m}\n",
       "inventory.yaml:1:29: alerting.grouping_window: must be under 5m (the shortest "
       "first-report deadline), got 5m"},
      {"alerting: {grouping_window: 0}\n",
       "inventory.yaml:1:29: alerting.grouping_window: must be at least 1s, got 0"},
      {"alerting: {platform_vm_threshold: 1}\n",
       "inventory.yaml:1:35: alerting.platform_vm_threshold: must be at least 2, got 1"},
      {"alerting: {priority: {disk: high}}\n",
       "inventory.yaml:1:23: alerting.priority.disk: unknown key (known keys: alive, backup, "
       "hardware, message, port, process, resource-critical, resource-warning, service, time, "
       "web)"},
      {"alerting: {priority: {alive: urgent}}\n",
       "inventory.yaml:1:30: alerting.priority.alive: expected one of high, low, got 'urgent'"},
      {"systems:\n  - {name: s, level: A, priority: {cpu: high}}\n",
       "inventory.yaml:2:36: systems[0].priority.cpu: unknown key (known keys: alive, backup, "
       "hardware, message, port, process, resource-critical, resource-warning, service, time, "
       "web)"},
      {"alerting:\n  retry: {initial: 10m, max: 5m}\n",
       "inventory.yaml:2:20: alerting.retry.initial: initial 10m is above max 5m"},
      {"alerting:\n  retry: {max: 10s}\n",
       "inventory.yaml:2:16: alerting.retry.max: initial 30s is above max 10s"},
      {"alerting:\n  retry: {initial: 1500ms}\n",
       "inventory.yaml:2:20: alerting.retry.initial: must be a whole number of seconds, got "
       "1500ms"},
      {"alerting:\n  retry: {phone_attempts: 0}\n",
       "inventory.yaml:2:27: alerting.retry.phone_attempts: must be from 1 to 100, got 0"},
      // Mail.
      {"alerting:\n  mail: {from: k@example.lg.jp}\n",
       "inventory.yaml:2:9: alerting.mail.url: required key is missing"},
      {"alerting:\n  mail: {url: \"smtp://m:25\"}\n",
       "inventory.yaml:2:9: alerting.mail.from: required key is missing"},
      {"alerting:\n  mail: {url: \"http://m:25\", from: k@example.lg.jp}\n",
       "inventory.yaml:2:15: alerting.mail.url: must start with smtp:// or smtps://, got "
       "'http://m:25'"},
      {"alerting:\n  mail: {url: \"smtp://\", from: k@example.lg.jp}\n",
       "inventory.yaml:2:15: alerting.mail.url: no host in 'smtp://'"},
      {"alerting:\n  mail: {url: \"smtp://kanshi:s3cret@m:25\", from: k@example.lg.jp}\n",
       "inventory.yaml:2:15: alerting.mail.url: must not contain a user or password (the URL "
       "shows in logs); give user and password_file or password_env"},
      {"alerting:\n  mail: {url: \"smtp://m\", from: kanshi}\n",
       "inventory.yaml:2:33: alerting.mail.from: 'kanshi' is not a mail address (no '@')"},
      {"alerting:\n  mail: {url: \"smtp://m\", from: k@example.lg.jp, user: u, password: s}\n",
       "inventory.yaml:2:69: alerting.mail.password: the password itself does not belong in the "
       "inventory; give password_file or password_env"},
      {"alerting:\n  mail: {url: \"smtp://m\", from: k@example.lg.jp, user: u}\n",
       "inventory.yaml:2:9: alerting.mail: needs password_file or password_env"},
      {"alerting:\n  mail: {url: \"smtp://m\", from: k@example.lg.jp, user: u, "
       "password_file: /p, password_env: P}\n",
       "inventory.yaml:2:92: alerting.mail.password_env: give password_file or password_env, not "
       "both"},
      {"alerting:\n  mail: {url: \"smtp://m\", from: k@example.lg.jp, password_env: P}\n",
       "inventory.yaml:2:64: alerting.mail.password_env: only used for SMTP AUTH; give user as "
       "well"},
      {"alerting:\n  mail: {url: \"smtp://m\", from: k@example.lg.jp, user: u, "
       "password_file: smtp-password}\n",
       "inventory.yaml:2:74: alerting.mail.password_file: must be an absolute path, got "
       "'smtp-password'"},
      // Phone.
      {"alerting:\n  phone: {command: /usr/local/bin/call-duty --urgent}\n",
       "inventory.yaml:2:20: alerting.phone.command: expected the program and its arguments as a "
       "list such as [/usr/local/bin/call-duty, --urgent] (no shell runs it), got "
       "'/usr/local/bin/call-duty --urgent'"},
      {"alerting:\n  phone: {command: []}\n",
       "inventory.yaml:2:20: alerting.phone.command: must not be empty"},
      {"alerting:\n  phone: {command: [call-duty]}\n",
       "inventory.yaml:2:21: alerting.phone.command[0]: must be an absolute path, got "
       "'call-duty'"},
      {"alerting:\n  phone: {command: [/bin/call], webhook_url: \"https://p/\"}\n",
       "inventory.yaml:2:46: alerting.phone.webhook_url: give command or webhook_url, not both"},
      {"alerting:\n  phone: {webhook_url: \"ftp://p/\"}\n",
       "inventory.yaml:2:24: alerting.phone.webhook_url: must start with http:// or https://, got "
       "'ftp://p/'"},
      {"alerting:\n  phone: {webhook_url: \"https://bot:t0ken@p/\"}\n",
       "inventory.yaml:2:24: alerting.phone.webhook_url: must not contain a user or password (the "
       "URL shows in logs); give token_file or token_env"},
      {"alerting:\n  phone: {webhook_url: \"https://p/\", token: t0ken}\n",
       "inventory.yaml:2:45: alerting.phone.token: the token itself does not belong in the "
       "inventory; give token_file or token_env"},
      {"alerting:\n  phone: {webhook_url: \"https://p/\", token_file: /t, token_env: T}\n",
       "inventory.yaml:2:65: alerting.phone.token_env: give token_file or token_env, not both"},
      {"alerting:\n  phone: {command: [/bin/call], token_env: T}\n",
       "inventory.yaml:2:44: alerting.phone.token_env: only used with webhook_url"},
      // Suppressions.
      {"alerting:\n  suppressions:\n    - {node: w, system: s, start: \"2026-12-01 09:00\", "
       "end: \"2026-12-01 12:00\", reason: r, requested_by: y}\n"
       "systems: [{name: s, level: A}]\nnodes: [{name: w, address: 10.0.0.1}]\n",
       "inventory.yaml:3:25: alerting.suppressions[0].system: give node or system, not both"},
      {"alerting:\n  suppressions:\n    - {start: \"2026-12-01 09:00\", end: \"2026-12-01 12:00\", "
       "reason: r, requested_by: y}\n",
       "inventory.yaml:3:7: alerting.suppressions[0]: needs node or system"},
      {"alerting:\n  suppressions:\n    - {node: w, start: \"2026-12-01 09:00\", end: \"2026-12-01 "
       "12:00\", reason: r, requested_by: y}\n",
       "inventory.yaml:3:14: alerting.suppressions[0].node: no node named 'w' in nodes"},
      {"alerting:\n  suppressions:\n    - {system: 財務会計, start: \"2026-12-01 09:00\", end: "
       "\"2026-12-01 12:00\", reason: r, requested_by: y}\n",
       "inventory.yaml:3:16: alerting.suppressions[0].system: no system named '財務会計' in "
       "systems"},
      {"alerting:\n  suppressions:\n    - {node: w, start: \"2026-12-01T09:00\", end: "
       "\"2026-12-01 12:00\", reason: r, requested_by: y}\n"
       "nodes: [{name: w, address: 10.0.0.1}]\n",
       "inventory.yaml:3:24: alerting.suppressions[0].start: expected a time YYYY-MM-DD HH:MM "
       "(Asia/Tokyo), got '2026-12-01T09:00'"},
      {"alerting:\n  suppressions:\n    - {node: w, start: \"2026-12-01 09:00\", end: "
       "\"9999-12-31 00:00\", reason: r, requested_by: y}\n"
       "nodes: [{name: w, address: 10.0.0.1}]\n",
       "inventory.yaml:3:49: alerting.suppressions[0].end: '9999-12-31 00:00' is outside the "
       "supported times (1970-01-01 00:00 to 2261-12-31 23:59)"},
      {"alerting:\n  suppressions:\n    - {node: w, start: \"2026-12-01 12:00\", end: "
       "\"2026-12-01 12:00\", reason: r, requested_by: y}\n"
       "nodes: [{name: w, address: 10.0.0.1}]\n",
       "inventory.yaml:3:49: alerting.suppressions[0].end: end 2026-12-01 12:00 is not after "
       "start 2026-12-01 12:00"},
      {"alerting:\n  suppressions:\n    - {node: w, start: \"2026-12-01 09:00\", end: "
       "\"2026-12-01 12:00\"}\n"
       "nodes: [{name: w, address: 10.0.0.1}]\n",
       "inventory.yaml:3:7: alerting.suppressions[0].reason: required key is missing\n"
       "inventory.yaml:3:7: alerting.suppressions[0].requested_by: required key is missing"},
      // Calendar and metrics.
      {"calendar: {business_hours: 9-5}\n",
       "inventory.yaml:1:28: calendar.business_hours: expected business hours such as "
       "09:00-17:45, got '9-5'"},
      {"calendar: {business_hours: \"18:00-09:00\"}\n",
       "inventory.yaml:1:28: calendar.business_hours: opening time 18:00 is not before closing "
       "time 09:00"},
      {"calendar: {extra_closed_days: [2026-02-30]}\n",
       "inventory.yaml:1:32: calendar.extra_closed_days[0]: expected a date YYYY-MM-DD, got "
       "'2026-02-30'"},
      {"calendar: {extra_closed_days: [2026-12-28], extra_open_days: [2026-12-28]}\n",
       "inventory.yaml:1:63: calendar.extra_open_days[0]: 2026-12-28 is also in "
       "calendar.extra_closed_days"},
      {"calendar: {business_hours: \"09:00-17:-1\"}\n",
       "inventory.yaml:1:28: calendar.business_hours: expected business hours such as "
       "09:00-17:45, got '09:00-17:-1'"},
      {"metrics: {listen: 9716}\n",
       "inventory.yaml:1:19: metrics.listen: expected HOST:PORT such as 127.0.0.1:9716, got "
       "'9716'"},
      {"metrics: {listen: \"127.0.0.1:99999\"}\n",
       "inventory.yaml:1:19: metrics.listen: expected HOST:PORT such as 127.0.0.1:9716, got "
       "'127.0.0.1:99999'"},
      // The document itself. Columns count characters: 名前 is 2, not 6 bytes.
      {"名前: x\nnodes: 3\n",
       "inventory.yaml:1:1: 名前: unknown key (known keys: alerting, calendar, defaults, messages, "
       "metrics, nodes, platform_name, systems, vcenter)\ninventory.yaml:2:8: nodes: expected a "
       "list, got '3'"},
      {"- nodes\n", "inventory.yaml:1:1: expected a mapping, got a list"},
      {"platform_name: a\n---\nplatform_name: b\n",
       "inventory.yaml:3:1: only one YAML document is expected; a second one starts here"},
      {"nodes:\n\t- {name: w, address: 10.0.0.1}\n",
       "inventory.yaml:2:1: tab in the indentation (YAML allows only spaces)"},
      {"defaults:\n  snmp:\n    port: 161\n   community: x\n",
       "inventory.yaml:4:4: invalid YAML: end of map not found (is this line indented "
       "correctly?)"},
      {"nodes: [{name: w, address: 10.0.0.1}\n",
       "inventory.yaml:2:1: invalid YAML: end of sequence flow not found"},
      {"platform_name: a: b\n", "inventory.yaml:1:17: invalid YAML: illegal map value"},
  };
  for (const auto& [text, expected] : cases) {
    std::vector<ConfigError> errors;
    std::optional<Inventory> inventory = ParseInventory(text, "inventory.yaml", errors);
    std::string joined;
    for (const ConfigError& error : errors)
      joined += (joined.empty() ? "" : "\n") + error.ToString();
    EXPECT_EQ(joined, expected) << text;
    EXPECT_EQ(inventory.has_value(), expected.empty()) << text;
  }
}

TEST(Inventory, ReportsEveryErrorAtOnceInFileOrder) {
  const std::string text = R"(nodes:
  - name: web01
    address: 10.0.1.21
    host: esx01
    system: 住民記録
    ports: [22, 0]
  - name: web01
    address: 10.0.1.22
    processes:
      - {name: httpd, command: "(", min_count: 3, max_count: 1}
systems:
  - {name: 住民記録, level: E}
defaults:
  intervals: {ping: 0.5s}
)";
  std::vector<ConfigError> errors;
  EXPECT_FALSE(ParseInventory(text, "inventory.yaml", errors));
  EXPECT_EQ(ErrorTexts(errors),
            (std::vector<std::string>{
                "inventory.yaml:4:11: nodes[0].host: no node named 'esx01' in nodes",
                "inventory.yaml:6:17: nodes[0].ports[1]: must be from 1 to 65535, got 0",
                "inventory.yaml:7:11: nodes[1].name: duplicate node name 'web01' (first at line "
                "2)",
                "inventory.yaml:10:32: nodes[1].processes[0].command: '(' is not a valid regular "
                "expression: Mismatched '(' and ')'",
                "inventory.yaml:10:48: nodes[1].processes[0].min_count: min_count 3 is above "
                "max_count 1",
                "inventory.yaml:12:25: systems[0].level: expected one of A, B, C, C-dev, got 'E'",
                "inventory.yaml:14:21: defaults.intervals.ping: must be at least 1s, got 0.5s",
            }));
  // The positions are also there as numbers, for tools.
  EXPECT_EQ(errors[0].file, "inventory.yaml");
  EXPECT_EQ(errors[0].line, 4);
  EXPECT_EQ(errors[0].column, 11);
  EXPECT_EQ(errors[0].field, "nodes[0].host");
  EXPECT_EQ(errors[0].message, "no node named 'esx01' in nodes");
}

TEST(Inventory, AnchorsReuseValues) {
  const Inventory inventory = Parse(R"(nodes:
  - name: web01
    address: 10.0.1.21
    processes: &rhel [{name: sshd, command: /usr/sbin/sshd}, {name: crond, command: /usr/sbin/crond}]
  - {name: web02, address: 10.0.1.22, processes: *rhel}
)");
  ASSERT_EQ(inventory.nodes.size(), 2u);
  EXPECT_EQ(inventory.nodes[1].processes.size(), 2u);
}

TEST(Inventory, DeepNestingIsAnErrorNotACrash) {
  std::string text = "platform_name:";
  for (int depth = 1; depth < 3000; ++depth) text += "\n" + std::string(depth, ' ') + "a:";
  std::vector<ConfigError> errors;
  EXPECT_FALSE(ParseInventory(text, "inventory.yaml", errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "invalid YAML: nested too deeply");
}

TEST(Inventory, ErrorsAreAppended) {
  std::vector<ConfigError> errors = {ConfigError{"earlier.yaml", 9, 9, "", "kept"}};
  EXPECT_FALSE(ParseInventory("nodes: 1\n", "inventory.yaml", errors));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].message, "kept");
  // A valid text after earlier errors is still valid.
  EXPECT_TRUE(ParseInventory("", "inventory.yaml", errors));
}

TEST(Inventory, UnreadableFile) {
  std::vector<ConfigError> errors;
  EXPECT_FALSE(LoadInventory("/nonexistent/inventory.yaml", errors));
  EXPECT_EQ(ErrorTexts(errors),
            std::vector<std::string>{"/nonexistent/inventory.yaml: cannot read the inventory: No "
                                     "such file or directory"});
  errors.clear();
  EXPECT_FALSE(LoadInventory(::testing::TempDir(), errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "cannot read the inventory: it is a directory");
}

// The loader indexes nodes and systems by name; an index that no longer
// covers the vectors (entries added by hand) must not hide them.
TEST(Inventory, FindsNodesAndSystemsByName) {
  std::string yaml =
      "systems:\n  - {name: 住民記録, level: A}\n  - {name: 税務, level: B}\nnodes:\n";
  for (int i = 0; i < 1000; ++i) {
    yaml += "  - {name: vm" + std::to_string(i) + ", address: 10.0." + std::to_string(i / 250) +
            "." + std::to_string(i % 250 + 1) + ", system: " + (i % 2 ? "税務" : "住民記録") +
            "}\n";
  }
  Inventory inventory = Parse(yaml);
  ASSERT_EQ(inventory.nodes.size(), 1000u);
  for (int i : {0, 1, 499, 999}) {
    const Node* node = inventory.FindNode("vm" + std::to_string(i));
    ASSERT_NE(node, nullptr) << i;
    EXPECT_EQ(node, &inventory.nodes[static_cast<std::size_t>(i)]);
  }
  EXPECT_EQ(inventory.FindNode("vm1000"), nullptr);
  EXPECT_EQ(inventory.FindNode(""), nullptr);
  ASSERT_NE(inventory.FindSystem("税務"), nullptr);
  EXPECT_EQ(inventory.FindSystem("税務")->level, ServiceLevel::kB);
  EXPECT_EQ(inventory.LevelOf(*inventory.FindNode("vm7")), ServiceLevel::kB);
  EXPECT_EQ(inventory.FindSystem("財務"), nullptr);

  // A copy answers from its own vectors.
  const Inventory copy = inventory;
  EXPECT_EQ(copy.FindNode("vm42"), &copy.nodes[42]);

  // Added by hand after loading: found by scanning until indexed again.
  Node extra;
  extra.name = "added01";
  inventory.nodes.push_back(extra);
  inventory.systems.push_back({"財務", ServiceLevel::kC, {}, {}});
  ASSERT_NE(inventory.FindNode("added01"), nullptr);
  ASSERT_NE(inventory.FindSystem("財務"), nullptr);
  EXPECT_EQ(inventory.FindNode("vm999"), &inventory.nodes[999]);
  inventory.nodes[0].name = "renamed";
  inventory.BuildIndex();
  EXPECT_EQ(inventory.FindNode("renamed"), &inventory.nodes[0]);
  EXPECT_EQ(inventory.FindNode("vm0"), nullptr);
  EXPECT_EQ(inventory.FindNode("added01"), &inventory.nodes[1000]);
}

TEST(Inventory, LoadsFromAFileAndNamesIt) {
  const std::string path = ::testing::TempDir() + "inventory_test.yaml";
  {
    std::ofstream out(path);
    out << "nodes:\n  - {name: w, address: 10.0.0.1, ports: [0]}\n";
  }
  std::vector<ConfigError> errors;
  EXPECT_FALSE(LoadInventory(path, errors));
  EXPECT_EQ(ErrorTexts(errors), std::vector<std::string>{path + ":2:42: nodes[0].ports[0]: must "
                                                                "be from 1 to 65535, got 0"});
  {
    std::ofstream out(path);
    out << "nodes:\n  - {name: w, address: 10.0.0.1, ports: [22]}\n";
  }
  errors.clear();
  std::optional<Inventory> inventory = LoadInventory(path, errors);
  ASSERT_TRUE(inventory);
  EXPECT_EQ(inventory->source, path);
  EXPECT_EQ(inventory->nodes.at(0).ports.at(0).port, 22);
}

TEST(ConfigError, ToStringLeavesOutWhatIsAbsent) {
  EXPECT_EQ((ConfigError{"f.yaml", 3, 7, "nodes[0].name", "why"}).ToString(),
            "f.yaml:3:7: nodes[0].name: why");
  EXPECT_EQ((ConfigError{"f.yaml", 3, 7, "", "why"}).ToString(), "f.yaml:3:7: why");
  EXPECT_EQ((ConfigError{"f.yaml", 0, 0, "", "why"}).ToString(), "f.yaml: why");
}

}  // namespace
}  // namespace mimamori::collector
