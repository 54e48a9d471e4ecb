// incidents, show, ack, note, priority, close, work: reading the ledger and
// the operator's actions on one incident. The actions themselves live in
// collector/alerting/incident_actions.h (one transaction each, reports
// queued with the change); this file checks the words, refuses what cannot
// apply with a reason, and shows what the action queued.
#include <charconv>
#include <iostream>

#include "collector/alerting/recovery_target.h"
#include "collector/ctl/commands.h"
#include "collector/ctl/format.h"

namespace mimamori::collector::ctl {
namespace {

constexpr const char* kIncidentsUsage =
    "mimamorictl incidents [--all] [--since YYYY-MM-DD] [--limit N]";
constexpr const char* kShowUsage = "mimamorictl show ID";
constexpr const char* kAckUsage = "mimamorictl ack ID [TEXT]";
constexpr const char* kNoteUsage = "mimamorictl note ID TEXT [--impact T] [--eta T] [--cause T]";
constexpr const char* kPriorityUsage = "mimamorictl priority ID high|low [--reason T]";
constexpr const char* kCloseUsage = "mimamorictl close ID [--provisional] [TEXT]";
constexpr const char* kCauseUsage = "mimamorictl cause ID platform|system|unknown [--reason T]";
constexpr const char* kOpenUsage =
    "mimamorictl open --class trouble|request|question --title T [--node NODE] "
    "[--priority high|low] [--cause platform|system|unknown] [--detected \"YYYY-MM-DD HH:MM\"] "
    "[TEXT]";
constexpr const char* kWorkUsage =
    "mimamorictl work start|done ID --content C --impact I [--worker W] "
    "[--at \"YYYY-MM-DD HH:MM\"]";

int UsageError(const char* usage, const std::string& why) {
  return Fail(kExitUsage, why + "\nusage: " + usage);
}

/// Parses the words against `spec`; an exit code when they are wrong.
std::optional<int> Parse(const Words& words, const OptionSpec& spec, const char* usage,
                         CommandArgs& out) {
  std::string error;
  auto parsed = ParseCommandArgs(words, spec, error);
  if (!parsed) return UsageError(usage, error);
  out = std::move(*parsed);
  return std::nullopt;
}

std::optional<std::int64_t> ParsePositive(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

/// The incident id in positional[0]; an exit code when absent or malformed.
std::optional<int> TakeId(const CommandArgs& args, const char* usage, IncidentId& id) {
  if (args.positional.empty()) return UsageError(usage, "missing incident ID");
  auto parsed = ParsePositive(args.positional[0]);
  if (!parsed) {
    return UsageError(usage, "incident ID '" + args.positional[0] + "' is not a positive number");
  }
  id = *parsed;
  return std::nullopt;
}

std::string JoinFrom(const std::vector<std::string>& words, std::size_t from) {
  std::string text;
  for (std::size_t i = from; i < words.size(); ++i) {
    if (!text.empty()) text += ' ';
    text += words[i];
  }
  return text;
}

std::string Label(IncidentId id) { return "incident " + std::to_string(id); }

/// Reads the incident; refuses a missing one, and a closed one when the
/// action needs it open (the ledger would refuse it too, in its own words).
std::optional<int> GetIncident(Session& session, IncidentId id, bool require_open, Incident& out) {
  auto incident = session.ledger().GetIncident(id);
  if (!incident) {
    if (incident.error().kind == LedgerErrorKind::kNotFound) {
      return Fail(kExitRefused, Label(id) + ": not found");
    }
    return FailLedger(Label(id), incident.error());
  }
  if (require_open && incident->status == IncidentStatus::kClosed) {
    return Fail(kExitRefused, Label(id) + ": already closed (at " +
                                  TimeOrDash(incident->closed_at) + " by " + incident->closed_by +
                                  ")");
  }
  out = *incident;
  return std::nullopt;
}

/// The highest report id of an incident, so the reports an action queues
/// can be shown afterwards.
ReportId LastReportId(Session& session, IncidentId id) {
  ReportId last = 0;
  if (auto timeline = session.ledger().Timeline(id)) {
    for (const Report& r : timeline->reports) last = std::max(last, r.id);
  }
  return last;
}

std::vector<Report> ReportsAfter(Session& session, IncidentId id, ReportId after) {
  std::vector<Report> out;
  if (auto timeline = session.ledger().Timeline(id)) {
    for (const Report& r : timeline->reports) {
      if (r.id > after) out.push_back(r);
    }
  }
  return out;
}

std::string KindLabel(ReportKind kind) {
  switch (kind) {
    case ReportKind::kFirst:
      return "第一報 / first report";
    case ReportKind::kContinuing:
      return "継続報 / continuing report";
    case ReportKind::kFinal:
      return "最終報 / final report";
    case ReportKind::kWorkStart:
      return "復旧作業開始連絡 / work start notice";
    case ReportKind::kWorkDone:
      return "復旧作業完了連絡 / work done notice";
    case ReportKind::kSuppressionStart:
      return "監視一時抑止開始連絡 / suppression start";
    case ReportKind::kMonitoringResumed:
      return "監視再開連絡 / monitoring resumed";
  }
  return "?";
}

std::string Recipients(const std::vector<std::string>& recipients) {
  std::string text;
  for (const auto& r : recipients) text += (text.empty() ? "" : ", ") + r;
  return text.empty() ? "(nobody)" : text;
}

void ReportJson(Json& json, const Report& r, bool with_body) {
  json.BeginObject()
      .Key("id")
      .Number(r.id)
      .Key("number")
      .Number(r.report_number)
      .Key("kind")
      .String(ToString(r.kind))
      .Key("channel")
      .String(ToString(r.channel))
      .Key("recipients")
      .Strings(r.recipients)
      .Key("subject")
      .String(r.subject);
  if (with_body) json.Key("body").String(r.body);
  json.Key("message_id")
      .String(r.message_id)
      .Key("due_at")
      .Time(r.due_at)
      .Key("created_at")
      .Time(r.created_at)
      .Key("status")
      .String(ToString(r.status))
      .Key("attempts")
      .Number(r.attempts)
      .Key("next_attempt_at")
      .Time(r.next_attempt_at)
      .Key("sent_at")
      .Time(r.sent_at);
  json.Key("on_time");
  if (r.on_time) {
    json.Bool(*r.on_time);
  } else {
    json.Null();
  }
  json.Key("last_error").String(r.last_error).Key("server_reply").String(r.server_reply);
  json.EndObject();
}

/// Prints what an action did: one line of text, then the reports it queued;
/// or, with --json, one object.
void PrintOutcome(Session& session, IncidentId id, const std::string& action,
                  const std::string& text, const std::vector<Report>& queued) {
  if (session.json()) {
    Json json;
    json.BeginObject().Key("incident").Number(id).Key("action").String(action);
    json.Key("queued_reports").BeginArray();
    for (const Report& r : queued) ReportJson(json, r, false);
    json.EndArray().EndObject();
    std::cout << json.str() << "\n";
    return;
  }
  std::cout << text << "\n";
  for (const Report& r : queued) {
    std::cout << "  queued: 第" << r.report_number << "報 " << KindLabel(r.kind) << " by "
              << ToString(r.channel) << " to " << Recipients(r.recipients) << " (report " << r.id
              << ", due " << FormatTokyoTime(r.due_at) << ")\n";
  }
}

std::string Level(const Incident& incident) {
  return incident.service_level.empty() ? "-" : incident.service_level;
}

const RecoveryTargets& TargetsOf(const Session& session) {
  static const RecoveryTargets kDefaults;
  return session.inventory() ? session.inventory()->alerting.recovery_targets : kDefaults;
}

/// "due 2025-04-01 10:00 (PAST)", "met (due ...)", "-" for none.
std::string DescribeTarget(const RecoveryTargetStatus& target) {
  if (target.state == RecoveryTargetState::kNone) return "-";
  const std::string due = "due " + FormatTokyoTime(*target.due);
  switch (target.state) {
    case RecoveryTargetState::kPending:
      return due;
    case RecoveryTargetState::kPast:
      return due + " (PAST: 復旧完了目標超過)";
    case RecoveryTargetState::kMet:
      return "met (" + due + ")";
    case RecoveryTargetState::kMissed:
      return "missed (" + due + ")";
    case RecoveryTargetState::kNone:
      break;
  }
  return "-";
}

/// "open", "provisional" (仮クローズ, waiting for the manager) or "closed".
std::string StatusLabel(const Incident& incident) {
  if (incident.status == IncidentStatus::kOpen && incident.provisional_closed_at) {
    return "provisional";
  }
  return std::string(ToString(incident.status));
}

std::string ContinuingName(const ReportPlan& plan) {
  switch (plan.continuing.kind) {
    case ContinuingKind::kNone:
      return "none";
    case ContinuingKind::kHourly:
      return "hourly";
    case ContinuingKind::kOnProgress:
      return "on-progress";
  }
  return "?";
}

void IncidentJson(Json& json, const Incident& i, const IncidentSla& sla,
                  const RecoveryTargetStatus& target, TimePoint now) {
  json.BeginObject()
      .Key("id")
      .Number(i.id)
      .Key("class")
      .String(i.incident_class)
      .Key("scope")
      .String(ToString(i.scope))
      .Key("service_level")
      .String(i.service_level)
      .Key("priority")
      .String(ToString(i.priority))
      .Key("status")
      .String(ToString(i.status))
      .Key("title")
      .String(i.title)
      .Key("detected_at")
      .Time(i.detected_at)
      .Key("detected_in_business_hours")
      .Bool(sla.plan.detected_in_business_hours)
      .Key("opened_at")
      .Time(i.opened_at)
      .Key("acknowledged_at")
      .Time(i.acknowledged_at)
      .Key("acknowledged_by")
      .String(i.acknowledged_by)
      .Key("closed_at")
      .Time(i.closed_at)
      .Key("closed_by")
      .String(i.closed_by)
      .Key("cause")
      .String(ToString(i.cause))
      .Key("opened_by")
      .String(i.opened_by)
      .Key("provisional_closed_at")
      .Time(i.provisional_closed_at)
      .Key("provisional_closed_by")
      .String(i.provisional_closed_by);
  json.Key("recovery_target")
      .BeginObject()
      .Key("due_at")
      .Time(target.due)
      .Key("state")
      .String(ToString(target.state))
      .EndObject();
  json.Key("first_report")
      .BeginObject()
      .Key("due_at")
      .Time(sla.first_due)
      .Key("channels")
      .String(sla.plan.first ? ChannelsName(sla.plan.first->channels) : "none")
      .Key("state")
      .String(sla.first_state)
      .Key("sent_at")
      .Time(sla.first_sent)
      .Key("late")
      .Bool(sla.first_late)
      .EndObject();
  json.Key("continuing_reports")
      .BeginObject()
      .Key("kind")
      .String(ContinuingName(sla.plan))
      .Key("channels")
      .String(ChannelsName(sla.plan.continuing.channels))
      .Key("next_due_at")
      .Time(sla.next_continuing)
      .Key("next_queued")
      .Bool(sla.next_continuing_queued)
      .Key("next_overdue")
      .Bool(sla.next_continuing && now > *sla.next_continuing)
      .EndObject();
  json.EndObject();
}

/// A table whose rows each have indented detail lines under them.
std::string RenderWithDetails(const Table& table,
                              const std::vector<std::vector<std::string>>& details,
                              std::string_view indent, std::string_view detail_indent) {
  const std::string rendered = table.Render(indent);
  std::string out;
  std::size_t start = 0;
  for (std::size_t row = 0; start < rendered.size(); ++row) {
    const std::size_t end = rendered.find('\n', start);
    out += rendered.substr(start, end - start + 1);
    start = end + 1;
    // Row 0 is the header.
    if (row >= 1 && row - 1 < details.size()) {
      for (const auto& line : details[row - 1]) out += std::string(detail_indent) + line + "\n";
    }
  }
  return out;
}

}  // namespace

int IncidentsCommand(Session& session, const Words& words) {
  CommandArgs args;
  if (auto failed = Parse(words, {{"--since", "--limit"}, {"--all"}}, kIncidentsUsage, args)) {
    return *failed;
  }
  if (!args.positional.empty()) {
    return UsageError(kIncidentsUsage, "unexpected argument '" + args.positional[0] + "'");
  }
  int limit = 200;
  if (auto text = args.Value("--limit")) {
    auto parsed = ParsePositive(*text);
    if (!parsed || *parsed > 100000) {
      return UsageError(kIncidentsUsage,
                        "--limit '" + *text + "' is not a number from 1 to 100000");
    }
    limit = static_cast<int>(*parsed);
  }
  std::optional<TimePoint> since;
  if (auto text = args.Value("--since")) {
    auto day = ParseIsoDate(*text);
    if (!day) return UsageError(kIncidentsUsage, "--since '" + *text + "' is not YYYY-MM-DD");
    if (!IsSupportedDay(*day)) {
      return UsageError(
          kIncidentsUsage,
          "--since '" + *text + "' is outside the supported times (" + SupportedTimeRange() + ")");
    }
    since = BusinessCalendar::FromTokyo(std::chrono::local_days{*day});
  } else if (args.Has("--all")) {
    since = TimePoint{};
  }
  if (auto failed = session.LoadInventory(false)) return *failed;
  if (auto failed = session.OpenLedger(true)) return *failed;

  auto incidents =
      since ? session.ledger().RecentIncidents(*since, limit) : session.ledger().OpenIncidents();
  if (!incidents) return FailLedger("list incidents", incidents.error());

  struct Row {
    Incident incident;
    IncidentSla sla;
    RecoveryTargetStatus target;
  };
  std::vector<Row> rows;
  for (const Incident& incident : *incidents) {
    auto timeline = session.ledger().Timeline(incident.id);
    if (!timeline) return FailLedger(Label(incident.id), timeline.error());
    rows.push_back(
        {incident, ComputeSla(*timeline, session.calendar(), session.now()),
         RecoveryTargetOf(incident, TargetsOf(session), session.calendar(), session.now())});
  }

  if (session.json()) {
    Json json;
    json.BeginArray();
    for (const Row& r : rows) IncidentJson(json, r.incident, r.sla, r.target, session.now());
    json.EndArray();
    std::cout << json.str() << "\n";
    return kExitOk;
  }
  if (rows.empty()) {
    std::cout << (since ? "no incidents detected since " + FormatTokyoTime(*since)
                        : std::string("no open incidents"))
              << "\n";
    return kExitOk;
  }
  Table table({"ID", "CLASS", "SCOPE", "LEVEL", "PRIORITY", "STATUS", "CAUSE", "DETECTED", "ACK BY",
               "TARGET", "TITLE"});
  std::vector<std::vector<std::string>> details;
  for (const Row& r : rows) {
    const Incident& incident = r.incident;
    std::string target = "-";
    if (r.target.state == RecoveryTargetState::kPast) {
      target = "PAST";
    } else if (r.target.state != RecoveryTargetState::kNone) {
      target = std::string(ToString(r.target.state));
    }
    table.Add({std::to_string(incident.id), incident.incident_class,
               std::string(ToString(incident.scope)), Level(incident),
               std::string(ToString(incident.priority)), StatusLabel(incident),
               std::string(ToString(incident.cause)), FormatTokyoTime(incident.detected_at),
               incident.acknowledged_by.empty() ? "-" : incident.acknowledged_by, target,
               incident.title});
    std::vector<std::string> lines;
    if (incident.incident_class == "trouble") {
      lines.push_back("first report: " + DescribeFirstReport(r.sla));
      if (incident.status == IncidentStatus::kOpen) {
        lines.push_back("next continuing report: " +
                        DescribeNextContinuing(r.sla, incident, session.now()));
      }
      lines.push_back("recovery target: " + DescribeTarget(r.target));
    }
    details.push_back(std::move(lines));
  }
  std::cout << RenderWithDetails(table, details, "", "    ");
  return kExitOk;
}

int ShowCommand(Session& session, const Words& words) {
  CommandArgs args;
  if (auto failed = Parse(words, {}, kShowUsage, args)) return *failed;
  IncidentId id = 0;
  if (auto failed = TakeId(args, kShowUsage, id)) return *failed;
  if (args.positional.size() > 1) {
    return UsageError(kShowUsage, "unexpected argument '" + args.positional[1] + "'");
  }
  if (auto failed = session.LoadInventory(false)) return *failed;
  if (auto failed = session.OpenLedger(true)) return *failed;
  auto timeline = session.ledger().Timeline(id);
  if (!timeline) {
    if (timeline.error().kind == LedgerErrorKind::kNotFound) {
      return Fail(kExitRefused, Label(id) + ": not found");
    }
    return FailLedger(Label(id), timeline.error());
  }
  const Incident& incident = timeline->incident;
  const TimePoint now = session.now();
  const IncidentSla sla = ComputeSla(*timeline, session.calendar(), now);
  const RecoveryTargetStatus target =
      RecoveryTargetOf(incident, TargetsOf(session), session.calendar(), now);

  if (session.json()) {
    Json json;
    json.BeginObject().Key("incident");
    IncidentJson(json, incident, sla, target, now);
    json.Key("monitors").BeginArray();
    for (const auto& m : timeline->monitors) {
      json.BeginObject()
          .Key("node")
          .String(m.node)
          .Key("monitor")
          .String(m.monitor)
          .Key("system")
          .String(m.system)
          .Key("attached_at")
          .Time(m.attached_at)
          .EndObject();
    }
    json.EndArray().Key("affected_vms").BeginArray();
    for (const auto& vm : timeline->affected_vms) {
      json.BeginObject()
          .Key("vm")
          .String(vm.vm)
          .Key("system")
          .String(vm.system)
          .Key("host")
          .String(vm.host)
          .Key("added_at")
          .Time(vm.added_at)
          .EndObject();
    }
    json.EndArray().Key("events").BeginArray();
    for (const auto& e : timeline->events) {
      json.BeginObject()
          .Key("id")
          .Number(e.id)
          .Key("at")
          .Time(e.at)
          .Key("kind")
          .String(ToString(e.kind))
          .Key("actor")
          .String(e.actor)
          .Key("node")
          .String(e.node)
          .Key("monitor")
          .String(e.monitor)
          .Key("text")
          .String(e.text)
          .EndObject();
    }
    json.EndArray().Key("reports").BeginArray();
    for (const auto& r : timeline->reports) ReportJson(json, r, true);
    json.EndArray().EndObject();
    std::cout << json.str() << "\n";
    return kExitOk;
  }

  std::string out = Label(id) + ": " + incident.title + "\n";
  Table facts({"class:", incident.incident_class});
  facts.Add({"scope:", std::string(IncidentScopeName(incident.scope))});
  facts.Add({"service level:", Level(incident)});
  facts.Add({"priority:", std::string(ToString(incident.priority))});
  facts.Add({"status:", std::string(ToString(incident.status))});
  facts.Add({"detected:", FormatTokyoTime(incident.detected_at) +
                              (sla.plan.detected_in_business_hours ? " (in business hours)"
                                                                   : " (outside business hours)")});
  facts.Add({"opened:", FormatTokyoTime(incident.opened_at)});
  facts.Add({"acknowledged:",
             incident.acknowledged_at
                 ? FormatTokyoTime(*incident.acknowledged_at) + " by " + incident.acknowledged_by
                 : "-"});
  facts.Add({"provisional close:", incident.provisional_closed_at
                                       ? FormatTokyoTime(*incident.provisional_closed_at) + " by " +
                                             incident.provisional_closed_by
                                       : "-"});
  facts.Add({"closed:", incident.closed_at
                            ? FormatTokyoTime(*incident.closed_at) + " by " + incident.closed_by
                            : "-"});
  facts.Add({"cause:", std::string(ToString(incident.cause))});
  facts.Add({"opened by:", incident.opened_by});
  facts.Add({"recovery target:", DescribeTarget(target)});
  facts.Add({"first report:", DescribeFirstReport(sla)});
  std::string continuing = ContinuingName(sla.plan);
  if (sla.plan.continuing.kind != ContinuingKind::kNone) {
    continuing += " (" + std::string(ChannelsName(sla.plan.continuing.channels)) + ")";
  }
  if (incident.status == IncidentStatus::kOpen &&
      sla.plan.continuing.kind == ContinuingKind::kHourly) {
    continuing += ", next " + DescribeNextContinuing(sla, incident, now);
  }
  facts.Add({"continuing reports:", continuing});
  facts.Add({"final report:", std::string(ChannelsName(sla.plan.final_report)) + ", on recovery"});
  out += facts.Render("  ");

  out += "\nmonitors:\n";
  if (timeline->monitors.empty()) {
    out += "  (none)\n";
  } else {
    Table monitors({"NODE", "MONITOR", "SYSTEM", "ATTACHED"});
    for (const auto& m : timeline->monitors) {
      monitors.Add(
          {m.node, m.monitor, m.system.empty() ? "-" : m.system, FormatTokyoTime(m.attached_at)});
    }
    out += monitors.Render("  ");
  }

  out += "\naffected VMs:\n";
  if (timeline->affected_vms.empty()) {
    out += "  (none)\n";
  } else {
    Table vms({"VM", "SYSTEM", "HOST", "ADDED"});
    for (const auto& vm : timeline->affected_vms) {
      vms.Add({vm.vm, vm.system.empty() ? "-" : vm.system, vm.host.empty() ? "-" : vm.host,
               FormatTokyoTime(vm.added_at)});
    }
    out += vms.Render("  ");
  }

  out += "\ntimeline:\n";
  Table events({"TIME", "EVENT", "BY", "TEXT"});
  std::vector<std::vector<std::string>> event_details;
  for (const auto& e : timeline->events) {
    std::string text = e.text;
    if (!e.node.empty()) text = e.node + " " + e.monitor + (text.empty() ? "" : ": " + text);
    // Multi-line notes: the first line in the table, the rest below it.
    std::vector<std::string> more;
    if (const auto nl = text.find('\n'); nl != std::string::npos) {
      std::string rest = text.substr(nl + 1);
      text.resize(nl);
      std::size_t start = 0;
      while (start <= rest.size()) {
        const auto end = std::min(rest.find('\n', start), rest.size());
        more.push_back(rest.substr(start, end - start));
        start = end + 1;
      }
    }
    events.Add({FormatTokyoTime(e.at), std::string(ToString(e.kind)), e.actor, text});
    event_details.push_back(std::move(more));
  }
  out += RenderWithDetails(events, event_details, "  ", "      ");

  out += "\nreports:\n";
  if (timeline->reports.empty()) {
    out += "  (none)\n";
  } else {
    Table reports(
        {"NO", "KIND", "CHANNEL", "STATUS", "ATTEMPTS", "DUE", "SENT", "TIMELINESS", "REPORT"});
    std::vector<std::vector<std::string>> report_details;
    for (const auto& r : timeline->reports) {
      const std::string timeliness = Timeliness(r, now);
      reports.Add({"第" + std::to_string(r.report_number) + "報", std::string(ToString(r.kind)),
                   std::string(ToString(r.channel)), std::string(ToString(r.status)),
                   std::to_string(r.attempts), FormatTokyoTime(r.due_at), TimeOrDash(r.sent_at),
                   timeliness.empty() ? "-" : timeliness, std::to_string(r.id)});
      std::vector<std::string> lines{"to: " + Recipients(r.recipients), "subject: " + r.subject};
      if (r.status == ReportStatus::kPending && r.attempts > 0) {
        lines.push_back("next attempt: " + FormatTokyoTime(r.next_attempt_at));
      }
      if (!r.last_error.empty()) lines.push_back("last error: " + r.last_error);
      if (!r.server_reply.empty()) lines.push_back("server reply: " + r.server_reply);
      report_details.push_back(std::move(lines));
    }
    out += RenderWithDetails(reports, report_details, "  ", "      ");
  }
  std::cout << out;
  return kExitOk;
}

int AckCommand(Session& session, const Words& words) {
  CommandArgs args;
  if (auto failed = Parse(words, {}, kAckUsage, args)) return *failed;
  IncidentId id = 0;
  if (auto failed = TakeId(args, kAckUsage, id)) return *failed;
  const std::string text = JoinFrom(args.positional, 1);
  if (session.actor().empty()) return UsageError(kAckUsage, "no operator name: give --as NAME");
  if (auto failed = session.LoadInventory(false)) return *failed;
  if (auto failed = session.OpenLedger(false)) return *failed;
  Incident incident;
  if (auto failed = GetIncident(session, id, true, incident)) return *failed;
  if (auto error =
          AcknowledgeIncident(session.ledger(), id, session.actor(), text, session.now())) {
    return FailLedger("acknowledge " + Label(id), *error);
  }
  std::string line = Label(id) + ": acknowledged by " + session.actor();
  if (!incident.acknowledged_by.empty()) {
    line += " (first acknowledged by " + incident.acknowledged_by + " at " +
            TimeOrDash(incident.acknowledged_at) + ")";
  }
  PrintOutcome(session, id, "ack", line, {});
  return kExitOk;
}

int NoteCommand(Session& session, const Words& words) {
  CommandArgs args;
  if (auto failed = Parse(words, {{"--impact", "--eta", "--cause"}, {}}, kNoteUsage, args)) {
    return *failed;
  }
  IncidentId id = 0;
  if (auto failed = TakeId(args, kNoteUsage, id)) return *failed;
  const std::string text = JoinFrom(args.positional, 1);
  if (text.empty()) return UsageError(kNoteUsage, "missing TEXT (what was done or found)");
  if (session.actor().empty()) return UsageError(kNoteUsage, "no operator name: give --as NAME");
  if (auto failed = session.MakeContext()) return *failed;
  if (auto failed = session.OpenLedger(false)) return *failed;
  Incident incident;
  if (auto failed = GetIncident(session, id, true, incident)) return *failed;

  const ProgressFacts facts{args.Value("--impact").value_or(""), args.Value("--eta").value_or(""),
                            args.Value("--cause").value_or("")};
  const ReportId before = LastReportId(session, id);
  auto queued_id = AddProgressNote(session.ledger(), session.context(), id, session.actor(), text,
                                   facts, session.now());
  if (!queued_id) return FailLedger("progress note on " + Label(id), queued_id.error());

  std::string line = Label(id) + ": progress note recorded";
  if (queued_id->has_value()) {
    line += "; continuing report queued";
  } else {
    const ReportPlan plan = PlanFor(incident, session.calendar());
    switch (plan.continuing.kind) {
      case ContinuingKind::kHourly:
        line += "; no continuing report queued (they go out hourly; the note goes into the next)";
        break;
      case ContinuingKind::kNone:
        line += "; no continuing report queued (final report only; the note goes into it)";
        break;
      case ContinuingKind::kOnProgress:
        line += "; no continuing report queued";
        break;
    }
  }
  PrintOutcome(session, id, "note", line, ReportsAfter(session, id, before));
  return kExitOk;
}

int PriorityCommand(Session& session, const Words& words) {
  CommandArgs args;
  if (auto failed = Parse(words, {{"--reason"}, {}}, kPriorityUsage, args)) return *failed;
  IncidentId id = 0;
  if (auto failed = TakeId(args, kPriorityUsage, id)) return *failed;
  if (args.positional.size() != 2) {
    return UsageError(kPriorityUsage, args.positional.size() < 2
                                          ? "missing the new priority (high or low)"
                                          : "unexpected argument '" + args.positional[2] + "'");
  }
  Priority priority;
  if (args.positional[1] == "high") {
    priority = Priority::kHigh;
  } else if (args.positional[1] == "low") {
    priority = Priority::kLow;
  } else {
    return UsageError(kPriorityUsage,
                      "priority '" + args.positional[1] + "' is neither high nor low");
  }
  if (session.actor().empty()) {
    return UsageError(kPriorityUsage, "no operator name: give --as NAME");
  }
  if (auto failed = session.MakeContext()) return *failed;
  if (auto failed = session.OpenLedger(false)) return *failed;
  Incident incident;
  if (auto failed = GetIncident(session, id, true, incident)) return *failed;
  if (incident.priority == priority) {
    return Fail(kExitRefused,
                Label(id) + ": priority is already " + std::string(ToString(priority)));
  }
  const ReportId before = LastReportId(session, id);
  if (auto error =
          ChangeIncidentPriority(session.ledger(), session.context(), id, priority, session.actor(),
                                 args.Value("--reason").value_or(""), session.now())) {
    return FailLedger("change priority of " + Label(id), *error);
  }
  incident.priority = priority;
  const ReportPlan plan = PlanFor(incident, session.calendar());
  std::string line =
      Label(id) + ": priority " + std::string(ToString(incident.priority)) + " (was " +
      std::string(ToString(priority == Priority::kHigh ? Priority::kLow : Priority::kHigh)) +
      "); first report: ";
  if (const auto due = FirstReportDue(plan, incident.detected_at)) {
    line += "due " + FormatTokyoTime(*due) + " (" +
            std::string(ChannelsName(plan.first->channels)) + ")";
  } else {
    line += "none";
  }
  line += "; continuing reports: " + ContinuingName(plan);
  PrintOutcome(session, id, "priority", line, ReportsAfter(session, id, before));
  return kExitOk;
}

int CloseCommand(Session& session, const Words& words) {
  CommandArgs args;
  if (auto failed = Parse(words, {{}, {"--provisional"}}, kCloseUsage, args)) return *failed;
  IncidentId id = 0;
  if (auto failed = TakeId(args, kCloseUsage, id)) return *failed;
  const std::string text = JoinFrom(args.positional, 1);
  if (session.actor().empty()) return UsageError(kCloseUsage, "no operator name: give --as NAME");
  if (auto failed = session.MakeContext()) return *failed;
  if (auto failed = session.OpenLedger(false)) return *failed;
  Incident incident;
  if (auto failed = GetIncident(session, id, true, incident)) return *failed;
  if (args.Has("--provisional")) {
    if (incident.provisional_closed_at) {
      return Fail(kExitRefused, Label(id) + ": already provisionally closed (at " +
                                    FormatTokyoTime(*incident.provisional_closed_at) + " by " +
                                    incident.provisional_closed_by + ")");
    }
    if (auto error = ProvisionallyCloseIncident(session.ledger(), id, session.actor(), text,
                                                session.now())) {
      return FailLedger("provisionally close " + Label(id), *error);
    }
    PrintOutcome(session, id, "provisional-close",
                 Label(id) + ": provisionally closed (仮クローズ) by " + session.actor() +
                     " (recovery at " + FormatTokyoTime(session.now()) +
                     "); the manager closes it with `mimamorictl close " + std::to_string(id) + "`",
                 {});
    return kExitOk;
  }
  const ReportId before = LastReportId(session, id);
  if (auto error = CloseIncidentByOperator(session.ledger(), session.context(), id, session.actor(),
                                           text, session.now())) {
    return FailLedger("close " + Label(id), *error);
  }
  PrintOutcome(session, id, "close",
               Label(id) + ": closed by " + session.actor() + " (recovery at " +
                   FormatTokyoTime(session.now()) + ")",
               ReportsAfter(session, id, before));
  return kExitOk;
}

int WorkCommand(Session& session, const Words& words) {
  CommandArgs args;
  if (auto failed =
          Parse(words, {{"--worker", "--content", "--impact", "--at"}, {}}, kWorkUsage, args)) {
    return *failed;
  }
  if (args.positional.empty() || (args.positional[0] != "start" && args.positional[0] != "done")) {
    return UsageError(kWorkUsage, "say whether the work starts or is done: work start|done ID");
  }
  WorkNotice notice;
  notice.done = args.positional[0] == "done";
  CommandArgs rest = args;
  rest.positional.erase(rest.positional.begin());
  IncidentId id = 0;
  if (auto failed = TakeId(rest, kWorkUsage, id)) return *failed;
  if (rest.positional.size() > 1) {
    return UsageError(kWorkUsage, "unexpected argument '" + rest.positional[1] +
                                      "' (quote texts given to --content and --impact)");
  }
  notice.worker = args.Value("--worker").value_or(session.actor());
  notice.content = args.Value("--content").value_or("");
  notice.impact = args.Value("--impact").value_or("");
  if (notice.worker.empty()) return UsageError(kWorkUsage, "missing --worker (作業担当者)");
  if (notice.content.empty()) return UsageError(kWorkUsage, "missing --content (作業内容)");
  if (notice.impact.empty()) return UsageError(kWorkUsage, "missing --impact (業務影響)");
  if (auto at = args.Value("--at")) {
    notice.work_at = ParseTokyoTime(*at);
    if (!notice.work_at)
      return UsageError(kWorkUsage, "--at '" + *at + "' " + TokyoTimeProblem(*at));
  }
  if (session.actor().empty()) return UsageError(kWorkUsage, "no operator name: give --as NAME");
  if (auto failed = session.MakeContext()) return *failed;
  if (auto failed = session.OpenLedger(false)) return *failed;
  Incident incident;
  // Work may be announced done after the incident was closed (the report of
  // the finished work often follows the recovery); starting needs it open.
  if (auto failed = GetIncident(session, id, !notice.done, incident)) return *failed;
  const ReportId before = LastReportId(session, id);
  auto queued =
      AnnounceWork(session.ledger(), session.context(), id, session.actor(), notice, session.now());
  if (!queued) {
    return FailLedger(
        std::string(notice.done ? "announce work done on " : "announce work on ") + Label(id),
        queued.error());
  }
  PrintOutcome(
      session, id, notice.done ? "work-done" : "work-start",
      Label(id) + ": " + (notice.done ? "復旧作業完了 / work done" : "復旧作業開始 / work starts") +
          " at " + FormatTokyoTime(notice.work_at.value_or(session.now())) + " by " + notice.worker,
      ReportsAfter(session, id, before));
  return kExitOk;
}

int CauseCommand(Session& session, const Words& words) {
  CommandArgs args;
  if (auto failed = Parse(words, {{"--reason"}, {}}, kCauseUsage, args)) return *failed;
  IncidentId id = 0;
  if (auto failed = TakeId(args, kCauseUsage, id)) return *failed;
  if (args.positional.size() != 2) {
    return UsageError(kCauseUsage, args.positional.size() < 2
                                       ? "missing the cause (platform, system or unknown)"
                                       : "unexpected argument '" + args.positional[2] + "'");
  }
  const auto cause = ParseIncidentCause(args.positional[1]);
  if (!cause) {
    return UsageError(kCauseUsage,
                      "cause '" + args.positional[1] + "' is not platform, system or unknown");
  }
  if (session.actor().empty()) return UsageError(kCauseUsage, "no operator name: give --as NAME");
  if (auto failed = session.LoadInventory(false)) return *failed;
  if (auto failed = session.OpenLedger(false)) return *failed;
  Incident incident;
  // Closed incidents too: the cause is often settled after recovery, and
  // the monthly figures follow it.
  if (auto failed = GetIncident(session, id, false, incident)) return *failed;
  if (incident.cause == *cause) {
    return Fail(kExitRefused, Label(id) + ": cause is already " + std::string(ToString(*cause)));
  }
  if (auto error = session.ledger().SetCause(id, *cause, session.now(), session.actor(),
                                             args.Value("--reason").value_or(""))) {
    return FailLedger("set the cause of " + Label(id), *error);
  }
  PrintOutcome(session, id, "cause",
               Label(id) + ": cause " + std::string(ToString(*cause)) + " (was " +
                   std::string(ToString(incident.cause)) + ")" +
                   (*cause == IncidentCause::kSystem
                        ? "; its outage no longer counts against availability"
                        : "; its outage counts against the affected systems' availability"),
               {});
  return kExitOk;
}

int OpenCommand(Session& session, const Words& words) {
  CommandArgs args;
  if (auto failed = Parse(
          words, {{"--class", "--title", "--node", "--priority", "--cause", "--detected"}, {}},
          kOpenUsage, args)) {
    return *failed;
  }
  ManualIncident manual;
  manual.incident_class = args.Value("--class").value_or("");
  if (manual.incident_class.empty()) {
    return UsageError(kOpenUsage, "missing --class (trouble, request or question)");
  }
  if (!IsIncidentClass(manual.incident_class)) {
    return UsageError(kOpenUsage,
                      "class '" + manual.incident_class + "' is not trouble, request or question");
  }
  manual.title = args.Value("--title").value_or("");
  if (manual.title.empty()) return UsageError(kOpenUsage, "missing --title");
  manual.node = args.Value("--node").value_or("");
  manual.text = JoinFrom(args.positional, 0);
  if (auto priority = args.Value("--priority")) {
    if (*priority == "high") {
      manual.priority = Priority::kHigh;
    } else if (*priority != "low") {
      return UsageError(kOpenUsage, "priority '" + *priority + "' is neither high nor low");
    }
  }
  if (auto cause = args.Value("--cause")) {
    const auto parsed = ParseIncidentCause(*cause);
    if (!parsed) {
      return UsageError(kOpenUsage, "cause '" + *cause + "' is not platform, system or unknown");
    }
    manual.cause = *parsed;
  }
  if (auto detected = args.Value("--detected")) {
    manual.detected_at = ParseTokyoTime(*detected);
    if (!manual.detected_at) {
      return UsageError(kOpenUsage,
                        "--detected '" + *detected + "' " + TokyoTimeProblem(*detected));
    }
    if (*manual.detected_at > session.now()) {
      return UsageError(kOpenUsage, "--detected '" + *detected + "' is in the future");
    }
  }
  if (session.actor().empty()) return UsageError(kOpenUsage, "no operator name: give --as NAME");
  manual.actor = session.actor();
  if (auto failed = session.MakeContext()) return *failed;
  if (auto failed = session.OpenLedger(false)) return *failed;
  auto id = OpenIncidentByOperator(session.ledger(), session.context(), manual, session.now());
  if (!id) {
    if (id.error().kind == LedgerErrorKind::kNotFound) {
      return Fail(kExitRefused, id.error().message);
    }
    return FailLedger("open incident", id.error());
  }
  PrintOutcome(session, *id, "open",
               Label(*id) + ": opened (" + manual.incident_class + ") by " + session.actor() +
                   ": " + manual.title,
               ReportsAfter(session, *id, 0));
  return kExitOk;
}

}  // namespace mimamori::collector::ctl
