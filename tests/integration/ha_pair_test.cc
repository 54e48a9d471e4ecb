// Issue 12, with real processes: two collectors on one inventory and one
// ledger in a real PostgreSQL (private, on a Unix socket), our agent, and a
// real SMTP server (aiosmtpd).
//   1. kill -9 of the leader: the follower takes the lead within one ping
//      cycle and carries the incident on; every report reaches the server
//      exactly once (the deterministic Message-IDs prove it), and
//      `mimamorictl status` shows who leads;
//   2. PostgreSQL stopped for a minute under a lone leader: a failure found
//      meanwhile waits, and its reports go out once the server is back,
//      once each.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "collector/ha/shard_plan.h"
#include "collector/ledger/ledger.h"
#include "tests/integration/agent_process.h"
#include "tests/integration/always_open_calendar.h"
#include "tests/integration/sleep_argument.h"
#include "tests/integration/smtp_server.h"
#include "tests/support/private_postgres.h"

namespace mimamori::testing {
namespace {

using namespace std::chrono_literals;
using collector::IncidentStatus;
using collector::Ledger;
using collector::ReportStatus;

class HaPairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PrivatePostgres::Available(&why)) GTEST_SKIP() << why;
    python_ = FindPython();
    if (!python_) {
      GTEST_SKIP() << "python3 with aiosmtpd not found (Debian package python3-aiosmtpd)";
    }
    postgres_ = PrivatePostgres::Create(&why);
    ASSERT_NE(postgres_, nullptr) << why;
    smtp_ = std::make_unique<SmtpServer>(*python_, SmtpServer::Options{});
    ASSERT_TRUE(smtp_->started()) << smtp_->log();
    AgentOptions agent;
    agent.config_yaml = "cache_lifetime: 200ms\n";
    agent_ = AgentProcess::Start(agent, why);
    ASSERT_TRUE(agent_) << why;
    watched_.Start(SleepArgument(0));
    config_ = dir_.Write("inventory.yaml", InventoryOf(NodeYaml("vm1", SleepArgument(0))));
  }
  /// The pair's inventory with these nodes (NodeYaml).
  std::string InventoryOf(const std::string& nodes) const {
    return R"(platform_name: テスト基盤
defaults:
  intervals: {ping: 1s, process: 1s}
metrics: {listen: "127.0.0.1:0"}
)" + AlwaysOpenCalendar() +
           R"(alerting:
  ledger: {postgresql: ")" +
           postgres_->conninfo() + R"("}
  templates: )" +
           std::string(MIMAMORI_SOURCE_DIR) +
           R"(/packaging/templates
  grouping_window: 2s
  retry: {initial: 1s, max: 2s}
  mail: {url: ")" +
           smtp_->url() + R"(", from: kanshi@example.lg.jp}
  platform_managers: [{name: 統括, mail: toukatsu@example.lg.jp}]
  on_duty: [{name: 当番, mail: touban@example.lg.jp}]
systems:
  - {name: juki, level: A, owners: [{name: 住基担当, mail: juki@example.lg.jp}]}
nodes:
)" + nodes;
  }
  /// A node on our agent that watches the `sleep` with this argument.
  std::string NodeYaml(const std::string& name, const std::string& argument) const {
    return "  - name: " + name + R"(
    address: 127.0.0.1
    system: juki
    resource: false
    snmp: {port: )" +
           std::to_string(agent_->port()) + R"(}
    processes:
      - {name: a, command: ".*sleep", arguments: ")" +
           argument + "\"}\n";
  }
  void TearDown() override {
    for (auto& [name, c] : collectors_) c.Stop();
    watched_.Stop();
  }

  /// A `sleep` with a recognisable argument: the process the monitor watches.
  struct Watched {
    void Start(std::string argument) {
      argument_ = std::move(argument);
      std::string error;
      child_ = ChildProcess::Spawn({{"sleep", argument_}, "/dev/null", "/dev/null", {}}, error);
      ASSERT_TRUE(child_) << error;
    }
    void Restart() { Start(argument_); }
    void Stop() {
      if (child_) child_->Stop(0ms);
      child_.reset();
    }
    std::string argument_;
    std::optional<ChildProcess> child_;
  };

  void StartCollector(const std::string& name) {
    const auto log = dir_.path() / (name + "-" + std::to_string(++runs_) + ".log");
    logs_[name] = log;
    std::string error;
    auto child = ChildProcess::Spawn(
        {{MIMAMORI_COLLECTOR_BINARY, "--config", config_.string(), "--collector-name", name},
         log,
         log,
         {}},
        error);
    ASSERT_TRUE(child) << error;
    collectors_[name] = std::move(*child);
  }
  void KillCollector(const std::string& name) {
    ::kill(collectors_[name].pid(), SIGKILL);
    collectors_[name].Stop();
  }
  std::string Log(const std::string& name) const { return ReadFile(logs_.at(name)); }
  bool Logged(const std::string& name, const std::string& pattern) const {
    return std::regex_search(Log(name), std::regex(pattern));
  }
  std::string Logs() const {
    std::string out;
    for (const auto& [name, path] : logs_) out += "--- " + name + "\n" + ReadFile(path);
    return out;
  }

  std::vector<collector::IncidentTimeline> Incidents() {
    std::vector<collector::IncidentTimeline> out;
    auto ledger = Ledger::Open(postgres_->conninfo());
    if (!ledger) return out;  // the server may be down in the second test
    auto all = ledger->RecentIncidents({}, 1000);
    if (!all) return out;
    for (auto it = all->rbegin(); it != all->rend(); ++it) out.push_back(*ledger->Timeline(it->id));
    return out;
  }
  /// The incident is in `status` and every report it has is sent.
  bool OneIncident(IncidentStatus status, std::size_t reports) {
    auto incidents = Incidents();
    if (incidents.size() != 1 || incidents[0].incident.status != status) return false;
    if (incidents[0].reports.size() != reports) return false;
    for (const auto& r : incidents[0].reports) {
      if (r.status != ReportStatus::kSent) return false;
    }
    return true;
  }

  /// Level A, business hours: first report by mail and phone (the phone duty
  /// reaches the on-duty mail), final report by mail: three messages, each
  /// received once.
  void ExpectEveryReportOnce() {
    std::map<std::string, int> received;
    for (const std::string& id : smtp_->Column("message_id")) ++received[id];
    for (const auto& [id, n] : received) EXPECT_EQ(n, 1) << "sent twice: " << id;
    EXPECT_EQ(received.size(), 3u) << smtp_->log();
    for (const auto& t : Incidents()) {
      for (const auto& r : t.reports) {
        std::string id = r.message_id;
        if (r.channel == collector::Channel::kPhone) id.insert(1, "on-duty.");
        EXPECT_TRUE(received.contains(id)) << "lost: " << collector::ToString(r.kind) << " " << id;
      }
    }
  }

  std::optional<std::string> python_;
  std::unique_ptr<PrivatePostgres> postgres_;
  std::unique_ptr<SmtpServer> smtp_;
  std::unique_ptr<AgentProcess> agent_;
  Watched watched_;
  TempDir dir_;
  std::filesystem::path config_;
  int runs_ = 0;
  std::map<std::string, std::filesystem::path> logs_;
  std::map<std::string, ChildProcess> collectors_;
};

TEST_F(HaPairTest, KillingTheLeaderHandsOverWithinOnePingCycleWithEveryReportSentOnce) {
  StartCollector("col-a");
  ASSERT_TRUE(WaitUntil([&] { return Logged("col-a", "took the lead of the pair"); }, 30s))
      << Logs();
  ASSERT_TRUE(WaitUntil([&] { return Logged("col-a", "monitors; /metrics on port"); }, 30s))
      << Logs();
  StartCollector("col-b");
  ASSERT_TRUE(WaitUntil([&] { return Logged("col-b", "following col-a"); }, 30s)) << Logs();
  // systemctl reload of the follower: it keeps following, and reloads at
  // once (it polls its share of the nodes).
  ::kill(collectors_["col-b"].pid(), SIGHUP);
  ASSERT_TRUE(
      WaitUntil([&] { return Logged("col-b", "configuration reloaded while following"); }, 10s))
      << Logs();
  EXPECT_TRUE(collectors_["col-b"].Running());

  // The process fails: the leader opens the incident and sends its first
  // report (mail, and the phone duty to the on-duty mail).
  watched_.Stop();
  ASSERT_TRUE(WaitUntil([&] { return OneIncident(IncidentStatus::kOpen, 2); }, 60s)) << Logs();
  EXPECT_FALSE(Logged("col-b", "incident opened")) << "the follower must not run an engine";

  const auto killed = std::chrono::steady_clock::now();
  KillCollector("col-a");
  ASSERT_TRUE(WaitUntil([&] { return Logged("col-b", "took the lead of the pair"); }, 60s))
      << Logs();
  const auto takeover = std::chrono::steady_clock::now() - killed;
  EXPECT_LT(takeover, 60s) << "the spec's ping cycle";
  ASSERT_TRUE(WaitUntil([&] { return Logged("col-b", "/metrics on port"); }, 20s)) << Logs();
  // The new leader's /metrics: it leads, and sees the dead member's lag.
  std::smatch port;
  const std::string log_b = Log("col-b");
  ASSERT_TRUE(std::regex_search(log_b, port, std::regex("/metrics on port (\\d+)"))) << log_b;
  const std::string url = "http://127.0.0.1:" + port[1].str() + "/metrics";
  std::string metrics;
  EXPECT_TRUE(WaitUntil(
      [&] {
        metrics = RunCommand({"curl", "-s", url}).out;
        return metrics.find(
                   "mimamori_ha_member_heartbeat_age_seconds{collector=\"col-b\","
                   "member=\"col-a\"}") != std::string::npos;
      },
      20s))
      << metrics;
  EXPECT_NE(metrics.find("mimamori_ha_leading{collector=\"col-b\"} 1"), std::string::npos)
      << metrics;
  std::cout << "[ takeover ] "
            << std::chrono::duration_cast<std::chrono::milliseconds>(takeover).count()
            << " ms after kill -9 of the leader\n";

  // The new leader carries the incident on: the recovery closes it, with
  // one final report.
  watched_.Restart();
  ASSERT_TRUE(WaitUntil([&] { return OneIncident(IncidentStatus::kClosed, 3); }, 60s)) << Logs();
  std::this_thread::sleep_for(3s);  // what a duplicate would need to arrive
  ExpectEveryReportOnce();

  auto status = RunCommand({MIMAMORI_CTL_BINARY, "--config", config_.string(), "status"});
  ASSERT_EQ(status.exit_code, 0) << status.Describe();
  EXPECT_NE(status.out.find("leader  col-b since"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("col-a"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("(term 2)"), std::string::npos) << status.out;
}

TEST_F(HaPairTest, PostgresStoppedForAMinuteDelaysTheReportsAndLosesNone) {
  StartCollector("col-a");
  ASSERT_TRUE(WaitUntil([&] { return Logged("col-a", "monitors; /metrics on port"); }, 30s))
      << Logs();
  std::this_thread::sleep_for(2s);  // a few OK checks

  std::string why;
  ASSERT_TRUE(postgres_->Stop(&why)) << why;
  watched_.Stop();  // found while nothing can be recorded
  ASSERT_TRUE(WaitUntil([&] { return Logged("col-a", "monitor=process:a: OK -> CRITICAL"); }, 30s))
      << Logs();
  std::this_thread::sleep_for(60s);
  EXPECT_EQ(smtp_->Accepted(), 0) << "nothing can be sent without the ledger";
  EXPECT_TRUE(collectors_["col-a"].Running()) << Logs();
  ASSERT_TRUE(postgres_->Start(&why)) << why;

  ASSERT_TRUE(WaitUntil([&] { return OneIncident(IncidentStatus::kOpen, 2); }, 60s)) << Logs();
  watched_.Restart();
  ASSERT_TRUE(WaitUntil([&] { return OneIncident(IncidentStatus::kClosed, 3); }, 60s)) << Logs();
  std::this_thread::sleep_for(3s);
  ExpectEveryReportOnce();
  EXPECT_TRUE(collectors_["col-a"].Running()) << Logs();
}

// Sharding, with real processes: three collectors split six nodes (each
// polls exactly the nodes rendezvous hashing gives it, and says so on its
// /metrics, every series labelled with its name); a failure on a follower's
// node becomes one incident with its reports sent once by the leader; kill
// -9 of that follower moves its nodes to the others, and the new owner
// carries the incident on to its recovery; a collector that joins takes its
// share.
class ShardingTest : public HaPairTest {
 protected:
  void SetUp() override {
    HaPairTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    std::string nodes;
    for (int i = 1; i <= 6; ++i) {
      const std::string name = "n" + std::to_string(i);
      const std::string argument = SleepArgument(i);
      names_.push_back(name);
      shard_watched_[name].Start(argument);
      nodes += NodeYaml(name, argument);
    }
    config_ = dir_.Write("inventory.yaml", InventoryOf(nodes));
  }
  void TearDown() override {
    HaPairTest::TearDown();
    for (auto& [name, w] : shard_watched_) w.Stop();
  }

  std::set<std::string> ShareOf(const std::string& collector,
                                const std::vector<std::string>& members) const {
    std::set<std::string> share;
    for (const auto& n : names_) {
      if (collector::OwnerOf(n, members) == collector) share.insert(n);
    }
    return share;
  }
  std::string Metrics(const std::string& name) const {
    std::smatch port;
    const std::string log = Log(name);
    if (!std::regex_search(log, port, std::regex("/metrics on port (\\d+)"))) return "";
    return RunCommand({"curl", "-s", "http://127.0.0.1:" + port[1].str() + "/metrics"}).out;
  }
  /// The nodes whose monitors a collector's /metrics shows, each series
  /// required to carry collector="<name>".
  static std::set<std::string> PolledNodes(const std::string& metrics, const std::string& name) {
    std::set<std::string> nodes;
    std::istringstream lines(metrics);
    std::string line;
    const std::regex node("node=\"([^\"]+)\"");
    while (std::getline(lines, line)) {
      if (!line.starts_with("mimamori_monitor_status{")) continue;
      if (line.find("collector=\"" + name + "\"") == std::string::npos) {
        nodes.insert("<series without collector=\"" + name + "\">");
      }
      std::smatch m;
      if (std::regex_search(line, m, node)) nodes.insert(m[1].str());
    }
    return nodes;
  }
  static bool SharesNodes(const std::string& metrics, const std::string& name, std::size_t n) {
    return metrics.find("mimamori_shard_nodes{collector=\"" + name + "\"} " + std::to_string(n) +
                        "\n") != std::string::npos;
  }
  /// Each collector polls its share, and only that.
  void ExpectShares(const std::vector<std::string>& members) {
    for (const auto& name : members) {
      const auto share = ShareOf(name, members);
      std::string metrics;
      EXPECT_TRUE(WaitUntil(
          [&] {
            metrics = Metrics(name);
            return PolledNodes(metrics, name) == share && SharesNodes(metrics, name, share.size());
          },
          30s))
          << name << " should poll " << ::testing::PrintToString(share) << "\n"
          << metrics << Logs();
    }
  }
  static std::string Listed(const std::vector<std::string>& members) {
    std::string out;
    for (const auto& m : members) out += (out.empty() ? "" : ", ") + m;
    return out;
  }

  std::vector<std::string> names_;
  std::map<std::string, Watched> shard_watched_;
};

TEST_F(ShardingTest, CollectorsSplitTheNodesAndReportEachFailureOnce) {
  StartCollector("c1");
  ASSERT_TRUE(WaitUntil([&] { return Logged("c1", "took the lead of the pair"); }, 30s)) << Logs();
  StartCollector("c2");
  StartCollector("c3");
  std::vector<std::string> members{"c1", "c2", "c3"};
  ASSERT_TRUE(WaitUntil(
      [&] { return Logged("c1", "among 3 collectors \\(" + Listed(members) + "\\)"); }, 30s))
      << Logs();
  ExpectShares(members);

  // A node of a follower fails: the follower confirms it, the leader's
  // engine opens the incident and sends its reports.
  std::string failing;
  for (const auto& n : names_) {
    if (collector::OwnerOf(n, members) != "c1") {
      failing = n;
      break;
    }
  }
  ASSERT_FALSE(failing.empty()) << "every node went to the leader";
  const std::string owner = collector::OwnerOf(failing, members);
  shard_watched_[failing].Stop();
  ASSERT_TRUE(WaitUntil([&] { return OneIncident(IncidentStatus::kOpen, 2); }, 60s)) << Logs();
  const auto incidents = Incidents();
  ASSERT_EQ(incidents.size(), 1u);
  ASSERT_FALSE(incidents[0].monitors.empty());
  EXPECT_EQ(incidents[0].monitors[0].node, failing);
  EXPECT_TRUE(Logged(owner, "OK -> CRITICAL")) << Log(owner);
  for (const auto& m : members) {
    if (m != "c1") {
      EXPECT_FALSE(Logged(m, "incident opened")) << "only the leader runs an engine";
    }
  }

  // kill -9 of that follower: its nodes go to the others (once its
  // heartbeat is 20 s old), and the node's new collector carries the
  // incident on: the recovery closes it with one final report.
  KillCollector(owner);
  std::erase(members, owner);
  ASSERT_TRUE(WaitUntil(
      [&] { return Logged("c1", "among 2 collectors \\(" + Listed(members) + "\\)"); }, 60s))
      << Logs();
  ExpectShares(members);
  shard_watched_[failing].Restart();
  ASSERT_TRUE(WaitUntil([&] { return OneIncident(IncidentStatus::kClosed, 3); }, 60s)) << Logs();
  std::this_thread::sleep_for(3s);  // what a duplicate would need to arrive
  ExpectEveryReportOnce();

  // A collector joins: it takes its share at once.
  StartCollector("c4");
  members.push_back("c4");
  ASSERT_TRUE(WaitUntil(
      [&] { return Logged("c1", "among 3 collectors \\(" + Listed(members) + "\\)"); }, 30s))
      << Logs();
  ExpectShares(members);

  auto status = RunCommand({MIMAMORI_CTL_BINARY, "--config", config_.string(), "status"});
  ASSERT_EQ(status.exit_code, 0) << status.Describe();
  EXPECT_NE(status.out.find("NODES"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("shards  generation"), std::string::npos) << status.out;
}

}  // namespace
}  // namespace mimamori::testing
