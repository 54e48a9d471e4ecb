// National holidays of Japan from the rules of 国民の祝日に関する法律 and the
// special laws that moved or added single days. Each rule carries the years
// it was in force so that the past comes out as it was observed, which lets
// the tests hold the result against the Cabinet Office's published lists.
#include <algorithm>
#include <string_view>
#include <vector>

#include "collector/calendar/business_calendar.h"

namespace mimamori::collector {
namespace {

namespace chrono = std::chrono;

struct Holiday {
  chrono::sys_days day;
  std::string_view name;
};

// The law took effect on 1948-07-20; substitute holidays exist for holidays
// from 1973-04-12 on, and the citizens' holiday from 1985-12-27 on.
constexpr chrono::sys_days kLawInForce = chrono::year{1948} / 7 / 20;
constexpr chrono::sys_days kSubstituteInForce = chrono::year{1973} / 4 / 12;
constexpr chrono::sys_days kCitizensHolidayInForce = chrono::year{1985} / 12 / 27;
// The 2005 amendment (in force 2007) changed both: a substitute holiday moves
// past following holidays instead of being dropped, and a Sunday between two
// holidays is no longer excluded from the citizens' holiday.
constexpr int kAmendment2007 = 2007;

chrono::sys_days Date(int y, unsigned m, unsigned d) {
  return chrono::year{y} / chrono::month{m} / chrono::day{d};
}

chrono::sys_days NthMonday(int y, unsigned m, unsigned n) {
  return chrono::year{y} / chrono::month{m} / chrono::weekday_indexed{chrono::Monday, n};
}

// The approximation formula: day = int(base + 0.242194 (Y - 1980)) - int((Y -
// epoch) / 4). Done in millionths so no rounding can move a day at the .0
// boundary (2012's autumnal value is 22.999...). Both int()s truncate toward
// zero as the formula's authors compute it; for 1900-1979 that matters
// (1956's autumnal equinox day is 9/23, not 9/24) and matches the CSV.
std::optional<chrono::year_month_day> Equinox(chrono::year year, bool vernal) {
  const int y = static_cast<int>(year);
  long long base_millionths = 0;
  int epoch = 1980;
  if (y >= 1900 && y <= 1979) {
    base_millionths = vernal ? 20'835'700 : 23'258'800;
    epoch = 1983;
  } else if (y >= 1980 && y <= 2099) {
    base_millionths = vernal ? 20'843'100 : 23'248'800;
  } else if (y >= 2100 && y <= 2150) {
    base_millionths = vernal ? 21'851'000 : 24'248'800;
  } else {
    return std::nullopt;
  }
  const long long value = base_millionths + 242'194LL * (y - 1980);
  const long long day = value / 1'000'000 - (y - epoch) / 4;
  return year / chrono::month{vernal ? 3u : 9u} / chrono::day{static_cast<unsigned>(day)};
}

// The 国民の祝日 proper (and the days the special laws made holidays), before
// substitute and citizens' holidays are derived from them.
std::vector<Holiday> StatutoryHolidays(int y) {
  std::vector<Holiday> out;
  auto add = [&](chrono::sys_days day, std::string_view name) { out.push_back({day, name}); };
  if (y >= 1949) {
    add(Date(y, 1, 1), "元日");
    add(y < 2000 ? Date(y, 1, 15) : NthMonday(y, 1, 2), "成人の日");
    add(Date(y, 5, 3), "憲法記念日");
    add(Date(y, 5, 5), "こどもの日");
  }
  if (y >= 1967) add(Date(y, 2, 11), "建国記念の日");
  // 天皇誕生日 follows the emperor: Showa 4/29, Heisei 12/23, Reiwa 2/23.
  // 2019 has none (Heisei abdicated on 4/30, Reiwa's birthday came after).
  if (y >= 2020) add(Date(y, 2, 23), "天皇誕生日");
  if (y >= 1949 && y <= 1988) add(Date(y, 4, 29), "天皇誕生日");
  if (y >= 1989 && y <= 2006) add(Date(y, 4, 29), "みどりの日");
  if (y >= 2007) {
    add(Date(y, 4, 29), "昭和の日");
    add(Date(y, 5, 4), "みどりの日");
  }
  if (y >= 1989 && y <= 2018) add(Date(y, 12, 23), "天皇誕生日");
  if (y >= 1948) {
    add(Date(y, 11, 3), "文化の日");
    add(Date(y, 11, 23), "勤労感謝の日");
    if (auto day = Equinox(chrono::year{y}, true)) add(*day, "春分の日");
    if (auto day = Equinox(chrono::year{y}, false)) add(*day, "秋分の日");
  }
  if (y >= 1966) add(y < 2003 ? Date(y, 9, 15) : NthMonday(y, 9, 3), "敬老の日");

  // The Tokyo Olympics special measures act moved three days in 2020 and
  // again in 2021 (postponed games); スポーツの日 had no October date then.
  if (y == 2020) {
    add(Date(y, 7, 23), "海の日");
    add(Date(y, 7, 24), "スポーツの日");
    add(Date(y, 8, 10), "山の日");
  } else if (y == 2021) {
    add(Date(y, 7, 22), "海の日");
    add(Date(y, 7, 23), "スポーツの日");
    add(Date(y, 8, 8), "山の日");
  } else {
    if (y >= 1996) add(y < 2003 ? Date(y, 7, 20) : NthMonday(y, 7, 3), "海の日");
    if (y >= 2016) add(Date(y, 8, 11), "山の日");
    if (y >= 2020) {
      add(NthMonday(y, 10, 2), "スポーツの日");
    } else if (y >= 1966) {
      add(y < 2000 ? Date(y, 10, 10) : NthMonday(y, 10, 2), "体育の日");
    }
  }

  // Single days made holidays by their own laws. The 2019 law deems its two
  // days national holidays, which is what makes 4/30 and 5/2 citizens'
  // holidays; the earlier ones were plain holidays, but no neighbour of
  // theirs depends on the difference.
  if (y == 1959) add(Date(y, 4, 10), "結婚の儀");
  if (y == 1989) add(Date(y, 2, 24), "大喪の礼");
  if (y == 1990) add(Date(y, 11, 12), "即位礼正殿の儀");
  if (y == 1993) add(Date(y, 6, 9), "結婚の儀");
  if (y == 2019) {
    add(Date(y, 5, 1), "即位の日");
    add(Date(y, 10, 22), "即位礼正殿の儀");
  }

  std::erase_if(out, [](const Holiday& h) { return h.day < kLawInForce; });
  std::ranges::sort(out, {}, &Holiday::day);
  return out;
}

std::vector<Holiday> HolidaysOf(int y) {
  const std::vector<Holiday> statutory = StatutoryHolidays(y);
  std::vector<Holiday> out = statutory;
  auto is_holiday = [&](chrono::sys_days day) {
    return std::ranges::any_of(out, [&](const Holiday& h) { return h.day == day; });
  };

  // 振替休日: a holiday on a Sunday gives the nearest following day that is
  // not a holiday (before 2007: the next day, and only if not a holiday).
  // No year's substitute crosses into the next year (12/31 is never a
  // holiday), so a year can be computed alone.
  for (const Holiday& h : statutory) {
    if (h.day < kSubstituteInForce || chrono::weekday{h.day} != chrono::Sunday) continue;
    chrono::sys_days substitute = h.day + chrono::days{1};
    if (y < kAmendment2007) {
      if (is_holiday(substitute)) continue;
    } else {
      while (is_holiday(substitute)) substitute += chrono::days{1};
    }
    out.push_back({substitute, "振替休日"});
  }

  // 国民の休日: a day that is not itself a holiday, between two national
  // holidays proper (a substitute holiday does not count as one).
  for (size_t i = 0; i + 1 < statutory.size(); ++i) {
    const chrono::sys_days between = statutory[i].day + chrono::days{1};
    if (statutory[i + 1].day != between + chrono::days{1}) continue;
    if (between < kCitizensHolidayInForce || is_holiday(between)) continue;
    if (y < kAmendment2007 && chrono::weekday{between} == chrono::Sunday) continue;
    out.push_back({between, "国民の休日"});
  }

  std::ranges::sort(out, {}, &Holiday::day);
  return out;
}

}  // namespace

std::optional<std::chrono::year_month_day> VernalEquinoxDay(std::chrono::year year) {
  return Equinox(year, true);
}

std::optional<std::chrono::year_month_day> AutumnalEquinoxDay(std::chrono::year year) {
  return Equinox(year, false);
}

std::optional<std::string> JapaneseHolidayName(std::chrono::year_month_day day) {
  if (!day.ok()) return std::nullopt;
  const chrono::sys_days wanted{day};
  for (const Holiday& h : HolidaysOf(static_cast<int>(day.year()))) {
    if (h.day == wanted) return std::string(h.name);
  }
  return std::nullopt;
}

std::vector<std::pair<std::chrono::year_month_day, std::string>> JapaneseHolidays(
    std::chrono::year year) {
  std::vector<std::pair<chrono::year_month_day, std::string>> out;
  if (!year.ok()) return out;
  for (const Holiday& h : HolidaysOf(static_cast<int>(year))) {
    out.emplace_back(chrono::year_month_day{h.day}, std::string(h.name));
  }
  return out;
}

}  // namespace mimamori::collector
