// check-config, timetable and report monthly: commands that read the
// configuration (and, for the report, the ledger) without changing anything.
#include <filesystem>
#include <iostream>

#include "collector/alerting/monthly_report.h"
#include "collector/ctl/commands.h"
#include "collector/inventory/inventory_loader.h"
#include "collector/monitors/registry.h"

namespace mimamori::collector::ctl {
namespace {

constexpr const char* kCheckConfigUsage = "mimamorictl [--config PATH] check-config";
constexpr const char* kTimetableUsage =
    "mimamorictl timetable --level A|B|C|C-dev --priority high|low --scope vm|platform "
    "--at \"YYYY-MM-DD HH:MM\" [--hours N]";
constexpr const char* kReportUsage = "mimamorictl report monthly YYYY-MM [--csv]";

int UsageError(const char* usage, const std::string& why) {
  return Fail(kExitUsage, why + "\nusage: " + usage);
}

}  // namespace

int CheckConfigCommand(Session& session, const Words& words) {
  std::string error;
  auto args = ParseCommandArgs(words, {}, error);
  if (!args) return UsageError(kCheckConfigUsage, error);
  if (!args->positional.empty()) {
    return UsageError(kCheckConfigUsage, "unexpected argument '" + args->positional[0] + "'");
  }
  const std::string& path = session.options().config;
  // Every problem of the inventory, then of the templates it names: an
  // operator fixes both in one round.
  std::vector<ConfigError> errors;
  auto inventory = LoadInventory(path, errors);
  for (const ConfigError& e : errors) std::cerr << e.ToString() << "\n";
  if (!inventory) {
    std::cerr << path << ": " << errors.size() << " error(s)\n";
    return kExitUsage;
  }
  auto shared = std::make_shared<const Inventory>(std::move(*inventory));
  std::vector<std::string> template_errors;
  auto context = AlertingContext::Make(shared, Session::HostName(), template_errors);
  for (const auto& e : template_errors) std::cerr << e << "\n";
  if (!context) {
    std::cerr << shared->alerting.templates << ": " << template_errors.size() << " error(s)\n";
    return kExitUsage;
  }
  const std::string ledger =
      session.options().ledger.empty() ? shared->alerting.ledger : session.options().ledger;
  std::error_code ec;
  std::cout << path << ": OK: " << shared->systems.size() << " systems, " << shared->nodes.size()
            << " nodes, " << shared->alerting.suppressions.size() << " configured suppressions\n"
            << "checks: " << shared->DescribeChecks(session.now(), ScheduledChecks(*shared)) << "\n"
            << shared->alerting.templates << ": OK: " << kAllMailKinds.size() << " templates\n"
            << "ledger: " << ledger
            << (std::filesystem::exists(ledger, ec) ? "" : " (not created yet)") << "\n";
  return kExitOk;
}

int TimetableCommand(Session& session, const Words& words) {
  std::string error;
  auto args =
      ParseCommandArgs(words, {{"--level", "--priority", "--scope", "--at", "--hours"}, {}}, error);
  if (!args) return UsageError(kTimetableUsage, error);
  if (!args->positional.empty()) {
    return UsageError(kTimetableUsage, "unexpected argument '" + args->positional[0] + "'");
  }
  const std::string scope_text = args->Value("--scope").value_or("vm");
  IncidentScope scope;
  if (scope_text == "vm") {
    scope = IncidentScope::kVm;
  } else if (scope_text == "platform") {
    scope = IncidentScope::kPlatform;
  } else {
    return UsageError(kTimetableUsage, "--scope '" + scope_text + "' is neither vm nor platform");
  }
  // The platform table has no level column; --level is needed only for vm.
  ServiceLevel level = ServiceLevel::kA;
  const auto level_text = args->Value("--level");
  if (!level_text && scope == IncidentScope::kVm) {
    return UsageError(kTimetableUsage, "missing --level (A, B, C or C-dev)");
  }
  if (level_text) {
    bool known = false;
    for (ServiceLevel l :
         {ServiceLevel::kA, ServiceLevel::kB, ServiceLevel::kC, ServiceLevel::kCDev}) {
      if (*level_text == ServiceLevelName(l)) {
        level = l;
        known = true;
      }
    }
    if (!known) {
      return UsageError(kTimetableUsage, "--level '" + *level_text + "' is not A, B, C or C-dev");
    }
  }
  const auto priority_text = args->Value("--priority");
  if (!priority_text) return UsageError(kTimetableUsage, "missing --priority (high or low)");
  Priority priority;
  if (*priority_text == "high") {
    priority = Priority::kHigh;
  } else if (*priority_text == "low") {
    priority = Priority::kLow;
  } else {
    return UsageError(kTimetableUsage,
                      "--priority '" + *priority_text + "' is neither high nor low");
  }
  // Without --at: as if detected now (to the minute, as the output shows it).
  TimePoint at = std::chrono::floor<std::chrono::minutes>(session.now());
  if (auto at_text = args->Value("--at")) {
    auto parsed = ParseTokyoTime(*at_text);
    if (!parsed) {
      return UsageError(kTimetableUsage, "--at '" + *at_text + "' " + TokyoTimeProblem(*at_text));
    }
    at = *parsed;
  }
  int hours = 3;
  if (auto hours_text = args->Value("--hours")) {
    try {
      std::size_t used = 0;
      hours = std::stoi(*hours_text, &used);
      if (used != hours_text->size() || hours < 0 || hours > 24 * 14) throw std::out_of_range("");
    } catch (const std::exception&) {
      return UsageError(kTimetableUsage, "--hours '" + *hours_text + "' is not 0 to 336");
    }
  }

  // The configured calendar decides "business hours" (extra closed and open
  // days); without a config file the spec's rules alone are used, and the
  // output says which, since the answer can differ.
  std::error_code ec;
  std::string calendar_source;
  if (session.options().config_given || std::filesystem::exists(session.options().config, ec)) {
    if (auto failed = session.LoadInventory()) return *failed;
    calendar_source = "calendar of " + session.options().config;
  } else {
    calendar_source = "built-in calendar (" + session.options().config +
                      " not found): weekends, 12/29-1/3 and national holidays closed, "
                      "09:00-17:45";
  }
  std::cout << DescribeTimetable(scope, level, priority, at, session.calendar(),
                                 std::chrono::hours{hours})
            << "暦 / calendar: " << calendar_source << "\n";
  return kExitOk;
}

int ReportCommand(Session& session, const Words& words) {
  std::string error;
  auto args = ParseCommandArgs(words, {{}, {"--csv"}}, error);
  if (!args) return UsageError(kReportUsage, error);
  if (args->positional.empty() || args->positional[0] != "monthly") {
    return UsageError(kReportUsage, "the only report is: report monthly YYYY-MM");
  }
  if (args->positional.size() != 2) {
    return UsageError(kReportUsage, args->positional.size() < 2
                                        ? "missing the month (YYYY-MM)"
                                        : "unexpected argument '" + args->positional[2] + "'");
  }
  // Strict YYYY-MM: the first day of it must be a date.
  const std::string& month_text = args->positional[1];
  auto first_day = month_text.size() == 7 ? ParseIsoDate(month_text + "-01") : std::nullopt;
  if (!first_day) return UsageError(kReportUsage, "month '" + month_text + "' is not YYYY-MM");
  if (!IsSupportedDay(*first_day)) {
    return UsageError(kReportUsage, "month '" + month_text + "' is outside the supported times (" +
                                        SupportedTimeRange() + ")");
  }
  if (auto failed = session.LoadInventory()) return *failed;
  if (auto failed = session.OpenLedger(true)) return *failed;
  auto report = BuildMonthlyReport(session.ledger(), *session.inventory(), int(first_day->year()),
                                   int(unsigned(first_day->month())), session.now());
  if (!report) return FailLedger("monthly report " + month_text, report.error());
  std::cout << (args->Has("--csv") ? MonthlyReportCsv(*report) : MonthlyReportText(*report));
  return kExitOk;
}

}  // namespace mimamori::collector::ctl
