#include "collector/monitors/registry.h"

#include "collector/monitors/ping_monitor.h"
#include "collector/monitors/port_monitor.h"
#include "collector/monitors/process_monitor.h"
#include "collector/monitors/resource_monitor.h"
#include "collector/monitors/web_monitor.h"

namespace mimamori::collector {

const std::vector<MonitorKind>& MonitorKinds() {
  static const std::vector<MonitorKind> kinds = {
      {"ping", &MakePingMonitors},       {"resource", &MakeResourceMonitors},
      {"process", &MakeProcessMonitors}, {"port", &MakePortMonitors},
      {"web", &MakeWebMonitors},
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

}  // namespace mimamori::collector
