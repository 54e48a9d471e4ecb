// Resource monitoring (spec section 1, リソース監視): CPU, memory and disk
// usage of a node through SNMP, judged against its thresholds.
//
// Sources, in order of preference (formulas and reasons:
// docs/collector-snmp.md):
//   CPU     UCD-SNMP-MIB ssCpuRaw* counters, delta between two samples:
//           100 x (1 - (d idle + d iowait) / d total); without them (Windows
//           SNMP service) the mean of HOST-RESOURCES hrProcessorLoad.
//   memory  what `free` calls used: memTotalReal - memSysAvail (MemAvailable);
//           without memSysAvail total - free - buffers - cached; without
//           UCD-SNMP-MIB the hrStorageRam row ("Physical Memory") used/size.
//   disk    every hrStorageFixedDisk / hrStorageNetworkDisk row, used/size,
//           named by its mount point (Windows: the drive, "C:\").
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "collector/core/monitor.h"

namespace mimamori::collector {

/// Runs `task` once after `delay`, on some thread. Must be thread-safe.
using DelayedRun = std::function<void(std::chrono::milliseconds delay, std::function<void()> task)>;

struct ResourceMonitorOptions {
  /// When a check has no usable earlier CPU sample (the first check, after an
  /// agent or host restart, or after a long gap) it takes two, this far
  /// apart, so that the first cycle already has a CPU value. snmpd refreshes
  /// its ssCpuRaw counters every 5 s, so a shorter gap would often see the
  /// same numbers twice; 6 s always spans one refresh.
  std::chrono::milliseconds first_sample_gap{6000};
  /// Further samples taken when two samples show no CPU time at all (an
  /// agent that refreshes more slowly than first_sample_gap).
  int extra_samples = 2;
  /// An earlier sample older than this many intervals is not used: a delta
  /// across a long outage is not "within the collection interval".
  int max_sample_age_intervals = 2;
  /// iowait counts as idle (default; `top` and `sar` show it apart from busy
  /// time): waiting for a disk is not CPU saturation.
  bool iowait_is_busy = false;
  /// How the gap is waited for; empty = a timer thread shared by all
  /// resource monitors of the process. Tests inject one that runs on demand.
  DelayedRun run_after;
};

/// One "resource" monitor for `node` when node.resource is set, else none.
/// Interval inventory.defaults.intervals.resource, failure threshold
/// inventory.defaults.failures.resource. Thresholds are node.thresholds
/// (the inventory loader fills them from defaults.thresholds first), per
/// file system through Thresholds::DiskFor. SNMP target: node.address with
/// node.snmp.
///
/// Each check: one Get of the UCD scalars and one Walk of hrStorageTable and
/// hrProcessorLoad, side by side (plus, when no earlier CPU sample can be
/// used, the second CPU sample after first_sample_gap). Results "cpu",
/// "memory", "disk:<mount>"; a failure of SNMP makes every result UNKNOWN
/// with the reason. Measurements mimamori_cpu_usage_ratio,
/// mimamori_memory_usage_ratio, mimamori_filesystem_usage_ratio{mountpoint}
/// and mimamori_filesystem_size_bytes{mountpoint}.
///
/// Thread-safety: as Monitor. `done` runs on the SNMP client's thread (or the
/// timer's). The monitor may be destroyed while a check runs; `services`
/// (the SNMP client) must outlive the check.
std::vector<std::unique_ptr<Monitor>> MakeResourceMonitors(const Node& node,
                                                           const Inventory& inventory,
                                                           MonitorServices& services);
std::vector<std::unique_ptr<Monitor>> MakeResourceMonitors(const Node& node,
                                                           const Inventory& inventory,
                                                           MonitorServices& services,
                                                           ResourceMonitorOptions options);

}  // namespace mimamori::collector
