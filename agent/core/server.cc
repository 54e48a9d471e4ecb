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
#if defined(__linux__)
    if (endpoint.address().is_unspecified()) {
      ec = EnableRequestDestinations(listener->socket);
      if (ec) return address.ToString() + ": IP_PKTINFO: " + ec.message();
      listener->reply_from_destination = true;
    }
#endif
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
#if defined(__linux__)
  if (listener.reply_from_destination) {
    ReceiveWithDestinations(listener);
    return;
  }
#endif
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

#if defined(__linux__)
// Asio has no recvmsg with control messages: wait for readability, then read
// what is queued with recvmsg() directly (a bounded batch, so that one busy
// socket does not starve the others or the timers).
void AgentServer::ReceiveWithDestinations(Listener& listener) {
  listener.socket.async_wait(
      asio::ip::udp::socket::wait_read, [this, &listener](const asio::error_code& wait_error) {
        if (wait_error == asio::error::operation_aborted) return;
        for (int i = 0; i < 64 && !wait_error; ++i) {
          asio::error_code ec;
          const std::size_t size = ReceiveWithDestination(listener.socket, listener.buffer,
                                                          listener.peer, listener.destination, ec);
          if (ec == asio::error::would_block) break;
          // Other errors (ECONNREFUSED from an earlier ICMP) are transient.
          if (!ec) Process(listener, size);
        }
        ReceiveWithDestinations(listener);
      });
}
#endif

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
#if defined(__linux__)
  if (listener.reply_from_destination) {
    SendFromDestination(listener.socket, response_, listener.peer, listener.destination, ec);
  } else {
    listener.socket.send_to(asio::buffer(response_), listener.peer, 0, ec);
  }
#else
  listener.socket.send_to(asio::buffer(response_), listener.peer, 0, ec);
#endif
  if (ec) {
    complaints_.Report(LogLevel::kWarning, "send " + from.to_string(),
                       "could not answer " + from.to_string() + ": " + ec.message(), now);
  }
}

}  // namespace mimamori::agent
