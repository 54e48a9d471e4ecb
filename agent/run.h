// The agent's life: load the config, bind, drop root, serve until told to stop.
#pragma once

#include <string>
#include <vector>

namespace mimamori::agent {

struct CommandLine {
  std::string config_path;          ///< --config; empty: built-in defaults
  std::vector<std::string> listen;  ///< --listen (repeatable): replaces the config's
  std::string user;                 ///< --user: replaces the config's
  bool check_config = false;        ///< --check-config: validate and exit
};

/// Returns the process exit code.
int Run(const CommandLine& command_line);

}  // namespace mimamori::agent
