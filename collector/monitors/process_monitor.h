// Process monitoring (spec section 1, プロセス監視): are the named processes,
// with their arguments, running on a node — read from HOST-RESOURCES-MIB's
// hrSWRunTable over SNMP, judged as Hinemos does.
#pragma once

#include <memory>
#include <vector>

#include "collector/core/monitor.h"

namespace mimamori::collector {

/// One "process" monitor for `node` when it has process checks, else none.
/// Interval inventory.defaults.intervals.process, failure threshold
/// inventory.defaults.failures.process; SNMP target node.address with
/// node.snmp.
///
/// Each check is ONE walk of hrSWRunName, hrSWRunPath and hrSWRunParameters
/// shared by all the node's process checks. As Hinemos: a process matches a
/// ProcessCheck when its command (hrSWRunPath, or hrSWRunName where the path
/// is empty) fully matches `command` and its hrSWRunParameters fully match
/// `arguments` (std::regex_match, ECMAScript, icase when case_insensitive).
/// The number of matching processes outside [min_count, max_count] is
/// CRITICAL ("httpd: 0 processes match, expected 1 to 99"), inside OK with
/// value = count. Results "process:<name>", measurement
/// mimamori_process_matches{process=<name>}. SNMP failure, or an agent that
/// lists no process at all, makes every result UNKNOWN with the reason; so
/// does a regex that does not compile (decided once, at creation).
///
/// Thread-safety: as Monitor; `done` runs on the SNMP client's thread. The
/// monitor may be destroyed while a check runs; the SNMP client must
/// outlive the check.
std::vector<std::unique_ptr<Monitor>> MakeProcessMonitors(const Node& node,
                                                          const Inventory& inventory,
                                                          MonitorServices& services);

}  // namespace mimamori::collector
