// The inventory keys of issue 10: hardware, time_sync and backups, their
// defaults by node kind, and the exact text of their errors.
#include <gtest/gtest.h>

#include <chrono>

#include "collector/inventory/inventory_loader.h"
#include "collector/monitors/registry.h"

namespace mimamori::collector {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> ErrorTexts(const std::vector<ConfigError>& errors) {
  std::vector<std::string> texts;
  for (const ConfigError& error : errors) texts.push_back(error.ToString());
  return texts;
}

Inventory Parse(std::string_view text) {
  std::vector<ConfigError> errors;
  std::optional<Inventory> inventory = ParseInventory(text, "inventory.yaml", errors);
  EXPECT_TRUE(inventory) << ::testing::PrintToString(ErrorTexts(errors));
  return inventory.value_or(Inventory{});
}

TEST(InventoryPlatform, HardwareIsOnForHostsStorageAndMonitoringServers) {
  const Inventory inventory = Parse(R"(nodes:
  - {name: esx01, address: 10.0.0.11, kind: esxi-host}
  - {name: st01, address: 10.0.0.12, kind: storage}
  - {name: mon01, address: 10.0.0.13, kind: monitoring-server}
  - {name: vm01, address: 10.0.0.14}
  - {name: sw01, address: 10.0.0.15, kind: network}
  - {name: esx02, address: 10.0.0.16, kind: esxi-host, hardware: false}
  - {name: vm02, address: 10.0.0.17, hardware: true}
  - name: esx03
    address: 10.0.0.18
    kind: esxi-host
    hardware: {ignore: ["vmnic[23]: .*", "network interface ifb[0-9]+"]}
)");
  ASSERT_EQ(inventory.nodes.size(), 8u);
  const bool expected[] = {true, true, true, false, false, false, true, true};
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(inventory.nodes[i].hardware, expected[i]) << inventory.nodes[i].name;
  }
  EXPECT_EQ(inventory.nodes[7].hardware_ignore,
            (std::vector<std::string>{"vmnic[23]: .*", "network interface ifb[0-9]+"}));
  // --check-config: esx01 runs ping, resource, time and hardware.
  EXPECT_EQ(ChecksOf(inventory.nodes[0], inventory), 4u);
  EXPECT_EQ(ChecksOf(inventory.nodes[3], inventory), 3u);  // vm01: ping, resource, time
  EXPECT_EQ(ChecksOf(inventory.nodes[4], inventory), 1u);  // sw01: ping only
}

TEST(InventoryPlatform, TimeSyncDefaultsAndOverrides) {
  const Inventory inventory = Parse(R"(defaults:
  time_sync: {warning: 30s, critical: 2m}
  intervals: {time: 10m, hardware: 1m, backup: 5m}
  failures: {time: 2}
nodes:
  - {name: a, address: 10.0.0.1}
  - {name: b, address: 10.0.0.2, time_sync: false}
  - {name: c, address: 10.0.0.3, time_sync: {critical: 10m}}
  - {name: d, address: 10.0.0.4, resource: false}
  - {name: e, address: 10.0.0.5, resource: false, time_sync: true}
)");
  EXPECT_EQ(inventory.defaults.intervals.time, 600s);
  EXPECT_EQ(inventory.defaults.intervals.hardware, 60s);
  EXPECT_EQ(inventory.defaults.failures.time, 2);
  const auto& n = inventory.nodes;
  EXPECT_FALSE(n[0].time_sync.enabled);  // follows resource
  EXPECT_EQ(n[0].time_sync.warning, 30s);
  EXPECT_EQ(n[0].time_sync.critical, 120s);
  EXPECT_EQ(n[1].time_sync.enabled, false);
  EXPECT_EQ(n[2].time_sync.enabled, true);
  EXPECT_EQ(n[2].time_sync.warning, 30s);
  EXPECT_EQ(n[2].time_sync.critical, 600s);
  // Counted: a 2 (ping, resource, time), b 2, c 3, d 1 (ping), e 2 (ping, time).
  EXPECT_EQ(ChecksOf(n[0], inventory), 3u);
  EXPECT_EQ(ChecksOf(n[1], inventory), 2u);
  EXPECT_EQ(ChecksOf(n[2], inventory), 3u);
  EXPECT_EQ(ChecksOf(n[3], inventory), 1u);
  EXPECT_EQ(ChecksOf(n[4], inventory), 2u);
  const Inventory plain = Parse("{}\n");
  EXPECT_EQ(plain.defaults.time_sync.warning, 60s);
  EXPECT_EQ(plain.defaults.time_sync.critical, 300s);
}

TEST(InventoryPlatform, BackupJobs) {
  const Inventory inventory = Parse(R"(nodes:
  - name: db01
    address: 10.0.2.5
    backups:
      - {name: nightly-db, file: "/backup/db/*.log", before: "06:00", match: "completed successfully"}
      - name: veeam
        url: http://veeam01:9419/api/v1/jobs/nightly
        field: last_result.status
        expect: success
        age_field: last_success.finished
        before: "05:30"
        timeout: 20s
      - {name: tape, url: "http://tape01/status", field: "jobs[0].ok", expect: "true"}
)");
  ASSERT_EQ(inventory.nodes.size(), 1u);
  const auto& jobs = inventory.nodes[0].backups;
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[0].name, "nightly-db");
  EXPECT_EQ(jobs[0].file, "/backup/db/*.log");
  EXPECT_EQ(jobs[0].match, "completed successfully");
  EXPECT_EQ(jobs[0].before_minute, 360);
  EXPECT_EQ(jobs[0].before_text, "06:00");
  EXPECT_EQ(jobs[1].url, "http://veeam01:9419/api/v1/jobs/nightly");
  EXPECT_EQ(jobs[1].field, "last_result.status");
  EXPECT_EQ(jobs[1].expect, "success");
  EXPECT_EQ(jobs[1].age_field, "last_success.finished");
  EXPECT_EQ(jobs[1].before_minute, 330);
  EXPECT_EQ(jobs[1].timeout, 20s);
  EXPECT_FALSE(jobs[2].before_minute);
  EXPECT_EQ(jobs[2].timeout, 10s);
  // One backup monitor covering three checks, besides ping, resource, time.
  EXPECT_EQ(ChecksOf(inventory.nodes[0], inventory), 6u);
}

// The third source: the backup product's own message, through message
// rules that only record (records: success|failure).
TEST(InventoryPlatform, BackupJobsFromMessages) {
  const Inventory inventory = Parse(R"(messages:
  syslog: {udp: "127.0.0.1:0"}
  rules:
    - {name: arcserve-ok, kinds: [vm], program: ARCserve, text: "Job \\d+ completed", records: success}
nodes:
  - name: backup01
    address: 10.0.2.9
    messages:
      - {name: veeam-ok, program: Veeam_MP, text: "Job nightly finished with Success", records: success}
      - {name: veeam-failed, program: Veeam_MP, text: "Job nightly finished with Failed", records: failure}
      - {name: disk-error, text: "I/O error"}
    backups:
      - {name: nightly, message: veeam-ok, failure: veeam-failed, before: "06:00"}
      - {name: arcserve, message: arcserve-ok, before: "05:30"}
)");
  ASSERT_EQ(inventory.nodes.size(), 1u);
  const Node& node = inventory.nodes[0];
  ASSERT_EQ(node.backups.size(), 2u);
  EXPECT_EQ(node.backups[0].message, "veeam-ok");
  EXPECT_EQ(node.backups[0].failure, "veeam-failed");
  EXPECT_EQ(node.backups[0].before_minute, 360);
  EXPECT_EQ(node.backups[1].message, "arcserve-ok");
  EXPECT_EQ(node.backups[1].failure, "");
  ASSERT_EQ(node.message_rules.size(), 3u);
  EXPECT_EQ(node.message_rules[0].records, MessageRule::Records::kSuccess);
  EXPECT_EQ(node.message_rules[1].records, MessageRule::Records::kFailure);
  EXPECT_EQ(node.message_rules[2].records, MessageRule::Records::kNothing);
  EXPECT_EQ(inventory.messages.rules[0].records, MessageRule::Records::kSuccess);
  // ping, resource, time, two backup jobs and message:disk-error; the
  // records rules are no checks of their own.
  EXPECT_EQ(ChecksOf(node, inventory), 6u);
}

TEST(InventoryPlatform, BackupMessageErrorsNameTheJobAndTheRule) {
  const std::string head = "messages:\n  syslog: {udp: \"127.0.0.1:0\"}\n  rules:\n";
  const std::string node = "nodes:\n  - name: a\n    address: 10.0.0.1\n";
  const std::pair<std::string, std::string> cases[] = {
      {head + "    - {name: ok, kinds: [vm], text: done, records: success}\n" + node,
       "inventory.yaml:4:52: messages.rules[0].records: no backup job names rule 'ok' (as its "
       "message or failure)"},
      {"messages:\n  syslog: {udp: \"127.0.0.1:0\"}\n" + node +
           "    backups:\n      - {name: j, file: /b, message: ok, before: \"06:00\"}\n",
       "inventory.yaml:7:38: nodes[0].backups[0].message: give one of file, url and message, not "
       "more (one source per job)"},
      {"messages:\n  syslog: {udp: \"127.0.0.1:0\"}\n" + node +
           "    backups:\n      - {name: j, message: nosuch, before: \"06:00\"}\n",
       "inventory.yaml:7:28: nodes[0].backups[0].message: no message rule 'nosuch' in "
       "messages.rules or in this node's messages (a rule with records: success)"},
      {head + "    - {name: plain, kinds: [vm], text: done}\n" + node +
           "    backups:\n      - {name: j, message: plain, before: \"06:00\"}\n",
       "inventory.yaml:9:28: nodes[0].backups[0].message: message rule 'plain' (line 4) needs "
       "records: success (without it the rule opens incidents of its own)"},
      {head + "    - {name: ok, kinds: [vm], text: done, records: success}\n" +
           "    - {name: bad, kinds: [vm], text: failed}\n" + node +
           "    backups:\n      - {name: j, message: ok, failure: bad, before: \"06:00\"}\n",
       "inventory.yaml:10:41: nodes[0].backups[0].failure: message rule 'bad' (line 5) needs "
       "records: failure (without it the rule opens incidents of its own)"},
      {head + "    - {name: bad, kinds: [vm], text: failed, records: failure}\n" + node +
           "    backups:\n      - {name: j, message: bad, before: \"06:00\"}\n",
       "inventory.yaml:9:28: nodes[0].backups[0].message: message rule 'bad' (line 4) records "
       "failure, not success"},
      {head + "    - {name: ok, kinds: [esxi-host], text: done, records: success}\n" + node +
           "    backups:\n      - {name: j, message: ok, before: \"06:00\"}\n",
       "inventory.yaml:9:28: nodes[0].backups[0].message: message rule 'ok' (line 4) does not "
       "apply to node 'a': neither its kinds nor its nodes take it"},
      {node + "    backups:\n      - {name: j, file: /b, before: \"06:00\", failure: x}\n",
       "inventory.yaml:5:55: nodes[0].backups[0].failure: only with message"},
      {head + "    - {name: ok, kinds: [vm], text: done, records: success}\n" + node +
           "    backups:\n      - {name: j, message: ok}\n",
       "inventory.yaml:9:9: nodes[0].backups[0]: needs before (the daily deadline, e.g. "
       "\"06:00\") with message"},
      {head + "    - {name: ok, kinds: [vm], text: done, records: success, status: warning}\n",
       "inventory.yaml:4:69: messages.rules[0].status: not with records (the backup job naming "
       "the rule judges it)"},
      {head + "    - {name: ok, kinds: [vm], text: done, records: maybe}\n",
       "inventory.yaml:4:52: messages.rules[0].records: expected one of success, failure, got "
       "'maybe'"},
  };
  for (const auto& [yaml, expected] : cases) {
    std::vector<ConfigError> errors;
    EXPECT_FALSE(ParseInventory(yaml, "inventory.yaml", errors)) << yaml;
    EXPECT_EQ(ErrorTexts(errors), std::vector<std::string>{expected}) << yaml;
  }
}

TEST(InventoryPlatform, ErrorsNameFilePositionFieldAndWhy) {
  const std::pair<std::string, std::string> cases[] = {
      {"nodes: [{name: a, address: 10.0.0.1, hardware: maybe}]\n",
       "inventory.yaml:1:48: nodes[0].hardware: expected true or false, got 'maybe'"},
      {"nodes: [{name: a, address: 10.0.0.1, hardware: {ignore: [\"(\"]}}]\n",
       "inventory.yaml:1:58: nodes[0].hardware.ignore[0]: '(' is not a valid regular expression "
       "(RE2): missing ): ("},
      {"nodes:\n  - {name: a, address: 10.0.0.1, time_sync: }\n",
       "inventory.yaml:2:34: nodes[0].time_sync: expected true or false, got nothing"},
      {"nodes: [{name: a, address: 10.0.0.1, time_sync: [60s]}]\n",
       "inventory.yaml:1:49: nodes[0].time_sync: expected true or false, got a list"},
      {"nodes: [{name: a, address: 10.0.0.1, hardware: {skip: []}}]\n",
       "inventory.yaml:1:49: nodes[0].hardware.skip: unknown key (known keys: enabled, ignore)"},
      {"nodes: [{name: a, address: 10.0.0.1, time_sync: {warning: 5m, critical: 1m}}]\n",
       "inventory.yaml:1:59: nodes[0].time_sync.warning: warning 5m is above critical 1m"},
      {"nodes: [{name: a, address: 10.0.0.1, time_sync: {warning: 1.5s}}]\n",
       "inventory.yaml:1:59: nodes[0].time_sync.warning: must be a whole number of seconds, got "
       "1.5s"},
      {"defaults: {time_sync: {limit: 60s}}\n",
       "inventory.yaml:1:24: defaults.time_sync.limit: unknown key (known keys: critical, enabled, "
       "warning)"},
      {"nodes:\n  - name: a\n    address: 10.0.0.1\n    backups:\n      - {file: /b/*.log, before: "
       "\"06:00\"}\n",
       "inventory.yaml:5:9: nodes[0].backups[0].name: required key is missing"},
      {"nodes:\n  - name: a\n    address: 10.0.0.1\n    backups:\n      - {name: j}\n",
       "inventory.yaml:5:9: nodes[0].backups[0]: needs file (a result file or glob), url (an HTTP "
       "JSON endpoint) or message (a message rule of the backup product's success message)"},
      {"nodes:\n  - name: a\n    address: 10.0.0.1\n    backups:\n      - {name: j, file: /b, url: "
       "\"http://x/\"}\n",
       "inventory.yaml:5:34: nodes[0].backups[0].url: give one of file, url and message, not more "
       "(one source per job)"},
      {"nodes:\n  - name: a\n    address: 10.0.0.1\n    backups:\n      - {name: j, file: b.log, "
       "before: \"06:00\"}\n",
       "inventory.yaml:5:25: nodes[0].backups[0].file: must be an absolute path, got 'b.log'"},
      {"nodes:\n  - name: a\n    address: 10.0.0.1\n    backups:\n      - {name: j, file: "
       "/b.log}\n",
       "inventory.yaml:5:9: nodes[0].backups[0]: needs before (the daily deadline, e.g. \"06:00\") "
       "with file"},
      {"nodes:\n  - name: a\n    address: 10.0.0.1\n    backups:\n      - {name: j, file: /b.log, "
       "before: \"6 am\"}\n",
       "inventory.yaml:5:41: nodes[0].backups[0].before: expected a time of day HH:MM "
       "(Asia/Tokyo) such as \"06:00\", got '6 am'"},
      {"nodes:\n  - name: a\n    address: 10.0.0.1\n    backups:\n      - {name: j, file: /b.log, "
       "before: \"06:00\", match: \"(\"}\n",
       "inventory.yaml:5:57: nodes[0].backups[0].match: '(' is not a valid regular expression "
       "(RE2): missing ): ("},
      {"nodes:\n  - name: a\n    address: 10.0.0.1\n    backups:\n      - {name: j, file: /b.log, "
       "before: \"06:00\", expect: ok}\n",
       "inventory.yaml:5:58: nodes[0].backups[0].expect: only with url"},
      {"nodes:\n  - name: a\n    address: 10.0.0.1\n    backups:\n      - {name: j, url: "
       "\"http://x/\", expect: ok}\n",
       "inventory.yaml:5:9: nodes[0].backups[0].field: required key is missing"},
      {"nodes:\n  - name: a\n    address: 10.0.0.1\n    backups:\n      - {name: j, url: "
       "\"http://x/\", field: s, expect: ok, match: done}\n",
       "inventory.yaml:5:66: nodes[0].backups[0].match: only with file"},
      {"nodes:\n  - name: a\n    address: 10.0.0.1\n    backups:\n      - {name: j, url: "
       "\"http://x/\", field: s, expect: ok, age_field: t}\n",
       "inventory.yaml:5:70: nodes[0].backups[0].age_field: needs before (the daily deadline, e.g. "
       "\"06:00\") to judge the age"},
      {"nodes:\n  - name: a\n    address: 10.0.0.1\n    backups:\n      - {name: j, url: "
       "\"http://x/\", field: s, expect: ok, before: \"06:00\"}\n",
       "inventory.yaml:5:67: nodes[0].backups[0].before: only with file, message or age_field "
       "(nothing else has a time to judge)"},
      {"nodes:\n  - name: a\n    address: 10.0.0.1\n    backups:\n      - {name: j, file: /a, "
       "before: \"06:00\"}\n      - {name: j, file: /b, before: \"06:00\"}\n",
       "inventory.yaml:6:9: nodes[0].backups[1]: duplicate backup job 'j' (first at line 5)"},
  };
  for (const auto& [yaml, expected] : cases) {
    std::vector<ConfigError> errors;
    EXPECT_FALSE(ParseInventory(yaml, "inventory.yaml", errors)) << yaml;
    EXPECT_EQ(ErrorTexts(errors), std::vector<std::string>{expected}) << yaml;
  }
}

}  // namespace
}  // namespace mimamori::collector
