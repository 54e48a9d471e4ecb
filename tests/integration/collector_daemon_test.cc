// mimamori-collector as a daemon against real peers: our agent answers SNMP,
// promtool checks the /metrics text, Debian's Prometheus scrapes it, and
// SIGHUP reloads (a bad inventory keeps the running one).
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include "tests/integration/agent_process.h"

namespace mimamori::testing {
namespace {

using namespace std::chrono_literals;

std::string CollectorBinary() {
  if (const char* env = std::getenv("MIMAMORI_COLLECTOR_BINARY")) return env;
  return MIMAMORI_COLLECTOR_BINARY;
}

bool OnPath(const std::string& tool) {
  return RunCommand({"sh", "-c", "command -v " + tool}, 5s).exit_code == 0;
}

std::uint16_t FreeTcpPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct HttpResult {
  long status = 0;
  std::string body;
};

HttpResult HttpGet(const std::string& url) {
  HttpResult result;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* out) {
        static_cast<std::string*>(out)->append(data, size * n);
        return size * n;
      });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  }
  curl_easy_cleanup(curl);
  return result;
}

// Polls `probe` every 200 ms until it returns true or `limit` passes.
template <typename F>
bool Eventually(F probe, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (probe()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return probe();
}

std::string Inventory(const TempDir& dir, std::uint16_t agent_port,
                      const std::string& extra_nodes = "") {
  return R"(platform_name: テスト基盤
defaults:
  intervals: {ping: 1s, resource: 2s, process: 2s, port: 2s, web: 2s}
  thresholds: {cpu: {warning: 100, critical: 100}}
metrics: {listen: "127.0.0.1:0"}
alerting:
  ledger: )" +
         (dir.path() / "ledger.db").string() + R"(
  templates: )" +
         std::string(MIMAMORI_SOURCE_DIR) + R"(/packaging/templates
  platform_managers: [{name: 統括, mail: toukatsu@example.lg.jp}]
systems:
  - name: test
    level: A
    owners: [{name: 試験, mail: test@example.lg.jp}]
nodes:
  - name: localhost
    address: 127.0.0.1
    system: test
    snmp: {port: )" +
         std::to_string(agent_port) + R"(}
    processes:
      - {name: agent, command: ".*mimamori-agent"}
)" + extra_nodes;
}

class CollectorDaemon {
 public:
  CollectorDaemon(const TempDir& dir, const std::string& inventory) : dir_(dir) {
    config_ = dir.Write("inventory.yaml", inventory);
    log_ = dir.path() / "collector.log";
    std::string error;
    auto child = ChildProcess::Spawn(
        {{CollectorBinary(), "--config", config_.string()}, "/dev/null", log_, {}}, error);
    EXPECT_TRUE(child) << error;
    if (child) child_ = std::move(*child);
    const std::regex port_line("/metrics on port ([0-9]+)");
    Eventually(
        [&] {
          std::smatch m;
          const std::string log = Log();
          if (!std::regex_search(log, m, port_line)) return false;
          port_ = std::stoi(m[1]);
          return true;
        },
        20s);
  }
  std::string Log() const { return ReadFile(log_); }
  std::string MetricsUrl() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/metrics";
  }
  int port() const { return port_; }
  void Rewrite(const std::string& inventory) { dir_.Write("inventory.yaml", inventory); }
  void Hup() { ::kill(child_.pid(), SIGHUP); }
  bool Running() { return child_.Running(); }

 private:
  const TempDir& dir_;
  std::filesystem::path config_, log_;
  ChildProcess child_;
  int port_ = 0;
};

TEST(CollectorDaemon, MetricsPassPromtoolAndPrometheusScrapesTheNodesCpu) {
  std::string error;
  auto agent = AgentProcess::Start({}, error);
  ASSERT_TRUE(agent) << error;
  TempDir dir;
  CollectorDaemon collector(dir, Inventory(dir, agent->port()));
  ASSERT_GT(collector.port(), 0) << collector.Log();

  std::string body;
  ASSERT_TRUE(Eventually(
      [&] {
        body = HttpGet(collector.MetricsUrl()).body;
        return body.find("mimamori_cpu_usage_ratio{node=\"localhost\"}") != std::string::npos &&
               body.find("mimamori_process_matches{") != std::string::npos;
      },
      30s))
      << body << "\n"
      << collector.Log();
  EXPECT_NE(body.find("mimamori_node_up{node=\"localhost\"} 1"), std::string::npos) << body;
  EXPECT_NE(body.find("mimamori_checks_total{"), std::string::npos);
  EXPECT_NE(body.find("mimamori_scheduler_lag_seconds"), std::string::npos);
  EXPECT_NE(body.find("mimamori_check_duration_seconds_bucket{"), std::string::npos);

  auto health = HttpGet("http://127.0.0.1:" + std::to_string(collector.port()) + "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_NE(health.body.find("mimamori_collector_healthy 1"), std::string::npos);

  if (!OnPath("promtool") || !OnPath("prometheus")) {
    GTEST_SKIP() << "Debian's prometheus package (promtool, prometheus) is not installed; "
                    "scripts/install-deps.sh installs it";
  }
  const auto scraped = dir.Write("metrics.txt", body);
  auto lint = RunCommand({"sh", "-c", "promtool check metrics < " + scraped.string()}, 30s);
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;

  const std::uint16_t prometheus_port = FreeTcpPort();
  const auto config = dir.Write("prometheus.yml", R"(global:
  scrape_interval: 1s
scrape_configs:
  - job_name: mimamori
    static_configs:
      - targets: ["127.0.0.1:)" + std::to_string(collector.port()) +
                                                      R"("]
)");
  ChildProcess::Options options;
  options.argv = {"prometheus", "--config.file=" + config.string(),
                  "--storage.tsdb.path=" + (dir.path() / "tsdb").string(),
                  "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)};
  options.stderr_path = dir.path() / "prometheus.log";
  auto prometheus = ChildProcess::Spawn(options, error);
  ASSERT_TRUE(prometheus) << error;
  const std::string api = "http://127.0.0.1:" + std::to_string(prometheus_port) + "/api/v1/";
  std::string targets;
  EXPECT_TRUE(Eventually(
      [&] {
        targets = HttpGet(api + "targets").body;
        return targets.find("\"health\":\"up\"") != std::string::npos;
      },
      60s))
      << targets << ReadFile(dir.path() / "prometheus.log").substr(0, 2000);
  std::string query;
  EXPECT_TRUE(Eventually(
      [&] {
        query =
            HttpGet(api + "query?query=mimamori_cpu_usage_ratio%7Bnode%3D%22localhost%22%7D").body;
        return query.find("\"node\":\"localhost\"") != std::string::npos;
      },
      60s))
      << query;
}

TEST(CollectorDaemon, ReloadKeepsTheRunningInventoryWhenTheNewOneIsBad) {
  std::string error;
  auto agent = AgentProcess::Start({}, error);
  ASSERT_TRUE(agent) << error;
  TempDir dir;
  CollectorDaemon collector(dir, Inventory(dir, agent->port()));
  ASSERT_GT(collector.port(), 0) << collector.Log();

  collector.Rewrite(Inventory(dir, agent->port()) + "    colour: blue\n");
  collector.Hup();
  ASSERT_TRUE(
      Eventually([&] { return collector.Log().find("reload failed") != std::string::npos; }, 20s))
      << collector.Log();
  EXPECT_NE(collector.Log().find("colour: unknown key"), std::string::npos) << collector.Log();
  EXPECT_TRUE(collector.Running());
  std::string body;
  EXPECT_TRUE(Eventually(
      [&] {
        body = HttpGet(collector.MetricsUrl()).body;
        return body.find("mimamori_config_last_reload_successful 0") != std::string::npos &&
               body.find("mimamori_node_up{node=\"localhost\"} 1") != std::string::npos;
      },
      20s))
      << body;

  // A valid inventory with one more node is taken over; the old node's
  // state carries on.
  collector.Rewrite(Inventory(dir, agent->port(), R"(  - name: second
    address: 127.0.0.2
    system: test
    resource: false
)"));
  collector.Hup();
  EXPECT_TRUE(Eventually(
      [&] {
        body = HttpGet(collector.MetricsUrl()).body;
        return body.find("mimamori_config_last_reload_successful 1") != std::string::npos &&
               body.find("mimamori_node_up{node=\"second\"} 1") != std::string::npos;
      },
      30s))
      << body << collector.Log();
  EXPECT_NE(body.find("mimamori_node_up{node=\"localhost\"} 1"), std::string::npos);
}

TEST(CollectorCommandLine, CheckConfigNamesFileLineColumnAndField) {
  TempDir dir;
  const auto bad = dir.Write("bad.yaml", "nodes:\n  - name: web01\n    adress: 10.0.0.1\n");
  auto result = RunCommand({CollectorBinary(), "--check-config", bad.string()}, 30s);
  EXPECT_EQ(result.exit_code, 2) << result.Describe();
  EXPECT_NE(result.err.find(bad.string() + ":3:5: nodes[0].adress: unknown key"), std::string::npos)
      << result.err;
  // The example as installed points at /etc/mimamori/templates; here the
  // templates are the source tree's.
  std::string example = ReadFile(std::string(MIMAMORI_SOURCE_DIR) + "/examples/inventory.yaml");
  const std::string installed = "templates: /etc/mimamori/templates";
  ASSERT_NE(example.find(installed), std::string::npos);
  example.replace(example.find(installed), installed.size(),
                  "templates: " + std::string(MIMAMORI_SOURCE_DIR) + "/packaging/templates");
  auto good = RunCommand(
      {CollectorBinary(), "--check-config", dir.Write("example.yaml", example).string()}, 30s);
  EXPECT_EQ(good.exit_code, 0) << good.Describe();
  EXPECT_NE(good.out.find("templates"), std::string::npos) << good.out;

  // A template with an unknown placeholder stops the start, naming file and line.
  std::filesystem::create_directories(dir.path() / "templates");
  for (const auto& entry : std::filesystem::directory_iterator(std::string(MIMAMORI_SOURCE_DIR) +
                                                               "/packaging/templates")) {
    std::filesystem::copy_file(entry.path(), dir.path() / "templates" / entry.path().filename());
  }
  dir.Write("templates/first-report.txt", "Subject: 【{{platform_name}}障害発生】\n\n{{symtom}}\n");
  example.replace(example.find("templates: "), std::string("templates: ").size(),
                  "templates: " + (dir.path() / "templates").string() + " #");
  auto typo = RunCommand(
      {CollectorBinary(), "--check-config", dir.Write("typo.yaml", example).string()}, 30s);
  EXPECT_EQ(typo.exit_code, 2) << typo.Describe();
  EXPECT_NE(typo.err.find("first-report.txt:3: unknown placeholder {{symtom}}"), std::string::npos)
      << typo.err;
}

TEST(CollectorCommandLine, OnceRunsEveryMonitorAndPrintsJson) {
  std::string error;
  auto agent = AgentProcess::Start({}, error);
  ASSERT_TRUE(agent) << error;
  TempDir dir;
  const auto config = dir.Write("inventory.yaml", Inventory(dir, agent->port()));
  auto ok = RunCommand({CollectorBinary(), "--config", config.string(), "--once", "--json"}, 90s);
  // This machine's own CPU may really be at 100 % (a loaded CI host): that
  // one judgement is then right to fail; every other monitor must be OK.
  const bool cpu_saturated = std::regex_search(
      ok.out,
      std::regex(R"("monitor":"cpu","kind":"resource","status":"CRITICAL","value":100[,.])"));
  std::string others =
      std::regex_replace(ok.out, std::regex(R"(\{[^}]*"monitor":"cpu"[^}]*\})"), "");
  EXPECT_EQ(others.find("\"status\":\"WARNING\""), std::string::npos) << ok.out;
  EXPECT_EQ(others.find("\"status\":\"CRITICAL\""), std::string::npos) << ok.out;
  EXPECT_EQ(others.find("\"status\":\"UNKNOWN\""), std::string::npos) << ok.out;
  EXPECT_EQ(ok.exit_code, cpu_saturated ? 1 : 0) << ok.Describe() << ok.out;
  for (const char* monitor : {"\"ping\"", "\"cpu\"", "\"memory\"", "\"process:agent\""}) {
    EXPECT_NE(ok.out.find(std::string("\"monitor\":") + monitor), std::string::npos) << ok.out;
  }
  // A node whose process is missing makes --once fail.
  const auto failing =
      dir.Write("failing.yaml",
                Inventory(dir, agent->port()) + "      - {name: none, command: \"/no/such\"}\n");
  auto bad = RunCommand({CollectorBinary(), "--config", failing.string(), "--once"}, 90s);
  EXPECT_EQ(bad.exit_code, 1) << bad.Describe();
  EXPECT_NE(bad.out.find("process:none"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("CRITICAL"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace mimamori::testing
