// One received datagram or TCP frame, from bytes to the message board:
// parse, recognise the node, rate-limit, match the rules, count.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "collector/core/clock.h"
#include "collector/messages/message_board.h"
#include "collector/messages/message_rules.h"

namespace mimamori::collector {

/// The protocol label of the message counters.
inline constexpr std::string_view kSyslogUdp = "syslog-udp";
inline constexpr std::string_view kSyslogTcp = "syslog-tcp";
inline constexpr std::string_view kTrap = "trap";

/// Not thread-safe except SetRules: the receiver's one thread calls the
/// rest. Never throws on wire bytes; every dropped message is counted in
/// mimamori_messages_dropped_total{protocol,reason}.
class MessageIntake {
 public:
  /// `registry` may be null (benchmarks, unit tests): counted in stats() only.
  MessageIntake(MessageBoard& board, const Clock& clock, prometheus::Registry* registry);

  /// The rules (and settings: community, sizes, rates) from now on.
  void SetRules(std::shared_ptr<const MessageRules> rules);

  void Syslog(std::string_view protocol, const std::string& address, std::string_view bytes);
  /// A dropped message the transport found (oversize datagram, bad frame).
  void Dropped(std::string_view protocol, std::string_view reason);
  /// Returns the Response to send back for an accepted inform, else empty.
  std::vector<std::uint8_t> Trap(const std::string& address, std::span<const std::uint8_t> bytes);

  struct Stats {
    std::uint64_t received = 0;
    std::uint64_t dropped = 0;
    std::uint64_t rate_limited = 0;
    std::uint64_t matched = 0;
    std::uint64_t changes = 0;  ///< matches that changed a rule's state
  };
  /// Any thread (tests and benchmarks read it while the receiver runs).
  Stats stats() const;
  std::size_t max_message() const;

 private:
  std::shared_ptr<const MessageRules> Rules() const;
  const Node* Source(std::string_view protocol, const MessageRules& rules,
                     const std::string& address);
  /// False when `address` is over its rate (the message is still matched).
  bool Take(const std::string& address, const MessageSettings& settings, TimePoint now);
  void Record(const Node& node, const std::vector<MessageRules::Hit>& hits,
              const std::string& reason, TimePoint now, bool within_rate);
  prometheus::Counter& Counter(prometheus::Family<prometheus::Counter>* family,
                               std::string_view protocol, std::string_view reason = {});

  MessageBoard& board_;
  const Clock& clock_;
  mutable std::mutex rules_mutex_;
  std::shared_ptr<const MessageRules> rules_;

  struct Bucket {
    double tokens = 0;
    TimePoint last{};
  };
  std::unordered_map<std::string, Bucket> buckets_;
  std::set<std::string> strangers_logged_;

  prometheus::Family<prometheus::Counter>* received_ = nullptr;
  prometheus::Family<prometheus::Counter>* dropped_ = nullptr;
  prometheus::Family<prometheus::Counter>* limited_ = nullptr;
  prometheus::Family<prometheus::Counter>* matched_ = nullptr;
  std::map<std::tuple<prometheus::Family<prometheus::Counter>*, std::string, std::string>,
           prometheus::Counter*>
      counters_;
  prometheus::Counter unregistered_;
  struct AtomicStats {
    std::atomic<std::uint64_t> received{0}, dropped{0}, rate_limited{0}, matched{0}, changes{0};
  } stats_;
  std::vector<MessageRules::Hit> hits_;  // reused: no allocation per message
};

}  // namespace mimamori::collector
