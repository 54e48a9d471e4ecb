// Port monitoring (ポート監視): does each listed TCP port of a node accept a
// connection? Spec section 1: every 5 min; 2 consecutive no-answers = failure.
#pragma once

#include <memory>
#include <vector>

#include "collector/core/monitor.h"

namespace mimamori::collector {

/// One "port" monitor for a node with ports, none otherwise. Each check
/// connects to every port at once through services.tcp and reports, in
/// inventory order, one result per port named "port:<name>" (the check's
/// name, or the port number when it has none): OK when a connection was
/// established, CRITICAL with the reason otherwise (a name that does not
/// resolve is CRITICAL too: from the collector the port cannot be reached).
/// Confirming a failure over 2 checks is the scheduler's job, through
/// FailureThreshold() = defaults.failures.port.
///
/// Measurements per port: mimamori_port_up{port} (1 or 0), and
/// mimamori_port_connect_seconds{port} only when connected (a failed connect
/// has no connect time; its duration would be the timeout or the RTT of a
/// reset, which a graph would mix up with real latency).
///
/// The monitor copies what it needs from `node`; `services` must outlive it.
/// A check still running when the monitor is destroyed completes safely
/// (it holds its own copy of the ports).
std::vector<std::unique_ptr<Monitor>> MakePortMonitors(const Node& node, const Inventory& inventory,
                                                       MonitorServices& services);

}  // namespace mimamori::collector
