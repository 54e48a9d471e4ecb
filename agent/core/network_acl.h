// Which managers may talk to the agent: a list of IPv4/IPv6 networks.
#pragma once

#include <asio/ip/address.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mimamori::agent {

/// One network in CIDR form ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7").
class Network {
 public:
  /// Nullopt for anything that is not an address with an optional prefix length
  /// in range. Host bits set below the prefix are accepted and ignored.
  static std::optional<Network> Parse(std::string_view text);

  /// True when `address` lies inside. IPv4-mapped IPv6 addresses
  /// (::ffff:10.0.0.1, what a dual-stack socket reports) match IPv4 networks.
  bool Contains(const asio::ip::address& address) const;

  std::string ToString() const;

 private:
  asio::ip::address base_;
  unsigned prefix_ = 0;
};

/// An empty list allows everyone (the agent's default, like snmpd's
/// "rocommunity MieKiban default").
class ManagerAcl {
 public:
  ManagerAcl() = default;
  explicit ManagerAcl(std::vector<Network> allowed) : allowed_(std::move(allowed)) {}
  bool Allows(const asio::ip::address& address) const;
  bool empty() const { return allowed_.empty(); }

 private:
  std::vector<Network> allowed_;
};

}  // namespace mimamori::agent
