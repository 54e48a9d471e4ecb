// Time synchronization (spec section 7: "all monitored equipment must be
// time-synchronized"): a node's clock, read as HOST-RESOURCES-MIB
// hrSystemDate (.1.3.6.1.2.1.25.1.2.0), against the collector's own.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/core/monitor.h"

namespace mimamori::collector {

/// A DateAndTime (SNMPv2-TC, RFC 2579) as a moment, or why it is not one.
struct DateAndTime {
  std::optional<TimePoint> time;
  bool has_zone = false;  ///< 11 octets; 8 octets carry no zone
  std::string error;      ///< set when `time` is not
};

/// Decodes the 8 or 11 octets: year (2, network order), month, day, hour,
/// minutes, seconds (0-60, a leap second), deci-seconds, then direction
/// '+' or '-', hours (0-14) and minutes (0-59) from UTC. An 8-octet value
/// is local time of an unknown zone; it is read as `zoneless_offset` east
/// of UTC (the platform's Asia/Tokyo, +9 h, by default). Any other length
/// or a field out of range (month 13, 30 February, direction 'x') is an
/// error naming the field.
DateAndTime ParseDateAndTime(std::string_view octets,
                             std::chrono::minutes zoneless_offset = std::chrono::hours(9));

/// One "time" monitor for `node` when its time_sync is on (by default
/// where resource monitoring is, node.resource), else none. Interval
/// inventory.defaults.intervals.time, failure threshold
/// inventory.defaults.failures.time; SNMP target node.address with
/// node.snmp.
///
/// Each check is one Get of hrSystemDate. The collector's time
/// (services.clock) is read before and after; the node's time is compared
/// with the middle, and the skew counts only beyond half the round trip,
/// which is how far the middle can be wrong. |skew| - round trip / 2 over
/// node.time_sync.critical is CRITICAL, over warning WARNING, else OK; the
/// reason gives the skew in seconds and whether the node is ahead or
/// behind ("clock 75 s ahead of the collector (warning at 60 s, ...)").
/// Result "time" with value the signed skew in seconds (positive:
/// the node is ahead); measurement mimamori_clock_skew_seconds. An SNMP
/// failure or a malformed hrSystemDate is UNKNOWN with the reason.
///
/// Thread-safety: as Monitor; `done` runs on the SNMP client's thread.
std::vector<std::unique_ptr<Monitor>> MakeTimeMonitors(const Node& node, const Inventory& inventory,
                                                       MonitorServices& services);

}  // namespace mimamori::collector
