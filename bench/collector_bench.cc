// collector_bench: one full resource + process cycle over many simulated
// nodes (bench/snmp_simulator.cc) with the collector's real NetSnmpClient and
// monitors, and, in the same run, the same collection through Debian's
// prometheus-snmp-exporter for comparison (bench/run_collector_bench.sh snmp
// starts the simulator and the exporter and passes their ports).
//
//   collector_bench --port P [--nodes N] [--in-flight N] [--max-repetitions N]
//                   [--gap-ms MS] [--steady-cycles N]
//                   [--exporter HOST:PORT --exporter-pid PID [--exporter-targets N]
//                    [--exporter-concurrency N] [--exporter-client-cpu CPU]]
//
// Cycle 1 is a cold start: every resource monitor takes its two CPU samples
// --gap-ms apart. The steady cycles (default 3, the median is reported) are
// what runs every 5 minutes from then on: one Get and one Walk per resource
// monitor, one Walk per process monitor. For each: wall time (all checks
// started at once until the last report), the process's CPU seconds, and the
// verdicts. Peak RSS is the process's VmHWM after all cycles, before the
// exporter phase (which only runs HTTP clients, moved to
// --exporter-client-cpu so that they do not take the exporter's CPU).
//
// Output: a readable summary on stderr and key=value lines on stdout.
// Only loopback addresses are ever contacted.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sched.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "collector/monitors/process_monitor.h"
#include "collector/monitors/resource_monitor.h"
#include "collector/net/http_client.h"
#include "collector/net/netsnmp_client.h"
#include "collector/net/pinger.h"

namespace {

using namespace mimamori::collector;
using Clock = std::chrono::steady_clock;

// The simulator's node addresses: node i is 127.2.(i / 250).(i % 250 + 1),
// continuing in 127.3 past 64,000 nodes.
std::string AddressOf(int node) {
  const int block = node / 250;  // past 127.2.255.x the addresses go on in 127.3
  return "127." + std::to_string(2 + block / 256) + "." + std::to_string(block % 256) + "." +
         std::to_string(node % 250 + 1);
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// VmHWM (peak RSS) of a process, in MiB.
double PeakRssMib(const std::string& pid = "self") {
  std::ifstream in("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  }
  return 0;
}

// utime + stime of another process, in seconds.
double ProcessCpuSeconds(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::atof(field.c_str());
    if (i == 15) break;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

class NoPinger final : public Pinger {
 public:
  void Ping(const std::string&, const PingSettings&, std::function<void(PingOutcome)>) override {}
};
class NoHttp final : public HttpClient {
 public:
  void Get(const std::string&, std::chrono::milliseconds,
           std::function<void(HttpResponse)>) override {}
};
class NoTcp final : public TcpProbe {
 public:
  void Connect(const std::string&, std::uint16_t, std::chrono::milliseconds,
               std::function<void(TcpProbeResult)>) override {}
};

struct CycleResult {
  double wall = 0;
  double cpu = 0;
  std::map<std::string, std::array<int, 4>> verdicts;  // kind of result -> count per Status
  std::vector<std::string> samples;                    // a few UNKNOWN reasons
};

CycleResult RunCycle(std::vector<std::unique_ptr<Monitor>>& monitors) {
  std::mutex mutex;
  std::condition_variable all_done;
  std::size_t left = monitors.size();
  CycleResult result;
  const double cpu0 = CpuSeconds();
  const auto t0 = Clock::now();
  for (auto& monitor : monitors) {
    monitor->Start([&](CheckReport report) {
      std::lock_guard lock(mutex);
      for (const CheckResult& r : report.results) {
        const std::string kind = r.monitor.substr(0, r.monitor.find(':'));
        ++result.verdicts[kind][static_cast<std::size_t>(r.status)];
        if (r.status == Status::kUnknown && result.samples.size() < 5) {
          result.samples.push_back(r.reason);
        }
      }
      if (--left == 0) all_done.notify_one();
    });
  }
  std::unique_lock lock(mutex);
  all_done.wait(lock, [&] { return left == 0; });

  result.wall = std::chrono::duration<double>(Clock::now() - t0).count();
  result.cpu = CpuSeconds() - cpu0;
  return result;
}

std::string Verdicts(const CycleResult& cycle) {
  std::string out;
  for (const auto& [kind, counts] : cycle.verdicts) {
    if (!out.empty()) out += "; ";
    out += kind + " " + std::to_string(counts[0]) + "/" + std::to_string(counts[1]) + "/" +
           std::to_string(counts[2]) + "/" + std::to_string(counts[3]);
  }
  return out + " (OK/WARNING/CRITICAL/UNKNOWN)";
}

// ------------------------------------------------------------------ exporter

struct ScrapeResult {
  double wall = 0;
  int ok = 0;
  int failed = 0;
  std::size_t bytes = 0;
  std::string first_error;
};

// GET path from host:port (loopback), HTTP/1.0, whole body. "" on failure.
std::string HttpGet(const sockaddr_in& server, const std::string& path, std::string& error) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval limit{60, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0) {
    error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return {};
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    error = std::string("send: ") + std::strerror(errno);
    ::close(fd);
    return {};
  }
  std::string response;
  char buffer[65536];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0)
    response.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  if (response.rfind("HTTP/1.", 0) != 0 || response.find(" 200 ") == std::string::npos) {
    error = response.substr(0, response.find('\n'));
    if (error.empty()) error = "empty response";
    return {};
  }
  return response;
}

ScrapeResult ScrapeExporter(const std::string& endpoint, int targets, int concurrency, int port) {
  ScrapeResult result;
  sockaddr_in server{};
  server.sin_family = AF_INET;
  const auto colon = endpoint.rfind(':');
  inet_pton(AF_INET, endpoint.substr(0, colon).c_str(), &server.sin_addr);
  server.sin_port = htons(static_cast<std::uint16_t>(std::atoi(endpoint.c_str() + colon + 1)));
  if ((ntohl(server.sin_addr.s_addr) >> 24) != 127) {
    result.first_error = "exporter must be on loopback";
    return result;
  }
  std::atomic<int> next{0};
  std::mutex mutex;
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&] {
      while (true) {
        const int node = next++;
        if (node >= targets) return;
        std::string error;
        const std::string body = HttpGet(
            server, "/snmp?module=mimamori&target=" + AddressOf(node) + ":" + std::to_string(port),
            error);
        // A complete scrape has the process table and no scrape error.
        const bool ok = !body.empty() && body.find("hrSWRunParameters") != std::string::npos &&
                        body.find("ssCpuRawIdle") != std::string::npos;
        std::lock_guard lock(mutex);
        if (ok) {
          ++result.ok;
          result.bytes += body.size();
        } else {
          ++result.failed;
          if (result.first_error.empty()) {
            result.first_error = error.empty() ? body.substr(0, 300) : error;
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  result.wall = std::chrono::duration<double>(Clock::now() - t0).count();
  return result;
}

int Usage() {
  std::fputs(
      "usage: collector_bench --port P [--nodes N] [--in-flight N] [--max-repetitions N]\n"
      "                       [--gap-ms MS] [--exporter HOST:PORT --exporter-pid PID\n"
      "                        [--exporter-targets N] [--exporter-concurrency N]]\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int nodes = 10000;
  int port = 0;
  NetSnmpClientOptions client_options;
  ResourceMonitorOptions resource_options;
  std::string exporter;
  std::string exporter_pid;
  int exporter_targets = 0;
  int exporter_concurrency = 64;
  int exporter_client_cpu = -1;
  int steady_cycles = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return Usage();
    const char* value = argv[++i];
    if (arg == "--nodes") {
      nodes = std::atoi(value);
    } else if (arg == "--port") {
      port = std::atoi(value);
    } else if (arg == "--in-flight") {
      client_options.max_in_flight = std::atoi(value);
    } else if (arg == "--max-repetitions") {
      client_options.max_repetitions = std::atoi(value);
    } else if (arg == "--gap-ms") {
      resource_options.first_sample_gap = std::chrono::milliseconds(std::atoi(value));
    } else if (arg == "--exporter") {
      exporter = value;
    } else if (arg == "--exporter-pid") {
      exporter_pid = value;
    } else if (arg == "--exporter-targets") {
      exporter_targets = std::atoi(value);
    } else if (arg == "--exporter-concurrency") {
      exporter_concurrency = std::atoi(value);
    } else if (arg == "--exporter-client-cpu") {
      exporter_client_cpu = std::atoi(value);
    } else if (arg == "--steady-cycles") {
      steady_cycles = std::max(1, std::atoi(value));
    } else {
      return Usage();
    }
  }
  if (nodes < 1 || nodes > 2 * 256 * 250 || port <= 0 || port > 65535) return Usage();
  if (exporter_targets <= 0) exporter_targets = nodes;

  // The inventory: every node watched for resources and three processes.
  Inventory inventory;
  for (int n = 0; n < nodes; ++n) {
    Node node;
    char name[32];
    std::snprintf(name, sizeof name, "vm%05d", n);
    node.name = name;
    node.address = AddressOf(n);
    node.snmp.port = static_cast<std::uint16_t>(port);
    ProcessCheck sshd;
    sshd.name = "sshd";
    sshd.command = "/usr/sbin/sshd";
    sshd.arguments = "-D";
    ProcessCheck httpd;
    httpd.name = "httpd";
    httpd.command = "/usr/sbin/httpd";
    ProcessCheck app;
    app.name = "app";
    app.command = ".*/bin/java";
    app.arguments = ".*-jar /opt/app/app\\.jar.*";
    node.processes = {sshd, httpd, app};
    inventory.nodes.push_back(std::move(node));
  }

  NetSnmpClient snmp(client_options);
  NoPinger pinger;
  NoHttp http;
  NoTcp tcp;
  SystemClock clock;
  MonitorServices services{pinger, snmp, http, tcp, clock};
  std::vector<std::unique_ptr<Monitor>> monitors;
  for (const Node& node : inventory.nodes) {
    for (auto& m : MakeResourceMonitors(node, inventory, services, resource_options)) {
      monitors.push_back(std::move(m));
    }
    for (auto& m : MakeProcessMonitors(node, inventory, services)) monitors.push_back(std::move(m));
  }

  const CycleResult cold = RunCycle(monitors);
  const auto stats_cold = snmp.stats();
  std::vector<CycleResult> cycles;
  for (int c = 0; c < steady_cycles; ++c) cycles.push_back(RunCycle(monitors));
  const auto stats = snmp.stats();
  std::sort(cycles.begin(), cycles.end(),
            [](const CycleResult& a, const CycleResult& b) { return a.wall < b.wall; });
  const CycleResult& steady = cycles[cycles.size() / 2];  // the median by wall time
  const double peak_rss = PeakRssMib();
  const auto pdus_per_cycle = (stats.pdus_sent - stats_cold.pdus_sent) / cycles.size();

  std::fprintf(stderr,
               "collector_bench: %d nodes, %zu monitors, max_in_flight %d, max-repetitions %d\n"
               "  cycle 1 (cold, two CPU samples %lld ms apart): wall %.2f s, CPU %.2f s\n"
               "  steady cycle (median of %zu): wall %.2f s, CPU %.2f s, %.0f nodes/s\n"
               "  PDUs sent %llu (per steady cycle: %llu), timeouts %llu, peak in flight %zu,"
               " peak RSS %.1f MiB\n  verdicts of a steady cycle: %s\n",
               nodes, monitors.size(), client_options.max_in_flight, client_options.max_repetitions,
               static_cast<long long>(resource_options.first_sample_gap.count()), cold.wall,
               cold.cpu, cycles.size(), steady.wall, steady.cpu, nodes / steady.wall,
               static_cast<unsigned long long>(stats.pdus_sent),
               static_cast<unsigned long long>(pdus_per_cycle),
               static_cast<unsigned long long>(stats.timeouts), stats.peak_in_flight, peak_rss,
               Verdicts(steady).c_str());
  for (const std::string& reason : steady.samples)
    std::fprintf(stderr, "  unknown: %s\n", reason.c_str());
  std::printf(
      "nodes=%d monitors=%zu cold_wall=%.3f cold_cpu=%.3f wall=%.3f cpu=%.3f rate=%.1f "
      "pdus=%llu timeouts=%llu peak_in_flight=%zu rss_mib=%.1f\n",
      nodes, monitors.size(), cold.wall, cold.cpu, steady.wall, steady.cpu, nodes / steady.wall,
      static_cast<unsigned long long>(pdus_per_cycle),
      static_cast<unsigned long long>(stats.timeouts), stats.peak_in_flight, peak_rss);
  std::printf("verdicts=\"%s\"\n", Verdicts(steady).c_str());

  monitors.clear();
  snmp.Shutdown();

  if (!exporter.empty()) {
    if (exporter_client_cpu >= 0) {  // threads started from here inherit it
      cpu_set_t cpus;
      CPU_ZERO(&cpus);
      CPU_SET(exporter_client_cpu, &cpus);
      sched_setaffinity(0, sizeof cpus, &cpus);
    }
    const double exporter_cpu0 = exporter_pid.empty() ? 0 : ProcessCpuSeconds(exporter_pid);
    const ScrapeResult scrape =
        ScrapeExporter(exporter, exporter_targets, exporter_concurrency, port);
    const double exporter_cpu =
        exporter_pid.empty() ? 0 : ProcessCpuSeconds(exporter_pid) - exporter_cpu0;
    const double exporter_rss = exporter_pid.empty() ? 0 : PeakRssMib(exporter_pid);
    std::fprintf(stderr,
                 "  exporter: %d targets, %d concurrent scrapes: wall %.2f s, %.0f targets/s, "
                 "exporter CPU %.2f s, exporter peak RSS %.1f MiB, %d ok, %d failed%s%s\n",
                 exporter_targets, exporter_concurrency, scrape.wall, scrape.ok / scrape.wall,
                 exporter_cpu, exporter_rss, scrape.ok, scrape.failed,
                 scrape.first_error.empty() ? "" : "; first failure: ", scrape.first_error.c_str());
    std::printf(
        "exporter_targets=%d exporter_ok=%d exporter_failed=%d exporter_wall=%.3f "
        "exporter_rate=%.1f exporter_cpu=%.3f exporter_rss_mib=%.1f "
        "exporter_bytes=%zu\n",
        exporter_targets, scrape.ok, scrape.failed, scrape.wall, scrape.ok / scrape.wall,
        exporter_cpu, exporter_rss, scrape.bytes);
  }
  return 0;
}
