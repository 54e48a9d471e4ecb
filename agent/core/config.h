// agent.yaml: the agent's settings, with snmpd-like defaults.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/core/network_acl.h"
#include "agent/core/provider_context.h"

namespace mimamori::agent {

/// A UDP address to listen on, from "udp:HOST:PORT" / "udp:[V6]:PORT".
struct ListenAddress {
  std::string host;  ///< numeric IPv4 or IPv6 address (no name resolution)
  std::uint16_t port = 161;
  std::string ToString() const;
  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

/// Parses "udp:HOST:PORT"; returns nullopt and sets `error` when malformed.
std::optional<ListenAddress> ParseListenAddress(std::string_view text, std::string& error);

struct AgentConfig {
  std::vector<ListenAddress> listen = {{"0.0.0.0", 161}, {"::", 161}};
  std::string community = "MieKiban";
  std::vector<Network> allowed_managers;  ///< empty: any manager
  std::chrono::milliseconds cache_lifetime{5000};
  std::size_t max_message_size = 65507;
  /// GetBulk limits, snmpd's maxGetbulkResponses / maxGetbulkRepeats (see
  /// RequestHandlerOptions).
  std::int32_t max_getbulk_responses = 100;
  std::int32_t max_getbulk_repeats = 0;
  /// Account to switch to after binding when started as root.
  std::string user = "mimamori";
  SystemSettings system;
  std::string source;  ///< the file it came from, for messages ("" = defaults)
};

/// Loads `path`. On failure returns nullopt and sets `error` to
/// "FILE:LINE: FIELD: what is wrong" (the agent prints it and exits).
///
/// agent.yaml is a deliberately small YAML subset, parsed here rather than by
/// yaml-cpp so the agent links statically and cross-compiles without it:
/// top-level `key: value` pairs, lists as `key: [a, b]` or indented `- item`
/// lines, '#' comments, optional single or double quotes.
std::optional<AgentConfig> LoadAgentConfig(const std::string& path, std::string& error);

/// The same from text (tests); `source` names it in errors.
std::optional<AgentConfig> ParseAgentConfig(std::string_view text, const std::string& source,
                                            std::string& error);

}  // namespace mimamori::agent
