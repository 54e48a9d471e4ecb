// The sockets: syslog over UDP and TCP (RFC 5426, RFC 6587) and SNMP
// notifications over UDP, on one thread of their own so that a flood of
// messages never delays the scheduler.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "collector/messages/message_intake.h"

namespace mimamori::collector {

/// Owns its io_context and thread; every handler runs there, so the
/// intake needs no locking. Start once; the destructor stops and joins.
class MessageReceiver {
 public:
  explicit MessageReceiver(MessageIntake& intake);
  ~MessageReceiver();
  MessageReceiver(const MessageReceiver&) = delete;
  MessageReceiver& operator=(const MessageReceiver&) = delete;

  /// Binds what `settings` names ("" = that one off) and starts the thread.
  /// Returns "" or what could not be bound ("syslog udp 0.0.0.0:514:
  /// Permission denied"). Addresses are not changed by a reload.
  std::string Start(const MessageSettings& settings);

  /// Bound ports (0 = off), e.g. after asking for port 0.
  std::uint16_t syslog_udp_port() const;
  std::uint16_t syslog_tcp_port() const;
  std::uint16_t trap_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mimamori::collector
