// The two tables of spec section 4 as data, row for row in the spec's order,
// so a reviewer can hold them side by side; everything else reads them.
#include "collector/alerting/timetable.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <span>

namespace mimamori::collector {
namespace {

namespace chrono = std::chrono;

constexpr chrono::hours kContinuingEvery{1};

// One row of either table without its level. first_minutes 0 is "none". The
// rows "final report only | mail" have kNone continuing reports: that "mail"
// is the final report's channel, which every plan carries anyway.
struct Row {
  Priority priority;
  bool business_hours;
  int first_minutes;
  Channels first_channels;
  ContinuingKind continuing;
  Channels continuing_channels;
};

constexpr bool kIn = true;
constexpr bool kOut = false;
constexpr auto kHigh = Priority::kHigh;
constexpr auto kLow = Priority::kLow;
constexpr auto kHourly = ContinuingKind::kHourly;
constexpr auto kOnProgress = ContinuingKind::kOnProgress;
constexpr auto kFinalOnly = ContinuingKind::kNone;

// 基盤全体の障害.
constexpr Row kPlatformTable[] = {
    {kHigh, kIn, 5, kPhoneAndMail, kHourly, kPhoneAndMail},
    {kHigh, kOut, 30, kPhoneOnly, kHourly, kPhoneOnly},
    {kLow, kIn, 30, kPhoneAndMail, kOnProgress, kMailOnly},
    {kLow, kOut, 0, kNoChannels, kFinalOnly, kNoChannels},
};

// Particular VMs failing because of the platform, levels A, B, C.
constexpr Row kVmTableA[] = {
    {kHigh, kIn, 15, kPhoneAndMail, kHourly, kPhoneAndMail},
    {kHigh, kOut, 30, kPhoneOnly, kHourly, kPhoneOnly},
    {kLow, kIn, 30, kPhoneAndMail, kOnProgress, kMailOnly},
    {kLow, kOut, 0, kNoChannels, kFinalOnly, kNoChannels},
};
constexpr Row kVmTableB[] = {
    {kHigh, kIn, 30, kPhoneAndMail, kHourly, kPhoneAndMail},
    {kHigh, kOut, 60, kPhoneOnly, kHourly, kPhoneOnly},
    {kLow, kIn, 60, kPhoneAndMail, kOnProgress, kMailOnly},
    {kLow, kOut, 0, kNoChannels, kFinalOnly, kNoChannels},
};
constexpr Row kVmTableC[] = {
    {kHigh, kIn, 60, kPhoneAndMail, kHourly, kPhoneAndMail},
    {kHigh, kOut, 0, kNoChannels, kFinalOnly, kNoChannels},
    {kLow, kIn, 0, kNoChannels, kFinalOnly, kNoChannels},
    {kLow, kOut, 0, kNoChannels, kFinalOnly, kNoChannels},
};

std::span<const Row> TableFor(IncidentScope scope, ServiceLevel level) {
  if (scope == IncidentScope::kPlatform) return kPlatformTable;
  switch (level) {
    case ServiceLevel::kA:
      return kVmTableA;
    case ServiceLevel::kB:
      return kVmTableB;
    case ServiceLevel::kC:
    case ServiceLevel::kCDev:
      return kVmTableC;
  }
  std::fprintf(stderr, "timetable: service level %d has no VM table\n", static_cast<int>(level));
  std::abort();
}

// Every table has all four (priority, when) combinations, so a miss means
// the tables above were edited wrong: stop loudly rather than under-report.
const Row& FindRow(IncidentScope scope, ServiceLevel level, Priority priority,
                   bool business_hours) {
  for (const Row& row : TableFor(scope, level)) {
    if (row.priority == priority && row.business_hours == business_hours) return row;
  }
  std::fprintf(stderr, "timetable: no row for scope %d level %d priority %d\n",
               static_cast<int>(scope), static_cast<int>(level), static_cast<int>(priority));
  std::abort();
}

std::optional<int> Digits(std::string_view text) {
  int value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// Japanese first, English after the slash, as the rest of the dry run.
std::string ChannelsLabel(Channels channels) {
  if (channels.phone && channels.mail) return "電話・メール / phone and mail";
  if (channels.phone) return "電話 / phone";
  if (channels.mail) return "メール / mail";
  return "なし / none";
}

std::string ScopeLabel(IncidentScope scope) {
  switch (scope) {
    case IncidentScope::kPlatform:
      return "基盤全体の障害 / failure of the whole platform";
    case IncidentScope::kVm:
      return "基盤起因の特定VMの障害 / failure of particular VMs caused by the platform";
  }
  return "?";
}

std::string LevelLabel(IncidentScope scope, ServiceLevel level) {
  if (scope == IncidentScope::kPlatform) {
    return "全レベル（基盤全体の表） / every level (the platform table)";
  }
  if (level == ServiceLevel::kCDev) return "C-dev（Cの行） / C-dev (level C's rows)";
  return std::string(ServiceLevelName(level));
}

}  // namespace

ReportPlan PlanReports(IncidentScope scope, ServiceLevel level, Priority priority,
                       TimePoint detected_at, const BusinessCalendar& calendar) {
  const bool business_hours = calendar.IsBusinessHours(detected_at);
  const Row& row = FindRow(scope, level, priority, business_hours);
  ReportPlan plan;
  plan.detected_in_business_hours = business_hours;
  if (row.first_minutes > 0) {
    plan.first = FirstReport{chrono::minutes{row.first_minutes}, row.first_channels};
  }
  plan.continuing = {row.continuing, row.continuing_channels};
  plan.final_report = kMailOnly;
  return plan;
}

std::optional<TimePoint> FirstReportDue(const ReportPlan& plan, TimePoint detected_at) {
  if (!plan.first) return std::nullopt;
  return detected_at + plan.first->deadline;
}

std::optional<TimePoint> NextContinuingReportDue(const ReportPlan& plan, TimePoint detected_at,
                                                 std::optional<TimePoint> last_continuing) {
  if (plan.continuing.kind != ContinuingKind::kHourly) return std::nullopt;
  // Every hourly row has a first report; a hand-made plan without one
  // anchors at detection.
  const TimePoint anchor = FirstReportDue(plan, detected_at).value_or(detected_at);
  if (!last_continuing || *last_continuing < anchor + kContinuingEvery) {
    return anchor + kContinuingEvery;
  }
  const auto periods_passed = (*last_continuing - anchor) / kContinuingEvery;
  return anchor + (periods_passed + 1) * kContinuingEvery;
}

std::string_view ChannelsName(Channels channels) {
  if (channels.phone && channels.mail) return "phone and mail";
  if (channels.phone) return "phone";
  if (channels.mail) return "mail";
  return "none";
}

std::string_view PriorityName(Priority priority) {
  return priority == Priority::kHigh ? "high" : "low";
}

std::string_view IncidentScopeName(IncidentScope scope) {
  return scope == IncidentScope::kPlatform ? "platform" : "vm";
}

bool IsSupportedDay(chrono::year_month_day day) {
  return day.ok() && day.year() >= kFirstSupportedYear && day.year() <= kLastSupportedYear;
}

std::string SupportedTimeRange() {
  return std::to_string(int(kFirstSupportedYear)) + "-01-01 00:00 to " +
         std::to_string(int(kLastSupportedYear)) + "-12-31 23:59";
}

namespace {

// The well-formed parts of "YYYY-MM-DD HH:MM", range not yet judged.
std::optional<chrono::local_time<chrono::minutes>> ParseLocalMinutes(
    std::string_view text, chrono::year_month_day& day_out) {
  if (text.size() != 16 || text[10] != ' ' || text[13] != ':') return std::nullopt;
  const auto day = ParseIsoDate(text.substr(0, 10));
  const auto hour = Digits(text.substr(11, 2));
  const auto minute = Digits(text.substr(14, 2));
  if (!day || !hour || !minute || *hour > 23 || *minute > 59) return std::nullopt;
  day_out = *day;
  return chrono::local_days{*day} + chrono::hours{*hour} + chrono::minutes{*minute};
}

}  // namespace

std::string TokyoTimeProblem(std::string_view text) {
  chrono::year_month_day day{};
  if (!ParseLocalMinutes(text, day)) return "is not \"YYYY-MM-DD HH:MM\" (Tokyo time)";
  if (!IsSupportedDay(day)) return "is outside the supported times (" + SupportedTimeRange() + ")";
  return "";
}

std::optional<TimePoint> ParseTokyoTime(std::string_view text) {
  chrono::year_month_day day{};
  const auto local = ParseLocalMinutes(text, day);
  // Checked before converting: past 2262 the conversion itself overflows.
  if (!local || !IsSupportedDay(day)) return std::nullopt;
  return BusinessCalendar::FromTokyo(*local);
}

std::string FormatTokyoTime(TimePoint t) {
  const chrono::local_seconds local = BusinessCalendar::ToTokyo(t);
  const chrono::local_days day = chrono::floor<chrono::days>(local);
  const chrono::year_month_day ymd{day};
  const chrono::hh_mm_ss hms{local - day};
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u %02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()));
  return text;
}

std::string DescribeTimetable(IncidentScope scope, ServiceLevel level, Priority priority,
                              TimePoint detected_at, const BusinessCalendar& calendar,
                              std::chrono::hours horizon) {
  const ReportPlan plan = PlanReports(scope, level, priority, detected_at, calendar);
  const TimePoint until = detected_at + horizon;
  std::string out;
  auto line = [&out](const std::string& text) { out += text + "\n"; };

  line("報告予定（試算） / Reporting timetable (dry run)");
  line("対象 / scope: " + ScopeLabel(scope));
  line("サービスレベル / service level: " + LevelLabel(scope, level));
  line(std::string("優先度 / priority: ") +
       (priority == Priority::kHigh ? "高 / high" : "低 / low"));
  line("検知 / detected: " + FormatTokyoTime(detected_at) +
       (plan.detected_in_business_hours ? " (業務時間内 / in business hours)"
                                        : " (業務時間外 / outside business hours)"));
  line("表示範囲 / horizon: " + FormatTokyoTime(until) + " まで / until (" +
       std::to_string(horizon.count()) + " h)");

  if (const auto due = FirstReportDue(plan, detected_at)) {
    const std::string text = FormatTokyoTime(*due) + "  第一報 / first report (検知から" +
                             std::to_string(plan.first->deadline.count()) + "分以内 / within " +
                             std::to_string(plan.first->deadline.count()) +
                             " min of detection): " + ChannelsLabel(plan.first->channels);
    line(*due <= until ? text : text + " [表示範囲外 / after the horizon]");
  } else {
    line("第一報 / first report: なし / none");
  }

  switch (plan.continuing.kind) {
    case ContinuingKind::kHourly: {
      std::optional<TimePoint> last;
      int number = 0;
      for (auto due = NextContinuingReportDue(plan, detected_at, last); due && *due <= until;
           due = NextContinuingReportDue(plan, detected_at, last)) {
        line(FormatTokyoTime(*due) + "  継続報 / continuing report " + std::to_string(++number) +
             ": " + ChannelsLabel(plan.continuing.channels));
        last = due;
      }
      line(
          "継続報 / continuing reports: 以降も1時間ごと、復旧まで / every hour after that, "
          "until recovery");
      break;
    }
    case ContinuingKind::kOnProgress:
      line("継続報 / continuing reports: 進捗の都度 / on each progress: " +
           ChannelsLabel(plan.continuing.channels));
      break;
    case ContinuingKind::kNone:
      line("継続報 / continuing reports: なし（最終報のみ） / none (final report only)");
      break;
  }
  line("復旧時 / on recovery  最終報 / final report: " + ChannelsLabel(plan.final_report));
  return out;
}

}  // namespace mimamori::collector
