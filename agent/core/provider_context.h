// What a MIB provider may use: the host's data, the agent's settings and counters, clocks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "agent/host/host_data.h"

namespace mimamori::agent {

/// The SNMPv2-MIB snmp group counters (RFC 3418), kept by the request handler.
/// Plain integers: the agent is single-threaded.
struct SnmpCounters {
  std::uint32_t in_pkts = 0;
  std::uint32_t out_pkts = 0;
  std::uint32_t in_bad_versions = 0;
  std::uint32_t in_bad_community_names = 0;
  std::uint32_t in_bad_community_uses = 0;
  std::uint32_t in_asn_parse_errs = 0;
  std::uint32_t in_too_bigs = 0;
  std::uint32_t in_no_such_names = 0;
  std::uint32_t in_bad_values = 0;
  std::uint32_t in_read_onlys = 0;
  std::uint32_t in_gen_errs = 0;
  std::uint32_t in_total_req_vars = 0;
  std::uint32_t in_total_set_vars = 0;
  std::uint32_t in_get_requests = 0;
  std::uint32_t in_get_nexts = 0;
  std::uint32_t in_set_requests = 0;
  std::uint32_t in_get_responses = 0;
  std::uint32_t in_traps = 0;
  std::uint32_t out_too_bigs = 0;
  std::uint32_t out_no_such_names = 0;
  std::uint32_t out_bad_values = 0;
  std::uint32_t out_gen_errs = 0;
  std::uint32_t out_get_requests = 0;
  std::uint32_t out_get_nexts = 0;
  std::uint32_t out_set_requests = 0;
  std::uint32_t out_get_responses = 0;
  std::uint32_t out_traps = 0;
  std::uint32_t silent_drops = 0;
  std::uint32_t proxy_drops = 0;
  /// Not in any MIB: packets dropped because the source is not an allowed manager.
  std::uint32_t denied_sources = 0;
};

/// The system group's configurable objects (sysContact, sysName, sysLocation).
struct SystemSettings {
  std::string contact;   ///< empty: "root", as snmpd without syscontact
  std::string name;      ///< empty: the host name
  std::string location;  ///< empty: "Unknown", as snmpd
};

struct ProviderContext {
  HostData& host;
  const SystemSettings& system;
  const SnmpCounters& counters;
  /// Monotonic clock (sysUpTime, cache ages, CPU history).
  std::function<std::chrono::steady_clock::time_point()> now;
  /// Wall clock (hrSystemDate).
  std::function<std::chrono::system_clock::time_point()> wall_now;
  /// When the agent started, on the `now` clock: sysUpTime counts from here.
  std::chrono::steady_clock::time_point agent_start;
};

}  // namespace mimamori::agent
