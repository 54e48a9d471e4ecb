// The reporting timetable against every row of spec section 4's two tables,
// at detection moments on both sides of the business-hours edges, and the
// hourly continuing reports driven by a fake clock.
#include "collector/alerting/timetable.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "collector/calendar/business_calendar.h"
#include "collector/core/clock.h"

namespace mimamori::collector {
namespace {

namespace chrono = std::chrono;
using chrono::hours;
using chrono::minutes;
using chrono::seconds;

TimePoint Tokyo(int y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
  return BusinessCalendar::FromTokyo(
      chrono::local_days{chrono::year{y} / chrono::month{mo} / chrono::day{d}} + chrono::hours{h} +
      chrono::minutes{mi} + chrono::seconds{s});
}

struct Moment {
  const char* name;
  TimePoint at;
};

// "When detected" = business hours: 09:00-17:45 Tokyo on a business day.
const std::vector<Moment>& InsideMoments() {
  static const std::vector<Moment> moments = {
      {"Tuesday 2026-12-01 10:00", Tokyo(2026, 12, 1, 10, 0)},
      {"opening 09:00", Tokyo(2026, 12, 1, 9, 0)},
      {"17:44", Tokyo(2026, 12, 1, 17, 44)},
      {"17:44:59", Tokyo(2026, 12, 1, 17, 44, 59)},
      {"Monday 2026-12-28 17:40", Tokyo(2026, 12, 28, 17, 40)},
  };
  return moments;
}

const std::vector<Moment>& OutsideMoments() {
  static const std::vector<Moment> moments = {
      {"Saturday 2026-12-26 10:00", Tokyo(2026, 12, 26, 10, 0)},
      {"Sunday 2026-11-29 14:00", Tokyo(2026, 11, 29, 14, 0)},
      {"weekday 17:46", Tokyo(2026, 12, 1, 17, 46)},
      {"closing 17:45", Tokyo(2026, 12, 1, 17, 45)},
      {"08:59", Tokyo(2026, 12, 1, 8, 59)},
      {"08:59:59", Tokyo(2026, 12, 1, 8, 59, 59)},
      {"weekday 03:00", Tokyo(2026, 12, 2, 3, 0)},
      {"勤労感謝の日 2026-11-23 10:00", Tokyo(2026, 11, 23, 10, 0)},
      {"year end 2026-12-29 10:00", Tokyo(2026, 12, 29, 10, 0)},
      {"new year 2027-01-04 08:00 (before opening)", Tokyo(2027, 1, 4, 8, 0)},
  };
  return moments;
}

TEST(TimetableTest, DetectionMomentsAreWhatTheirNamesSay) {
  const chrono::year_month_day tuesday{chrono::year{2026} / 12 / 1};
  EXPECT_EQ(chrono::weekday{chrono::sys_days{tuesday}}, chrono::Tuesday);
  const chrono::year_month_day monday{chrono::year{2026} / 12 / 28};
  EXPECT_EQ(chrono::weekday{chrono::sys_days{monday}}, chrono::Monday);
  const chrono::year_month_day saturday{chrono::year{2026} / 12 / 26};
  EXPECT_EQ(chrono::weekday{chrono::sys_days{saturday}}, chrono::Saturday);
  EXPECT_EQ(JapaneseHolidayName(chrono::year{2026} / 11 / 23), "勤労感謝の日");
  const BusinessCalendar calendar;
  for (const Moment& m : InsideMoments()) EXPECT_TRUE(calendar.IsBusinessHours(m.at)) << m.name;
  for (const Moment& m : OutsideMoments()) EXPECT_FALSE(calendar.IsBusinessHours(m.at)) << m.name;
}

// The spec's rows, typed out again from MONITORING-SPEC.md section 4 rather
// than shared with the implementation, so a slip in either shows.
struct SpecRow {
  IncidentScope scope;
  ServiceLevel level;  // ignored for kPlatform
  Priority priority;
  bool business_hours;
  std::optional<FirstReport> first;
  ContinuingReports continuing;
};

constexpr auto kPlatform = IncidentScope::kPlatform;
constexpr auto kVm = IncidentScope::kVm;
constexpr auto kHigh = Priority::kHigh;
constexpr auto kLow = Priority::kLow;
constexpr bool kIn = true;
constexpr bool kOut = false;

FirstReport Within(int m, Channels channels) { return {minutes{m}, channels}; }
constexpr ContinuingReports kHourlyBoth{ContinuingKind::kHourly, kPhoneAndMail};
constexpr ContinuingReports kHourlyPhone{ContinuingKind::kHourly, kPhoneOnly};
constexpr ContinuingReports kOnProgressMail{ContinuingKind::kOnProgress, kMailOnly};
constexpr ContinuingReports kFinalOnly{ContinuingKind::kNone, kNoChannels};

const std::vector<SpecRow>& SpecRows() {
  using L = ServiceLevel;
  static const std::vector<SpecRow> rows = {
      // 基盤全体の障害 (4 rows).
      {kPlatform, L::kA, kHigh, kIn, Within(5, kPhoneAndMail), kHourlyBoth},
      {kPlatform, L::kA, kHigh, kOut, Within(30, kPhoneOnly), kHourlyPhone},
      {kPlatform, L::kA, kLow, kIn, Within(30, kPhoneAndMail), kOnProgressMail},
      {kPlatform, L::kA, kLow, kOut, std::nullopt, kFinalOnly},
      // Particular VMs (12 rows).
      {kVm, L::kA, kHigh, kIn, Within(15, kPhoneAndMail), kHourlyBoth},
      {kVm, L::kA, kHigh, kOut, Within(30, kPhoneOnly), kHourlyPhone},
      {kVm, L::kA, kLow, kIn, Within(30, kPhoneAndMail), kOnProgressMail},
      {kVm, L::kA, kLow, kOut, std::nullopt, kFinalOnly},
      {kVm, L::kB, kHigh, kIn, Within(30, kPhoneAndMail), kHourlyBoth},
      {kVm, L::kB, kHigh, kOut, Within(60, kPhoneOnly), kHourlyPhone},
      {kVm, L::kB, kLow, kIn, Within(60, kPhoneAndMail), kOnProgressMail},
      {kVm, L::kB, kLow, kOut, std::nullopt, kFinalOnly},
      {kVm, L::kC, kHigh, kIn, Within(60, kPhoneAndMail), kHourlyBoth},
      {kVm, L::kC, kHigh, kOut, std::nullopt, kFinalOnly},
      {kVm, L::kC, kLow, kIn, std::nullopt, kFinalOnly},
      {kVm, L::kC, kLow, kOut, std::nullopt, kFinalOnly},
      // C-dev is level C (development/test): the C rows again.
      {kVm, L::kCDev, kHigh, kIn, Within(60, kPhoneAndMail), kHourlyBoth},
      {kVm, L::kCDev, kHigh, kOut, std::nullopt, kFinalOnly},
      {kVm, L::kCDev, kLow, kIn, std::nullopt, kFinalOnly},
      {kVm, L::kCDev, kLow, kOut, std::nullopt, kFinalOnly},
  };
  return rows;
}

std::string Describe(const SpecRow& row, const Moment& moment) {
  std::string text(IncidentScopeName(row.scope));
  if (row.scope == kVm) text += " level " + std::string(ServiceLevelName(row.level));
  return text + " priority " + std::string(PriorityName(row.priority)) + " detected " + moment.name;
}

void ExpectPlan(const ReportPlan& plan, const SpecRow& row) {
  EXPECT_EQ(plan.detected_in_business_hours, row.business_hours);
  ASSERT_EQ(plan.first.has_value(), row.first.has_value());
  if (row.first) {
    EXPECT_EQ(plan.first->deadline, row.first->deadline);
    EXPECT_EQ(ChannelsName(plan.first->channels), ChannelsName(row.first->channels));
  }
  EXPECT_EQ(plan.continuing.kind, row.continuing.kind);
  EXPECT_EQ(ChannelsName(plan.continuing.channels), ChannelsName(row.continuing.channels));
  // "The final report is sent on recovery"; its only channel in the tables
  // is mail ("final report only | mail").
  EXPECT_EQ(ChannelsName(plan.final_report), "mail");
}

TEST(TimetableTest, EverySpecRowAtEveryDetectionMoment) {
  const BusinessCalendar calendar;
  int checked = 0;
  for (const SpecRow& row : SpecRows()) {
    const auto& moments = row.business_hours ? InsideMoments() : OutsideMoments();
    // The platform table has no level column: every level gets its rows.
    std::vector<ServiceLevel> levels = {row.level};
    if (row.scope == kPlatform) {
      levels = {ServiceLevel::kA, ServiceLevel::kB, ServiceLevel::kC, ServiceLevel::kCDev};
    }
    for (const Moment& moment : moments) {
      for (ServiceLevel level : levels) {
        SCOPED_TRACE(Describe(row, moment) + " (level passed " +
                     std::string(ServiceLevelName(level)) + ")");
        ExpectPlan(PlanReports(row.scope, level, row.priority, moment.at, calendar), row);
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 100);
}

// Guards the test table itself: each (scope, level, priority, when) exactly
// once, 4 platform rows and 12 + 4 (C-dev) VM rows.
TEST(TimetableTest, SpecTableHasEveryCombinationOnce) {
  int platform = 0, vm = 0;
  for (const SpecRow& row : SpecRows()) (row.scope == kPlatform ? platform : vm)++;
  EXPECT_EQ(platform, 4);
  EXPECT_EQ(vm, 16);
  for (size_t i = 0; i < SpecRows().size(); ++i) {
    for (size_t j = i + 1; j < SpecRows().size(); ++j) {
      const SpecRow &a = SpecRows()[i], &b = SpecRows()[j];
      EXPECT_FALSE(a.scope == b.scope && a.level == b.level && a.priority == b.priority &&
                   a.business_hours == b.business_hours)
          << "rows " << i << " and " << j;
    }
  }
}

TEST(TimetableTest, BusinessHoursEdgesPickTheRow) {
  const BusinessCalendar calendar;
  auto first = [&](TimePoint at) {
    return PlanReports(kVm, ServiceLevel::kB, kHigh, at, calendar).first;
  };
  // B high: 30 min by phone and mail inside, 60 min by phone outside.
  EXPECT_EQ(first(Tokyo(2026, 12, 1, 17, 44)), Within(30, kPhoneAndMail));
  EXPECT_EQ(first(Tokyo(2026, 12, 1, 17, 44, 59)), Within(30, kPhoneAndMail));
  EXPECT_EQ(first(Tokyo(2026, 12, 1, 17, 45)), Within(60, kPhoneOnly));
  EXPECT_EQ(first(Tokyo(2026, 12, 1, 17, 46)), Within(60, kPhoneOnly));
  EXPECT_EQ(first(Tokyo(2026, 12, 1, 9, 0)), Within(30, kPhoneAndMail));
  EXPECT_EQ(first(Tokyo(2026, 12, 1, 8, 59)), Within(60, kPhoneOnly));
  EXPECT_EQ(first(Tokyo(2026, 12, 1, 8, 59, 59)), Within(60, kPhoneOnly));
}

TEST(TimetableTest, CalendarSettingsMoveTheEdges) {
  // An operator-declared open day makes a holiday's 10:00 "business hours".
  CalendarSettings settings;
  settings.extra_open_days = {"2026-11-23"};
  const BusinessCalendar calendar(settings);
  const ReportPlan plan =
      PlanReports(kVm, ServiceLevel::kA, kHigh, Tokyo(2026, 11, 23, 10, 0), calendar);
  EXPECT_TRUE(plan.detected_in_business_hours);
  EXPECT_EQ(plan.first, Within(15, kPhoneAndMail));
}

TEST(TimetableTest, FirstReportDueIsDetectionPlusDeadlineEvenPastClosing) {
  const BusinessCalendar calendar;
  const TimePoint detected = Tokyo(2026, 12, 28, 17, 40);
  const ReportPlan plan = PlanReports(kVm, ServiceLevel::kC, kHigh, detected, calendar);
  // 60 min from 17:40 is 18:40, outside business hours: still due then.
  EXPECT_EQ(FirstReportDue(plan, detected), Tokyo(2026, 12, 28, 18, 40));
  const ReportPlan none = PlanReports(kVm, ServiceLevel::kC, kLow, detected, calendar);
  EXPECT_EQ(FirstReportDue(none, detected), std::nullopt);
  // Sub-second detection times are kept, not rounded.
  const TimePoint odd = detected + chrono::milliseconds{1234};
  EXPECT_EQ(FirstReportDue(plan, odd), odd + minutes{60});
}

TEST(TimetableTest, ContinuingReportsOnlyOnTheClockWhenHourly) {
  const BusinessCalendar calendar;
  const TimePoint inside = Tokyo(2026, 12, 1, 10, 0);
  const TimePoint outside = Tokyo(2026, 12, 26, 10, 0);
  const ReportPlan on_progress = PlanReports(kVm, ServiceLevel::kA, kLow, inside, calendar);
  EXPECT_EQ(NextContinuingReportDue(on_progress, inside, std::nullopt), std::nullopt);
  const ReportPlan final_only = PlanReports(kVm, ServiceLevel::kA, kLow, outside, calendar);
  EXPECT_EQ(NextContinuingReportDue(final_only, outside, std::nullopt), std::nullopt);
  EXPECT_EQ(NextContinuingReportDue(final_only, outside, outside + hours{2}), std::nullopt);
}

TEST(TimetableTest, HourlyFromTheFirstReportsDueTime) {
  const BusinessCalendar calendar;
  const TimePoint detected = Tokyo(2026, 12, 1, 10, 0);
  const ReportPlan plan = PlanReports(kPlatform, ServiceLevel::kA, kHigh, detected, calendar);
  const TimePoint anchor = Tokyo(2026, 12, 1, 10, 5);  // within 5 min
  EXPECT_EQ(NextContinuingReportDue(plan, detected, std::nullopt), anchor + hours{1});
  // On time, a little late, very late: back onto the grid, never drifting.
  EXPECT_EQ(NextContinuingReportDue(plan, detected, anchor + hours{1}), anchor + hours{2});
  EXPECT_EQ(NextContinuingReportDue(plan, detected, anchor + hours{1} + seconds{10}),
            anchor + hours{2});
  EXPECT_EQ(NextContinuingReportDue(plan, detected, anchor + hours{1} + minutes{50}),
            anchor + hours{2});
  // Sent before its slot (e.g. under an earlier plan): the slot stays due.
  EXPECT_EQ(NextContinuingReportDue(plan, detected, anchor + minutes{30}), anchor + hours{1});
  EXPECT_EQ(NextContinuingReportDue(plan, detected, anchor - minutes{30}), anchor + hours{1});
  EXPECT_EQ(NextContinuingReportDue(plan, detected, anchor + hours{1} - chrono::nanoseconds{1}),
            anchor + hours{1});
  // Far along: 10 h in.
  EXPECT_EQ(NextContinuingReportDue(plan, detected, anchor + hours{10} + minutes{3}),
            anchor + hours{11});
}

// An outbox-like loop on a fake clock, one simulated second per step for
// 3 h 40 min; runs in milliseconds.
TEST(TimetableTest, HourlySequenceOnAFakeClock) {
  const BusinessCalendar calendar;
  const TimePoint detected = Tokyo(2026, 12, 28, 17, 40);
  const ReportPlan plan = PlanReports(kVm, ServiceLevel::kB, kHigh, detected, calendar);
  ManualClock clock(detected);
  std::optional<TimePoint> first_sent, last_continuing;
  std::vector<std::string> continuing_sent;
  const TimePoint end = detected + hours{3} + minutes{40};
  for (; clock.Now() <= end; clock.Advance(seconds{1})) {
    const TimePoint now = clock.Now();
    if (!first_sent && now >= *FirstReportDue(plan, detected)) first_sent = now;
    const auto due = NextContinuingReportDue(plan, detected, last_continuing);
    ASSERT_TRUE(due.has_value());
    if (now >= *due) {
      continuing_sent.push_back(FormatTokyoTime(now));
      last_continuing = now;
    }
  }
  EXPECT_EQ(first_sent, Tokyo(2026, 12, 28, 18, 10));
  EXPECT_EQ(continuing_sent,
            (std::vector<std::string>{"2026-12-28 19:10", "2026-12-28 20:10", "2026-12-28 21:10"}));
}

// The same loop with every send 7 minutes late: the schedule does not drift.
TEST(TimetableTest, LateSendsDoNotDriftTheHourlyGrid) {
  const BusinessCalendar calendar;
  const TimePoint detected = Tokyo(2026, 12, 26, 3, 0);  // Saturday night
  const ReportPlan plan = PlanReports(kVm, ServiceLevel::kA, kHigh, detected, calendar);
  ASSERT_EQ(plan.first, Within(30, kPhoneOnly));
  ASSERT_EQ(plan.continuing, kHourlyPhone);
  ManualClock clock(detected);
  std::optional<TimePoint> last;
  std::vector<std::string> sent;
  for (; clock.Now() <= detected + hours{4}; clock.Advance(minutes{1})) {
    const auto due = NextContinuingReportDue(plan, detected, last);
    if (clock.Now() >= *due + minutes{7}) {
      sent.push_back(FormatTokyoTime(clock.Now()));
      last = clock.Now();
    }
  }
  EXPECT_EQ(sent,
            (std::vector<std::string>{"2026-12-26 04:37", "2026-12-26 05:37", "2026-12-26 06:37"}));
}

TEST(TimetableTest, PriorityRaisedWhileOpenKeepsDetectionTime) {
  const BusinessCalendar calendar;
  const TimePoint detected = Tokyo(2026, 12, 1, 10, 0);
  const ReportPlan low = PlanReports(kVm, ServiceLevel::kB, kLow, detected, calendar);
  EXPECT_EQ(low.first, Within(60, kPhoneAndMail));
  EXPECT_EQ(low.continuing, kOnProgressMail);
  EXPECT_EQ(NextContinuingReportDue(low, detected, std::nullopt), std::nullopt);
  // Raised to high at 10:20: first report now due 10:30, hourly from then.
  const ReportPlan high = PlanReports(kVm, ServiceLevel::kB, kHigh, detected, calendar);
  EXPECT_EQ(FirstReportDue(high, detected), Tokyo(2026, 12, 1, 10, 30));
  EXPECT_EQ(high.continuing, kHourlyBoth);
  EXPECT_EQ(NextContinuingReportDue(high, detected, std::nullopt), Tokyo(2026, 12, 1, 11, 30));
}

TEST(TimetableTest, PriorityChangedAfterClosingStillUsesTheBusinessHoursRow) {
  const BusinessCalendar calendar;
  const TimePoint detected = Tokyo(2026, 12, 28, 17, 40);  // inside
  const TimePoint changed = Tokyo(2026, 12, 28, 18, 30);   // outside
  ASSERT_FALSE(calendar.IsBusinessHours(changed));
  const ReportPlan recomputed = PlanReports(kVm, ServiceLevel::kB, kHigh, detected, calendar);
  EXPECT_TRUE(recomputed.detected_in_business_hours);
  EXPECT_EQ(recomputed.first, Within(30, kPhoneAndMail));
  // Its first report (18:10) is overdue at 18:30: the caller sends it now.
  EXPECT_LT(*FirstReportDue(recomputed, detected), changed);
  EXPECT_EQ(NextContinuingReportDue(recomputed, detected, std::nullopt),
            Tokyo(2026, 12, 28, 19, 10));
  // Judging at the change time would have picked the other row.
  EXPECT_NE(PlanReports(kVm, ServiceLevel::kB, kHigh, changed, calendar), recomputed);
}

TEST(TimetableTest, PriorityLoweredWhileOpen) {
  const BusinessCalendar calendar;
  const TimePoint detected = Tokyo(2026, 12, 26, 10, 0);  // Saturday
  const ReportPlan high = PlanReports(kPlatform, ServiceLevel::kA, kHigh, detected, calendar);
  EXPECT_EQ(high.first, Within(30, kPhoneOnly));
  const ReportPlan low = PlanReports(kPlatform, ServiceLevel::kA, kLow, detected, calendar);
  EXPECT_EQ(low.first, std::nullopt);
  EXPECT_EQ(low.continuing, kFinalOnly);
  EXPECT_EQ(NextContinuingReportDue(low, detected, detected + hours{1}), std::nullopt);
  EXPECT_EQ(low.final_report, kMailOnly);
}

TEST(TimetableTest, ParseTokyoTime) {
  const auto t = ParseTokyoTime("2026-12-28 17:40");
  ASSERT_TRUE(t.has_value());
  // Tokyo is UTC+9: 17:40 there is 08:40 UTC.
  EXPECT_EQ(*t, chrono::sys_days{chrono::year{2026} / 12 / 28} + hours{8} + minutes{40});
  EXPECT_EQ(FormatTokyoTime(*t), "2026-12-28 17:40");
  EXPECT_EQ(ParseTokyoTime("2026-01-01 00:00"), Tokyo(2026, 1, 1, 0, 0));
  EXPECT_EQ(ParseTokyoTime("2026-12-31 23:59"), Tokyo(2026, 12, 31, 23, 59));
  for (const char* bad :
       {"", "2026-12-28", "2026-12-28 17:4", "2026-12-28 7:40", "2026-12-28T17:40",
        "2026-12-28 17:40:00", "2026-12-28 24:00", "2026-12-28 17:60", "2026-02-30 10:00",
        "2026-12-28 17-40", "2026-12-28 +7:40", "2026-12-28 17:40 ", " 2026-12-28 17:40",
        "2026/12/28 17:40"}) {
    EXPECT_EQ(ParseTokyoTime(bad), std::nullopt) << '"' << bad << '"';
  }
}

// A TimePoint (64-bit nanoseconds) ends on 2262-04-11: later times must be
// refused, not wrapped round to the 1600s.
TEST(TimetableTest, ParseTokyoTimeRefusesTimesOutsideTheSupportedRange) {
  EXPECT_EQ(ParseTokyoTime("1970-01-01 00:00"), Tokyo(1970, 1, 1, 0, 0));
  EXPECT_EQ(FormatTokyoTime(*ParseTokyoTime("2261-12-31 23:59")), "2261-12-31 23:59");
  for (const char* outside : {"1969-12-31 23:59", "2262-01-01 00:00", "2262-04-12 00:00",
                              "9999-12-31 00:00", "0000-01-01 00:00"}) {
    EXPECT_EQ(ParseTokyoTime(outside), std::nullopt) << outside;
    EXPECT_EQ(TokyoTimeProblem(outside),
              "is outside the supported times (1970-01-01 00:00 to 2261-12-31 23:59)")
        << outside;
  }
  EXPECT_EQ(TokyoTimeProblem("2026-12-28 17:40"), "");
  EXPECT_EQ(TokyoTimeProblem("2026-12-28T17:40"), "is not \"YYYY-MM-DD HH:MM\" (Tokyo time)");
  EXPECT_TRUE(IsSupportedDay(chrono::year{2261} / 12 / 31));
  EXPECT_FALSE(IsSupportedDay(chrono::year{2262} / 1 / 1));
}

TEST(TimetableTest, FormatTokyoTimeFloorsSeconds) {
  EXPECT_EQ(FormatTokyoTime(Tokyo(2026, 12, 28, 17, 40, 59) + chrono::milliseconds{999}),
            "2026-12-28 17:40");
  EXPECT_EQ(FormatTokyoTime(Tokyo(2027, 1, 4, 0, 0)), "2027-01-04 00:00");
}

bool HasLine(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

// `--level B --priority high --scope vm --at "2026-12-28 17:40"`: a Monday,
// inside business hours.
TEST(TimetableTest, DescribeTheExampleInBusinessHours) {
  const BusinessCalendar calendar;
  const std::string text = DescribeTimetable(kVm, ServiceLevel::kB, kHigh,
                                             *ParseTokyoTime("2026-12-28 17:40"), calendar);
  SCOPED_TRACE(text);
  EXPECT_TRUE(HasLine(text, "報告予定（試算） / Reporting timetable (dry run)"));
  EXPECT_TRUE(HasLine(text, "サービスレベル / service level: B"));
  EXPECT_TRUE(HasLine(text, "優先度 / priority: 高 / high"));
  EXPECT_TRUE(HasLine(text, "検知 / detected: 2026-12-28 17:40 (業務時間内 / in business hours)"));
  EXPECT_TRUE(HasLine(text, "表示範囲 / horizon: 2026-12-28 20:40 まで / until (3 h)"));
  const std::string first =
      "2026-12-28 18:10  第一報 / first report (検知から30分以内 / within 30 min of detection): "
      "電話・メール / phone and mail";
  const std::string second =
      "2026-12-28 19:10  継続報 / continuing report 1: 電話・メール / "
      "phone and mail";
  const std::string third =
      "2026-12-28 20:10  継続報 / continuing report 2: 電話・メール / "
      "phone and mail";
  const std::string final_report = "復旧時 / on recovery  最終報 / final report: メール / mail";
  EXPECT_TRUE(HasLine(text, first));
  EXPECT_TRUE(HasLine(text, second));
  EXPECT_TRUE(HasLine(text, third));
  EXPECT_TRUE(HasLine(text, final_report));
  EXPECT_LT(text.find(first), text.find(second));
  EXPECT_LT(text.find(second), text.find(third));
  EXPECT_LT(text.find(third), text.find(final_report));
  // 21:10 is past the 3 h horizon.
  EXPECT_EQ(text.find("continuing report 3"), std::string::npos);
}

TEST(TimetableTest, DescribeTheExampleSixMinutesLater) {
  const BusinessCalendar calendar;
  const std::string text = DescribeTimetable(kVm, ServiceLevel::kB, kHigh,
                                             *ParseTokyoTime("2026-12-28 17:46"), calendar);
  SCOPED_TRACE(text);
  EXPECT_TRUE(
      HasLine(text, "検知 / detected: 2026-12-28 17:46 (業務時間外 / outside business hours)"));
  EXPECT_TRUE(HasLine(text,
                      "2026-12-28 18:46  第一報 / first report (検知から60分以内 / within 60 min "
                      "of detection): 電話 / phone"));
  EXPECT_TRUE(HasLine(text, "2026-12-28 19:46  継続報 / continuing report 1: 電話 / phone"));
  // The horizon is inclusive: 20:46 is exactly 3 h after detection.
  EXPECT_TRUE(HasLine(text, "2026-12-28 20:46  継続報 / continuing report 2: 電話 / phone"));
  EXPECT_EQ(text.find("continuing report 3"), std::string::npos);
}

TEST(TimetableTest, DescribeRowsWithoutClockedReports) {
  const BusinessCalendar calendar;
  const TimePoint saturday = Tokyo(2026, 12, 26, 10, 0);
  const std::string none = DescribeTimetable(kPlatform, ServiceLevel::kC, kLow, saturday, calendar);
  SCOPED_TRACE(none);
  EXPECT_TRUE(HasLine(none, "対象 / scope: 基盤全体の障害 / failure of the whole platform"));
  EXPECT_TRUE(HasLine(
      none,
      "サービスレベル / service level: 全レベル（基盤全体の表） / every level (the platform "
      "table)"));
  EXPECT_TRUE(HasLine(none, "第一報 / first report: なし / none"));
  EXPECT_TRUE(
      HasLine(none, "継続報 / continuing reports: なし（最終報のみ） / none (final report only)"));
  EXPECT_TRUE(HasLine(none, "復旧時 / on recovery  最終報 / final report: メール / mail"));

  const std::string progress = DescribeTimetable(kVm, ServiceLevel::kCDev, kHigh,
                                                 Tokyo(2026, 12, 1, 10, 0), calendar, hours{1});
  EXPECT_TRUE(HasLine(progress,
                      "サービスレベル / service level: C-dev（Cの行） / C-dev (level "
                      "C's rows)"));
  EXPECT_TRUE(HasLine(progress,
                      "2026-12-01 11:00  第一報 / first report (検知から60分以内 / within 60 min "
                      "of detection): 電話・メール / phone and mail"));

  const std::string on_progress =
      DescribeTimetable(kVm, ServiceLevel::kA, kLow, Tokyo(2026, 12, 1, 10, 0), calendar);
  EXPECT_TRUE(HasLine(on_progress,
                      "継続報 / continuing reports: 進捗の都度 / on each progress: メール / mail"));
}

TEST(TimetableTest, DescribeMarksAFirstReportBeyondTheHorizon) {
  const BusinessCalendar calendar;
  const std::string text =
      DescribeTimetable(kVm, ServiceLevel::kB, kLow, Tokyo(2026, 12, 1, 10, 0), calendar, hours{0});
  EXPECT_NE(text.find("2026-12-01 11:00  第一報 / first report"), std::string::npos) << text;
  EXPECT_NE(text.find("[表示範囲外 / after the horizon]"), std::string::npos) << text;
}

}  // namespace
}  // namespace mimamori::collector
