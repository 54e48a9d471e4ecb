// Command-line parsing for mimamorictl: global options anywhere on the line,
// then the command's own options, each checked against what the command
// accepts so a typo ("--reaosn") is refused with its name instead of being
// taken as text.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace mimamori::collector::ctl {

/// Exit codes (docs/mimamorictl.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;  ///< wrong state, not found, the ledger said no
inline constexpr int kExitUsage = 2;    ///< bad command line or configuration

inline constexpr const char* kDefaultConfig = "/etc/mimamori/inventory.yaml";

struct GlobalOptions {
  std::string config = kDefaultConfig;
  bool config_given = false;  ///< --config was on the line (the default may be absent)
  std::string ledger;         ///< --ledger; "" = alerting.ledger of the inventory
  std::string actor;          ///< --as, else $SUDO_USER, $USER, the login name
  bool json = false;
  bool help = false;
  bool version = false;
  /// Everything that is not a global option, in order: the command words,
  /// their arguments and options.
  std::vector<std::string> rest;
};

/// Takes the global options out of `args` (argv without argv[0]). A "--"
/// ends option parsing: it and what follows go to `rest` untouched. nullopt
/// and `error` set when a global option lacks its value.
std::optional<GlobalOptions> ParseGlobalOptions(const std::vector<std::string>& args,
                                                std::string& error);

/// The operator's name when --as is not given: $SUDO_USER (the person behind
/// sudo, not "root"), then $USER, then the login name, then the passwd entry.
std::string DefaultActor();

/// What one command accepts besides its positional arguments.
struct OptionSpec {
  std::set<std::string> with_value;  ///< "--reason" takes the next word (or --reason=T)
  std::set<std::string> flags;       ///< "--all" stands alone
};

struct CommandArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;
  std::set<std::string> flags;

  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
  /// The option's value, or nullopt when it was not given.
  std::optional<std::string> Value(const std::string& option) const;
};

/// Parses a command's words against `spec`. nullopt and `error` set for an
/// unknown option, a missing value or an option given twice.
std::optional<CommandArgs> ParseCommandArgs(const std::vector<std::string>& words,
                                            const OptionSpec& spec, std::string& error);

}  // namespace mimamori::collector::ctl
