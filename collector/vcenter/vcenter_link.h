// The vCenter link's thread: reads VM placement every `interval` and hands
// each successful read to the collector's main loop, which applies it to the
// inventory in force (see placement.h). A failed read is logged and counted
// and changes nothing: the last known placement, or the inventory's `host`,
// stays in force.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "collector/inventory/inventory.h"
#include "collector/vcenter/vsphere_client.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace mimamori::collector {

class VcenterLink {
 public:
  using OnPlacement = std::function<void(std::vector<VmPlacement>)>;

  VcenterLink(prometheus::Registry& registry, OnPlacement on_placement);
  ~VcenterLink();
  VcenterLink(const VcenterLink&) = delete;
  VcenterLink& operator=(const VcenterLink&) = delete;

  /// Starts, restarts with new settings (a reload), or with nullopt stops
  /// reading. The first read is at once.
  void Configure(const std::optional<VcenterSettings>& settings);
  void Stop();

 private:
  void Loop();

  OnPlacement on_placement_;
  prometheus::Gauge& up_;
  prometheus::Counter& failures_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<VcenterSettings> settings_;
  bool changed_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace mimamori::collector
