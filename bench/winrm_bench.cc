// WinRM checks per second: N nodes' service monitors (one W3SVC Get each)
// through the collector's CurlHttpClient against one WinRM listener
// (bench/run_winrm_bench.sh starts tests/integration/wsman_server.py).
// Prints one line: "checks=N ok=N seconds=S rate=R cpu_seconds=C".
//
//   winrm_bench --port P [--count 1000] [--concurrency 16] [--service W3SVC]
// The password comes from $WINRM_PASSWORD (user "monitor").
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "collector/monitors/service_monitor.h"
#include "collector/net/curl_http_client.h"
#include "collector/net/http_client.h"
#include "collector/net/pinger.h"
#include "collector/net/snmp_client.h"

namespace mc = mimamori::collector;

namespace {

struct Unused final : mc::Pinger, mc::SnmpClient, mc::TcpProbe {
  void Ping(const std::string&, const mc::PingSettings&,
            std::function<void(mc::PingOutcome)>) override {}
  void Get(const mc::SnmpTarget&, std::vector<mimamori::proto::Oid>,
           std::function<void(mc::SnmpResult)>) override {}
  void Walk(const mc::SnmpTarget&, std::vector<mimamori::proto::Oid>,
            std::function<void(mc::SnmpResult)>) override {}
  void Connect(const std::string&, std::uint16_t, std::chrono::milliseconds,
               std::function<void(mc::TcpProbeResult)>) override {}
};

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, count = 1000;
  std::size_t concurrency = 16;
  std::string service = "W3SVC";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--port")
      port = std::atoi(argv[i + 1]);
    else if (flag == "--count")
      count = std::atoi(argv[i + 1]);
    else if (flag == "--concurrency")
      concurrency = static_cast<std::size_t>(std::atoi(argv[i + 1]));
    else if (flag == "--service")
      service = argv[i + 1];
  }
  if (port <= 0 || count <= 0 || concurrency == 0) {
    std::fprintf(stderr, "usage: winrm_bench --port P [--count N] [--concurrency C]\n");
    return 2;
  }
  mc::CurlHttpClient::Options options;
  options.max_concurrent = concurrency;
  mc::CurlHttpClient http(options);
  Unused unused;
  mc::SystemClock clock;
  mc::MonitorServices services{unused, unused, http, unused, clock};
  mc::Inventory inventory;
  std::vector<std::unique_ptr<mc::Monitor>> monitors;
  for (int n = 0; n < count; ++n) {
    mc::Node node;
    node.name = "win" + std::to_string(n);
    node.address = "127.0.0.1";
    mc::ServiceCheck check;
    check.service = service;
    check.user = "monitor";
    check.password_env = "WINRM_PASSWORD";
    check.port = static_cast<std::uint16_t>(port);
    check.timeout = std::chrono::seconds(30);
    check.retries = 0;
    node.services = {check};
    for (auto& monitor : mc::MakeServiceMonitors(node, inventory, services)) {
      monitors.push_back(std::move(monitor));
    }
  }
  std::mutex mutex;
  std::condition_variable all_done;
  int remaining = count, ok = 0;
  std::string first_failure;
  const double cpu_before = CpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  for (auto& monitor : monitors) {
    monitor->Start([&](mc::CheckReport report) {
      std::lock_guard lock(mutex);
      for (const auto& result : report.results) {
        if (result.status == mc::Status::kOk) {
          ++ok;
        } else if (first_failure.empty()) {
          first_failure = result.reason;
        }
      }
      if (--remaining == 0) all_done.notify_one();
    });
  }
  {
    std::unique_lock lock(mutex);
    all_done.wait(lock, [&] { return remaining == 0; });
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("checks=%d ok=%d seconds=%.3f rate=%.1f cpu_seconds=%.3f\n", count, ok, seconds,
              count / seconds, CpuSeconds() - cpu_before);
  if (!first_failure.empty()) std::fprintf(stderr, "first failure: %s\n", first_failure.c_str());
  return ok == count ? 0 : 1;
}
