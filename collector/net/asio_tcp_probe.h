// TcpProbe over Boost.Asio: asynchronous resolve and connect, many checks on
// one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "collector/net/http_client.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace mimamori::collector {

/// Answers "does address:port accept a TCP connection?" for every port check
/// of the collector.
///
/// Contract:
/// - Thread-safety: Connect() may be called from any thread, including from
///   a `done` callback. `done` runs on the io_context's thread (the probe's
///   own, or the one running the io_context given to the constructor),
///   exactly once per Connect(); it must be quick and must not throw.
/// - One deadline per Connect(): `timeout` covers resolving the name and
///   trying every address it resolves to, in order, so a check never takes
///   longer than its timeout. A refused or unreachable address moves on to
///   the next one at once.
/// - Results are values: connected with `seconds` = the TCP handshake time of
///   the address that answered; or not connected with an error an operator
///   can read: "connection refused", "timed out after 5000 ms",
///   "cannot resolve db01.example: Host not found (authoritative)", or, when
///   several addresses failed differently, "<endpoint>: <reason>; ...".
///   The connection is closed as soon as it is established; nothing is sent.
///   Connect() throws std::invalid_argument only on misuse (timeout <= 0).
/// - Names: an IP literal is used as is. A DNS name is resolved with
///   getaddrinfo on Asio's resolver thread, one name at a time per
///   io_context, so nodes should be given as addresses where possible.
/// - Shutdown: the destructor completes every running check with
///   "TCP probe shut down". With its own thread it then joins it (this may
///   wait for a getaddrinfo already running, which cannot be interrupted).
///   With a given io_context the completions run when that io_context next
///   runs; it must outlive the checks. Connect() must not be called once the
///   destructor has started.
class AsioTcpProbe final : public TcpProbe {
 public:
  /// Runs its own io_context on its own thread.
  AsioTcpProbe();
  /// Uses `io`, which the caller runs and keeps alive.
  explicit AsioTcpProbe(boost::asio::io_context& io);
  ~AsioTcpProbe() override;

  AsioTcpProbe(const AsioTcpProbe&) = delete;
  AsioTcpProbe& operator=(const AsioTcpProbe&) = delete;

  void Connect(const std::string& address, std::uint16_t port, std::chrono::milliseconds timeout,
               std::function<void(TcpProbeResult)> done) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mimamori::collector
