// The inventory's message rules, compiled once per (re)load: which rules a
// message from a node meets, and which node an address is.
#pragma once

#include <re2/re2.h>
#include <re2/set.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/inventory/inventory.h"
#include "collector/messages/syslog_parser.h"
#include "collector/messages/trap_decoder.h"

namespace mimamori::collector {

/// The rules that run for `node`: messages.rules naming its kind or name,
/// then its own, each only when its receiver is configured (a rule whose
/// receiver is off never runs, so it is neither checked nor counted).
std::vector<const MessageRule*> RulesForNode(const Node& node, const Inventory& inventory);

/// Immutable after Build; shared by the receiver thread (Match, NodeAt) and
/// swapped whole on reload. Thread-safe for concurrent readers.
class MessageRules {
 public:
  /// Compiles every pattern (already validated by the loader) into one RE2
  /// set per message type, so 1,000 rules cost one scan of a message, not
  /// 1,000. Node addresses given as DNS names are resolved here, once.
  static std::shared_ptr<const MessageRules> Build(std::shared_ptr<const Inventory> inventory);
  ~MessageRules();
  MessageRules(const MessageRules&) = delete;
  MessageRules& operator=(const MessageRules&) = delete;

  struct Hit {
    const MessageRule* rule;
    bool recovered;  ///< the rule's recovered message, not its failure
  };
  /// The rules of `node` (a name from NodeAt) the message meets.
  void Match(const std::string& node, const SyslogMessage& message, std::vector<Hit>& hits) const;
  void Match(const std::string& node, const TrapMessage& message, std::vector<Hit>& hits) const;

  /// The enabled node whose address `address` (numeric, as the socket
  /// reports it) is; nullptr for a stranger.
  const Node* NodeAt(const std::string& address) const;

  const Inventory& inventory() const { return *inventory_; }
  std::size_t size() const;  ///< compiled entries (a rule and its recovered message: 2)

 private:
  MessageRules() = default;
  struct Entry;
  const std::vector<bool>* AppliesTo(const std::string& node) const;
  bool Meets(const Entry& entry, const SyslogMessage& message) const;
  bool Meets(const Entry& entry, const TrapMessage& message) const;

  std::shared_ptr<const Inventory> inventory_;
  std::vector<Entry> entries_;
  // Entries with a text pattern are found through the set (its index ->
  // entry); the others are tried one by one.
  std::unique_ptr<RE2::Set> syslog_set_;
  std::vector<std::size_t> syslog_set_entries_;
  std::vector<std::size_t> syslog_plain_;
  // Trap entries by their trap OID ("" for those matching any trap), so a
  // trap costs the rules of its OID, not all of them.
  std::unordered_map<std::string, std::vector<std::size_t>> trap_entries_;
  // node name -> which entries apply to it
  std::unordered_map<std::string, std::vector<bool>> applies_;
  std::unordered_map<std::string, const Node*> by_address_;
};

/// "192.0.2.1" for "::ffff:192.0.2.1"; IPv6 in its canonical form.
std::string NormalizeAddress(const std::string& address);

}  // namespace mimamori::collector
