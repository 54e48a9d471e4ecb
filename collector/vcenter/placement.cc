#include "collector/vcenter/placement.h"

#include <map>
#include <set>

#include "collector/core/log.h"

namespace mimamori::collector {

std::vector<PlacementChange> ApplyPlacement(Inventory& inventory,
                                            const std::vector<VmPlacement>& placement,
                                            std::vector<std::string>& unknown_hosts) {
  std::map<std::string, std::string> host_node;  // vCenter host name -> inventory node
  for (const Node& n : inventory.nodes) {
    if (n.kind != NodeKind::kEsxiHost) continue;
    host_node.emplace(n.address, n.name);
    host_node[n.name] = n.name;  // the name wins over another host's address
  }
  std::map<std::string, std::string> runs_on;
  std::set<std::string> unknown;
  for (const VmPlacement& p : placement) {
    if (p.host.empty()) continue;
    auto host = host_node.find(p.host);
    if (host == host_node.end()) {
      unknown.insert(p.host);
      continue;
    }
    runs_on[p.vm] = host->second;
  }
  unknown_hosts.assign(unknown.begin(), unknown.end());
  std::vector<PlacementChange> changes;
  for (Node& n : inventory.nodes) {
    if (n.kind != NodeKind::kVm) continue;
    auto it = runs_on.find(n.name);
    if (it == runs_on.end() || it->second == n.host) continue;
    changes.push_back({n.name, n.host, it->second});
    n.host = it->second;
  }
  return changes;
}

std::shared_ptr<const Inventory> WithPlacement(const Inventory& base,
                                               const std::vector<VmPlacement>& placement,
                                               std::vector<PlacementChange>& changes) {
  auto next = std::make_shared<Inventory>(base);
  std::vector<std::string> unknown;
  changes = ApplyPlacement(*next, placement, unknown);
  next->BuildIndex();
  for (const std::string& host : unknown) {
    Log(LogLevel::kWarning, {host, "placement", ""},
        "vCenter runs VMs on host " + host +
            ", which is no esxi-host node of the inventory (by name or address); those VMs "
            "keep their inventory host");
  }
  for (const PlacementChange& c : changes) {
    Log(LogLevel::kInfo, {c.vm, "placement", ""},
        "VM moved (vCenter, vMotion/DRS): host " + (c.from.empty() ? std::string("-") : c.from) +
            " -> " + c.to);
  }
  return next;
}

}  // namespace mimamori::collector
