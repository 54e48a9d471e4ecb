// The one place that lists every monitor kind.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "collector/core/monitor.h"
#include "collector/inventory/inventory.h"

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

/// The checks the scheduler would run for `inventory` (what --check-config
/// prints): the monitors `kinds` create, each counted by CheckCount(). An
/// inventory entry no kind runs is not counted. Builds the monitors over
/// engines that are never started, so it needs no sockets or privileges.
std::size_t CountChecks(const Inventory& inventory,
                        const std::vector<MonitorKind>& kinds = MonitorKinds());

/// The checks `kinds` would schedule for one node if it were enabled (a
/// disabled node's count is what enabling it would add).
std::size_t ChecksOf(const Node& node, const Inventory& inventory,
                     const std::vector<MonitorKind>& kinds = MonitorKinds());

/// ChecksOf as the inventory's per-state counts take it.
Inventory::ChecksOfNode ScheduledChecks(const Inventory& inventory);

}  // namespace mimamori::collector
