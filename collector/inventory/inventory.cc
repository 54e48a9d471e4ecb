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

const System* Inventory::FindSystem(const std::string& name) const {
  for (const System& system : systems) {
    if (system.name == name) return &system;
  }
  return nullptr;
}

const Node* Inventory::FindNode(const std::string& name) const {
  for (const Node& node : nodes) {
    if (node.name == name) return &node;
  }
  return nullptr;
}

ServiceLevel Inventory::LevelOf(const Node& node) const {
  const System* system = node.system.empty() ? nullptr : FindSystem(node.system);
  return system ? system->level : ServiceLevel::kA;
}

}  // namespace mimamori::collector
