// Message monitoring (ESXi hosts' syslog, devices' SNMP traps; spec section
// 7: "monitoring of ESXi hosts also covers messages"): each message rule of
// a node is monitor "message:<rule name>", and a node with a syslog silence
// limit has "message:silence" (the daily "is syslog still arriving" check).
#pragma once

#include <memory>
#include <vector>

#include "collector/core/monitor.h"

namespace mimamori::collector {

/// One "message" monitor for a node with rules that run (RulesForNode) or
/// a silence limit, none otherwise. Rules with `records` are not among its
/// rules: they are backup jobs' sources (backup_monitor.h). The receivers put what they hear on
/// services.messages; each check (every messages.interval) reports, per
/// rule, every state change since the last check in order, else the rule's
/// state, so messages reach the state tracker, the incident engine and the
/// reports exactly as a polled monitor's results do. A failure is confirmed
/// by one check (the message already is the event).
///
/// CheckCount(): the rules plus the silence check. Copies what it needs
/// from the inventory except the rules, which the inventory (kept alive by
/// the scheduler) owns.
std::vector<std::unique_ptr<Monitor>> MakeMessageMonitors(const Node& node,
                                                          const Inventory& inventory,
                                                          MonitorServices& services);

}  // namespace mimamori::collector
