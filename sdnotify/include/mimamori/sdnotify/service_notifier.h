// Readiness, reload and watchdog notifications to the service manager.
//
// systemd passes a Type=notify service the address of a Unix datagram socket
// in $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace) and, with
// WatchdogSec=, the interval in $WATCHDOG_USEC (for the process in
// $WATCHDOG_PID). A notification is one datagram of "KEY=VALUE" lines. This
// is that protocol by hand, without libsystemd, so the fully static agent can
// use it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace mimamori::sdnotify {

/// Sends notifications to one socket. Not started by systemd (no
/// $NOTIFY_SOCKET): every call is a no-op that succeeds, so a daemon calls it
/// unconditionally. Thread-compatible: one thread at a time (the daemons use
/// it from their main loop only). Never throws.
class ServiceNotifier {
 public:
  /// A disabled notifier.
  ServiceNotifier() = default;
  /// Notifies `socket` ("/run/systemd/notify" or "@abstract-name"; empty:
  /// disabled); `watchdog` is the interval the manager expects pings within
  /// (zero: no watchdog).
  ServiceNotifier(std::string socket, std::chrono::microseconds watchdog);

  /// From $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID (the watchdog is
  /// off when WATCHDOG_PID names another process). The three variables are
  /// then removed from the environment: children (the phone command) must
  /// not inherit them and notify in our name.
  static ServiceNotifier FromEnvironment();

  bool enabled() const { return !socket_.empty(); }
  /// Zero when the manager expects no watchdog pings.
  std::chrono::microseconds watchdog_interval() const { return watchdog_; }
  /// How often to ping: half the interval, as sd_watchdog_enabled(3)
  /// advises, so one late loop turn does not get the daemon killed.
  std::chrono::microseconds watchdog_ping_period() const { return watchdog_ / 2; }

  /// Sends `state` ("READY=1\nSTATUS=..."): "" on success or when disabled,
  /// else why it failed (the daemons log it once and carry on: a lost
  /// notification must not stop monitoring).
  std::string Notify(std::string_view state) const;

  std::string Ready(std::string_view status) const;
  /// Before re-reading the configuration; Ready() again after it.
  std::string Reloading() const;
  std::string Stopping() const;
  std::string WatchdogPing() const;

 private:
  std::string socket_;
  std::chrono::microseconds watchdog_{0};
};

}  // namespace mimamori::sdnotify
