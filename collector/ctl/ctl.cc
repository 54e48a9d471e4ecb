// mimamorictl's dispatch: global options, then one command by name.
#include <iostream>
#include <map>

#include "collector/ctl/commands.h"

namespace mimamori::collector::ctl {
namespace {

constexpr const char* kUsage =
    "usage: mimamorictl [--config PATH] [--ledger PATH] [--as NAME] [--json] COMMAND ...\n"
    "\n"
    "incidents:\n"
    "  incidents [--all] [--since YYYY-MM-DD] [--limit N]   open (or recent) incidents, SLA\n"
    "  show ID                                   one incident: monitors, VMs, timeline, reports\n"
    "  ack ID [TEXT]                             acknowledge\n"
    "  note ID TEXT [--impact T] [--eta T] [--cause T]   progress note (対応状況)\n"
    "  priority ID high|low [--reason T]         change the priority\n"
    "  close ID [TEXT]                           the manager's close (recovery confirmed), "
    "queue the final report\n"
    "  close ID --provisional [TEXT]             仮クローズ: service is back, the manager closes\n"
    "  cause ID platform|system|unknown [--reason T]   whose side (availability counts platform\n"
    "                                            and unknown, not system)\n"
    "  open --class trouble|request|question --title T [--node N] [--priority high|low]\n"
    "       [--cause C] [--detected \"YYYY-MM-DD HH:MM\"] [TEXT]   a manual incident\n"
    "  work start|done ID --content C --impact I [--worker W] [--at \"YYYY-MM-DD HH:MM\"]\n"
    "                                            復旧作業開始連絡 / 復旧作業完了連絡\n"
    "suppression (監視の一時抑止):\n"
    "  suppress add (--node N | --system S) --start \"YYYY-MM-DD HH:MM\" --end \"...\" --reason R\n"
    "  suppress list [--all]\n"
    "  suppress cancel ID\n"
    "reports and configuration:\n"
    "  report monthly YYYY-MM [--csv]\n"
    "  timetable --level A|B|C|C-dev --priority high|low --scope vm|platform\n"
    "            [--at \"YYYY-MM-DD HH:MM\"] [--hours N]\n"
    "  check-config\n"
    "  status                                    the HA pair on a PostgreSQL ledger: who leads,\n"
    "                                            since when, each member's heartbeat lag\n"
    "\n"
    "  --config PATH  the inventory (default /etc/mimamori/inventory.yaml)\n"
    "  --ledger PATH  the ledger: a SQLite file or a PostgreSQL connection string\n"
    "                 (default: alerting.ledger of the inventory)\n"
    "  --as NAME      the operator recorded (default $SUDO_USER, $USER, the login name)\n"
    "  --json         JSON output (incidents, show, suppress, the actions)\n"
    "Times are Asia/Tokyo. Exit: 0 ok, 1 refused (not found, wrong state), 2 usage or config.\n"
    "See docs/mimamorictl.md.\n";

}  // namespace

int RunCtl(const std::vector<std::string>& args) {
  std::string error;
  auto options = ParseGlobalOptions(args, error);
  if (!options) {
    std::cerr << "mimamorictl: " << error << "\n" << kUsage;
    return kExitUsage;
  }
  if (options->version) {
    std::cout << "mimamorictl " << MIMAMORI_VERSION << "\n";
    return kExitOk;
  }
  if (options->help || (!options->rest.empty() && options->rest[0] == "help")) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (options->rest.empty()) {
    std::cerr << "mimamorictl: missing COMMAND\n" << kUsage;
    return kExitUsage;
  }
  using Command = int (*)(Session&, const Words&);
  static const std::map<std::string, Command> kCommands = {
      {"incidents", &IncidentsCommand},
      {"show", &ShowCommand},
      {"ack", &AckCommand},
      {"note", &NoteCommand},
      {"priority", &PriorityCommand},
      {"close", &CloseCommand},
      {"work", &WorkCommand},
      {"cause", &CauseCommand},
      {"open", &OpenCommand},
      {"suppress", &SuppressCommand},
      {"report", &ReportCommand},
      {"timetable", &TimetableCommand},
      {"check-config", &CheckConfigCommand},
      {"status", &StatusCommand},
  };
  const std::string name = options->rest[0];
  const auto command = kCommands.find(name);
  if (command == kCommands.end()) {
    std::cerr << "mimamorictl: unknown command '" << name << "'\n" << kUsage;
    return kExitUsage;
  }
  const Words words(options->rest.begin() + 1, options->rest.end());
  Session session(std::move(*options));
  return command->second(session, words);
}

}  // namespace mimamori::collector::ctl
