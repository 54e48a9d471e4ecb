// Reads where each VM runs from vCenter through the vSphere Web Services API
// (SOAP over HTTPS at /sdk), so incidents and their recipients follow
// vMotion and DRS without anyone editing the inventory.
//
// One read is one session: RetrieveServiceContent, Login, a ContainerView of
// every VirtualMachine and HostSystem, RetrievePropertiesEx of VM name and
// runtime.host and of host name (continued with ContinueRetrievePropertiesEx
// while the server hands out a token), then Logout. Blocking: it runs on the
// vCenter link's own thread, never on the scheduler's. Only
// vsphere_client.cc includes libcurl and libxml2.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "collector/core/secret.h"

namespace mimamori::collector {

struct VsphereSettings {
  std::string url;  ///< "https://vcenter.example.lg.jp/sdk"
  std::string user;
  Secret password;
  bool verify_tls = true;
  std::string ca_file;  ///< PEM; "" = the system's CAs
  std::chrono::milliseconds timeout{30000};
};

/// One VM and the ESXi host it runs on, by their names in vCenter. `host` is
/// empty for a VM that runs nowhere (powered off with no host).
struct VmPlacement {
  std::string vm;
  std::string host;
  friend bool operator==(const VmPlacement&, const VmPlacement&) = default;
};

struct PlacementRead {
  std::vector<VmPlacement> vms;  ///< by VM name
  /// Empty on success; else what failed, for the operator: "vCenter
  /// https://vc/sdk: login refused (InvalidLogin: Login failure)".
  std::string error;
};

/// Reads the placement of every VM. Never throws.
PlacementRead ReadVmPlacement(const VsphereSettings& settings);

/// The objects of a RetrievePropertiesEx / ContinueRetrievePropertiesEx
/// answer, for the parser's tests: VM moref -> (name, host moref) and host
/// moref -> name are folded into `vms` once every page is read; `token` is
/// the continuation ("" when this was the last page). False with `error`
/// set for a SOAP fault or a body that is not such an answer.
struct PropertyPage {
  struct Object {
    std::string type;  ///< "VirtualMachine", "HostSystem"
    std::string moref;
    std::string name;
    std::string host_moref;  ///< VirtualMachine only
  };
  std::vector<Object> objects;
  std::string token;
};
bool ParsePropertyPage(const std::string& body, PropertyPage& page, std::string& error);

/// The VMs of the pages with their hosts' names, sorted by VM name.
std::vector<VmPlacement> FoldPlacement(const std::vector<PropertyPage::Object>& objects);

}  // namespace mimamori::collector
