#include "collector/inventory/inventory.h"

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

ServiceLevel Inventory::LevelOf(const Node& node) const {
  const System* system = node.system.empty() ? nullptr : FindSystem(node.system);
  return system ? system->level : ServiceLevel::kA;
}

}  // namespace mimamori::collector
