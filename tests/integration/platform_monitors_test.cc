// The hardware, time and backup monitors through the real engines
// (NetSnmpClient, CurlHttpClient) against real peers on 127.0.0.1:
//  - Debian's snmpd serving its own hrDeviceTable, with `override` lines
//    adding a device that is down (and, for one test, a broken
//    hrSystemDate), and entity_sensor_pass.py serving ENTITY-MIB names and
//    ENTITY-SENSOR-MIB states through pass_persist;
//  - snmpd's hrSystemDate, which is this machine's clock, against a
//    collector clock the test shifts;
//  - backup_status_server.py (Python's http.server) answering the JSON a
//    backup server would, and result files with their mtimes set.
// Ports are ephemeral; every wait is bounded.
#include <fcntl.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <regex>
#include <string>

#include "collector/calendar/business_calendar.h"
#include "collector/monitors/backup_monitor.h"
#include "collector/monitors/hardware_monitor.h"
#include "collector/monitors/time_monitor.h"
#include "collector/net/curl_http_client.h"
#include "collector/net/netsnmp_client.h"
#include "collector/net/pinger.h"
#include "tests/integration/agent_process.h"

namespace mimamori::collector {
namespace {

using namespace std::chrono_literals;
using mimamori::testing::ChildProcess;
using mimamori::testing::FindPython;
using mimamori::testing::ParseVarBinds;
using mimamori::testing::ReadFile;
using mimamori::testing::RunCommand;
using mimamori::testing::SnmpdProcess;
using mimamori::testing::SnmpTool;
using mimamori::testing::TempDir;
using mimamori::testing::WaitFor;
namespace fs = std::filesystem;

fs::path Script(const std::string& name) {
  return fs::path(MIMAMORI_SOURCE_DIR) / "tests" / "integration" / name;
}

/// The machine's clock, shifted: the collector's idea of the time.
class ShiftedClock final : public Clock {
 public:
  explicit ShiftedClock(std::chrono::seconds shift) : shift_(shift) {}
  TimePoint Now() const override { return std::chrono::system_clock::now() + shift_; }

 private:
  std::chrono::seconds shift_;
};

struct NoEngines final : Pinger, TcpProbe {
  void Ping(const std::string&, const PingSettings&, std::function<void(PingOutcome)>) override {
    ADD_FAILURE() << "pinged";
  }
  void Connect(const std::string&, std::uint16_t, std::chrono::milliseconds,
               std::function<void(TcpProbeResult)>) override {
    ADD_FAILURE() << "TCP probed";
  }
};

using Factory = std::vector<std::unique_ptr<Monitor>> (*)(const Node&, const Inventory&,
                                                          MonitorServices&);

// One check of the only monitor `make` creates for `node`.
CheckReport RunOnce(Factory make, const Node& node, SnmpClient& snmp, HttpClient& http,
                    const Clock& clock) {
  NoEngines engines;
  Inventory inventory;
  MonitorServices services{engines, snmp, http, engines, clock};
  auto monitors = make(node, inventory, services);
  EXPECT_EQ(monitors.size(), 1u);
  if (monitors.empty()) return {};
  auto promise = std::make_shared<std::promise<CheckReport>>();
  auto future = promise->get_future();
  monitors[0]->Start([promise](CheckReport report) { promise->set_value(std::move(report)); });
  if (future.wait_for(60s) != std::future_status::ready) {
    ADD_FAILURE() << "no report within 60 s";
    return {};
  }
  return future.get();
}

std::map<std::string, CheckResult> ByName(const CheckReport& report) {
  std::map<std::string, CheckResult> out;
  for (const CheckResult& r : report.results) out[r.monitor] = r;
  return out;
}

Node SnmpNode(const SnmpdProcess& snmpd) {
  Node node;
  node.name = "esx01";
  node.address = "127.0.0.1";
  node.kind = NodeKind::kEsxiHost;
  node.hardware = true;
  node.snmp.port = snmpd.port();
  node.snmp.timeout = 2000ms;
  return node;
}

class PlatformSnmpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SnmpdProcess::Available()) GTEST_SKIP() << "snmpd is not installed";
  }
  std::unique_ptr<SnmpdProcess> Start(const std::string& extra) {
    std::string error;
    auto snmpd = SnmpdProcess::Start(error, extra);
    EXPECT_TRUE(snmpd) << error;
    return snmpd;
  }
  NetSnmpClient snmp_;
  CurlHttpClient http_;
};

TEST_F(PlatformSnmpTest, HardwareFromSnmpdsDeviceTableAndEntitySensors) {
  const std::optional<std::string> python = FindPython("sys");
  if (!python) GTEST_SKIP() << "no python3 (Debian package python3)";
  const std::string pass = *python + " " + Script("entity_sensor_pass.py").string() +
                           " 10:PSU-1:1 11:PSU-2:3 12:Fan-4:2";
  auto snmpd = Start(
      "override .1.3.6.1.2.1.25.3.2.1.3.999999 octet_str \"Test RAID controller\"\n"
      "override .1.3.6.1.2.1.25.3.2.1.5.999999 integer 5\n"
      "pass_persist .1.3.6.1.2.1.47.1.1.1.1.7 " +
      pass + "\n" + "pass_persist .1.3.6.1.2.1.99.1.1.1.5 " + pass + "\n");
  ASSERT_TRUE(snmpd);
  Node node = SnmpNode(*snmpd);
  const ShiftedClock clock(0s);
  const CheckReport report = RunOnce(&MakeHardwareMonitors, node, snmp_, http_, clock);
  auto results = ByName(report);

  // Every row snmpbulkwalk sees is judged: snmpd's own CPUs and NICs, and
  // the added controller.
  const auto walked = ParseVarBinds(
      SnmpTool("snmpbulkwalk", snmpd->endpoint(), {}, {".1.3.6.1.2.1.25.3.2.1.5"}).out);
  std::size_t devices = 0;
  for (const CheckResult& r : report.results) {
    devices += r.monitor.rfind("hardware:", 0) == 0 && r.monitor.rfind("hardware:sensor ", 0) != 0;
  }
  EXPECT_EQ(devices, walked.size()) << snmpd->Log();
  EXPECT_GE(devices, 2u);

  const CheckResult& raid = results["hardware:Test RAID controller"];
  EXPECT_EQ(raid.status, Status::kCritical);
  EXPECT_EQ(raid.reason, "device 'Test RAID controller' (index 999999): down");
  EXPECT_EQ(results["hardware:sensor PSU-1"].status, Status::kOk);
  EXPECT_EQ(results["hardware:sensor PSU-2"].status, Status::kCritical);
  EXPECT_EQ(results["hardware:sensor PSU-2"].reason, "sensor 'PSU-2' (index 11): nonoperational");
  EXPECT_EQ(results["hardware:sensor Fan-4"].status, Status::kWarning);
  // snmpd's processors are running.
  bool cpu_ok = false;
  for (const auto& [name, r] : results) {
    if (r.reason.find("running") != std::string::npos && r.status == Status::kOk) cpu_ok = true;
  }
  EXPECT_TRUE(cpu_ok);

  // Ignored names drop out.
  node.hardware_ignore = {"Test RAID .*", "PSU-2"};
  results = ByName(RunOnce(&MakeHardwareMonitors, node, snmp_, http_, clock));
  EXPECT_FALSE(results.count("hardware:Test RAID controller"));
  EXPECT_FALSE(results.count("hardware:sensor PSU-2"));
  EXPECT_TRUE(results.count("hardware:sensor PSU-1"));
}

TEST_F(PlatformSnmpTest, HardwareOfANodeThatDoesNotAnswerIsUnknown) {
  auto snmpd = Start("");
  ASSERT_TRUE(snmpd);
  Node node = SnmpNode(*snmpd);
  node.snmp.community = "wrong";  // snmpd stays silent
  node.snmp.timeout = 200ms;
  node.snmp.retries = 0;
  const ShiftedClock clock(0s);
  const CheckReport report = RunOnce(&MakeHardwareMonitors, node, snmp_, http_, clock);
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.results[0].status, Status::kUnknown);
  EXPECT_NE(report.results[0].reason.find("snmp hardware esx01 (127.0.0.1): walk"),
            std::string::npos)
      << report.results[0].reason;
}

TEST_F(PlatformSnmpTest, TimeSkewAgainstSnmpdsClock) {
  auto snmpd = Start("");
  ASSERT_TRUE(snmpd);
  const Node node = SnmpNode(*snmpd);

  CheckResult result =
      RunOnce(&MakeTimeMonitors, node, snmp_, http_, ShiftedClock(0s)).results.at(0);
  EXPECT_EQ(result.monitor, "time");
  EXPECT_EQ(result.status, Status::kOk) << result.reason;
  ASSERT_TRUE(result.value);
  // snmpd sends whole seconds (deci-seconds 0): within a second and a bit.
  EXPECT_LT(std::abs(*result.value), 2.0) << result.reason;

  // The collector 2 minutes ahead: the node is 2 minutes behind.
  result = RunOnce(&MakeTimeMonitors, node, snmp_, http_, ShiftedClock(120s)).results.at(0);
  EXPECT_EQ(result.status, Status::kWarning) << result.reason;
  EXPECT_NEAR(*result.value, -120, 2);
  EXPECT_TRUE(std::regex_search(result.reason,
                                std::regex("^clock 1(19|20|21) s behind the collector \\(warning "
                                           "over 60 s; round trip [0-9.]+ s\\)$")))
      << result.reason;

  result = RunOnce(&MakeTimeMonitors, node, snmp_, http_, ShiftedClock(-400s)).results.at(0);
  EXPECT_EQ(result.status, Status::kCritical) << result.reason;
  EXPECT_NE(result.reason.find("s ahead of the collector (critical over 300 s"), std::string::npos)
      << result.reason;
}

TEST_F(PlatformSnmpTest, MalformedHrSystemDateIsUnknown) {
  auto snmpd = Start("override .1.3.6.1.2.1.25.1.2.0 octet_str \"abc\"\n");
  ASSERT_TRUE(snmpd);
  const CheckResult result =
      RunOnce(&MakeTimeMonitors, SnmpNode(*snmpd), snmp_, http_, ShiftedClock(0s)).results.at(0);
  EXPECT_EQ(result.status, Status::kUnknown);
  EXPECT_EQ(result.reason,
            "snmp time esx01 (127.0.0.1): hrSystemDate 61 62 63 is not a DateAndTime: 3 octets, "
            "expected 8 or 11");
}

/// backup_status_server.py serving `dir`.
class StatusServer {
 public:
  StatusServer(const std::string& python, const fs::path& dir) {
    ChildProcess::Options spawn;
    spawn.argv = {python, Script("backup_status_server.py").string(), dir.string()};
    spawn.stdout_path = log_.path() / "port";
    spawn.stderr_path = log_.path() / "server.log";
    std::string error;
    std::optional<ChildProcess> child = ChildProcess::Spawn(spawn, error);
    if (!child) return;
    child_ = std::move(*child);
    const std::regex listening("listening on ([0-9]+)\n");
    std::smatch match;
    std::string text;
    WaitFor(
        [&] {
          text = ReadFile(log_.path() / "port");
          return std::regex_search(text, match, listening) || !child_.Running();
        },
        20s, 20ms);
    if (std::regex_search(text, match, listening)) port_ = std::stoi(match[1]);
  }
  int port() const { return port_; }
  std::string Log() const { return ReadFile(log_.path() / "server.log"); }

 private:
  TempDir log_;
  ChildProcess child_;
  int port_ = 0;
};

void Touch(const fs::path& path, TimePoint mtime) {
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();
  timespec times[2];
  times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  times[0].tv_nsec = times[1].tv_nsec = static_cast<long>(ns % 1'000'000'000);
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

TEST(BackupMonitorIntegration, HttpJsonEndpointAndResultFiles) {
  const std::optional<std::string> python = FindPython("http.server, functools");
  if (!python) GTEST_SKIP() << "no python3 with http.server (Debian package python3)";
  TempDir served;
  StatusServer server(*python, served.path());
  ASSERT_NE(server.port(), 0) << server.Log();
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());

  // 10:00 Tokyo: the night due by 06:00 today must have succeeded.
  const TimePoint now =
      BusinessCalendar::FromTokyo(std::chrono::local_days{std::chrono::year{2026} / 12 / 3} + 10h);
  ManualClock clock(now);
  served.Write("veeam.json",
               R"({"job": "nightly", "last_result": {"status": "success"},
                   "last_success": {"finished": "2026-12-03T05:30:00+09:00"}})");
  served.Write("tape.json", R"({"jobs": [{"name": "weekly", "result": "Failed"}]})");

  TempDir results;
  fs::create_directories(results.path() / "db");
  const fs::path log = results.Write("db/1203.log", "pg_dump: done\ncompleted successfully\n");
  Touch(log, now - 5h);  // 05:00

  Node node;
  node.name = "db01";
  node.address = "127.0.0.1";
  BackupJob veeam;
  veeam.name = "veeam";
  veeam.url = base + "/veeam.json";
  veeam.field = "last_result.status";
  veeam.expect = "success";
  veeam.age_field = "last_success.finished";
  veeam.before_minute = 6 * 60;
  veeam.before_text = "06:00";
  BackupJob tape;
  tape.name = "tape";
  tape.url = base + "/tape.json";
  tape.field = "jobs[0].result";
  tape.expect = "Success";
  BackupJob gone;
  gone.name = "gone";
  gone.url = base + "/no-such.json";
  gone.field = "status";
  gone.expect = "ok";
  BackupJob file;
  file.name = "nightly-db";
  file.file = (results.path() / "db" / "*.log").string();
  file.match = "completed successfully";
  file.before_minute = 6 * 60;
  file.before_text = "06:00";
  node.backups = {veeam, tape, gone, file};

  NetSnmpClient snmp;
  CurlHttpClient http;
  auto checked = ByName(RunOnce(&MakeBackupMonitors, node, snmp, http, clock));
  ASSERT_EQ(checked.size(), 4u);
  EXPECT_EQ(checked["backup:veeam"].status, Status::kOk) << checked["backup:veeam"].reason;
  EXPECT_EQ(checked["backup:tape"].status, Status::kCritical);
  EXPECT_EQ(checked["backup:tape"].reason,
            "tape (" + tape.url + "): jobs[0].result is 'Failed', expected 'Success'");
  EXPECT_EQ(checked["backup:gone"].status, Status::kUnknown);
  EXPECT_EQ(checked["backup:gone"].reason,
            "gone (" + gone.url + "): HTTP 404, expected 200 with JSON");
  EXPECT_EQ(checked["backup:nightly-db"].status, Status::kOk)
      << checked["backup:nightly-db"].reason;

  // A day later nothing new has come: both nightly jobs miss their success.
  clock.Advance(24h);
  checked = ByName(RunOnce(&MakeBackupMonitors, node, snmp, http, clock));
  EXPECT_EQ(checked["backup:veeam"].status, Status::kCritical);
  EXPECT_EQ(checked["backup:veeam"].reason,
            "veeam (" + veeam.url +
                "): no success since 2026-12-03 06:00 (daily by 06:00 Asia/Tokyo): "
                "last_result.status is 'success' but last_success.finished is 2026-12-03 05:30");
  EXPECT_EQ(checked["backup:nightly-db"].status, Status::kCritical);
  EXPECT_EQ(checked["backup:nightly-db"].reason,
            "nightly-db (" + file.file +
                "): no success since 2026-12-03 06:00 (daily by 06:00 Asia/Tokyo); last success "
                "2026-12-03 05:00 (" +
                log.string() + ")");
}

// The three kinds through the registry and the daemon: `--check-config`
// counts them, `--once --json` runs them.
TEST_F(PlatformSnmpTest, CollectorOnceRunsTheNewKindsFromTheInventory) {
  auto snmpd = Start(
      "override .1.3.6.1.2.1.25.3.2.1.3.999999 octet_str \"Test RAID controller\"\n"
      "override .1.3.6.1.2.1.25.3.2.1.5.999999 integer 5\n");
  ASSERT_TRUE(snmpd);
  TempDir dir;
  fs::create_directories(dir.path() / "backup");
  dir.Write("backup/today.log", "completed successfully\n");  // mtime: now
  const std::string yaml = R"(metrics: {listen: "127.0.0.1:0"}
alerting:
  ledger: )" + (dir.path() / "ledger.db").string() +
                           R"(
  templates: )" + std::string(MIMAMORI_SOURCE_DIR) +
                           R"(/packaging/templates
nodes:
  - name: esx01
    address: 127.0.0.1
    kind: esxi-host
    ping: {timeout: 1s}
    resource: false
    time_sync: true
    snmp: {port: )" + std::to_string(snmpd->port()) +
                           R"(}
    hardware: {ignore: ["network interface .*"]}
    backups:
      - {name: nightly, file: ")" +
                           (dir.path() / "backup" / "*.log").string() +
                           R"(", before: "23:59", match: "completed"}
)";
  const auto config = dir.Write("inventory.yaml", yaml);
  // ping, time, hardware and one backup job.
  const auto checked =
      RunCommand({MIMAMORI_COLLECTOR_BINARY, "--check-config", config.string()}, 30s);
  EXPECT_EQ(checked.exit_code, 0) << checked.Describe() << checked.out;
  EXPECT_NE(checked.out.find("4 checks run: 4 monitored (1 node)"), std::string::npos)
      << checked.out;

  const auto once =
      RunCommand({MIMAMORI_COLLECTOR_BINARY, "--config", config.string(), "--once", "--json"}, 90s);
  EXPECT_EQ(once.exit_code, 1) << once.Describe() << once.out;  // the controller is down
  EXPECT_TRUE(std::regex_search(
      once.out,
      std::regex(
          R"("monitor":"hardware:Test RAID controller","kind":"hardware","status":"CRITICAL")")))
      << once.out;
  EXPECT_TRUE(
      std::regex_search(once.out, std::regex(R"("monitor":"time","kind":"time","status":"OK")")))
      << once.out;
  EXPECT_TRUE(std::regex_search(
      once.out, std::regex(R"("monitor":"backup:nightly","kind":"backup","status":"OK")")))
      << once.out;
  EXPECT_EQ(once.out.find("network interface"), std::string::npos) << once.out;
}

}  // namespace
}  // namespace mimamori::collector
