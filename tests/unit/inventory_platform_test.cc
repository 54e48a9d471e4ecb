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
       "inventory.yaml:5:9: nodes[0].backups[0]: needs file (a result file or glob) or url (an "
       "HTTP JSON endpoint)"},
      {"nodes:\n  - name: a\n    address: 10.0.0.1\n    backups:\n      - {name: j, file: /b, url: "
       "\"http://x/\"}\n",
       "inventory.yaml:5:34: nodes[0].backups[0].url: give file or url, not both (one source per "
       "job)"},
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
       "inventory.yaml:5:67: nodes[0].backups[0].before: only with file or age_field (nothing "
       "else has a time to judge)"},
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
