// The inventory change log (監視追加・変更・削除): at each load and reload the
// collector lists what the inventory monitors, item by item, and the ledger
// records what was added, changed or removed since the previous load, so the
// monthly report can list the month's monitoring changes, even those made
// while the collector was stopped.
#pragma once

#include <vector>

#include "collector/core/clock.h"
#include "collector/inventory/inventory.h"
#include "collector/ledger/ledger.h"

namespace mimamori::collector {

/// Every monitored item of the inventory with a canonical text of its
/// definition: per node "node" (address, kind, system, host, state
/// settings), "ping", "resource" (thresholds), "process:NAME", "port:NAME",
/// "service:NAME", "web:NAME". Secrets are never part of a definition (a
/// password file's path is, its content is not).
std::vector<InventoryItem> InventoryItems(const Inventory& inventory);

/// Records the differences to the previous load in the ledger and logs each
/// one (node and monitor named). Returns the changes.
LedgerResult<std::vector<InventoryChange>> RecordInventoryChanges(Ledger& ledger,
                                                                  const Inventory& inventory,
                                                                  TimePoint now);

}  // namespace mimamori::collector
