// Reads the inventory file (docs/inventory.md) into an Inventory: the spec's
// defaults first, then what the file says, then the checks between systems
// and nodes. Every problem is reported, not only the first, so an operator
// fixes a hand-edited file in one round.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/inventory/inventory.h"

namespace mimamori::collector {

/// One problem in an inventory file, located for an operator.
struct ConfigError {
  std::string file;
  int line = 0;    ///< 1-based; 0 when the problem has no position (unreadable file)
  int column = 0;  ///< 1-based, counted in characters of the line (not bytes)
  /// Where in the document: keys joined by '.', list items by index, chosen
  /// map keys (mount points) quoted: nodes[3].processes[0].min_count,
  /// nodes[1].thresholds.disk["/var"].warning. Empty for syntax errors.
  std::string field;
  std::string message;

  /// "FILE:LINE:COLUMN: FIELD: MESSAGE"; the position and the field are left
  /// out when absent.
  std::string ToString() const;
};

/// Reads and validates the inventory at `path`. Returns it, or nullopt after
/// appending every problem found to `errors` in file order. Never throws for
/// bad input (unreadable file, YAML syntax, wrong values). Keeps no state:
/// callable from any thread.
std::optional<Inventory> LoadInventory(const std::string& path, std::vector<ConfigError>& errors);

/// As LoadInventory, from text in memory. `source` names the text in errors
/// and becomes Inventory::source. No substitution of any kind is done on the
/// text (no environment variables): generate the file instead.
std::optional<Inventory> ParseInventory(std::string_view yaml_text, const std::string& source,
                                        std::vector<ConfigError>& errors);

}  // namespace mimamori::collector
