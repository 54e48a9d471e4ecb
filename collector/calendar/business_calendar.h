// Business days and hours (spec section 2): every day except Saturday, Sunday,
// 29 December to 3 January and the national holidays of Japan; business hours
// 09:00-17:45 Asia/Tokyo.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collector/core/clock.h"
#include "collector/inventory/inventory.h"

namespace mimamori::collector {

/// A national holiday of Japan under 国民の祝日に関する法律 (with substitute
/// holidays and the citizens' holiday between two holidays), computed from
/// the law's rules, not a typed list. Valid for 1980-2099 (the vernal and
/// autumnal equinox formula's range); the special one-off days of 2019-2021
/// (the Olympics moves, the enthronement) are included.
///
/// Names are those of the Cabinet Office list (内閣府「国民の祝日について」),
/// except where its CSV has no proper name: a substitute holiday is
/// "振替休日" and a day between two holidays "国民の休日" (the CSV writes
/// both as "休日"), and 2019-05-01 / 2019-10-22 are "即位の日" /
/// "即位礼正殿の儀" (the CSV: "休日（祝日扱い）"). 2019-10-14 is "体育の日",
/// its legal name that day (the CSV: "体育の日（スポーツの日）").
///
/// The rules are applied with the dates they took effect, so 1955-2027 also
/// match the Cabinet Office CSV; before 1900 and after 2150 there are no
/// equinox days (no published formula), and nothing before the law took
/// effect (1948-07-20) is a holiday. An invalid date (`!day.ok()`) has none.
std::optional<std::string> JapaneseHolidayName(std::chrono::year_month_day day);

/// All holidays of a year, in date order.
std::vector<std::pair<std::chrono::year_month_day, std::string>> JapaneseHolidays(
    std::chrono::year year);

/// 春分の日 and 秋分の日 of a year by the approximation formula published
/// with the National Astronomical Observatory's figures (1900-2150, in the
/// three ranges 1900-1979, 1980-2099 and 2100-2150); nullopt outside it. The
/// law fixes each year's day only when the 暦要項 is published the February
/// before, so for later years this is a forecast.
std::optional<std::chrono::year_month_day> VernalEquinoxDay(std::chrono::year year);
std::optional<std::chrono::year_month_day> AutumnalEquinoxDay(std::chrono::year year);

/// Strict "YYYY-MM-DD" (four-digit year, two-digit month and day, a real
/// calendar date); nullopt for anything else, "2025-2-1" and "2025-02-30"
/// included.
std::optional<std::chrono::year_month_day> ParseIsoDate(std::string_view text);

/// Thread-safe after construction.
class BusinessCalendar {
 public:
  /// Never throws on bad settings, so a calendar always exists: invalid
  /// extra_closed_days / extra_open_days entries are ignored, and an invalid
  /// open_minute/close_minute pair falls back to 09:00-17:45. The config
  /// loader is expected to reject such settings up front with Validate().
  explicit BusinessCalendar(CalendarSettings settings = {});

  /// Checks what the constructor would silently ignore: each extra day is a
  /// strict "YYYY-MM-DD" date, no date is both closed and open, and
  /// 0 <= open_minute < close_minute <= 1440. Appends one message per problem
  /// to `errors` (e.g. `calendar.extra_closed_days[1]: "2025-02-30" is not a
  /// date (YYYY-MM-DD)`) and returns true when it appended none.
  static bool Validate(const CalendarSettings& settings, std::vector<std::string>& errors);

  /// Asia/Tokyo has no daylight saving: local time is UTC+9 all year.
  /// Sub-second parts are floored away.
  static std::chrono::local_seconds ToTokyo(TimePoint t);
  static TimePoint FromTokyo(std::chrono::local_seconds t);

  /// Precedence, highest first: extra_open_days (open even on a Sunday, a
  /// holiday or 1 January: the operator said so explicitly), then
  /// extra_closed_days, then the spec's rule (no Saturday, Sunday, 12/29-1/3
  /// or national holiday). An invalid `day` is not a business day.
  bool IsBusinessDay(std::chrono::year_month_day day) const;
  /// Inside [open_minute, close_minute) of a business day, Tokyo time; by
  /// default 09:00:00 is inside, 17:44:59 inside, 17:45:00 outside.
  bool IsBusinessHours(TimePoint t) const;
  /// The next moment at or after `t` that is inside business hours: `t`
  /// itself when it is inside, otherwise the opening minute of the same or
  /// a following business day.
  TimePoint NextBusinessHoursStart(TimePoint t) const;
  /// The closing minute of the first business day after `t`'s Tokyo date:
  /// level C's recovery target, "by the next business day" (spec section 2).
  TimePoint NextBusinessDayClose(TimePoint t) const;

 private:
  CalendarSettings settings_;
  std::set<std::chrono::sys_days> closed_, open_;
};

}  // namespace mimamori::collector
