// The collector's life: load the inventory, create the monitors, run them.
#pragma once

#include <string>

namespace mimamori::collector {

struct CommandLine {
  std::string config_path;  ///< --config / --check-config FILE
  bool check_config = false;
  bool once = false;           ///< run every monitor once, print, exit
  bool json = false;           ///< with --once: JSON instead of a table
  std::string metrics_listen;  ///< --metrics-listen: overrides the inventory's
  /// --collector-name: this collector's name in an HA pair (default: the
  /// host name); each member of a pair needs its own.
  std::string collector_name;
};

/// Returns the process exit code.
int Run(const CommandLine& command_line);

}  // namespace mimamori::collector
