#include "agent/core/server.h"

#include <asio/ip/v6_only.hpp>

namespace mimamori::agent {

AgentServer::AgentServer(asio::io_context& io, RequestHandler& handler, SnmpCounters& counters,
                         ManagerAcl acl)
    : io_(io), handler_(handler), counters_(counters), acl_(std::move(acl)) {}

std::string AgentServer::Bind(const std::vector<ListenAddress>& addresses) {
  for (const ListenAddress& address : addresses) {
    asio::error_code ec;
    const asio::ip::udp::endpoint endpoint(asio::ip::make_address(address.host, ec), address.port);
    if (ec) return address.ToString() + ": " + ec.message();
    auto listener = std::make_unique<Listener>(io_);
    listener->socket.open(endpoint.protocol(), ec);
    if (ec == asio::error::address_family_not_supported) {
      Log(LogLevel::kWarning, "not listening on " + address.ToString() + ": " + ec.message());
      continue;
    }
    if (ec) return address.ToString() + ": socket: " + ec.message();
    if (endpoint.address().is_v6()) listener->socket.set_option(asio::ip::v6_only(true), ec);
    listener->socket.bind(endpoint, ec);
    if (ec) return address.ToString() + ": bind: " + ec.message();
    listeners_.push_back(std::move(listener));
  }
  if (listeners_.empty()) return "no listen address could be bound";
  return "";
}

std::vector<asio::ip::udp::endpoint> AgentServer::LocalEndpoints() const {
  std::vector<asio::ip::udp::endpoint> out;
  for (const auto& listener : listeners_) out.push_back(listener->socket.local_endpoint());
  return out;
}

void AgentServer::Start() {
  for (auto& listener : listeners_) Receive(*listener);
}

void AgentServer::Receive(Listener& listener) {
  listener.socket.async_receive_from(
      asio::buffer(listener.buffer), listener.peer,
      [this, &listener](const asio::error_code& ec, std::size_t size) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) Process(listener, size);
        // Transient receive errors (ICMP port unreachable surfacing as
        // ECONNREFUSED on some stacks) must not stop the agent listening.
        Receive(listener);
      });
}

void AgentServer::Process(Listener& listener, std::size_t size) {
  const auto now = std::chrono::steady_clock::now();
  const asio::ip::address from = listener.peer.address();
  if (!acl_.Allows(from)) {
    ++counters_.denied_sources;
    complaints_.Report(LogLevel::kWarning, "denied " + from.to_string(),
                       "dropped a packet from " + from.to_string() + ": not in allowed_managers",
                       now);
    return;
  }
  const DropReason reason = handler_.Handle(std::span(listener.buffer.data(), size), response_);
  if (reason != DropReason::kNone) {
    complaints_.Report(
        LogLevel::kWarning, std::string(DropReasonText(reason)) + " " + from.to_string(),
        "dropped a packet from " + from.to_string() + ": " + std::string(DropReasonText(reason)),
        now);
    return;
  }
  asio::error_code ec;
  listener.socket.send_to(asio::buffer(response_), listener.peer, 0, ec);
  if (ec) {
    complaints_.Report(LogLevel::kWarning, "send " + from.to_string(),
                       "could not answer " + from.to_string() + ": " + ec.message(), now);
  }
}

}  // namespace mimamori::agent
