// Applies vCenter's view of where VMs run to the inventory, so platform
// incidents (a failed host's VMs) and their recipients follow vMotion/DRS.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collector/inventory/inventory.h"
#include "collector/vcenter/vsphere_client.h"

namespace mimamori::collector {

struct PlacementChange {
  std::string vm;    ///< the node
  std::string from;  ///< its host before (node name; may be empty)
  std::string to;    ///< its host now
};

/// Sets `host` of every VM node that vCenter knows (by node name) to the
/// ESXi host node vCenter runs it on: the esx-host node whose name or
/// address is vCenter's host name. VMs vCenter does not list, and VMs on a
/// host the inventory does not have (named in `unknown_hosts`, once each),
/// keep the inventory's `host`: it stays the fallback. Returns the changes,
/// by VM name.
std::vector<PlacementChange> ApplyPlacement(Inventory& inventory,
                                            const std::vector<VmPlacement>& placement,
                                            std::vector<std::string>& unknown_hosts);

/// A copy of `base` with the placement applied and indexed; each change is
/// logged (node named) and each host vCenter names that the inventory lacks
/// is logged as a warning. `changes` gets what moved.
std::shared_ptr<const Inventory> WithPlacement(const Inventory& base,
                                               const std::vector<VmPlacement>& placement,
                                               std::vector<PlacementChange>& changes);

}  // namespace mimamori::collector
