// Alive monitoring (死活監視): ICMP echo from the collector to a node
// (MONITORING-SPEC.md section 1 and 2).
#pragma once

#include <memory>
#include <vector>

#include "collector/core/monitor.h"

namespace mimamori::collector {

/// The "ping" MonitorFactory: one monitor for the node, or none when its
/// service level is not pinged (C-dev: Defaults::hours[level].ping false).
///
/// The monitor pings Node::address with Node::ping (the inventory decoder has
/// filled it from Defaults::ping) every Defaults::intervals.ping; a failure is
/// confirmed after Defaults::failures.ping consecutive failed checks (2: the
/// first miss counts). Each check yields one result named "ping":
///   - OK: at least one reply (and no RTT/loss level reached);
///   - WARNING / CRITICAL: average RTT or loss at or over
///     rtt_warning/rtt_critical or loss_warning/critical_percent;
///   - CRITICAL: no reply, e.g. "no reply to 1 of 1 echo requests within 5 s".
///     A name that does not resolve is CRITICAL too, with the resolver's
///     reason: the node cannot be reached under the name the inventory gives,
///     which is what alive monitoring asks (UNKNOWN would hide a removed DNS
///     record; the 2-check confirmation absorbs a passing DNS hiccup).
///     Any other PingOutcome::error without a reply (a send the kernel refused,
///     no ICMP socket for the family) is CRITICAL with that error as reason:
///     PingOutcome does not say whose fault an error is, and a false alarm
///     that names its cause beats a silent gap;
///   - UNKNOWN only when the pinger reports nothing sent and no error.
/// value = average RTT in ms. Measurements: mimamori_ping_up (0/1),
/// mimamori_ping_loss_ratio (when a request was sent), mimamori_ping_rtt_seconds
/// (average, when a reply came).
///
/// `services.pinger` must outlive the monitors; Start() may be called from any
/// thread and calls `done` on the pinger's thread.
std::vector<std::unique_ptr<Monitor>> MakePingMonitors(const Node& node, const Inventory& inventory,
                                                       MonitorServices& services);

}  // namespace mimamori::collector
