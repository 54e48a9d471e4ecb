// The UDP side of the agent: sockets, the manager ACL, and the request handler.
#pragma once

#include <array>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "agent/core/config.h"
#include "agent/core/log.h"
#include "agent/core/network_acl.h"
#include "agent/core/reply_source.h"
#include "agent/core/request_handler.h"

namespace mimamori::agent {

/// Receives on every listen address, drops packets from managers outside the
/// ACL without an answer, and answers the rest through the RequestHandler.
/// On Linux a socket bound to 0.0.0.0 or [::] answers from the address each
/// request was sent to (see reply_source.h), as snmpd does. Runs on the
/// io_context's single thread.
class AgentServer {
 public:
  AgentServer(asio::io_context& io, RequestHandler& handler, SnmpCounters& counters,
              ManagerAcl acl);

  /// Binds every address (as root, before privileges are dropped). IPv6
  /// sockets are v6-only so 0.0.0.0 and :: can share a port. An address
  /// family the kernel lacks (IPv6 disabled) is a warning; any other failure
  /// is an error. Returns "" when at least one socket is bound and nothing
  /// else failed, otherwise the error naming the address.
  std::string Bind(const std::vector<ListenAddress>& addresses);

  /// Starts receiving on every bound socket.
  void Start();

  /// The bound local endpoints (tests bind port 0 and read the port back).
  std::vector<asio::ip::udp::endpoint> LocalEndpoints() const;

  void SetAcl(ManagerAcl acl) { acl_ = std::move(acl); }

 private:
  struct Listener {
    explicit Listener(asio::io_context& io) : socket(io) {}
    asio::ip::udp::socket socket;
    asio::ip::udp::endpoint peer;
    std::array<std::uint8_t, 65536> buffer{};
#if defined(__linux__)
    bool reply_from_destination = false;  // bound to a wildcard address
    RequestDestination destination;
#endif
  };

  void Receive(Listener& listener);
#if defined(__linux__)
  void ReceiveWithDestinations(Listener& listener);
#endif
  void Process(Listener& listener, std::size_t size);

  asio::io_context& io_;
  RequestHandler& handler_;
  SnmpCounters& counters_;
  ManagerAcl acl_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::uint8_t> response_;
  RateLimitedLog complaints_;
};

}  // namespace mimamori::agent
