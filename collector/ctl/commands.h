// The mimamorictl commands. Each takes the words after its name (options
// included) and returns the process exit code (args.h), having printed its
// result to stdout and any error to stderr. Documented in docs/mimamorictl.md.
#pragma once

#include <string>
#include <vector>

#include "collector/ctl/session.h"

namespace mimamori::collector::ctl {

using Words = std::vector<std::string>;

// Incidents (incident_commands.cc).
int IncidentsCommand(Session& session, const Words& words);
int ShowCommand(Session& session, const Words& words);
int AckCommand(Session& session, const Words& words);
int NoteCommand(Session& session, const Words& words);
int PriorityCommand(Session& session, const Words& words);
int CloseCommand(Session& session, const Words& words);
int WorkCommand(Session& session, const Words& words);  ///< "start ID ..." / "done ID ..."
int CauseCommand(Session& session, const Words& words);
int OpenCommand(Session& session, const Words& words);  ///< a manual incident

// Suppression windows (suppression_commands.cc).
int SuppressCommand(Session& session, const Words& words);  ///< "add|list|cancel ..."

// Configuration and reports (config_commands.cc).
int CheckConfigCommand(Session& session, const Words& words);
int TimetableCommand(Session& session, const Words& words);
int ReportCommand(Session& session, const Words& words);  ///< "monthly YYYY-MM [--csv]"

// The HA pair (pair_commands.cc).
int StatusCommand(Session& session, const Words& words);

/// The whole tool: global options, then the command. `args` is argv
/// without argv[0].
int RunCtl(const std::vector<std::string>& args);

}  // namespace mimamori::collector::ctl
