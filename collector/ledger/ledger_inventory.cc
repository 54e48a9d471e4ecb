// The inventory change log: what monitoring was added, changed or removed at
// each load of the inventory, for the monthly report (監視追加・変更・削除).

#include <map>
#include <utility>

#include "collector/ledger/ledger.h"
#include "collector/ledger/ledger_internal.h"

namespace mimamori::collector {

using namespace ledger_internal;  // NOLINT: this file is the ledger

LedgerResult<std::vector<InventoryChange>> Ledger::RecordInventory(
    const std::vector<InventoryItem>& items, LedgerTime at, const std::string& source) {
  const std::string what = "record the inventory " + source;
  using Key = std::pair<std::string, std::string>;
  std::map<Key, const std::string*> now;
  for (const InventoryItem& item : items) {
    if (item.node.empty() || item.item.empty()) {
      return Error(LedgerErrorKind::kInvalidArgument, what, "an item has an empty node or name");
    }
    if (!now.emplace(Key{item.node, item.item}, &item.definition).second) {
      return Error(LedgerErrorKind::kInvalidArgument, what,
                   "node " + item.node + " lists " + item.item + " twice");
    }
  }
  Savepoint sp(*this, true, what);
  if (sp.status()) return *sp.status();

  std::map<Key, std::string> before;
  {
    Stmt st(db_, "SELECT node, item, definition FROM inventory_items");
    SqlCode rc;
    while ((rc = st.Step()) == SqlCode::kRow) before[{st.Text(0), st.Text(1)}] = st.Text(2);
    if (rc != SqlCode::kDone) return Error(what, rc);
  }

  std::vector<InventoryChange> changes;
  // One ordered walk over both maps: changes come out by node, then item.
  auto b = before.begin();
  auto n = now.begin();
  while (b != before.end() || n != now.end()) {
    if (n == now.end() || (b != before.end() && b->first < n->first)) {
      changes.push_back({0, at, InventoryChangeKind::kRemoved, b->first.first, b->first.second,
                         b->second, "", source});
      ++b;
    } else if (b == before.end() || n->first < b->first) {
      changes.push_back({0, at, InventoryChangeKind::kAdded, n->first.first, n->first.second, "",
                         *n->second, source});
      ++n;
    } else {
      if (b->second != *n->second) {
        changes.push_back({0, at, InventoryChangeKind::kChanged, n->first.first, n->first.second,
                           b->second, *n->second, source});
      }
      ++b;
      ++n;
    }
  }
  if (changes.empty()) {
    if (auto err = sp.Release()) return *err;
    return changes;
  }

  Stmt add(db_,
           "INSERT INTO inventory_changes (at, change, node, item, before, after, source) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id");
  Stmt put(db_,
           "INSERT INTO inventory_items (node, item, definition) VALUES (?1, ?2, ?3) "
           "ON CONFLICT (node, item) DO UPDATE SET definition = excluded.definition");
  Stmt drop(db_, "DELETE FROM inventory_items WHERE node = ?1 AND item = ?2");
  for (InventoryChange& c : changes) {
    add.Reset();
    add.Bind(1, c.at)
        .Bind(2, ToString(c.change))
        .Bind(3, c.node)
        .Bind(4, c.item)
        .Bind(5, c.before)
        .Bind(6, c.after)
        .Bind(7, c.source);
    if (SqlCode rc = add.StepReturningId(c.id); rc != SqlCode::kDone) return Error(what, rc);
    Stmt& write = c.change == InventoryChangeKind::kRemoved ? drop : put;
    write.Reset();
    write.Bind(1, c.node).Bind(2, c.item);
    if (c.change != InventoryChangeKind::kRemoved) write.Bind(3, c.after);
    if (SqlCode rc = write.Step(); rc != SqlCode::kDone) return Error(what, rc);
  }
  if (auto err = sp.Release()) return *err;
  return changes;
}

LedgerResult<std::vector<InventoryChange>> Ledger::InventoryChanges(LedgerTime from,
                                                                    LedgerTime to) {
  const std::string what = "list inventory changes";
  Stmt st(db_, std::string("SELECT ") + kInventoryChangeColumns +
                   " FROM inventory_changes WHERE at >= ?1 AND at < ?2 ORDER BY at, id");
  st.Bind(1, from).Bind(2, to);
  std::vector<InventoryChange> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  return rows;
}

}  // namespace mimamori::collector
