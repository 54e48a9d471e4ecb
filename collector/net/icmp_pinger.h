// The real Pinger: ICMP echo to thousands of targets from one socket per
// address family and one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "collector/net/pinger.h"

namespace mimamori::collector {

/// Which kind of ICMP socket an address family got.
enum class IcmpSocketKind {
  kNone,      ///< neither could be opened: targets of that family fail
  kDatagram,  ///< SOCK_DGRAM "ping socket": unprivileged when net.ipv4.ping_group_range
              ///< covers our gid; the kernel owns the echo identifier
  kRaw,       ///< SOCK_RAW: needs CAP_NET_RAW; we choose and filter the identifier
};

std::string_view IcmpSocketKindName(IcmpSocketKind kind);  ///< "none", "datagram", "raw"

struct IcmpPingerOptions {
  enum class Mode {
    kAuto,          ///< datagram socket, else raw socket
    kDatagramOnly,  ///< tests and operators who want to be sure no raw socket is used
    kRawOnly,
  };
  Mode mode = Mode::kAuto;
  /// Socket buffers. Replies to a burst of echo requests queue here while the
  /// pinger's thread is still sending; a full buffer drops replies, which
  /// would read as packet loss. Larger than net.core.rmem_max only with
  /// CAP_NET_ADMIN.
  int receive_buffer_bytes = 8 << 20;
  int send_buffer_bytes = 4 << 20;
  /// The first echo sequence number handed out (tests use it to cross the
  /// 16-bit wrap quickly).
  std::uint16_t first_sequence = 0;
};

/// ICMP echo (IPv4 and IPv6) over one socket per family, driven by one
/// thread that owns all state, so 10,000 targets cost 10,000 table entries,
/// not threads, processes or timers.
///
/// Thread-safety: Ping() may be called from any thread, including from inside
/// a `done` callback. `done` is called exactly once per Ping(), always on the
/// pinger's own thread, never inside Ping(); it must not throw and must not
/// destroy the pinger.
///
/// A check: the address is resolved once (IPv4/IPv6 literal, or a DNS name
/// resolved asynchronously: the first address of a family we have a socket
/// for); then `settings.packets` echo requests are sent `settings.interval`
/// apart, each waiting up to `settings.timeout` for its reply. The check ends
/// when every request is answered or timed out. Expected failures are values
/// in PingOutcome::error, never exceptions: unresolvable name, no socket for
/// the family, a send the kernel refuses (e.g. "Network is unreachable"; such
/// a request counts as sent and unanswered).
///
/// Replies are matched by echo sequence number (unique among all outstanding
/// requests of this pinger), source address and an 8-byte per-request cookie
/// in the payload, so late replies, duplicates and other programs' echoes are
/// ignored. At most 65,536 requests are outstanding at once; more wait.
class IcmpPinger final : public Pinger {
 public:
  /// Opens the sockets and starts the thread. Does not throw when a socket
  /// cannot be opened: see SocketKind() and SocketError(); it logs which
  /// socket each family uses.
  explicit IcmpPinger(IcmpPingerOptions options = {});
  /// Completes every unfinished check with error "pinger stopped" (on the
  /// pinger's thread), then joins it. Must not be called from a `done`
  /// callback. Waits for a DNS lookup in progress to return.
  ~IcmpPinger() override;
  IcmpPinger(const IcmpPinger&) = delete;
  IcmpPinger& operator=(const IcmpPinger&) = delete;

  void Ping(const std::string& address, const PingSettings& settings,
            std::function<void(PingOutcome)> done) override;

  /// The socket each family got; `ipv6` false: IPv4. Fixed after construction.
  IcmpSocketKind SocketKind(bool ipv6) const;
  /// Why a family has no socket (kNone), or "" when it has one.
  const std::string& SocketError(bool ipv6) const;

 private:
  class Engine;
  std::unique_ptr<Engine> engine_;
};

}  // namespace mimamori::collector
