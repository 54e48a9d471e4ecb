// The holiday rules against the Cabinet Office's published lists, and the
// business day/hour judgements of spec section 2 at their edges.
#include "collector/calendar/business_calendar.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace mimamori::collector {
namespace {

namespace chrono = std::chrono;
using chrono::Friday;
using chrono::Monday;
using chrono::Saturday;
using chrono::Sunday;
using chrono::Thursday;
using chrono::Tuesday;
using chrono::Wednesday;

chrono::year_month_day D(int y, unsigned m, unsigned d) {
  return chrono::year{y} / chrono::month{m} / chrono::day{d};
}

// A Tokyo wall-clock moment, through the calendar's own conversion; one test
// below pins that conversion to plain UTC arithmetic.
TimePoint Tokyo(chrono::year_month_day day, int h, int m, int s = 0) {
  return BusinessCalendar::FromTokyo(chrono::local_days{day} + chrono::hours{h} +
                                     chrono::minutes{m} + chrono::seconds{s});
}

std::string Show(TimePoint t) {
  const chrono::local_seconds local = BusinessCalendar::ToTokyo(t);
  const chrono::local_days day = chrono::floor<chrono::days>(local);
  const chrono::year_month_day ymd{day};
  const chrono::hh_mm_ss hms{local - day};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u %02d:%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return text;
}

struct Row {
  chrono::year_month_day date;
  chrono::weekday weekday;  // written by hand and checked, to catch a typo in the table
  const char* name;
};

// The official lists, as 内閣府「国民の祝日について」 and its syukujitsu.csv
// publish them, with two renamings the product documents: the CSV's "休日"
// is written here as 振替休日 (a Sunday holiday's substitute) or 国民の休日
// (a day between two holidays), as the case is.
//
// 2019-2021 and 2024-2027 are published officially (2027 in February 2026,
// with the equinox days of the National Astronomical Observatory's 暦要項:
// 春分 3/21, 秋分 9/23). 2028-2030 are not published yet: they are the law's
// rules applied by hand, with the equinox days from the approximation
// formula (2028: 3/20, 9/22; 2029: 3/20, 9/23; 2030: 3/20, 9/23), and were
// checked against an independent implementation (the holiday_jp data).
const std::vector<Row>& Official(int year) {
  static const std::vector<Row> k2019 = {
      {D(2019, 1, 1), Tuesday, "元日"},
      {D(2019, 1, 14), Monday, "成人の日"},
      {D(2019, 2, 11), Monday, "建国記念の日"},
      {D(2019, 3, 21), Thursday, "春分の日"},
      {D(2019, 4, 29), Monday, "昭和の日"},
      {D(2019, 4, 30), Tuesday, "国民の休日"},
      {D(2019, 5, 1), Wednesday, "即位の日"},  // CSV: 休日（祝日扱い）
      {D(2019, 5, 2), Thursday, "国民の休日"},
      {D(2019, 5, 3), Friday, "憲法記念日"},
      {D(2019, 5, 4), Saturday, "みどりの日"},
      {D(2019, 5, 5), Sunday, "こどもの日"},
      {D(2019, 5, 6), Monday, "振替休日"},
      {D(2019, 7, 15), Monday, "海の日"},
      {D(2019, 8, 11), Sunday, "山の日"},
      {D(2019, 8, 12), Monday, "振替休日"},
      {D(2019, 9, 16), Monday, "敬老の日"},
      {D(2019, 9, 23), Monday, "秋分の日"},
      {D(2019, 10, 14), Monday, "体育の日"},         // CSV: 体育の日（スポーツの日）
      {D(2019, 10, 22), Tuesday, "即位礼正殿の儀"},  // CSV: 休日（祝日扱い）
      {D(2019, 11, 3), Sunday, "文化の日"},
      {D(2019, 11, 4), Monday, "振替休日"},
      {D(2019, 11, 23), Saturday, "勤労感謝の日"},
  };
  static const std::vector<Row> k2020 = {
      {D(2020, 1, 1), Wednesday, "元日"},        {D(2020, 1, 13), Monday, "成人の日"},
      {D(2020, 2, 11), Tuesday, "建国記念の日"}, {D(2020, 2, 23), Sunday, "天皇誕生日"},
      {D(2020, 2, 24), Monday, "振替休日"},      {D(2020, 3, 20), Friday, "春分の日"},
      {D(2020, 4, 29), Wednesday, "昭和の日"},   {D(2020, 5, 3), Sunday, "憲法記念日"},
      {D(2020, 5, 4), Monday, "みどりの日"},     {D(2020, 5, 5), Tuesday, "こどもの日"},
      {D(2020, 5, 6), Wednesday, "振替休日"},    {D(2020, 7, 23), Thursday, "海の日"},
      {D(2020, 7, 24), Friday, "スポーツの日"},  {D(2020, 8, 10), Monday, "山の日"},
      {D(2020, 9, 21), Monday, "敬老の日"},      {D(2020, 9, 22), Tuesday, "秋分の日"},
      {D(2020, 11, 3), Tuesday, "文化の日"},     {D(2020, 11, 23), Monday, "勤労感謝の日"},
  };
  static const std::vector<Row> k2021 = {
      {D(2021, 1, 1), Friday, "元日"},
      {D(2021, 1, 11), Monday, "成人の日"},
      {D(2021, 2, 11), Thursday, "建国記念の日"},
      {D(2021, 2, 23), Tuesday, "天皇誕生日"},
      {D(2021, 3, 20), Saturday, "春分の日"},
      {D(2021, 4, 29), Thursday, "昭和の日"},
      {D(2021, 5, 3), Monday, "憲法記念日"},
      {D(2021, 5, 4), Tuesday, "みどりの日"},
      {D(2021, 5, 5), Wednesday, "こどもの日"},
      {D(2021, 7, 22), Thursday, "海の日"},
      {D(2021, 7, 23), Friday, "スポーツの日"},
      {D(2021, 8, 8), Sunday, "山の日"},
      {D(2021, 8, 9), Monday, "振替休日"},
      {D(2021, 9, 20), Monday, "敬老の日"},
      {D(2021, 9, 23), Thursday, "秋分の日"},
      {D(2021, 11, 3), Wednesday, "文化の日"},
      {D(2021, 11, 23), Tuesday, "勤労感謝の日"},
  };
  static const std::vector<Row> k2024 = {
      {D(2024, 1, 1), Monday, "元日"},
      {D(2024, 1, 8), Monday, "成人の日"},
      {D(2024, 2, 11), Sunday, "建国記念の日"},
      {D(2024, 2, 12), Monday, "振替休日"},
      {D(2024, 2, 23), Friday, "天皇誕生日"},
      {D(2024, 3, 20), Wednesday, "春分の日"},
      {D(2024, 4, 29), Monday, "昭和の日"},
      {D(2024, 5, 3), Friday, "憲法記念日"},
      {D(2024, 5, 4), Saturday, "みどりの日"},
      {D(2024, 5, 5), Sunday, "こどもの日"},
      {D(2024, 5, 6), Monday, "振替休日"},
      {D(2024, 7, 15), Monday, "海の日"},
      {D(2024, 8, 11), Sunday, "山の日"},
      {D(2024, 8, 12), Monday, "振替休日"},
      {D(2024, 9, 16), Monday, "敬老の日"},
      {D(2024, 9, 22), Sunday, "秋分の日"},
      {D(2024, 9, 23), Monday, "振替休日"},
      {D(2024, 10, 14), Monday, "スポーツの日"},
      {D(2024, 11, 3), Sunday, "文化の日"},
      {D(2024, 11, 4), Monday, "振替休日"},
      {D(2024, 11, 23), Saturday, "勤労感謝の日"},
  };
  static const std::vector<Row> k2025 = {
      {D(2025, 1, 1), Wednesday, "元日"},        {D(2025, 1, 13), Monday, "成人の日"},
      {D(2025, 2, 11), Tuesday, "建国記念の日"}, {D(2025, 2, 23), Sunday, "天皇誕生日"},
      {D(2025, 2, 24), Monday, "振替休日"},      {D(2025, 3, 20), Thursday, "春分の日"},
      {D(2025, 4, 29), Tuesday, "昭和の日"},     {D(2025, 5, 3), Saturday, "憲法記念日"},
      {D(2025, 5, 4), Sunday, "みどりの日"},     {D(2025, 5, 5), Monday, "こどもの日"},
      {D(2025, 5, 6), Tuesday, "振替休日"},      {D(2025, 7, 21), Monday, "海の日"},
      {D(2025, 8, 11), Monday, "山の日"},        {D(2025, 9, 15), Monday, "敬老の日"},
      {D(2025, 9, 23), Tuesday, "秋分の日"},     {D(2025, 10, 13), Monday, "スポーツの日"},
      {D(2025, 11, 3), Monday, "文化の日"},      {D(2025, 11, 23), Sunday, "勤労感謝の日"},
      {D(2025, 11, 24), Monday, "振替休日"},
  };
  static const std::vector<Row> k2026 = {
      {D(2026, 1, 1), Thursday, "元日"},
      {D(2026, 1, 12), Monday, "成人の日"},
      {D(2026, 2, 11), Wednesday, "建国記念の日"},
      {D(2026, 2, 23), Monday, "天皇誕生日"},
      {D(2026, 3, 20), Friday, "春分の日"},
      {D(2026, 4, 29), Wednesday, "昭和の日"},
      {D(2026, 5, 3), Sunday, "憲法記念日"},
      {D(2026, 5, 4), Monday, "みどりの日"},
      {D(2026, 5, 5), Tuesday, "こどもの日"},
      {D(2026, 5, 6), Wednesday, "振替休日"},  // for 5/3, past two holidays
      {D(2026, 7, 20), Monday, "海の日"},
      {D(2026, 8, 11), Tuesday, "山の日"},
      {D(2026, 9, 21), Monday, "敬老の日"},
      {D(2026, 9, 22), Tuesday, "国民の休日"},
      {D(2026, 9, 23), Wednesday, "秋分の日"},
      {D(2026, 10, 12), Monday, "スポーツの日"},
      {D(2026, 11, 3), Tuesday, "文化の日"},
      {D(2026, 11, 23), Monday, "勤労感謝の日"},
  };
  static const std::vector<Row> k2027 = {
      {D(2027, 1, 1), Friday, "元日"},
      {D(2027, 1, 11), Monday, "成人の日"},
      {D(2027, 2, 11), Thursday, "建国記念の日"},
      {D(2027, 2, 23), Tuesday, "天皇誕生日"},
      {D(2027, 3, 21), Sunday, "春分の日"},
      {D(2027, 3, 22), Monday, "振替休日"},
      {D(2027, 4, 29), Thursday, "昭和の日"},
      {D(2027, 5, 3), Monday, "憲法記念日"},
      {D(2027, 5, 4), Tuesday, "みどりの日"},
      {D(2027, 5, 5), Wednesday, "こどもの日"},
      {D(2027, 7, 19), Monday, "海の日"},
      {D(2027, 8, 11), Wednesday, "山の日"},
      {D(2027, 9, 20), Monday, "敬老の日"},
      {D(2027, 9, 23), Thursday, "秋分の日"},
      {D(2027, 10, 11), Monday, "スポーツの日"},
      {D(2027, 11, 3), Wednesday, "文化の日"},
      {D(2027, 11, 23), Tuesday, "勤労感謝の日"},
  };
  static const std::vector<Row> k2028 = {
      {D(2028, 1, 1), Saturday, "元日"},        {D(2028, 1, 10), Monday, "成人の日"},
      {D(2028, 2, 11), Friday, "建国記念の日"}, {D(2028, 2, 23), Wednesday, "天皇誕生日"},
      {D(2028, 3, 20), Monday, "春分の日"},     {D(2028, 4, 29), Saturday, "昭和の日"},
      {D(2028, 5, 3), Wednesday, "憲法記念日"}, {D(2028, 5, 4), Thursday, "みどりの日"},
      {D(2028, 5, 5), Friday, "こどもの日"},    {D(2028, 7, 17), Monday, "海の日"},
      {D(2028, 8, 11), Friday, "山の日"},       {D(2028, 9, 18), Monday, "敬老の日"},
      {D(2028, 9, 22), Friday, "秋分の日"},     {D(2028, 10, 9), Monday, "スポーツの日"},
      {D(2028, 11, 3), Friday, "文化の日"},     {D(2028, 11, 23), Thursday, "勤労感謝の日"},
  };
  static const std::vector<Row> k2029 = {
      {D(2029, 1, 1), Monday, "元日"},           {D(2029, 1, 8), Monday, "成人の日"},
      {D(2029, 2, 11), Sunday, "建国記念の日"},  {D(2029, 2, 12), Monday, "振替休日"},
      {D(2029, 2, 23), Friday, "天皇誕生日"},    {D(2029, 3, 20), Tuesday, "春分の日"},
      {D(2029, 4, 29), Sunday, "昭和の日"},      {D(2029, 4, 30), Monday, "振替休日"},
      {D(2029, 5, 3), Thursday, "憲法記念日"},   {D(2029, 5, 4), Friday, "みどりの日"},
      {D(2029, 5, 5), Saturday, "こどもの日"},   {D(2029, 7, 16), Monday, "海の日"},
      {D(2029, 8, 11), Saturday, "山の日"},      {D(2029, 9, 17), Monday, "敬老の日"},
      {D(2029, 9, 23), Sunday, "秋分の日"},      {D(2029, 9, 24), Monday, "振替休日"},
      {D(2029, 10, 8), Monday, "スポーツの日"},  {D(2029, 11, 3), Saturday, "文化の日"},
      {D(2029, 11, 23), Friday, "勤労感謝の日"},
  };
  static const std::vector<Row> k2030 = {
      {D(2030, 1, 1), Tuesday, "元日"},
      {D(2030, 1, 14), Monday, "成人の日"},
      {D(2030, 2, 11), Monday, "建国記念の日"},
      {D(2030, 2, 23), Saturday, "天皇誕生日"},
      {D(2030, 3, 20), Wednesday, "春分の日"},
      {D(2030, 4, 29), Monday, "昭和の日"},
      {D(2030, 5, 3), Friday, "憲法記念日"},
      {D(2030, 5, 4), Saturday, "みどりの日"},
      {D(2030, 5, 5), Sunday, "こどもの日"},
      {D(2030, 5, 6), Monday, "振替休日"},
      {D(2030, 7, 15), Monday, "海の日"},
      {D(2030, 8, 11), Sunday, "山の日"},
      {D(2030, 8, 12), Monday, "振替休日"},
      {D(2030, 9, 16), Monday, "敬老の日"},
      {D(2030, 9, 23), Monday, "秋分の日"},
      {D(2030, 10, 14), Monday, "スポーツの日"},
      {D(2030, 11, 3), Sunday, "文化の日"},
      {D(2030, 11, 4), Monday, "振替休日"},
      {D(2030, 11, 23), Saturday, "勤労感謝の日"},
  };
  static const std::vector<Row> kNone;
  switch (year) {
    case 2019:
      return k2019;
    case 2020:
      return k2020;
    case 2021:
      return k2021;
    case 2024:
      return k2024;
    case 2025:
      return k2025;
    case 2026:
      return k2026;
    case 2027:
      return k2027;
    case 2028:
      return k2028;
    case 2029:
      return k2029;
    case 2030:
      return k2030;
  }
  return kNone;
}

class OfficialList : public ::testing::TestWithParam<int> {};

TEST_P(OfficialList, TableIsWellFormed) {
  const std::vector<Row>& rows = Official(GetParam());
  ASSERT_FALSE(rows.empty());
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(rows[i].name);
    ASSERT_TRUE(rows[i].date.ok());
    EXPECT_EQ(rows[i].date.year(), chrono::year{GetParam()});
    EXPECT_EQ(chrono::weekday{chrono::sys_days{rows[i].date}}, rows[i].weekday)
        << static_cast<unsigned>(rows[i].date.month()) << "/"
        << static_cast<unsigned>(rows[i].date.day());
    if (i > 0) {
      EXPECT_LT(rows[i - 1].date, rows[i].date);
    }
  }
}

TEST_P(OfficialList, JapaneseHolidaysMatches) {
  const std::vector<Row>& rows = Official(GetParam());
  const auto got = JapaneseHolidays(chrono::year{GetParam()});
  ASSERT_EQ(got.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(got[i].first, rows[i].date) << rows[i].name;
    EXPECT_EQ(got[i].second, rows[i].name);
  }
}

// Every day of the year: exactly the listed days have a name.
TEST_P(OfficialList, JapaneseHolidayNameMatchesEveryDay) {
  const std::vector<Row>& rows = Official(GetParam());
  const chrono::year year{GetParam()};
  size_t next = 0;
  for (chrono::sys_days d{year / 1 / 1}; d <= chrono::sys_days{year / 12 / 31};
       d += chrono::days{1}) {
    const chrono::year_month_day day{d};
    const auto name = JapaneseHolidayName(day);
    if (next < rows.size() && rows[next].date == day) {
      EXPECT_EQ(name, std::optional<std::string>(rows[next].name));
      ++next;
    } else {
      EXPECT_FALSE(name) << static_cast<unsigned>(day.month()) << "/"
                         << static_cast<unsigned>(day.day()) << " " << name.value_or("");
    }
  }
  EXPECT_EQ(next, rows.size());
}

INSTANTIATE_TEST_SUITE_P(Years, OfficialList,
                         ::testing::Values(2019, 2020, 2021, 2024, 2025, 2026, 2027, 2028, 2029,
                                           2030));

TEST(JapaneseHolidays, HistoricalRulesAndOneOffDays) {
  // The first citizens' holiday, and 5/4 as one before みどりの日 took it.
  EXPECT_EQ(JapaneseHolidayName(D(1988, 5, 4)), "国民の休日");
  EXPECT_EQ(JapaneseHolidayName(D(2006, 5, 4)), "国民の休日");
  // Before 2007 a Sunday between two holidays stayed a plain Sunday.
  EXPECT_FALSE(JapaneseHolidayName(D(1997, 5, 4)));
  // ...and a substitute holiday that fell between two was a substitute.
  EXPECT_EQ(JapaneseHolidayName(D(1998, 5, 4)), "振替休日");
  EXPECT_EQ(JapaneseHolidayName(D(1989, 2, 24)), "大喪の礼");
  EXPECT_EQ(JapaneseHolidayName(D(1990, 11, 12)), "即位礼正殿の儀");
  EXPECT_EQ(JapaneseHolidayName(D(1993, 6, 9)), "結婚の儀");
  EXPECT_EQ(JapaneseHolidayName(D(1999, 1, 15)), "成人の日");  // fixed until 1999
  EXPECT_EQ(JapaneseHolidayName(D(2000, 1, 10)), "成人の日");  // then 2nd Monday
  EXPECT_EQ(JapaneseHolidayName(D(2002, 7, 20)), "海の日");
  EXPECT_EQ(JapaneseHolidayName(D(2002, 9, 15)), "敬老の日");
  EXPECT_EQ(JapaneseHolidayName(D(2009, 9, 22)), "国民の休日");
  EXPECT_EQ(JapaneseHolidayName(D(2015, 9, 22)), "国民の休日");
  EXPECT_EQ(JapaneseHolidayName(D(2018, 12, 23)), "天皇誕生日");
  EXPECT_EQ(JapaneseHolidayName(D(2018, 12, 24)), "振替休日");
  EXPECT_FALSE(JapaneseHolidayName(D(2019, 12, 23)));
  EXPECT_EQ(JapaneseHolidayName(D(1988, 4, 29)), "天皇誕生日");
  EXPECT_EQ(JapaneseHolidayName(D(1989, 4, 29)), "みどりの日");
  EXPECT_FALSE(JapaneseHolidayName(D(2019, 2, 23)));
  // 2020 and 2021 have no October スポーツの日 and no August 11.
  EXPECT_FALSE(JapaneseHolidayName(D(2020, 10, 12)));
  EXPECT_FALSE(JapaneseHolidayName(D(2021, 10, 11)));
  EXPECT_FALSE(JapaneseHolidayName(D(2021, 8, 11)));
  // Nothing for a date that does not exist.
  EXPECT_FALSE(JapaneseHolidayName(D(2025, 2, 29)));
}

TEST(JapaneseHolidays, EquinoxFormula) {
  // Observed days, including 2012's autumnal one where the formula's value
  // is 22.999... and a floating-point slip would give the 23rd.
  EXPECT_EQ(AutumnalEquinoxDay(chrono::year{2012}), D(2012, 9, 22));
  EXPECT_EQ(AutumnalEquinoxDay(chrono::year{1979}), D(1979, 9, 24));
  EXPECT_EQ(AutumnalEquinoxDay(chrono::year{1956}), D(1956, 9, 23));
  EXPECT_EQ(VernalEquinoxDay(chrono::year{2023}), D(2023, 3, 21));
  EXPECT_EQ(VernalEquinoxDay(chrono::year{2027}), D(2027, 3, 21));
  EXPECT_EQ(AutumnalEquinoxDay(chrono::year{2027}), D(2027, 9, 23));
  EXPECT_FALSE(VernalEquinoxDay(chrono::year{1899}));
  EXPECT_FALSE(AutumnalEquinoxDay(chrono::year{2151}));
  for (int y = 1980; y <= 2099; ++y) {
    const auto vernal = VernalEquinoxDay(chrono::year{y});
    const auto autumnal = AutumnalEquinoxDay(chrono::year{y});
    ASSERT_TRUE(vernal && autumnal) << y;
    EXPECT_GE(vernal->day(), chrono::day{19}) << y;
    EXPECT_LE(vernal->day(), chrono::day{21}) << y;
    EXPECT_GE(autumnal->day(), chrono::day{22}) << y;
    EXPECT_LE(autumnal->day(), chrono::day{24}) << y;
  }
}

TEST(ParseIsoDate, StrictFormat) {
  EXPECT_EQ(ParseIsoDate("2025-02-28"), D(2025, 2, 28));
  EXPECT_EQ(ParseIsoDate("2024-02-29"), D(2024, 2, 29));
  EXPECT_FALSE(ParseIsoDate("2025-02-29"));
  EXPECT_FALSE(ParseIsoDate("2025-13-01"));
  EXPECT_FALSE(ParseIsoDate("2025-2-1"));
  EXPECT_FALSE(ParseIsoDate("2025/02/01"));
  EXPECT_FALSE(ParseIsoDate("2025-02-01 "));
  EXPECT_FALSE(ParseIsoDate("+025-02-01"));
  EXPECT_FALSE(ParseIsoDate(""));
}

TEST(BusinessCalendar, TokyoIsUtcPlusNine) {
  // 09:00 in Tokyo is 00:00 UTC the same day; 08:59:59 is the day before.
  const TimePoint utc_midnight = chrono::sys_days{D(2026, 4, 28)};
  EXPECT_EQ(Tokyo(D(2026, 4, 28), 9, 0), utc_midnight);
  EXPECT_EQ(BusinessCalendar::ToTokyo(utc_midnight - chrono::seconds{1}),
            chrono::local_days{D(2026, 4, 28)} + chrono::hours{8} + chrono::minutes{59} +
                chrono::seconds{59});
  // 15:00 UTC is already the next day in Tokyo; sub-seconds are floored.
  EXPECT_EQ(BusinessCalendar::ToTokyo(chrono::sys_days{D(2026, 12, 31)} + chrono::hours{15} +
                                      chrono::milliseconds{999}),
            chrono::local_days{D(2027, 1, 1)});
}

TEST(BusinessCalendar, WeekendsHolidaysAndYearEnd) {
  const BusinessCalendar calendar;
  EXPECT_TRUE(calendar.IsBusinessDay(D(2026, 4, 28)));   // Tuesday
  EXPECT_FALSE(calendar.IsBusinessDay(D(2026, 4, 29)));  // 昭和の日
  EXPECT_FALSE(calendar.IsBusinessDay(D(2026, 5, 2)));   // Saturday
  EXPECT_FALSE(calendar.IsBusinessDay(D(2026, 5, 3)));   // Sunday, holiday
  EXPECT_FALSE(calendar.IsBusinessDay(D(2026, 5, 6)));   // 振替休日
  EXPECT_TRUE(calendar.IsBusinessDay(D(2026, 5, 7)));
  EXPECT_FALSE(calendar.IsBusinessDay(D(2026, 9, 22)));  // 国民の休日
  EXPECT_FALSE(calendar.IsBusinessDay(D(2025, 2, 30)));  // no such day

  // 12/28 is the last business day of the year when it is a weekday;
  // 12/29 to 1/3 are closed whatever the weekday.
  EXPECT_TRUE(calendar.IsBusinessDay(D(2026, 12, 28)));  // Monday
  for (unsigned d = 29; d <= 31; ++d) EXPECT_FALSE(calendar.IsBusinessDay(D(2026, 12, d))) << d;
  for (unsigned d = 1; d <= 3; ++d) EXPECT_FALSE(calendar.IsBusinessDay(D(2027, 1, d))) << d;
  EXPECT_TRUE(calendar.IsBusinessDay(D(2027, 1, 4)));     // Monday
  EXPECT_FALSE(calendar.IsBusinessDay(D(2025, 12, 28)));  // Sunday
  EXPECT_TRUE(calendar.IsBusinessDay(D(2025, 12, 26)));   // Friday
  EXPECT_TRUE(calendar.IsBusinessDay(D(2027, 12, 28)));   // Tuesday
  EXPECT_FALSE(calendar.IsBusinessDay(D(2027, 12, 29)));  // Wednesday
  EXPECT_FALSE(calendar.IsBusinessDay(D(2028, 1, 3)));    // Monday
  EXPECT_TRUE(calendar.IsBusinessDay(D(2028, 1, 4)));     // Tuesday
}

TEST(BusinessCalendar, BusinessHoursEdges) {
  const BusinessCalendar calendar;
  const auto business = D(2026, 4, 28);  // Tuesday
  EXPECT_FALSE(calendar.IsBusinessHours(Tokyo(business, 8, 59, 59)));
  EXPECT_TRUE(calendar.IsBusinessHours(Tokyo(business, 9, 0, 0)));
  EXPECT_TRUE(calendar.IsBusinessHours(Tokyo(business, 12, 0, 0)));
  EXPECT_TRUE(calendar.IsBusinessHours(Tokyo(business, 17, 44, 59)));
  EXPECT_TRUE(calendar.IsBusinessHours(Tokyo(business, 17, 44, 59) + chrono::milliseconds{999}));
  EXPECT_FALSE(calendar.IsBusinessHours(Tokyo(business, 17, 45, 0)));
  EXPECT_FALSE(calendar.IsBusinessHours(Tokyo(business, 8, 59, 59) + chrono::milliseconds{999}));
  EXPECT_FALSE(calendar.IsBusinessHours(Tokyo(business, 0, 0, 0)));
  EXPECT_FALSE(calendar.IsBusinessHours(Tokyo(business, 23, 59, 59)));

  const auto holiday = D(2026, 4, 29);  // 昭和の日, a Wednesday
  for (auto [h, m, s] : {std::tuple{8, 59, 59}, {9, 0, 0}, {17, 44, 59}, {17, 45, 0}}) {
    EXPECT_FALSE(calendar.IsBusinessHours(Tokyo(holiday, h, m, s))) << h << ":" << m << ":" << s;
  }
}

TEST(BusinessCalendar, CustomHours) {
  CalendarSettings settings;
  settings.open_minute = 8 * 60 + 30;
  settings.close_minute = 24 * 60;  // to midnight
  const BusinessCalendar calendar(settings);
  const auto day = D(2026, 4, 28);
  EXPECT_FALSE(calendar.IsBusinessHours(Tokyo(day, 8, 29, 59)));
  EXPECT_TRUE(calendar.IsBusinessHours(Tokyo(day, 8, 30, 0)));
  EXPECT_TRUE(calendar.IsBusinessHours(Tokyo(day, 23, 59, 59)));
  EXPECT_EQ(Show(calendar.NextBusinessHoursStart(Tokyo(day, 7, 0))), "2026-04-28 08:30:00");
}

TEST(BusinessCalendar, ExtraClosedAndOpenDays) {
  CalendarSettings settings;
  settings.extra_closed_days = {"2026-04-28", "2026-06-01", "2026-06-02"};
  settings.extra_open_days = {
      "2026-04-29",  // 昭和の日
      "2026-05-02",  // Saturday
      "2026-12-31",  // year-end
      "2026-06-02",  // also closed: open wins
  };
  const BusinessCalendar calendar(settings);
  EXPECT_FALSE(calendar.IsBusinessDay(D(2026, 4, 28)));
  EXPECT_FALSE(calendar.IsBusinessDay(D(2026, 6, 1)));
  EXPECT_TRUE(calendar.IsBusinessDay(D(2026, 4, 29)));
  EXPECT_TRUE(calendar.IsBusinessDay(D(2026, 5, 2)));
  EXPECT_TRUE(calendar.IsBusinessDay(D(2026, 12, 31)));
  EXPECT_TRUE(calendar.IsBusinessDay(D(2026, 6, 2)));
  EXPECT_TRUE(calendar.IsBusinessHours(Tokyo(D(2026, 5, 2), 10, 0)));
  EXPECT_FALSE(calendar.IsBusinessHours(Tokyo(D(2026, 4, 28), 10, 0)));
  // Closed Monday 6/1: from Friday evening to the opened Tuesday.
  EXPECT_EQ(Show(calendar.NextBusinessHoursStart(Tokyo(D(2026, 5, 29), 18, 0))),
            "2026-06-02 09:00:00");
}

TEST(BusinessCalendar, InvalidSettingsAreIgnoredAndReported) {
  CalendarSettings settings;
  settings.open_minute = 18 * 60;
  settings.close_minute = 9 * 60;
  settings.extra_closed_days = {"2026-04-28", "2026-02-30", "tomorrow"};
  settings.extra_open_days = {"2026/04/29", "2026-04-28"};

  std::vector<std::string> errors;
  EXPECT_FALSE(BusinessCalendar::Validate(settings, errors));
  EXPECT_EQ(errors, (std::vector<std::string>{
                        "calendar: open_minute 1080 and close_minute 540 must satisfy 0 <= "
                        "open_minute < close_minute <= 1440",
                        "calendar.extra_closed_days[1]: \"2026-02-30\" is not a date (YYYY-MM-DD)",
                        "calendar.extra_closed_days[2]: \"tomorrow\" is not a date (YYYY-MM-DD)",
                        "calendar.extra_open_days[0]: \"2026/04/29\" is not a date (YYYY-MM-DD)",
                        "calendar: 2026-04-28 is in both extra_closed_days and extra_open_days",
                    }));

  // The constructor keeps the valid entries and the default hours.
  const BusinessCalendar calendar(settings);
  EXPECT_TRUE(calendar.IsBusinessDay(D(2026, 4, 28)));   // open wins
  EXPECT_FALSE(calendar.IsBusinessDay(D(2026, 4, 29)));  // its entry was invalid
  EXPECT_TRUE(calendar.IsBusinessHours(Tokyo(D(2026, 4, 28), 9, 0)));
  EXPECT_FALSE(calendar.IsBusinessHours(Tokyo(D(2026, 4, 28), 17, 45)));

  std::vector<std::string> none;
  EXPECT_TRUE(BusinessCalendar::Validate(CalendarSettings{}, none));
  EXPECT_TRUE(none.empty());
  CalendarSettings edges;
  edges.open_minute = 0;
  edges.close_minute = 1440;
  EXPECT_TRUE(BusinessCalendar::Validate(edges, none));
  edges.close_minute = 0;
  EXPECT_FALSE(BusinessCalendar::Validate(edges, none));
}

TEST(BusinessCalendar, NextBusinessHoursStart) {
  const BusinessCalendar calendar;
  auto next = [&](TimePoint t) { return Show(calendar.NextBusinessHoursStart(t)); };

  // Inside business hours: the moment itself, sub-seconds kept.
  const TimePoint inside = Tokyo(D(2026, 4, 28), 10, 15, 30) + chrono::milliseconds{250};
  EXPECT_EQ(calendar.NextBusinessHoursStart(inside), inside);
  // Before opening on a business day: that day's opening.
  EXPECT_EQ(next(Tokyo(D(2026, 4, 28), 0, 0)), "2026-04-28 09:00:00");
  EXPECT_EQ(next(Tokyo(D(2026, 4, 28), 8, 59, 59)), "2026-04-28 09:00:00");
  // At closing: the next business day (4/29 is 昭和の日).
  EXPECT_EQ(next(Tokyo(D(2026, 4, 28), 17, 45)), "2026-04-30 09:00:00");
  // Friday evening: Monday, or Tuesday when Monday is a holiday.
  EXPECT_EQ(next(Tokyo(D(2026, 4, 24), 18, 0)), "2026-04-27 09:00:00");
  EXPECT_EQ(next(Tokyo(D(2026, 7, 17), 18, 0)), "2026-07-21 09:00:00");  // 7/20 海の日
  EXPECT_EQ(next(Tokyo(D(2027, 1, 8), 18, 0)), "2027-01-12 09:00:00");   // 1/11 成人の日
  // Golden Week 2026: Thursday 4/30 evening to Thursday 5/7 except Friday 5/1.
  EXPECT_EQ(next(Tokyo(D(2026, 4, 30), 18, 0)), "2026-05-01 09:00:00");
  EXPECT_EQ(next(Tokyo(D(2026, 5, 1), 18, 0)), "2026-05-07 09:00:00");
  // Year end: 12/28 evening to 1/4, or later when 1/4 is a weekend.
  EXPECT_EQ(next(Tokyo(D(2026, 12, 28), 18, 0)), "2027-01-04 09:00:00");
  EXPECT_EQ(next(Tokyo(D(2027, 12, 28), 18, 0)), "2028-01-04 09:00:00");
  EXPECT_EQ(next(Tokyo(D(2025, 12, 26), 18, 0)), "2026-01-05 09:00:00");  // 1/4 Sunday
  EXPECT_EQ(next(Tokyo(D(2030, 12, 27), 18, 0)), "2031-01-06 09:00:00");  // 1/4 Saturday
  // From a UTC point of view: 18:00 UTC Friday is already Saturday in Tokyo.
  EXPECT_EQ(next(chrono::sys_days{D(2026, 4, 24)} + chrono::hours{18}), "2026-04-27 09:00:00");
}

}  // namespace
}  // namespace mimamori::collector
