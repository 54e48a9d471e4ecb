#include "collector/messages/message_intake.h"

#include <algorithm>

#include "collector/core/log.h"

namespace mimamori::collector {
namespace {

// Enough distinct senders for any platform; a spoofed flood of source
// addresses must not grow the table without end.
constexpr std::size_t kMaxBuckets = 65536;
constexpr std::size_t kMaxStrangersLogged = 1024;
// Reasons carry the message, but a continuing report is no place for 8 KB.
constexpr std::size_t kMaxReasonText = 400;

std::string Shorten(std::string text) {
  if (text.size() <= kMaxReasonText) return text;
  std::size_t cut = kMaxReasonText;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8
  text.resize(cut);
  return text + "...";
}

}  // namespace

MessageIntake::MessageIntake(MessageBoard& board, const Clock& clock,
                             prometheus::Registry* registry)
    : board_(board), clock_(clock) {
  if (registry == nullptr) return;
  received_ = &prometheus::BuildCounter()
                   .Name("mimamori_messages_received_total")
                   .Help("Syslog messages and SNMP notifications received, by protocol")
                   .Register(*registry);
  dropped_ = &prometheus::BuildCounter()
                  .Name("mimamori_messages_dropped_total")
                  .Help(
                      "Messages dropped unread: oversize, not UTF-8, truncated, garbage, "
                      "unknown source, wrong community")
                  .Register(*registry);
  limited_ = &prometheus::BuildCounter()
                  .Name("mimamori_messages_rate_limited_total")
                  .Help("Messages over their source's rate: matched for state changes only")
                  .Register(*registry);
  matched_ = &prometheus::BuildCounter()
                  .Name("mimamori_message_rule_matches_total")
                  .Help("Messages that met a message rule")
                  .Register(*registry);
}

MessageIntake::Stats MessageIntake::stats() const {
  return {stats_.received.load(), stats_.dropped.load(), stats_.rate_limited.load(),
          stats_.matched.load(), stats_.changes.load()};
}

void MessageIntake::SetRules(std::shared_ptr<const MessageRules> rules) {
  std::lock_guard lock(rules_mutex_);
  rules_ = std::move(rules);
}

std::shared_ptr<const MessageRules> MessageIntake::Rules() const {
  std::lock_guard lock(rules_mutex_);
  return rules_;
}

std::size_t MessageIntake::max_message() const {
  auto rules = Rules();
  return rules ? rules->inventory().messages.max_message : MessageSettings{}.max_message;
}

prometheus::Counter& MessageIntake::Counter(prometheus::Family<prometheus::Counter>* family,
                                            std::string_view protocol, std::string_view reason) {
  if (family == nullptr) return unregistered_;
  auto key = std::make_tuple(family, std::string(protocol), std::string(reason));
  auto it = counters_.find(key);
  if (it == counters_.end()) {
    std::map<std::string, std::string> labels{{"protocol", std::string(protocol)}};
    if (!reason.empty()) labels.emplace("reason", std::string(reason));
    it = counters_.emplace(std::move(key), &family->Add(labels)).first;
  }
  return *it->second;
}

void MessageIntake::Dropped(std::string_view protocol, std::string_view reason) {
  ++stats_.dropped;
  Counter(dropped_, protocol, reason).Increment();
}

const Node* MessageIntake::Source(std::string_view protocol, const MessageRules& rules,
                                  const std::string& address) {
  const Node* node = rules.NodeAt(address);
  if (node != nullptr) return node;
  Dropped(protocol, "unknown-source");
  // Said once per address: a misdirected device should show, not flood.
  if (strangers_logged_.size() < kMaxStrangersLogged && strangers_logged_.insert(address).second) {
    Log(LogLevel::kWarning, "messages from " + address + " (" + std::string(protocol) +
                                ") are dropped: no node of the inventory has this address");
  }
  return nullptr;
}

bool MessageIntake::Take(const std::string& address, const MessageSettings& settings,
                         TimePoint now) {
  if (buckets_.size() >= kMaxBuckets && !buckets_.count(address)) buckets_.clear();
  auto [it, fresh] = buckets_.try_emplace(address);
  Bucket& bucket = it->second;
  if (fresh) {
    bucket.tokens = settings.burst_per_source;
  } else {
    const double elapsed = std::chrono::duration<double>(now - bucket.last).count();
    bucket.tokens = std::min(settings.burst_per_source,
                             bucket.tokens + std::max(0.0, elapsed) * settings.rate_per_source);
  }
  bucket.last = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

void MessageIntake::Record(const Node& node, const std::vector<MessageRules::Hit>& hits,
                           const std::string& reason, TimePoint now, bool within_rate) {
  for (const MessageRules::Hit& hit : hits) {
    ++stats_.matched;
    // A backup product's word on its job is recorded even over the rate:
    // the job's success must not be lost in a flood.
    if (hit.rule->records != MessageRule::Records::kNothing) {
      board_.Recorded(node.name, *hit.rule, reason, now);
      continue;
    }
    if (board_.Matched(node.name, *hit.rule, hit.recovered, reason, now, within_rate)) {
      ++stats_.changes;
    }
  }
}

void MessageIntake::Syslog(std::string_view protocol, const std::string& address,
                           std::string_view bytes) {
  ++stats_.received;
  Counter(received_, protocol).Increment();
  auto rules = Rules();
  if (!rules) return Dropped(protocol, "not-configured");
  const MessageSettings& settings = rules->inventory().messages;
  if (bytes.size() > settings.max_message) return Dropped(protocol, "oversize");
  SyslogMessage message;
  if (SyslogError error = ParseSyslog(bytes, message); error != SyslogError::kNone) {
    return Dropped(protocol, SyslogErrorName(error));
  }
  const Node* node = Source(protocol, *rules, address);
  if (node == nullptr) return;
  const TimePoint now = clock_.Now();
  board_.Seen(node->name, now);
  const bool within_rate = Take(address, settings, now);
  if (!within_rate) {
    ++stats_.rate_limited;
    Counter(limited_, protocol).Increment();
  }
  hits_.clear();
  rules->Match(node->name, message, hits_);
  if (hits_.empty()) return;
  Counter(matched_, protocol).Increment(static_cast<double>(hits_.size()));
  std::string reason = "syslog from " + node->name;
  if (!message.program.empty()) reason += " " + message.program;
  reason += ": " + Shorten(message.text);
  Record(*node, hits_, reason, now, within_rate);
}

std::vector<std::uint8_t> MessageIntake::Trap(const std::string& address,
                                              std::span<const std::uint8_t> bytes) {
  ++stats_.received;
  Counter(received_, kTrap).Increment();
  auto rules = Rules();
  if (!rules) {
    Dropped(kTrap, "not-configured");
    return {};
  }
  const MessageSettings& settings = rules->inventory().messages;
  if (bytes.size() > std::max<std::size_t>(settings.max_message, 1472)) {
    Dropped(kTrap, "oversize");
    return {};
  }
  TrapMessage trap;
  proto::Message raw;
  if (TrapError error = DecodeTrap(bytes, trap, raw); error != TrapError::kNone) {
    Dropped(kTrap, TrapErrorName(error));
    return {};
  }
  // Checked before the source: a wrong community is the likelier mistake
  // and says more than "unknown source".
  if (trap.community != settings.trap_community) {
    Dropped(kTrap, "bad-community");
    return {};
  }
  const Node* node = Source(kTrap, *rules, address);
  if (node == nullptr) return {};
  const TimePoint now = clock_.Now();
  const bool within_rate = Take(address, settings, now);
  if (!within_rate) {
    ++stats_.rate_limited;
    Counter(limited_, kTrap).Increment();
  }
  hits_.clear();
  rules->Match(node->name, trap, hits_);
  if (!hits_.empty()) {
    Counter(matched_, kTrap).Increment(static_cast<double>(hits_.size()));
    Record(*node, hits_, "trap from " + node->name + ": " + Shorten(trap.Text()), now, within_rate);
  }
  // Acknowledged once recognised, matched or not: the device's job is done
  // and a retry would only repeat it.
  return trap.inform ? InformResponse(raw) : std::vector<std::uint8_t>{};
}

}  // namespace mimamori::collector
