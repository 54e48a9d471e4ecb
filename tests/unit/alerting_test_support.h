// Helpers shared by the alerting unit tests: Tokyo wall-clock times and a
// substring assertion that prints both texts.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "collector/calendar/business_calendar.h"

namespace mimamori::collector::testing {

inline TimePoint Tokyo(int y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
  namespace chrono = std::chrono;
  return BusinessCalendar::FromTokyo(
      chrono::local_days{chrono::year{y} / chrono::month{mo} / chrono::day{d}} + chrono::hours{h} +
      chrono::minutes{mi} + chrono::seconds{s});
}

// 2026-12-01 is a Tuesday (a business day), 2026-12-05 a Saturday (see
// timetable_test.cc, which checks both).
inline const TimePoint kTuesday10 = Tokyo(2026, 12, 1, 10, 0);
inline const TimePoint kSaturday10 = Tokyo(2026, 12, 5, 10, 0);

inline ::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

}  // namespace mimamori::collector::testing
