// The agent's life: load the config, bind, drop root, serve until told to stop.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace mimamori::agent {

struct CommandLine {
  std::string config_path;          ///< --config; empty: built-in defaults
  std::vector<std::string> listen;  ///< --listen (repeatable): replaces the config's
  std::string user;                 ///< --user: replaces the config's
  bool check_config = false;        ///< --check-config: validate and exit
  bool console = false;             ///< --console (Windows): do not try the service manager
};

/// What a service wrapper (the Windows service control manager) may do with
/// the running agent. Both may be called from any thread; they only queue the
/// work onto the agent's event loop.
struct AgentControl {
  std::function<void()> stop;
  std::function<void()> reload;  ///< as SIGHUP
};

struct RunHooks {
  /// Called on the agent's thread once every socket is bound and receiving
  /// (the Windows service reports SERVICE_RUNNING only then).
  std::function<void(const AgentControl&)> serving;
};

/// Returns the process exit code.
int Run(const CommandLine& command_line, const RunHooks& hooks = {});

}  // namespace mimamori::agent
