// An inventory `calendar:` line for tests of the whole daemon: today and
// tomorrow in Tokyo declared open all day, so a test sees the business-hours
// row of the timetable (first report by mail and phone) whatever the real
// time is.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "collector/calendar/business_calendar.h"

namespace mimamori::testing {

inline std::string AlwaysOpenCalendar() {
  auto day = std::chrono::floor<std::chrono::days>(
      collector::BusinessCalendar::ToTokyo(std::chrono::system_clock::now()));
  auto text = [](std::chrono::local_days d) {
    std::chrono::year_month_day ymd(d);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return std::string(buf);
  };
  return "calendar: {business_hours: \"00:00-24:00\", extra_open_days: [\"" + text(day) + "\", \"" +
         text(day + std::chrono::days(1)) + "\"]}\n";
}

}  // namespace mimamori::testing
