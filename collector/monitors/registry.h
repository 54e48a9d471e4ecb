// The one place that lists every monitor kind.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "collector/core/monitor.h"

namespace mimamori::collector {

struct MonitorKind {
  std::string_view name;
  MonitorFactory create;
};

/// Every monitor kind, in the order --once prints them.
const std::vector<MonitorKind>& MonitorKinds();

/// All monitors of all nodes of `inventory`.
std::vector<std::shared_ptr<Monitor>> CreateMonitors(const Inventory& inventory,
                                                     MonitorServices& services);

}  // namespace mimamori::collector
