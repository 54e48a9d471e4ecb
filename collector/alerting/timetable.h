// The reporting timetable (報告時間, MONITORING-SPEC.md section 4): which
// reports an incident owes, by when and over which channels. Pure functions of
// their arguments: no clock is read here, so the outbox and tests pass "now"
// and the detection time in, and a day of reports is checked in milliseconds.
//
// Terms follow the spec: first report (第一報), continuing report (継続報),
// final report (最終報); priority (section 3); service level (section 2).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "collector/calendar/business_calendar.h"
#include "collector/core/clock.h"
#include "collector/core/incident_terms.h"
#include "collector/inventory/inventory.h"

namespace mimamori::collector {

/// The channels one report goes out on. "Phone" is not a mail: the notifier
/// hands it to a configurable command or webhook (spec section 4).
struct Channels {
  bool phone = false;
  bool mail = false;
  friend bool operator==(const Channels&, const Channels&) = default;
};
inline constexpr Channels kNoChannels{};
inline constexpr Channels kPhoneOnly{.phone = true};
inline constexpr Channels kMailOnly{.mail = true};
inline constexpr Channels kPhoneAndMail{.phone = true, .mail = true};

/// A first report is due within `deadline` of detection, in elapsed time:
/// a deadline that runs past 17:45 stays where it is (the row was chosen at
/// detection, see PlanReports).
struct FirstReport {
  std::chrono::minutes deadline{0};
  Channels channels;
  friend bool operator==(const FirstReport&, const FirstReport&) = default;
};

enum class ContinuingKind {
  kNone,        ///< "final report only": nothing between first and final
  kHourly,      ///< "every 1 h", on the clock; see NextContinuingReportDue
  kOnProgress,  ///< "on each progress": sent when an operator records progress
};

struct ContinuingReports {
  ContinuingKind kind = ContinuingKind::kNone;
  Channels channels;  ///< kNoChannels when kind is kNone
  friend bool operator==(const ContinuingReports&, const ContinuingReports&) = default;
};

/// One row of a spec table, as the reports it asks for.
struct ReportPlan {
  /// Whether the row chosen is a "business hours" one: the detection time's
  /// judgement, kept so a recomputed plan and the dry run can show it.
  bool detected_in_business_hours = false;
  std::optional<FirstReport> first;  ///< nullopt: "none"
  ContinuingReports continuing;
  /// The tables give no channel for the final report except in the "final
  /// report only | mail" rows; section 4 defines a final-report mail format
  /// and says it "is sent on recovery", so every row sends it by mail.
  Channels final_report = kMailOnly;
  friend bool operator==(const ReportPlan&, const ReportPlan&) = default;
};

/// The row of section 4 for an incident.
///
/// - kPlatform: the platform table, which has no level column; `level` is
///   ignored, because a whole-platform failure affects systems of every level
///   at once (section 3: every host runs A, B and C together).
/// - kVm: the VM table's row for `level`; kCDev uses the C rows (C-dev is
///   level C for development/test, section 2).
///
/// "When detected" is judged at `detected_at` by `calendar` (business hours
/// 09:00-17:45 Tokyo on business days; 17:45:00 is outside). Priority may
/// change while the incident is open (section 3): call again with the new
/// priority and the ORIGINAL detection time; the business-hours judgement
/// therefore never moves, since the spec's column is "when detected", not
/// "when the priority changed". A first report of the new plan whose deadline
/// has already passed is simply overdue (send at once unless one was sent).
///
/// `detected_at` is when the failure was confirmed (e.g. the second missed
/// ping), not the first symptom. Thread-safe; never fails.
ReportPlan PlanReports(IncidentScope scope, ServiceLevel level, Priority priority,
                       TimePoint detected_at, const BusinessCalendar& calendar);

/// When the first report is due: detection + deadline; nullopt when the plan
/// has none.
std::optional<TimePoint> FirstReportDue(const ReportPlan& plan, TimePoint detected_at);

/// The next due time of a kHourly continuing report; nullopt for kNone and
/// kOnProgress (the latter is event driven, not on the clock).
///
/// Decision (the spec says only "every 1 h"): the continuing reports are due
/// on a fixed grid, every hour counted from the first report's DUE time:
/// anchor + 1 h, anchor + 2 h, ... Not from detection, since with a 60-minute
/// first report the first continuing report would fall due together with it;
/// and not from when the first report actually went out, so recipients can
/// predict the schedule from the first report alone and this stays stateless.
/// Given `last_continuing` (when the latest continuing report went out), the
/// answer is the first grid point strictly after it: a report sent on or
/// after its due time moves the next one to the following hour of the grid,
/// so delays in sending never make the schedule drift, and no report is
/// followed by more than an hour of silence. With none sent yet: anchor +
/// 1 h. Kept small and separate so the reading can change on its own.
std::optional<TimePoint> NextContinuingReportDue(const ReportPlan& plan, TimePoint detected_at,
                                                 std::optional<TimePoint> last_continuing);

/// "phone and mail", "phone", "mail" or "none" (logs, tests).
std::string_view ChannelsName(Channels channels);
std::string_view PriorityName(Priority priority);         ///< "high", "low"
std::string_view IncidentScopeName(IncidentScope scope);  ///< "platform", "vm"

/// The days mimamori computes with. A TimePoint counts nanoseconds in 64
/// bits, which ends on 2262-04-11 (and begins in 1677); a time past it wraps
/// round silently. The timetable and the reports add up to a few weeks to the
/// times they are given (horizons, next months, next business days), so the
/// last year stops short of that end; nothing in the ledger predates 1970.
inline constexpr std::chrono::year kFirstSupportedYear{1970};
inline constexpr std::chrono::year kLastSupportedYear{2261};
/// Whether `day` lies in kFirstSupportedYear..kLastSupportedYear.
bool IsSupportedDay(std::chrono::year_month_day day);
/// "1970-01-01 00:00 to 2261-12-31 23:59", for messages.
std::string SupportedTimeRange();

/// Strict "YYYY-MM-DD HH:MM", Tokyo local time (a real date, 00:00-23:59, two
/// digits each, a supported day); nullopt for anything else, seconds and "T"
/// included.
std::optional<TimePoint> ParseTokyoTime(std::string_view text);
/// Why ParseTokyoTime refused `text`: "" when it parses, "is outside the
/// supported times (1970-01-01 00:00 to 2261-12-31 23:59)" for a well-formed
/// time outside them, else "is not \"YYYY-MM-DD HH:MM\" (Tokyo time)".
std::string TokyoTimeProblem(std::string_view text);
/// "YYYY-MM-DD HH:MM" in Tokyo local time; seconds are floored away.
std::string FormatTokyoTime(TimePoint t);

/// A dry run for the operator CLI: the plan's row and every report due from
/// `detected_at` up to `detected_at + horizon` (inclusive), one per line, in
/// Japanese and English, times in Tokyo local time ("2026-12-28 18:10").
/// Continuing reports are listed as if each went out exactly on time.
std::string DescribeTimetable(IncidentScope scope, ServiceLevel level, Priority priority,
                              TimePoint detected_at, const BusinessCalendar& calendar,
                              std::chrono::hours horizon = std::chrono::hours{3});

}  // namespace mimamori::collector
