// Business days and hours (spec section 2): every day except Saturday, Sunday,
// 29 December to 3 January and the national holidays of Japan; business hours
// 09:00-17:45 Asia/Tokyo.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "collector/core/clock.h"
#include "collector/inventory/inventory.h"

namespace mimamori::collector {

/// A national holiday of Japan under 国民の祝日に関する法律 (with substitute
/// holidays and the citizens' holiday between two holidays), computed from
/// the law's rules, not a typed list. Valid for 1980-2099 (the vernal and
/// autumnal equinox formula's range); the special one-off days of 2019-2021
/// (the Olympics moves, the enthronement) are included.
std::optional<std::string> JapaneseHolidayName(std::chrono::year_month_day day);

/// All holidays of a year, in date order.
std::vector<std::pair<std::chrono::year_month_day, std::string>> JapaneseHolidays(
    std::chrono::year year);

/// Thread-safe after construction.
class BusinessCalendar {
 public:
  explicit BusinessCalendar(CalendarSettings settings = {});

  /// Asia/Tokyo has no daylight saving: local time is UTC+9 all year.
  static std::chrono::local_seconds ToTokyo(TimePoint t);
  static TimePoint FromTokyo(std::chrono::local_seconds t);

  bool IsBusinessDay(std::chrono::year_month_day day) const;
  /// Inside 09:00 (inclusive) to 17:45 (exclusive) of a business day, Tokyo time.
  bool IsBusinessHours(TimePoint t) const;
  /// The next moment at or after `t` that is inside business hours.
  TimePoint NextBusinessHoursStart(TimePoint t) const;

 private:
  CalendarSettings settings_;
  std::set<std::chrono::sys_days> closed_, open_;
};

}  // namespace mimamori::collector
