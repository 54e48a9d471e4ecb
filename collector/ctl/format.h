// Output helpers for mimamorictl: aligned tables that stay aligned with
// Japanese text (system names, titles), a small JSON writer, and the SLA
// reading of an incident (first report due / sent / late, next continuing
// report) shared by `incidents` and `show`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/alerting/timetable.h"
#include "collector/calendar/business_calendar.h"
#include "collector/core/clock.h"
#include "collector/ledger/ledger.h"

namespace mimamori::collector::ctl {

/// Columns a terminal uses for `text` (UTF-8): East Asian wide and
/// full-width characters count two, everything else one.
std::size_t DisplayWidth(std::string_view text);

/// A table printed with columns padded to the widest cell; the last column
/// is not padded, so free text (titles, reasons) goes there.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string Render(std::string_view indent = "") const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

/// Builds one JSON value; keys and strings are escaped, times written as
/// ISO 8601 in Tokyo time ("2026-12-28T17:40:00+09:00").
class Json {
 public:
  Json& BeginObject();
  Json& EndObject();
  Json& BeginArray();
  Json& EndArray();
  Json& Key(std::string_view key);
  Json& String(std::string_view value);
  Json& Number(long long value);
  Json& Bool(bool value);
  Json& Null();
  Json& Time(std::optional<TimePoint> t);  ///< null when absent
  Json& Strings(const std::vector<std::string>& values);
  const std::string& str() const { return out_; }

 private:
  void Separate();
  std::string out_;
  bool need_comma_ = false;
};

/// "2026-12-28 18:10" or "-".
std::string TimeOrDash(std::optional<TimePoint> t);
/// "2026-12-28T18:10:05+09:00".
std::string IsoTokyo(TimePoint t);

/// Where an incident stands against the reporting timetable.
struct IncidentSla {
  ReportPlan plan;
  std::optional<TimePoint> first_due;  ///< nullopt: the plan has no first report
  /// "none", "not queued", "pending", "sent", "failed": the first report's
  /// copies taken together (sent = every copy sent).
  std::string first_state;
  std::optional<TimePoint> first_sent;  ///< the last copy's sent_at, once all are sent
  /// Sent after the deadline, or still unsent with the deadline passed.
  bool first_late = false;
  /// Due time of the next hourly continuing report (queued or not), for an
  /// open incident with hourly continuing reports.
  std::optional<TimePoint> next_continuing;
  bool next_continuing_queued = false;
};

IncidentSla ComputeSla(const IncidentTimeline& timeline, const BusinessCalendar& calendar,
                       TimePoint now);

/// "due 2026-12-28 18:10 (phone and mail): sent 18:02, on time" and the like.
std::string DescribeFirstReport(const IncidentSla& sla);
/// "2026-12-28 19:10", "2026-12-28 19:10 (queued)", "on each progress (mail)",
/// "none (final report only)", or "-" once closed.
std::string DescribeNextContinuing(const IncidentSla& sla, const Incident& incident, TimePoint now);

/// A report's timeliness: "on time", "LATE", "OVERDUE" (unsent past its
/// deadline) or "" (unsent, not yet due).
std::string Timeliness(const Report& report, TimePoint now);

}  // namespace mimamori::collector::ctl
