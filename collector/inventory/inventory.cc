#include "collector/inventory/inventory.h"

#include <initializer_list>

namespace mimamori::collector {

std::string_view ServiceLevelName(ServiceLevel level) {
  switch (level) {
    case ServiceLevel::kA:
      return "A";
    case ServiceLevel::kB:
      return "B";
    case ServiceLevel::kC:
      return "C";
    case ServiceLevel::kCDev:
      return "C-dev";
  }
  return "?";
}

std::string_view NodeKindName(NodeKind kind) {
  switch (kind) {
    case NodeKind::kVm:
      return "vm";
    case NodeKind::kEsxiHost:
      return "esxi-host";
    case NodeKind::kStorage:
      return "storage";
    case NodeKind::kNetwork:
      return "network";
    case NodeKind::kVcenter:
      return "vcenter";
    case NodeKind::kMonitoringServer:
      return "monitoring-server";
  }
  return "?";
}

std::string_view FailureClassName(FailureClass c) {
  switch (c) {
    case FailureClass::kAlive:
      return "alive";
    case FailureClass::kProcess:
      return "process";
    case FailureClass::kPort:
      return "port";
    case FailureClass::kService:
      return "service";
    case FailureClass::kWeb:
      return "web";
    case FailureClass::kResourceCritical:
      return "resource-critical";
    case FailureClass::kResourceWarning:
      return "resource-warning";
    case FailureClass::kHardware:
      return "hardware";
    case FailureClass::kTimeSync:
      return "time";
    case FailureClass::kBackup:
      return "backup";
    case FailureClass::kMessage:
      return "message";
  }
  return "?";
}

namespace {

// The index answers while it covers the whole vector; otherwise (entries
// added by hand after it was built) a scan does.
template <typename T>
const T* Find(const std::vector<T>& items,
              const std::unordered_map<std::string, std::size_t>& index, bool indexed,
              std::size_t indexed_size, const std::string& name) {
  if (indexed && indexed_size == items.size()) {
    auto it = index.find(name);
    if (it != index.end() && it->second < items.size() && items[it->second].name == name) {
      return &items[it->second];
    }
    if (it == index.end()) return nullptr;
  }
  for (const T& item : items) {
    if (item.name == name) return &item;
  }
  return nullptr;
}

}  // namespace

const System* Inventory::FindSystem(const std::string& name) const {
  return Find(systems, system_index_, indexed_, indexed_systems_, name);
}

const Node* Inventory::FindNode(const std::string& name) const {
  return Find(nodes, node_index_, indexed_, indexed_nodes_, name);
}

void Inventory::BuildIndex() {
  node_index_.clear();
  system_index_.clear();
  for (std::size_t i = 0; i < nodes.size(); ++i) node_index_.emplace(nodes[i].name, i);
  for (std::size_t i = 0; i < systems.size(); ++i) system_index_.emplace(systems[i].name, i);
  indexed_nodes_ = nodes.size();
  indexed_systems_ = systems.size();
  indexed_ = true;
}

std::string_view NodeStateName(NodeState state) {
  switch (state) {
    case NodeState::kMonitored:
      return "monitored";
    case NodeState::kAcceptanceTesting:
      return "acceptance-testing";
    case NodeState::kBeforeGoLive:
      return "before-go-live";
    case NodeState::kDisabled:
      return "disabled";
  }
  return "?";
}

NodeState Node::StateAt(std::chrono::system_clock::time_point at) const {
  if (!enabled) return NodeState::kDisabled;
  if (monitoring_starts && at < *monitoring_starts) {
    return acceptance_testing ? NodeState::kAcceptanceTesting : NodeState::kBeforeGoLive;
  }
  // Acceptance without a go-live date lasts until the operator ends it.
  if (acceptance_testing && !monitoring_starts) return NodeState::kAcceptanceTesting;
  return NodeState::kMonitored;
}

std::map<NodeState, Inventory::StateCount> Inventory::CountByState(
    std::chrono::system_clock::time_point at, const ChecksOfNode& checks_of) const {
  std::map<NodeState, StateCount> counts;
  for (NodeState s : kAllNodeStates) counts[s] = {};
  for (const Node& node : nodes) {
    StateCount& c = counts[node.StateAt(at)];
    ++c.nodes;
    c.checks += checks_of(node);
  }
  return counts;
}

std::string Inventory::DescribeChecks(std::chrono::system_clock::time_point at,
                                      const ChecksOfNode& checks_of) const {
  const auto counts = CountByState(at, checks_of);
  auto part = [&](NodeState state) -> std::string {
    const StateCount& c = counts.at(state);
    if (c.nodes == 0) return "";
    return std::to_string(c.checks) + " " + std::string(NodeStateName(state)) + " (" +
           std::to_string(c.nodes) + (c.nodes == 1 ? " node)" : " nodes)");
  };
  auto join = [](std::initializer_list<std::string> parts) {
    std::string out;
    for (const std::string& p : parts) {
      if (!p.empty()) out += (out.empty() ? "" : ", ") + p;
    }
    return out;
  };
  const std::size_t running =
      counts.at(NodeState::kMonitored).checks + counts.at(NodeState::kAcceptanceTesting).checks;
  std::string out = std::to_string(running) + " checks run";
  if (const std::string run =
          join({part(NodeState::kMonitored), part(NodeState::kAcceptanceTesting)});
      !run.empty()) {
    out += ": " + run;
  }
  if (const std::string idle = join({part(NodeState::kBeforeGoLive), part(NodeState::kDisabled)});
      !idle.empty()) {
    out += "; not run: " + idle;
  }
  return out;
}

ServiceLevel Inventory::LevelOf(const Node& node) const {
  const System* system = node.system.empty() ? nullptr : FindSystem(node.system);
  return system ? system->level : ServiceLevel::kA;
}

}  // namespace mimamori::collector
