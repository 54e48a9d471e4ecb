// mimamori-agent as a Windows service, or as a console program.
#pragma once

#include <string>

#include "agent/run.h"

namespace mimamori::agent {

/// The service's name in the service control manager.
inline constexpr const wchar_t* kServiceName = L"mimamori-agent";

/// main() on Windows. Unless `--console` or `--check-config` was given, the
/// agent first offers itself to the service control manager
/// (StartServiceCtrlDispatcher); when the process was not started by it, it
/// runs as a console program (Ctrl+C stops it).
///
/// As a service it logs to %ProgramData%\mimamori\logs\mimamori-agent.log,
/// reports SERVICE_START_PENDING at once and SERVICE_RUNNING only once every
/// socket is bound, stops on SERVICE_CONTROL_STOP and _SHUTDOWN, reloads on
/// SERVICE_CONTROL_PARAMCHANGE (`sc control mimamori-agent paramchange`), and
/// ends with SERVICE_STOPPED carrying the agent's exit code as a
/// service-specific error when it is not 0.
///
/// In both modes, without `--config` the configuration is
/// %ProgramData%\mimamori\agent.yaml; when that file is missing it is first
/// created as a copy of agent.yaml.default beside the .exe (so an operator's
/// edits are never overwritten by an upgrade: the installer only ships the
/// default).
int RunWindowsAgent(CommandLine command_line);

/// %ProgramData%\mimamori (UTF-8), "C:\ProgramData\mimamori" if the variable
/// is missing.
std::string DataDirectory();

}  // namespace mimamori::agent
