#include "collector/messages/message_rules.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cstring>

#include "collector/core/log.h"

namespace mimamori::collector {

struct MessageRules::Entry {
  const MessageRule* rule = nullptr;
  const MessageMatch* match = nullptr;
  bool recovered = false;
  std::vector<std::pair<std::string, std::unique_ptr<RE2>>> varbinds;
};

namespace {

RE2::Options Quiet() {
  RE2::Options options;
  options.set_log_errors(false);
  return options;
}

bool KindListed(const MessageRule& rule, NodeKind kind) {
  return std::find(rule.kinds.begin(), rule.kinds.end(), kind) != rule.kinds.end();
}

}  // namespace

std::string NormalizeAddress(const std::string& address) {
  in6_addr v6{};
  in_addr v4{};
  char buf[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) return address;
  if (inet_pton(AF_INET6, address.c_str(), &v6) != 1) return address;
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    std::memcpy(&v4, &v6.s6_addr[12], 4);
    inet_ntop(AF_INET, &v4, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, &v6, buf, sizeof buf);
  }
  return buf;
}

std::vector<const MessageRule*> RulesForNode(const Node& node, const Inventory& inventory) {
  const MessageSettings& settings = inventory.messages;
  auto runs = [&](const MessageRule& rule) {
    return rule.match.IsTrap() ? settings.TrapsOn() : settings.SyslogOn();
  };
  std::vector<const MessageRule*> rules;
  for (const MessageRule& rule : settings.rules) {
    const bool named =
        std::find(rule.nodes.begin(), rule.nodes.end(), node.name) != rule.nodes.end();
    if ((named || KindListed(rule, node.kind)) && runs(rule)) rules.push_back(&rule);
  }
  for (const MessageRule& rule : node.message_rules) {
    if (runs(rule)) rules.push_back(&rule);
  }
  return rules;
}

MessageRules::~MessageRules() = default;

std::size_t MessageRules::size() const { return entries_.size(); }

std::shared_ptr<const MessageRules> MessageRules::Build(
    std::shared_ptr<const Inventory> inventory) {
  std::shared_ptr<MessageRules> rules(new MessageRules());
  rules->inventory_ = std::move(inventory);
  const Inventory& inv = *rules->inventory_;
  RE2::Options options = Quiet();
  // 1,000 patterns need more than RE2's default 8 MB for the set's DFA.
  options.set_max_mem(256 << 20);
  rules->syslog_set_ = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
  std::unordered_map<const MessageRule*, std::vector<std::size_t>> entries_of;
  auto add = [&](const MessageRule& rule, const MessageMatch& match, bool recovered) {
    Entry entry;
    entry.rule = &rule;
    entry.match = &match;
    entry.recovered = recovered;
    for (const auto& [oid, pattern] : match.varbinds) {
      entry.varbinds.emplace_back(oid, std::make_unique<RE2>(pattern, Quiet()));
    }
    const std::size_t index = rules->entries_.size();
    entries_of[&rule].push_back(index);
    if (match.IsTrap()) {
      rules->trap_entries_[match.trap].push_back(index);
    } else if (!match.text.empty()) {
      std::string error;
      if (rules->syslog_set_->Add(match.text, &error) < 0) {
        Log(LogLevel::kError, "message rule " + rule.name + ": " + error);  // the loader checked
      } else {
        rules->syslog_set_entries_.push_back(index);
      }
    } else {
      rules->syslog_plain_.push_back(index);
    }
    rules->entries_.push_back(std::move(entry));
  };
  auto add_rule = [&](const MessageRule& rule) {
    add(rule, rule.match, false);
    if (rule.recovered) add(rule, *rule.recovered, true);
  };
  for (const MessageRule& rule : inv.messages.rules) add_rule(rule);
  for (const Node& node : inv.nodes) {
    for (const MessageRule& rule : node.message_rules) add_rule(rule);
  }
  if (!rules->syslog_set_entries_.empty() && !rules->syslog_set_->Compile()) {
    Log(LogLevel::kError, "message rules: the patterns do not fit in memory together");
  }
  for (const Node& node : inv.nodes) {
    if (!node.enabled) continue;
    std::vector<bool>& applies = rules->applies_[node.name];
    applies.assign(rules->entries_.size(), false);
    for (const MessageRule* rule : RulesForNode(node, inv)) {
      for (std::size_t index : entries_of[rule]) applies[index] = true;
    }
    in6_addr v6{};
    in_addr v4{};
    if (inet_pton(AF_INET, node.address.c_str(), &v4) == 1 ||
        inet_pton(AF_INET6, node.address.c_str(), &v6) == 1) {
      rules->by_address_.emplace(NormalizeAddress(node.address), &node);
      continue;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(node.address.c_str(), nullptr, &hints, &found) != 0) {
      Log(LogLevel::kWarning, {node.name, "message", {}},
          "cannot resolve " + node.address + "; its messages will not be recognised");
      continue;
    }
    for (addrinfo* a = found; a; a = a->ai_next) {
      char host[NI_MAXHOST];
      if (getnameinfo(a->ai_addr, a->ai_addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST) ==
          0) {
        rules->by_address_.emplace(NormalizeAddress(host), &node);
      }
    }
    freeaddrinfo(found);
  }
  return rules;
}

const Node* MessageRules::NodeAt(const std::string& address) const {
  auto it = by_address_.find(address);
  return it == by_address_.end() ? nullptr : it->second;
}

const std::vector<bool>* MessageRules::AppliesTo(const std::string& node) const {
  auto it = applies_.find(node);
  return it == applies_.end() ? nullptr : &it->second;
}

bool MessageRules::Meets(const Entry& entry, const SyslogMessage& message) const {
  const MessageMatch& m = *entry.match;
  if (!m.facilities.empty() &&
      std::find(m.facilities.begin(), m.facilities.end(), message.facility) == m.facilities.end()) {
    return false;
  }
  if (m.severity >= 0 && message.severity > m.severity) return false;
  if (!m.program.empty() && message.program != m.program) return false;
  return true;
}

bool MessageRules::Meets(const Entry& entry, const TrapMessage& message) const {
  const MessageMatch& m = *entry.match;
  if (!m.trap.empty() && message.trap_oid != m.trap) return false;
  for (const auto& [oid, pattern] : entry.varbinds) {
    bool found = false;
    for (const auto& [vb_oid, value] : message.varbinds) {
      // The OID given, or an instance below it (ifDescr -> ifDescr.2).
      const bool under = vb_oid == oid || (vb_oid.size() > oid.size() && vb_oid.starts_with(oid) &&
                                           vb_oid[oid.size()] == '.');
      if (under && RE2::PartialMatch(value, *pattern)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

void MessageRules::Match(const std::string& node, const SyslogMessage& message,
                         std::vector<Hit>& hits) const {
  const std::vector<bool>* applies = AppliesTo(node);
  if (applies == nullptr) return;
  if (!syslog_set_entries_.empty()) {
    std::vector<int> matched;
    if (syslog_set_->Match(message.text, &matched)) {
      for (int i : matched) {
        const std::size_t index = syslog_set_entries_[static_cast<std::size_t>(i)];
        const Entry& entry = entries_[index];
        if ((*applies)[index] && Meets(entry, message))
          hits.push_back({entry.rule, entry.recovered});
      }
    }
  }
  for (std::size_t index : syslog_plain_) {
    const Entry& entry = entries_[index];
    if ((*applies)[index] && Meets(entry, message)) hits.push_back({entry.rule, entry.recovered});
  }
}

void MessageRules::Match(const std::string& node, const TrapMessage& message,
                         std::vector<Hit>& hits) const {
  const std::vector<bool>* applies = AppliesTo(node);
  if (applies == nullptr) return;
  for (const std::string& oid : {message.trap_oid, std::string()}) {
    auto it = trap_entries_.find(oid);
    if (it == trap_entries_.end()) continue;
    for (std::size_t index : it->second) {
      const Entry& entry = entries_[index];
      if ((*applies)[index] && Meets(entry, message)) hits.push_back({entry.rule, entry.recovered});
    }
  }
}

}  // namespace mimamori::collector
