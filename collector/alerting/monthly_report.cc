#include "collector/alerting/monthly_report.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "collector/alerting/incident_engine.h"
#include "collector/alerting/recovery_target.h"
#include "collector/calendar/business_calendar.h"

namespace mimamori::collector {
namespace {

using std::chrono::milliseconds;

/// [begin, end); empty when end <= begin.
struct Span {
  LedgerTime begin;
  LedgerTime end;
};

milliseconds Length(const Span& s) {
  return s.end > s.begin ? std::chrono::duration_cast<milliseconds>(s.end - s.begin)
                         : milliseconds(0);
}

/// Σ |s ∩ w| over `windows`, which must be disjoint.
milliseconds OverlapWith(const Span& s, const std::vector<Span>& windows) {
  milliseconds total{0};
  for (const Span& w : windows) {
    total += Length({std::max(s.begin, w.begin), std::min(s.end, w.end)});
  }
  return total;
}

/// Merges overlapping spans, so each moment counts once.
std::vector<Span> Union(std::vector<Span> spans) {
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  std::vector<Span> out;
  for (const Span& s : spans) {
    if (s.end <= s.begin) continue;
    if (!out.empty() && s.begin <= out.back().end) {
      out.back().end = std::max(out.back().end, s.end);
    } else {
      out.push_back(s);
    }
  }
  return out;
}

/// The business-hours windows of [from, to), day by day in Tokyo time.
std::vector<Span> BusinessWindows(const CalendarSettings& settings, LedgerTime from,
                                  LedgerTime to) {
  const BusinessCalendar calendar(settings);
  // The calendar does not expose its hours; it falls back to 09:00-17:45 on
  // an invalid pair, and so must we, or T and IsBusinessHours would differ.
  int open = settings.open_minute;
  int close = settings.close_minute;
  if (!(open >= 0 && open < close && close <= 24 * 60)) {
    const CalendarSettings defaults;
    open = defaults.open_minute;
    close = defaults.close_minute;
  }
  std::vector<Span> out;
  const auto first = std::chrono::floor<std::chrono::days>(BusinessCalendar::ToTokyo(from));
  for (auto day = first; BusinessCalendar::FromTokyo(day) < to; day += std::chrono::days(1)) {
    if (!calendar.IsBusinessDay(std::chrono::year_month_day(day))) continue;
    Span w{BusinessCalendar::FromTokyo(day + std::chrono::minutes(open)),
           BusinessCalendar::FromTokyo(day + std::chrono::minutes(close))};
    w.begin = std::max(w.begin, from);
    w.end = std::min(w.end, to);
    if (w.end > w.begin) out.push_back(w);
  }
  return out;
}

constexpr std::array<std::string_view, 5> kLevelNames = {"A", "B", "C", "C-dev", ""};

double Percent(milliseconds part, milliseconds whole) {
  return 100.0 * static_cast<double>(part.count()) / static_cast<double>(whole.count());
}

double OperationPercent(int detections, int late) {
  if (detections == 0) return 100;
  return 100.0 * (detections - late) / detections;
}

/// The resource monitors' breaches recorded in an incident's timeline, each
/// from its failure to its recovery (or the incident's recovery, or the end
/// of the period), clipped to [from, to) and filed by node and monitor.
void CollectBreaches(
    const IncidentTimeline& timeline, LedgerTime from, LedgerTime to,
    std::map<std::pair<std::string, std::string>, std::vector<milliseconds>>& out) {
  std::map<std::pair<std::string, std::string>, LedgerTime> started;
  const LedgerTime end_of_incident = timeline.incident.RecoveredAt().value_or(to);
  const auto finish = [&](const std::pair<std::string, std::string>& key, LedgerTime begin,
                          LedgerTime end) {
    const Span span{std::max(begin, from), std::min(end, to)};
    if (span.end > span.begin || (begin >= from && begin < to)) out[key].push_back(Length(span));
  };
  // The kind the ledger recorded, else (rows before v3) the one the name says.
  std::map<std::pair<std::string, std::string>, std::string> kinds;
  for (const IncidentMonitor& m : timeline.monitors) {
    if (!m.kind.empty()) kinds[{m.node, m.monitor}] = m.kind;
  }
  for (const IncidentEvent& e : timeline.events) {
    if (e.kind != EventKind::kStateChange || !e.to_status) continue;
    const std::pair<std::string, std::string> key{e.node, e.monitor};
    const auto recorded = kinds.find(key);
    if ((recorded != kinds.end() ? recorded->second : MonitorKindOf(e.monitor)) != "resource") {
      continue;
    }
    const bool failing = *e.to_status == Status::kWarning || *e.to_status == Status::kCritical;
    auto it = started.find(key);
    if (failing && it == started.end()) {
      // The incident's detection time for the first failure: the event is
      // written when the grouping window ends, up to a minute later.
      started[key] = e.at <= timeline.incident.opened_at
                         ? std::min(e.at, timeline.incident.detected_at)
                         : e.at;
    } else if (!failing && it != started.end()) {
      finish(key, it->second, e.at);
      started.erase(it);
    }
  }
  for (const auto& [key, begin] : started) finish(key, begin, end_of_incident);
}

// ---------------------------------------------------------------------------
// Formatting

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

/// "h:mm:ss", hours unbounded (a month of one system is 744:00:00).
std::string Hms(milliseconds d) {
  const std::int64_t s = d.count() / 1000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return buf;
}

/// Seconds, exact to the millisecond: "3600" or "3600.250".
std::string Seconds(milliseconds d) {
  const std::int64_t ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms < 0 ? -(ms % 1000) : ms % 1000));
  return buf;
}

std::string TokyoText(LedgerTime t) {
  const auto local = BusinessCalendar::ToTokyo(t);
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(local - day);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()));
  return buf;
}

/// Terminal columns of UTF-8 text: East Asian wide and fullwidth characters
/// take two, everything else one. Enough for Japanese names and headings; a
/// malformed byte counts as one column.
std::size_t DisplayWidth(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::uint32_t cp = c;
    std::size_t n = 1;
    if (c >= 0xF0) {
      n = 4;
      cp = c & 0x07u;
    } else if (c >= 0xE0) {
      n = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xC0) {
      n = 2;
      cp = c & 0x1Fu;
    }
    if (i + n > text.size()) n = 1;
    for (std::size_t k = 1; k < n; ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
    }
    const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
                      (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
                      (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
                      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
    width += wide ? 2 : 1;
    i += n;
  }
  return width;
}

/// Renders rows as aligned columns, two spaces apart. `right[i]` aligns
/// column i to the right (numbers). Trailing spaces are trimmed.
std::string Table(const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& right) {
  std::vector<std::size_t> widths(right.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      if (i > 0) line += "  ";
      const std::string pad(widths[i] - DisplayWidth(row[i]), ' ');
      line += right[i] ? pad + row[i] : row[i] + pad;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string LevelLabel(const std::string& level) {
  return level.empty() ? std::string("基盤全体 platform") : level;
}

template <typename T, typename F>
std::string OrDash(const std::optional<T>& v, F format) {
  return v ? format(*v) : std::string("-");
}

/// RFC 4180: quote a field holding a comma, quote, CR or LF; double quotes.
std::string CsvField(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------

std::string_view ToString(BreachClass c) {
  switch (c) {
    case BreachClass::kSingle:
      return "single";
    case BreachClass::kContinuous:
      return "continuous";
    case BreachClass::kRepeatedSingle:
      return "repeated-single";
  }
  return "single";
}

BreachClass ClassifyBreaches(const std::vector<milliseconds>& durations,
                             milliseconds check_interval) {
  for (milliseconds d : durations) {
    if (d >= 2 * check_interval) return BreachClass::kContinuous;
  }
  return durations.size() >= 2 ? BreachClass::kRepeatedSingle : BreachClass::kSingle;
}

LedgerResult<MonthlyReport> BuildMonthlyReport(Ledger& ledger, const Inventory& inventory, int year,
                                               int month, std::optional<LedgerTime> as_of) {
  if (month < 1 || month > 12 || year < 1970 || year > 9999) {
    return LedgerError{LedgerErrorKind::kInvalidArgument,
                       "monthly report: " + std::to_string(year) + "-" + std::to_string(month) +
                           " is not a month (year 1970-9999, month 1-12)"};
  }
  using std::chrono::local_days;
  const std::chrono::year_month first{std::chrono::year(year),
                                      std::chrono::month(static_cast<unsigned>(month))};
  const auto month_start = [](std::chrono::year_month ym) {
    return BusinessCalendar::FromTokyo(
        std::chrono::local_seconds(local_days(ym / std::chrono::day(1))));
  };
  MonthlyReport report;
  report.year = year;
  report.month = month;
  report.platform_name = inventory.platform_name;
  report.from = month_start(first);
  report.to = month_start(first + std::chrono::months(1));
  const LedgerTime previous_from = month_start(first - std::chrono::months(1));

  // Several reads without one snapshot: the report may run beside the
  // collector on a read-only connection, which cannot hold a write
  // transaction. A change between reads moves a figure by one event at most.
  auto summary = ledger.Summarize(report.from, report.to);
  if (!summary) return summary.error();
  auto previous = ledger.Summarize(previous_from, report.from);
  if (!previous) return previous.error();
  auto incidents = ledger.IncidentsOverlapping(report.from, report.to);
  if (!incidents) return incidents.error();
  auto suppressions = ledger.ListSuppressions(report.from);
  if (!suppressions) return suppressions.error();
  auto usage = ledger.ResourceUsage(report.from, report.to);
  if (!usage) return usage.error();
  auto changes = ledger.InventoryChanges(report.from, report.to);
  if (!changes) return changes.error();
  report.inventory_changes = std::move(*changes);
  const BusinessCalendar calendar(inventory.calendar);

  // The level a system's figures count under (A without a standby as B
  // when so configured).
  const auto level_of = [&](const System& system) -> std::string {
    if (system.level == ServiceLevel::kA && !system.redundant &&
        inventory.alerting.a_without_redundancy_as_b) {
      return "B";
    }
    return std::string(ServiceLevelName(system.level));
  };

  const std::vector<Span> whole_month = {{report.from, report.to}};
  const std::vector<Span> business = BusinessWindows(inventory.calendar, report.from, report.to);
  for (const Span& w : business) report.business_hours += Length(w);
  const auto windows_of = [&](std::string_view level) -> const std::vector<Span>& {
    return level == "C" || level == "C-dev" ? business : whole_month;
  };

  // Suppression spans per system: its own and its nodes'.
  std::map<std::string, std::vector<Span>> planned_by_system;
  for (const Suppression& s : *suppressions) {
    Span span{s.starts_at, s.cancelled_at ? std::min(s.ends_at, *s.cancelled_at) : s.ends_at};
    span.begin = std::max(span.begin, report.from);
    span.end = std::min(span.end, report.to);
    if (span.end <= span.begin) continue;
    std::string system = s.target;
    if (s.target_kind == SuppressionTarget::kNode) {
      const Node* node = inventory.FindNode(s.target);
      if (node == nullptr) continue;
      system = node->system;
    }
    if (system.empty() || inventory.FindSystem(system) == nullptr) continue;
    planned_by_system[system].push_back(span);
  }

  std::map<std::string, milliseconds> outage_month, outage_in_hours, outage_unknown;
  std::map<std::pair<std::string, std::string>, std::vector<milliseconds>> breaches;
  for (const Incident& incident : *incidents) {
    if (incident.incident_class != "trouble") continue;
    const Span span{std::max(incident.detected_at, report.from),
                    std::min(incident.RecoveredAt().value_or(report.to), report.to)};
    auto timeline = ledger.Timeline(incident.id);
    if (!timeline) return timeline.error();
    CollectBreaches(*timeline, report.from, report.to, breaches);
    if (incident.cause == IncidentCause::kSystem) continue;
    std::set<std::string> systems;
    for (const AffectedVm& vm : timeline->affected_vms) systems.insert(vm.system);
    for (const IncidentMonitor& m : timeline->monitors) systems.insert(m.system);
    std::vector<std::string> levels;
    if (incident.scope == IncidentScope::kPlatform) levels.emplace_back();
    bool any_system = false;
    for (const std::string& name : systems) {
      const System* system = name.empty() ? nullptr : inventory.FindSystem(name);
      if (system == nullptr) continue;
      levels.push_back(level_of(*system));
      any_system = true;
    }
    if (!any_system && !incident.service_level.empty()) levels.push_back(incident.service_level);
    for (const std::string& level : levels) {
      const milliseconds in_hours = OverlapWith(span, windows_of(level));
      outage_month[level] += Length(span);
      outage_in_hours[level] += in_hours;
      if (incident.cause == IncidentCause::kUnknown) outage_unknown[level] += in_hours;
    }
  }

  for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
    const std::string level(kLevelNames[i]);
    const LevelSummary& now = summary->levels.at(i);
    const LevelSummary& before = previous->levels.at(i);
    MonthlyLevelRow row;
    row.level = level;
    row.outage = outage_month[level];
    row.outage_in_service_hours = outage_in_hours[level];
    row.outage_unknown_cause = outage_unknown[level];
    row.detections = now.detections;
    row.detections_previous_month = before.detections;
    row.first_report_late = now.first_report_late;
    row.monitoring_operation_percent = OperationPercent(now.detections, now.first_report_late);
    if (!level.empty()) {
      const std::vector<Span>& windows = windows_of(level);
      milliseconds per_system{0};
      for (const Span& w : windows) per_system += Length(w);
      int systems = 0;
      milliseconds planned{0};
      for (const System& system : inventory.systems) {
        if (level_of(system) != level) continue;
        ++systems;
        auto it = planned_by_system.find(system.name);
        if (it == planned_by_system.end()) continue;
        for (const Span& s : Union(it->second)) planned += OverlapWith(s, windows);
      }
      row.systems = systems;
      row.service_time = per_system * systems;
      row.planned_downtime = planned;
      const milliseconds available = *row.service_time - planned;
      if (systems > 0 && available > milliseconds(0)) {
        row.availability_percent = Percent(available - row.outage_in_service_hours, available);
      }
    }
    report.total_detections += row.detections;
    report.total_first_report_late += row.first_report_late;
    report.levels.push_back(std::move(row));
  }
  report.total_monitoring_operation_percent =
      OperationPercent(report.total_detections, report.total_first_report_late);

  report.reports.on_time = summary->reports.on_time;
  report.reports.late = summary->reports.late;
  report.reports.unsent = summary->reports.unsent;
  report.reports.failed = summary->reports.failed_permanently;

  // Detections per class and cause, and the recovery targets, of the
  // incidents detected in the month.
  std::map<std::string, int> classes, causes;
  std::map<std::string, MonthlyRecoveryRow> recovery;
  const LedgerTime built_at = std::min(report.to, as_of.value_or(report.to));
  for (const Incident& incident : *incidents) {
    if (incident.detected_at < report.from) continue;
    ++classes[incident.incident_class];
    if (incident.incident_class != "trouble") continue;
    ++causes[std::string(ToString(incident.cause))];
    MonthlyRecoveryRow& row = recovery[incident.service_level];
    switch (
        RecoveryTargetOf(incident, inventory.alerting.recovery_targets, calendar, built_at).state) {
      case RecoveryTargetState::kMet:
        ++row.met;
        break;
      case RecoveryTargetState::kMissed:
        ++row.missed;
        break;
      case RecoveryTargetState::kPast:
        ++row.open_past;
        break;
      case RecoveryTargetState::kPending:
        ++row.open_pending;
        break;
      case RecoveryTargetState::kNone:
        break;
    }
  }
  for (std::string_view name : kIncidentClasses) {
    report.by_class.push_back({std::string(name), classes[std::string(name)]});
  }
  for (IncidentCause cause :
       {IncidentCause::kPlatform, IncidentCause::kSystem, IncidentCause::kUnknown}) {
    const std::string name(ToString(cause));
    report.by_cause.push_back({name, causes[name]});
  }
  for (std::string_view level : kLevelNames) {
    MonthlyRecoveryRow row = recovery[std::string(level)];
    row.level = std::string(level);
    report.recovery.push_back(row);
  }

  for (const Suppression& s : *suppressions) {
    const LedgerTime end = s.cancelled_at ? std::min(s.ends_at, *s.cancelled_at) : s.ends_at;
    if (s.starts_at >= report.to || end <= report.from) continue;
    report.suppressions.push_back(
        {s.id,
         std::string(s.target_kind == SuppressionTarget::kNode ? "node " : "system ") + s.target,
         std::max(s.starts_at, report.from), std::min(end, report.to),
         s.cancelled_at.has_value() && *s.cancelled_at < s.ends_at, s.reason, s.requested_by});
  }

  const milliseconds interval =
      std::chrono::duration_cast<milliseconds>(inventory.defaults.intervals.resource);
  for (const auto& [key, durations] : breaches) {
    report.breaches.push_back({key.first, key.second, ClassifyBreaches(durations, interval),
                               static_cast<int>(durations.size()),
                               *std::max_element(durations.begin(), durations.end())});
  }

  for (ResourceUsageRow& r : *usage) {
    report.resources.push_back(
        {std::move(r.node), std::move(r.monitor), r.samples, r.average, r.max});
  }
  std::stable_sort(report.resources.begin(), report.resources.end(),
                   [](const MonthlyResourceRow& a, const MonthlyResourceRow& b) {
                     return a.max > b.max;  // ties keep the ledger's node, monitor order
                   });
  return report;
}

std::string MonthlyReportText(const MonthlyReport& r) {
  char month[32];
  std::snprintf(month, sizeof month, "%04d-%02d", r.year, r.month);
  std::string out = "月次報告 Monthly report: " + r.platform_name + " " + month + " (" +
                    TokyoText(r.from) + " - " + TokyoText(r.to) + " JST)\n\n";

  out += "■ 稼働率・検知 Availability and detections\n";
  std::vector<std::vector<std::string>> rows = {
      {"レベル", "システム数", "サービス時間", "計画停止", "停止時間", "うちサービス時間内",
       "うち原因不明", "稼働率(%)", "検知数", "前月", "初動遅延", "監視運用(%)"},
      {"Level", "Systems", "Service time", "Planned", "Outage", "In service hours", "Unknown cause",
       "Availability", "Detections", "Prev. month", "Late", "Operation"},
  };
  const auto hms = [](milliseconds d) { return Hms(d); };
  for (const MonthlyLevelRow& l : r.levels) {
    rows.push_back({LevelLabel(l.level), OrDash(l.systems, [](int n) { return std::to_string(n); }),
                    OrDash(l.service_time, hms), OrDash(l.planned_downtime, hms), Hms(l.outage),
                    Hms(l.outage_in_service_hours), Hms(l.outage_unknown_cause),
                    OrDash(l.availability_percent, [](double p) { return Fixed(p, 3); }),
                    std::to_string(l.detections), std::to_string(l.detections_previous_month),
                    std::to_string(l.first_report_late), Fixed(l.monitoring_operation_percent, 1)});
  }
  rows.push_back(
      {"合計 total", "-", "-", "-", "-", "-", "-", "-", std::to_string(r.total_detections), "-",
       std::to_string(r.total_first_report_late), Fixed(r.total_monitoring_operation_percent, 1)});
  out += Table(rows, {false, true, true, true, true, true, true, true, true, true, true, true});
  out +=
      "算式 Formula: 稼働率 availability = ((T − 計画停止 planned) − Σ 停止時間 outage) / (T − "
      "planned) × 100; T = サービス時間 service hours of the month (A/B: 24 h, C/C-dev: 業務時間 "
      "business hours, " +
      Hms(r.business_hours) +
      ") × システム数 systems; outage from detection to recovery, within service hours, of "
      "incidents caused by the platform (counted against every affected system's level) or of "
      "unknown cause (shown apart), not of the system's own side; "
      "監視運用 operation = (検知数 − 初動遅延) / 検知数 × 100 (100 when none); \"-\" = no "
      "systems or no service time.\n";
  out +=
      "計画停止 Planned downtime: 監視一時抑止 suppressions of a system or of any of its nodes, "
      "from start to end or cancellation, overlaps counted once per system, clipped to the month "
      "and to the service hours.\n\n";

  out += "■ 報告 Reports (due this month)\n";
  out += Table({{"期限内", "遅延", "未送信", "送信失敗"},
                {"On time", "Late", "Unsent", "Failed"},
                {std::to_string(r.reports.on_time), std::to_string(r.reports.late),
                 std::to_string(r.reports.unsent), std::to_string(r.reports.failed)}},
               {true, true, true, true});
  out += "\n■ 分類別・原因別 検知数 Detections by class and by cause\n";
  {
    std::vector<std::vector<std::string>> t = {{"分類 Class", "件数 Count"}};
    for (const MonthlyCount& c : r.by_class) t.push_back({c.name, std::to_string(c.count)});
    out += Table(t, {false, true});
    std::vector<std::vector<std::string>> u = {{"原因 Cause (trouble)", "件数 Count"}};
    for (const MonthlyCount& c : r.by_cause) u.push_back({c.name, std::to_string(c.count)});
    out += Table(u, {false, true});
  }
  out += "\n■ 復旧完了目標 Recovery-completion targets (incidents detected this month)\n";
  {
    std::vector<std::vector<std::string>> t = {{"レベル", "達成", "未達", "対応中(超過)", "対応中"},
                                               {"Level", "Met", "Missed", "Open, past", "Open"}};
    for (const MonthlyRecoveryRow& row : r.recovery) {
      t.push_back({LevelLabel(row.level), std::to_string(row.met), std::to_string(row.missed),
                   std::to_string(row.open_past), std::to_string(row.open_pending)});
    }
    out += Table(t, {false, true, true, true, true});
  }
  out +=
      "\n■ 閾値超過の種別 Threshold breaches (single 単発 / continuous 連続 / repeated-single "
      "単発の繰り返し)\n";
  if (r.breaches.empty()) {
    out += "(なし none)\n";
  } else {
    std::vector<std::vector<std::string>> t = {{"ノード", "監視項目", "種別", "回数", "最長"},
                                               {"Node", "Monitor", "Class", "Breaches", "Longest"}};
    for (const MonthlyBreachRow& b : r.breaches) {
      t.push_back({b.node, b.monitor, std::string(ToString(b.breach_class)),
                   std::to_string(b.breaches), Hms(b.longest)});
    }
    out += Table(t, {false, false, false, true, true});
  }
  out += "\n■ 監視一時抑止 Suppression windows\n";
  if (r.suppressions.empty()) {
    out += "(なし none)\n";
  } else {
    std::vector<std::vector<std::string>> t = {
        {"ID", "対象 Target", "開始 Start", "終了 End", "依頼者 By", "理由 Reason"}};
    for (const MonthlySuppressionRow& w : r.suppressions) {
      t.push_back({std::to_string(w.id), w.target, TokyoText(w.starts_at),
                   TokyoText(w.ends_at) + (w.cancelled ? " (取消 cancelled)" : ""), w.requested_by,
                   w.reason});
    }
    out += Table(t, {true, false, false, false, false, false});
  }
  out += "\n■ 監視追加・変更・削除 Monitoring added, changed, removed\n";
  if (r.inventory_changes.empty()) {
    out += "(なし none)\n";
  } else {
    std::vector<std::vector<std::string>> t = {
        {"日時 When", "変更 Change", "ノード Node", "項目 Item", "内容 Definition"}};
    for (const InventoryChange& c : r.inventory_changes) {
      const std::string what = c.change == InventoryChangeKind::kChanged
                                   ? c.before + " → " + c.after
                                   : (c.after.empty() ? c.before : c.after);
      t.push_back({TokyoText(c.at), std::string(ToString(c.change)), c.node, c.item, what});
    }
    out += Table(t, {false, false, false, false, false});
  }
  out += "\n■ リソース使用率 Resource usage (%, highest maximum first)\n";
  if (r.resources.empty()) {
    out += "(なし none)\n";
  } else {
    std::vector<std::vector<std::string>> res = {
        {"ノード", "監視項目", "サンプル数", "平均", "最大"},
        {"Node", "Monitor", "Samples", "Average", "Max"},
    };
    for (const MonthlyResourceRow& u : r.resources) {
      res.push_back(
          {u.node, u.monitor, std::to_string(u.samples), Fixed(u.average, 1), Fixed(u.max, 1)});
    }
    out += Table(res, {false, false, true, true, true});
  }
  return out;
}

std::string MonthlyReportCsv(const MonthlyReport& r) {
  constexpr std::size_t kColumns = 28;
  static const std::array<std::string_view, kColumns> kHeader = {"section",
                                                                 "month",
                                                                 "level",
                                                                 "systems",
                                                                 "service_time_s",
                                                                 "planned_downtime_s",
                                                                 "outage_s",
                                                                 "outage_in_service_hours_s",
                                                                 "availability_percent",
                                                                 "detections",
                                                                 "detections_previous_month",
                                                                 "first_report_late",
                                                                 "monitoring_operation_percent",
                                                                 "reports_on_time",
                                                                 "reports_late",
                                                                 "reports_unsent",
                                                                 "reports_failed",
                                                                 "node",
                                                                 "monitor",
                                                                 "samples",
                                                                 "average_percent",
                                                                 "max_percent",
                                                                 "outage_unknown_cause_s",
                                                                 "name",
                                                                 "count",
                                                                 "from",
                                                                 "to",
                                                                 "detail"};
  char month[32];
  std::snprintf(month, sizeof month, "%04d-%02d", r.year, r.month);
  std::string out;
  const auto emit = [&out](const std::array<std::string, kColumns>& fields) {
    for (std::size_t i = 0; i < kColumns; ++i) {
      if (i > 0) out += ',';
      out += CsvField(fields[i]);
    }
    out += "\r\n";
  };
  {
    std::array<std::string, kColumns> header;
    for (std::size_t i = 0; i < kColumns; ++i) header[i] = std::string(kHeader[i]);
    emit(header);
  }
  const auto seconds = [](milliseconds d) { return Seconds(d); };
  const auto empty_or = [](const auto& v, auto format) { return v ? format(*v) : std::string(); };
  for (const MonthlyLevelRow& l : r.levels) {
    std::array<std::string, kColumns> f;
    f[0] = "level";
    f[1] = month;
    f[2] = l.level.empty() ? "platform" : l.level;
    f[3] = empty_or(l.systems, [](int n) { return std::to_string(n); });
    f[4] = empty_or(l.service_time, seconds);
    f[5] = empty_or(l.planned_downtime, seconds);
    f[6] = Seconds(l.outage);
    f[7] = Seconds(l.outage_in_service_hours);
    f[8] = empty_or(l.availability_percent, [](double p) { return Fixed(p, 3); });
    f[9] = std::to_string(l.detections);
    f[10] = std::to_string(l.detections_previous_month);
    f[11] = std::to_string(l.first_report_late);
    f[12] = Fixed(l.monitoring_operation_percent, 3);
    f[22] = Seconds(l.outage_unknown_cause);
    emit(f);
  }
  {
    std::array<std::string, kColumns> f;
    f[0] = "total";
    f[1] = month;
    f[9] = std::to_string(r.total_detections);
    f[11] = std::to_string(r.total_first_report_late);
    f[12] = Fixed(r.total_monitoring_operation_percent, 3);
    emit(f);
  }
  {
    std::array<std::string, kColumns> f;
    f[0] = "reports";
    f[1] = month;
    f[13] = std::to_string(r.reports.on_time);
    f[14] = std::to_string(r.reports.late);
    f[15] = std::to_string(r.reports.unsent);
    f[16] = std::to_string(r.reports.failed);
    emit(f);
  }
  for (const MonthlyResourceRow& u : r.resources) {
    std::array<std::string, kColumns> f;
    f[0] = "resource";
    f[1] = month;
    f[17] = u.node;
    f[18] = u.monitor;
    f[19] = std::to_string(u.samples);
    f[20] = Fixed(u.average, 3);
    f[21] = Fixed(u.max, 3);
    emit(f);
  }
  for (const auto& [section, counts] :
       {std::pair{"class", &r.by_class}, std::pair{"cause", &r.by_cause}}) {
    for (const MonthlyCount& c : *counts) {
      std::array<std::string, kColumns> f;
      f[0] = section;
      f[1] = month;
      f[23] = c.name;
      f[24] = std::to_string(c.count);
      emit(f);
    }
  }
  for (const MonthlyRecoveryRow& row : r.recovery) {
    for (const auto& [name, count] :
         {std::pair{"met", row.met}, std::pair{"missed", row.missed},
          std::pair{"open-past", row.open_past}, std::pair{"open", row.open_pending}}) {
      std::array<std::string, kColumns> f;
      f[0] = "recovery-target";
      f[1] = month;
      f[2] = row.level.empty() ? "platform" : row.level;
      f[23] = name;
      f[24] = std::to_string(count);
      emit(f);
    }
  }
  for (const MonthlyBreachRow& b : r.breaches) {
    std::array<std::string, kColumns> f;
    f[0] = "breach";
    f[1] = month;
    f[17] = b.node;
    f[18] = b.monitor;
    f[23] = std::string(ToString(b.breach_class));
    f[24] = std::to_string(b.breaches);
    f[27] = Seconds(b.longest);
    emit(f);
  }
  for (const MonthlySuppressionRow& w : r.suppressions) {
    std::array<std::string, kColumns> f;
    f[0] = "suppression";
    f[1] = month;
    f[23] = w.target;
    f[25] = TokyoText(w.starts_at);
    f[26] = TokyoText(w.ends_at);
    f[27] = (w.cancelled ? "cancelled; " : "") + w.requested_by + ": " + w.reason;
    emit(f);
  }
  for (const InventoryChange& c : r.inventory_changes) {
    std::array<std::string, kColumns> f;
    f[0] = "inventory-change";
    f[1] = month;
    f[17] = c.node;
    f[18] = c.item;
    f[23] = std::string(ToString(c.change));
    f[25] = TokyoText(c.at);
    f[27] = c.change == InventoryChangeKind::kChanged ? c.before + " -> " + c.after
                                                      : (c.after.empty() ? c.before : c.after);
    emit(f);
  }
  return out;
}

}  // namespace mimamori::collector
