// Business days and hours on top of the holiday rules. Tokyo time is a fixed
// UTC+9: Japan has had no daylight saving since 1951, and libstdc++ 12 has no
// time zone database support to ask anyway.
#include "collector/calendar/business_calendar.h"

#include <cctype>

namespace mimamori::collector {
namespace {

namespace chrono = std::chrono;

constexpr chrono::hours kTokyoOffset{9};
constexpr int kMinutesPerDay = 24 * 60;

bool MinutesValid(const CalendarSettings& settings) {
  return settings.open_minute >= 0 && settings.open_minute < settings.close_minute &&
         settings.close_minute <= kMinutesPerDay;
}

std::set<chrono::sys_days> ParseDays(const std::vector<std::string>& texts) {
  std::set<chrono::sys_days> days;
  for (const std::string& text : texts) {
    if (auto day = ParseIsoDate(text)) days.insert(chrono::sys_days{*day});
  }
  return days;
}

void ValidateDays(const std::vector<std::string>& texts, std::string_view field,
                  std::vector<std::string>& errors) {
  for (size_t i = 0; i < texts.size(); ++i) {
    if (ParseIsoDate(texts[i])) continue;
    errors.push_back("calendar." + std::string(field) + "[" + std::to_string(i) + "]: \"" +
                     texts[i] + "\" is not a date (YYYY-MM-DD)");
  }
}

bool IsYearEnd(chrono::year_month_day day) {
  const chrono::month m = day.month();
  const unsigned d = static_cast<unsigned>(day.day());
  return (m == chrono::December && d >= 29) || (m == chrono::January && d <= 3);
}

}  // namespace

std::optional<std::chrono::year_month_day> ParseIsoDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto number = [&](size_t pos, size_t len) -> std::optional<int> {
    int value = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  const auto y = number(0, 4), m = number(5, 2), d = number(8, 2);
  if (!y || !m || !d) return std::nullopt;
  const chrono::year_month_day day{chrono::year{*y}, chrono::month{static_cast<unsigned>(*m)},
                                   chrono::day{static_cast<unsigned>(*d)}};
  if (!day.ok()) return std::nullopt;
  return day;
}

BusinessCalendar::BusinessCalendar(CalendarSettings settings)
    : settings_(std::move(settings)),
      closed_(ParseDays(settings_.extra_closed_days)),
      open_(ParseDays(settings_.extra_open_days)) {
  if (!MinutesValid(settings_)) {
    const CalendarSettings defaults;
    settings_.open_minute = defaults.open_minute;
    settings_.close_minute = defaults.close_minute;
  }
}

bool BusinessCalendar::Validate(const CalendarSettings& settings,
                                std::vector<std::string>& errors) {
  const size_t before = errors.size();
  if (!MinutesValid(settings)) {
    errors.push_back("calendar: open_minute " + std::to_string(settings.open_minute) +
                     " and close_minute " + std::to_string(settings.close_minute) +
                     " must satisfy 0 <= open_minute < close_minute <= 1440");
  }
  ValidateDays(settings.extra_closed_days, "extra_closed_days", errors);
  ValidateDays(settings.extra_open_days, "extra_open_days", errors);
  // Open would win at run time, but a day listed both ways is far more
  // likely a slip in the file than a decision, so it is refused up front.
  const std::set<chrono::sys_days> closed = ParseDays(settings.extra_closed_days);
  for (const std::string& text : settings.extra_open_days) {
    auto day = ParseIsoDate(text);
    if (day && closed.contains(chrono::sys_days{*day})) {
      errors.push_back("calendar: " + text + " is in both extra_closed_days and extra_open_days");
    }
  }
  return errors.size() == before;
}

std::chrono::local_seconds BusinessCalendar::ToTokyo(TimePoint t) {
  return chrono::local_seconds{chrono::floor<chrono::seconds>(t).time_since_epoch() + kTokyoOffset};
}

TimePoint BusinessCalendar::FromTokyo(std::chrono::local_seconds t) {
  return TimePoint{t.time_since_epoch() - kTokyoOffset};
}

bool BusinessCalendar::IsBusinessDay(std::chrono::year_month_day day) const {
  if (!day.ok()) return false;
  const chrono::sys_days d{day};
  if (open_.contains(d)) return true;
  if (closed_.contains(d)) return false;
  const chrono::weekday wd{d};
  if (wd == chrono::Saturday || wd == chrono::Sunday) return false;
  if (IsYearEnd(day)) return false;
  return !JapaneseHolidayName(day).has_value();
}

bool BusinessCalendar::IsBusinessHours(TimePoint t) const {
  const chrono::local_seconds local = ToTokyo(t);
  const chrono::local_days day = chrono::floor<chrono::days>(local);
  const chrono::seconds since_midnight = local - day;
  return since_midnight >= chrono::minutes{settings_.open_minute} &&
         since_midnight < chrono::minutes{settings_.close_minute} &&
         IsBusinessDay(chrono::year_month_day{day});
}

TimePoint BusinessCalendar::NextBusinessHoursStart(TimePoint t) const {
  if (IsBusinessHours(t)) return t;
  const chrono::minutes open{settings_.open_minute};
  const chrono::local_seconds local = ToTokyo(t);
  chrono::local_days day = chrono::floor<chrono::days>(local);
  if (local - day < open && IsBusinessDay(chrono::year_month_day{day})) {
    return FromTokyo(day + open);
  }
  // Ends: every year has weekdays that are neither holidays nor year-end
  // days, and extra_closed_days is finite.
  for (day += chrono::days{1};; day += chrono::days{1}) {
    if (IsBusinessDay(chrono::year_month_day{day})) return FromTokyo(day + open);
  }
}

TimePoint BusinessCalendar::NextBusinessDayClose(TimePoint t) const {
  const chrono::minutes close{settings_.close_minute};
  chrono::local_days day = chrono::floor<chrono::days>(ToTokyo(t));
  for (day += chrono::days{1};; day += chrono::days{1}) {
    if (IsBusinessDay(chrono::year_month_day{day})) return FromTokyo(day + close);
  }
}

}  // namespace mimamori::collector
