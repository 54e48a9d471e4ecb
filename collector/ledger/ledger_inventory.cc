// The inventory change log: what monitoring was added, changed or removed at
// each load of the inventory, for the monthly report (監視追加・変更・削除).

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

  // Many rows per statement: the first load of 100,000 nodes is 500,000
  // changes, and a statement each (twice) held the ledger's one writer for
  // most of a minute on PostgreSQL, with the incident engine waiting.
  constexpr std::size_t kRowsPerStatement = 200;
  const auto values = [](std::size_t rows, int columns) {
    std::string sql;
    int p = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      sql += r ? ", (" : "(";
      for (int c = 0; c < columns; ++c) sql += (c ? ", ?" : "?") + std::to_string(++p);
      sql += ")";
    }
    return sql;
  };
  // Runs `sql_for(rows)` over `rows` in slices, `bind(statement, first
  // placeholder, row)` filling each row's placeholders.
  const auto in_slices = [&](const std::vector<const InventoryChange*>& rows, int columns,
                             const auto& sql_for, const auto& bind) -> LedgerStatus {
    MultiRowStatement statements(*db_, kRowsPerStatement, [&](std::size_t count) {
      return sql_for(values(count, columns));
    });
    for (std::size_t first = 0; first < rows.size(); first += kRowsPerStatement) {
      const std::size_t count = std::min(kRowsPerStatement, rows.size() - first);
      Stmt& st = statements.For(count);
      for (std::size_t r = 0; r < count; ++r) {
        bind(st, static_cast<int>(r) * columns, *rows[first + r]);
      }
      if (SqlCode rc = st.Step(); rc != SqlCode::kDone) return Error(what, rc);
    }
    return std::nullopt;
  };

  std::vector<const InventoryChange*> all, kept;
  for (const InventoryChange& c : changes) {
    all.push_back(&c);
    if (c.change != InventoryChangeKind::kRemoved) kept.push_back(&c);
  }
  if (auto err = in_slices(
          all, 7,
          [](const std::string& rows) {
            return "INSERT INTO inventory_changes (at, change, node, item, before, after, source) "
                   "VALUES " +
                   rows;
          },
          [](Stmt& st, int p, const InventoryChange& c) {
            st.Bind(p + 1, c.at)
                .Bind(p + 2, ToString(c.change))
                .Bind(p + 3, c.node)
                .Bind(p + 4, c.item)
                .Bind(p + 5, c.before)
                .Bind(p + 6, c.after)
                .Bind(p + 7, c.source);
          })) {
    return *err;
  }
  // Each (node, item) once among the changes, as one statement's upsert
  // needs.
  if (auto err = in_slices(
          kept, 3,
          [](const std::string& rows) {
            return "INSERT INTO inventory_items (node, item, definition) VALUES " + rows +
                   " ON CONFLICT (node, item) DO UPDATE SET definition = excluded.definition";
          },
          [](Stmt& st, int p, const InventoryChange& c) {
            st.Bind(p + 1, c.node).Bind(p + 2, c.item).Bind(p + 3, c.after);
          })) {
    return *err;
  }
  {
    Stmt drop(db_, "DELETE FROM inventory_items WHERE node = ?1 AND item = ?2");
    for (const InventoryChange& c : changes) {
      if (c.change != InventoryChangeKind::kRemoved) continue;
      drop.Reset();
      drop.Bind(1, c.node).Bind(2, c.item);
      if (SqlCode rc = drop.Step(); rc != SqlCode::kDone) return Error(what, rc);
    }
  }
  // The ids the log rows got (a multi-row INSERT's RETURNING has no
  // promised order): this load's rows, the newest per item.
  {
    std::map<Key, std::int64_t> id_of;
    Stmt st(db_,
            "SELECT id, node, item FROM inventory_changes WHERE at = ?1 AND source = ?2 "
            "ORDER BY id");
    st.Bind(1, at).Bind(2, source);
    SqlCode rc;
    while ((rc = st.Step()) == SqlCode::kRow) id_of[{st.Text(1), st.Text(2)}] = st.Int64(0);
    if (rc != SqlCode::kDone) return Error(what, rc);
    for (InventoryChange& c : changes) {
      if (auto it = id_of.find({c.node, c.item}); it != id_of.end()) c.id = it->second;
    }
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
