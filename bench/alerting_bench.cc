// Alerting benchmark: detection -> SMTP acceptance latency, and a storm of
// failing VMs on a few ESXi hosts. Real ledger file (fsync on), real
// templates, real SMTP server (aiosmtpd on loopback, given by --smtp).
//
//   alerting_bench --smtp smtp://127.0.0.1:PORT --templates DIR
//                  [--rounds 20] [--hosts 10] [--vms-per-host 100]
//                  [--ledger LOCATION] [--usage-nodes 10000]
//
// --ledger: a PostgreSQL connection string (an empty database) instead of
// a SQLite file in a temporary directory. --usage-nodes: one cycle of
// resource samples (5 monitors per node) recorded in the ledger, as the
// collector does every 5 minutes.
//
// Prints "key value" lines; bench/run_alerting_bench.sh makes the table.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "collector/alerting/incident_engine.h"
#include "collector/alerting/outbox.h"
#include "collector/alerting/smtp_sender.h"
#include "collector/core/log.h"

using namespace mimamori::collector;
using Steady = std::chrono::steady_clock;

namespace {

std::shared_ptr<const Inventory> MakeInventory(const std::string& templates, int hosts,
                                               int vms_per_host) {
  auto inv = std::make_shared<Inventory>();
  inv->platform_name = "ベンチ基盤";
  inv->alerting.templates = templates;
  // The window is what a storm needs; the latency run measures the rest.
  inv->alerting.grouping_window = std::chrono::seconds(0);
  inv->alerting.platform_managers = {{"統括", "toukatsu@example.lg.jp", "+81-0"}};
  inv->alerting.ict_service_center = {{"ICT", "ict@example.lg.jp", ""}};
  inv->alerting.on_duty = {{"当番", "touban@example.lg.jp", ""}};
  inv->calendar.open_minute = 0;
  inv->calendar.close_minute = 24 * 60;
  for (int s = 0; s < hosts; ++s) {
    System system;
    system.name = "system" + std::to_string(s);
    system.level = ServiceLevel::kA;
    system.owners = {{"owner", "owner" + std::to_string(s) + "@example.lg.jp", ""}};
    inv->systems.push_back(system);
  }
  for (int h = 0; h < hosts; ++h) {
    Node host;
    host.name = "esxi" + std::to_string(h);
    host.kind = NodeKind::kEsxiHost;
    host.address = "10.0.0." + std::to_string(h);
    inv->nodes.push_back(host);
    for (int v = 0; v < vms_per_host; ++v) {
      Node vm;
      vm.name = "vm" + std::to_string(h) + "-" + std::to_string(v);
      vm.host = host.name;
      vm.system = "system" + std::to_string((h + v) % hosts);
      vm.address = "10.1." + std::to_string(h) + "." + std::to_string(v);
      inv->nodes.push_back(vm);
    }
  }
  return inv;
}

StateChange Down(const std::string& node, TimePoint at, std::uint64_t seq) {
  StateChange c;
  c.sequence = seq;
  c.node = node;
  c.monitor = "ping";
  c.kind = "ping";
  c.from = Status::kOk;
  c.to = Status::kCritical;
  c.detected_at = at;
  c.first_seen_at = at;
  c.reason = "no reply";
  return c;
}

StateChange Up(StateChange c, TimePoint at) {
  c.from = Status::kCritical;
  c.to = Status::kOk;
  c.detected_at = at;
  c.reason = "reply";
  return c;
}

double Ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  std::string smtp_url, templates, location;
  int rounds = 20, hosts = 10, vms_per_host = 100, usage_nodes = 10000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--smtp") smtp_url = argv[i + 1];
    if (flag == "--templates") templates = argv[i + 1];
    if (flag == "--rounds") rounds = std::atoi(argv[i + 1]);
    if (flag == "--hosts") hosts = std::atoi(argv[i + 1]);
    if (flag == "--vms-per-host") vms_per_host = std::atoi(argv[i + 1]);
    if (flag == "--ledger") location = argv[i + 1];
    if (flag == "--usage-nodes") usage_nodes = std::atoi(argv[i + 1]);
  }
  if (smtp_url.empty() || templates.empty()) {
    std::fprintf(stderr, "usage: %s --smtp URL --templates DIR [--rounds N]\n", argv[0]);
    return 2;
  }
  SetLogLevel(LogLevel::kError);
  const auto dir = std::filesystem::temp_directory_path() /
                   ("mimamori-alerting-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  SystemClock clock;
  auto inventory = MakeInventory(templates, hosts, vms_per_host);
  std::vector<std::string> errors;
  auto ctx = AlertingContext::Make(inventory, "bench.invalid", errors);
  if (!ctx) {
    for (auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
    return 2;
  }
  if (location.empty()) location = (dir / "ledger.db").string();
  auto engine_ledger = Ledger::Open(location);
  auto outbox_ledger = Ledger::Open(location);
  if (!engine_ledger || !outbox_ledger) {
    std::fprintf(stderr, "%s\n",
                 (engine_ledger ? outbox_ledger.error() : engine_ledger.error()).message.c_str());
    return 2;
  }
  std::printf("ledger %s\n", engine_ledger->on_postgres() ? "postgresql" : "sqlite");
  SmtpSettings smtp;
  smtp.url = smtp_url;
  smtp.from = "kanshi@example.lg.jp";
  SmtpSender sender(smtp);
  OutboxSettings settings;
  settings.from = "kanshi@example.lg.jp";
  settings.on_duty = {"touban@example.lg.jp"};
  settings.platform_name = inventory->platform_name;
  Outbox outbox(*outbox_ledger, &sender, nullptr, settings, clock);
  IncidentEngine engine(*engine_ledger, clock, *ctx);
  std::uint64_t seq = 0;

  // 1. Latency: one VM's failure, detection to the SMTP server's 250 for
  // the first report (phone duty and mail; both counted once sent).
  std::vector<double> latency;
  for (int r = 0; r < rounds; ++r) {
    const std::string vm = "vm0-" + std::to_string(r % vms_per_host);
    const auto start = Steady::now();
    StateChange down = Down(vm, clock.Now(), ++seq);
    engine.Accept({down});
    engine.Tick();
    int sent = 0;
    while (sent < 2) sent += outbox.RunOnce().sent;
    latency.push_back(Ms(Steady::now() - start));
    engine.Accept({Up(down, clock.Now())});
    engine.Tick();
    while (outbox.RunOnce().sent == 0) {
    }
  }
  std::sort(latency.begin(), latency.end());
  std::printf("latency_rounds %d\n", rounds);
  std::printf("latency_p50_ms %.1f\n", latency[latency.size() / 2]);
  std::printf("latency_max_ms %.1f\n", latency.back());

  // 2. Storm: every VM of every host fails within one window.
  const auto before = engine.stats();
  std::vector<StateChange> storm;
  const TimePoint at = clock.Now();
  for (int h = 0; h < hosts; ++h) {
    for (int v = 0; v < vms_per_host; ++v) {
      storm.push_back(Down("vm" + std::to_string(h) + "-" + std::to_string(v), at, ++seq));
    }
  }
  const auto start = Steady::now();
  engine.Accept(storm);
  engine.Tick();
  const auto engine_done = Steady::now();
  int mails = 0;
  for (;;) {
    auto pass = outbox.RunOnce();
    mails += pass.sent;
    if (pass.sent == 0 && !pass.next_attempt) break;
  }
  const auto all_sent = Steady::now();
  const auto& after = engine.stats();
  std::printf("storm_failures %zu\n", storm.size());
  std::printf("storm_incidents %llu\n",
              static_cast<unsigned long long>(after.incidents_opened - before.incidents_opened));
  std::printf("storm_platform_incidents %llu\n",
              static_cast<unsigned long long>(after.platform_incidents_opened -
                                              before.platform_incidents_opened));
  std::printf("storm_reports_sent %d\n", mails);
  std::printf("storm_engine_ms %.1f\n", Ms(engine_done - start));
  std::printf("storm_all_sent_ms %.1f\n", Ms(all_sent - start));

  // 3. One cycle of resource samples, one transaction.
  std::vector<ResourceSample> samples;
  const TimePoint sampled = clock.Now();
  for (int n = 0; n < usage_nodes; ++n) {
    const std::string node = "node" + std::to_string(n);
    for (const char* monitor : {"cpu", "memory", "disk:/", "disk:/var", "disk:/home"}) {
      samples.push_back({node, monitor, sampled, 42.0 + n % 50});
    }
  }
  const auto usage_start = Steady::now();
  if (auto err = engine_ledger->RecordResourceUsage(samples)) {
    std::fprintf(stderr, "%s\n", err->message.c_str());
    return 1;
  }
  const double usage_ms = Ms(Steady::now() - usage_start);
  std::printf("usage_samples %zu\n", samples.size());
  std::printf("usage_ms %.1f\n", usage_ms);
  std::printf("usage_nodes_per_s %.0f\n", usage_nodes / (usage_ms / 1000.0));
  std::filesystem::remove_all(dir);
  return 0;
}
