#include "collector/monitors/registry.h"

#include <stdexcept>

#include "collector/monitors/backup_monitor.h"
#include "collector/monitors/hardware_monitor.h"
#include "collector/monitors/message_monitor.h"
#include "collector/monitors/ping_monitor.h"
#include "collector/monitors/port_monitor.h"
#include "collector/monitors/process_monitor.h"
#include "collector/monitors/resource_monitor.h"
#include "collector/monitors/service_monitor.h"
#include "collector/monitors/time_monitor.h"
#include "collector/monitors/web_monitor.h"
#include "collector/net/http_client.h"
#include "collector/net/pinger.h"
#include "collector/net/snmp_client.h"

namespace mimamori::collector {
namespace {

// Engines for monitors that are counted, never started.
struct NotStarted final : Pinger, SnmpClient, HttpClient, TcpProbe, Clock {
  static constexpr const char* kWhy = "engine not started (the monitors are only counted)";
  void Ping(const std::string&, const PingSettings&, std::function<void(PingOutcome)>) override {
    throw std::logic_error(kWhy);
  }
  void Get(const SnmpTarget&, std::vector<proto::Oid>, std::function<void(SnmpResult)>) override {
    throw std::logic_error(kWhy);
  }
  void Walk(const SnmpTarget&, std::vector<proto::Oid>, std::function<void(SnmpResult)>) override {
    throw std::logic_error(kWhy);
  }
  void Get(const std::string&, std::chrono::milliseconds,
           std::function<void(HttpResponse)>) override {
    throw std::logic_error(kWhy);
  }
  void Connect(const std::string&, std::uint16_t, std::chrono::milliseconds,
               std::function<void(TcpProbeResult)>) override {
    throw std::logic_error(kWhy);
  }
  TimePoint Now() const override { return TimePoint{}; }
};

}  // namespace

const std::vector<MonitorKind>& MonitorKinds() {
  static const std::vector<MonitorKind> kinds = {
      {"ping", &MakePingMonitors},         {"resource", &MakeResourceMonitors},
      {"process", &MakeProcessMonitors},   {"port", &MakePortMonitors},
      {"service", &MakeServiceMonitors},   {"web", &MakeWebMonitors},
      {"hardware", &MakeHardwareMonitors}, {"time", &MakeTimeMonitors},
      {"backup", &MakeBackupMonitors},     {"message", &MakeMessageMonitors},
  };
  return kinds;
}

std::vector<std::shared_ptr<Monitor>> CreateMonitors(const Inventory& inventory,
                                                     MonitorServices& services) {
  std::vector<std::shared_ptr<Monitor>> all;
  for (const Node& node : inventory.nodes) {
    // A disabled node is known (its name resolves in reports) but watched
    // by nothing; one before go-live gets its monitors, which the scheduler
    // holds until the date, so no reload is needed on the day.
    if (!node.enabled) continue;
    for (const MonitorKind& kind : MonitorKinds()) {
      for (auto& monitor : kind.create(node, inventory, services))
        all.push_back(std::move(monitor));
    }
  }
  return all;
}

std::size_t ChecksOf(const Node& node, const Inventory& inventory,
                     const std::vector<MonitorKind>& kinds) {
  NotStarted engines;
  MonitorServices services{engines, engines, engines, engines, engines};
  std::size_t checks = 0;
  for (const MonitorKind& kind : kinds) {
    for (const auto& monitor : kind.create(node, inventory, services)) {
      checks += monitor->CheckCount();
    }
  }
  return checks;
}

std::size_t CountChecks(const Inventory& inventory, const std::vector<MonitorKind>& kinds) {
  std::size_t checks = 0;
  for (const Node& node : inventory.nodes) {
    if (!node.enabled) continue;  // as CreateMonitors: nothing is scheduled for it
    checks += ChecksOf(node, inventory, kinds);
  }
  return checks;
}

Inventory::ChecksOfNode ScheduledChecks(const Inventory& inventory) {
  return [&inventory](const Node& node) { return ChecksOf(node, inventory); };
}

}  // namespace mimamori::collector
