#include "collector/alerting/inventory_log.h"

#include <cstdio>
#include <set>
#include <string>
#include <utility>

#include "collector/core/log.h"

namespace mimamori::collector {
namespace {

std::string Ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + "ms"; }

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string Levels(const Threshold& t) { return Number(t.warning) + "/" + Number(t.critical); }

}  // namespace

std::vector<InventoryItem> InventoryItems(const Inventory& inventory) {
  std::vector<InventoryItem> items;
  for (const Node& node : inventory.nodes) {
    const auto add = [&](std::string item, std::string definition) {
      items.push_back({node.name, std::move(item), std::move(definition)});
    };
    std::string self = "kind=" + std::string(NodeKindName(node.kind)) + " address=" + node.address +
                       " system=" + node.system + " host=" + node.host +
                       " enabled=" + (node.enabled ? "yes" : "no");
    if (node.acceptance_testing) self += " acceptance-testing=yes";
    if (!node.monitoring_starts_text.empty()) {
      self += " monitoring-starts=" + node.monitoring_starts_text;
    }
    add("node", self);
    const auto hours = inventory.defaults.hours.find(inventory.LevelOf(node));
    if (hours == inventory.defaults.hours.end() || hours->second.ping) {
      std::string ping =
          "packets=" + std::to_string(node.ping.packets) + " timeout=" + Ms(node.ping.timeout);
      if (node.ping.rtt_warning) ping += " rtt-warning=" + Ms(*node.ping.rtt_warning);
      if (node.ping.rtt_critical) ping += " rtt-critical=" + Ms(*node.ping.rtt_critical);
      add("ping", ping);
    }
    if (node.resource) {
      std::string resource = "cpu=" + Levels(node.thresholds.cpu) +
                             " memory=" + Levels(node.thresholds.memory) +
                             " disk=" + Levels(node.thresholds.disk);
      for (const auto& [mount, t] : node.thresholds.disk_by_mount) {
        resource += " disk:" + mount + "=" + Levels(t);
      }
      add("resource", resource);
    }
    for (const ProcessCheck& p : node.processes) {
      add("process:" + p.name, "command=" + p.command + " arguments=" + p.arguments + " count=" +
                                   std::to_string(p.min_count) + "-" + std::to_string(p.max_count) +
                                   (p.case_insensitive ? " case-insensitive" : ""));
    }
    for (const PortCheck& p : node.ports) {
      add("port:" + (p.name.empty() ? "tcp/" + std::to_string(p.port) : p.name),
          "tcp/" + std::to_string(p.port) + " timeout=" + Ms(p.timeout));
    }
    for (const ServiceCheck& s : node.services) {
      add("service:" + s.service,
          std::string("via=") + (s.via == ServiceVia::kSnmp ? "snmp" : "winrm") +
              (s.via == ServiceVia::kWinRm ? std::string(s.https ? " https" : " http") + " port=" +
                                                 std::to_string(s.port) + " user=" + s.user
                                           : std::string()));
    }
    for (const WebCheck& w : node.web) {
      add("web:" + (w.name.empty() ? w.url : w.name),
          "url=" + w.url + " status=" + std::to_string(w.expected_status) +
              (w.body_regex.empty() ? std::string() : " body=" + w.body_regex) +
              " timeout=" + Ms(w.timeout));
    }
  }
  // A repeated name (refused by the loader, possible in a hand-built
  // inventory) keeps its first definition, as lookups do.
  std::vector<InventoryItem> unique;
  std::set<std::pair<std::string, std::string>> seen;
  for (InventoryItem& item : items) {
    if (seen.emplace(item.node, item.item).second) unique.push_back(std::move(item));
  }
  return unique;
}

LedgerResult<std::vector<InventoryChange>> RecordInventoryChanges(Ledger& ledger,
                                                                  const Inventory& inventory,
                                                                  TimePoint now) {
  auto changes = ledger.RecordInventory(InventoryItems(inventory), now, inventory.source);
  if (!changes) return changes.error();
  // The first load of a large inventory adds every item: one line then,
  // not 50,000.
  constexpr std::size_t kLoggedOneByOne = 50;
  if (changes->size() > kLoggedOneByOne) {
    std::size_t added = 0, changed = 0, removed = 0;
    for (const InventoryChange& c : *changes) {
      if (c.change == InventoryChangeKind::kAdded) ++added;
      if (c.change == InventoryChangeKind::kChanged) ++changed;
      if (c.change == InventoryChangeKind::kRemoved) ++removed;
    }
    Log(LogLevel::kInfo, "inventory " + inventory.source + ": " + std::to_string(added) +
                             " monitoring items added, " + std::to_string(changed) + " changed, " +
                             std::to_string(removed) + " removed (listed in the monthly report)");
    return changes;
  }
  for (const InventoryChange& c : *changes) {
    Log(LogLevel::kInfo, {c.node, c.item, ""},
        "monitoring " + std::string(ToString(c.change)) + ": " +
            (c.change == InventoryChangeKind::kChanged ? c.before + " -> " + c.after
                                                       : (c.after.empty() ? c.before : c.after)));
  }
  return changes;
}

}  // namespace mimamori::collector
