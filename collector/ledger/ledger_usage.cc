// Resource usage: daily figures per node and monitor for the monthly report.
#include "collector/ledger/ledger.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>
#include <tuple>

#include "collector/ledger/ledger_internal.h"

namespace mimamori::collector {

using namespace ledger_internal;  // NOLINT: this file is the ledger

namespace {

/// The Asia/Tokyo date of `t` as 'YYYY-MM-DD'. Tokyo has no daylight saving,
/// so UTC+9 is exact; the ledger does not need the business calendar for it.
std::string TokyoDay(LedgerTime t) {
  const auto local = std::chrono::floor<std::chrono::days>(t + std::chrono::hours(9));
  const std::chrono::year_month_day ymd{std::chrono::sys_days(local.time_since_epoch())};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text;
}

}  // namespace

LedgerStatus Ledger::RecordResourceUsage(const std::vector<ResourceSample>& samples) {
  const std::string what = "record " + std::to_string(samples.size()) + " resource samples";
  // Checked before the first write, so a bad sample leaves nothing behind
  // even when the caller commits the rest of its transaction.
  for (const auto& sample : samples) {
    if (sample.node.empty() || sample.monitor.empty()) {
      return Error(LedgerErrorKind::kInvalidArgument, what,
                   "a sample has an empty node or monitor");
    }
    if (!std::isfinite(sample.value)) {
      return Error(LedgerErrorKind::kInvalidArgument, what,
                   "sample " + sample.node + "/" + sample.monitor + " is not a finite number");
    }
  }
  if (samples.empty()) return std::nullopt;
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  // Up to kRowsPerStatement samples per INSERT: one round trip (and, on
  // PostgreSQL, one prepared statement) for many rows. A node/monitor/day
  // appears at most once per statement, since one statement may not update
  // a row twice; a repeat starts the next statement, so order is kept.
  constexpr std::size_t kRowsPerStatement = 250;
  auto sql_for = [](std::size_t rows) {
    std::string sql =
        "INSERT INTO resource_usage (node, monitor, day, samples, sum, max, last_at) "
        "VALUES ";
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t p = 5 * r;
      sql += (r ? ", (?" : "(?") + std::to_string(p + 1) + ", ?" + std::to_string(p + 2) + ", ?" +
             std::to_string(p + 3) + ", 1, ?" + std::to_string(p + 4) + ", ?" +
             std::to_string(p + 4) + ", ?" + std::to_string(p + 5) + ")";
    }
    // The WHERE on the update is the "same sample twice" rule: an offer not
    // newer than the row's last sample changes nothing.
    return sql +
           " ON CONFLICT (node, monitor, day) DO UPDATE SET samples = resource_usage.samples + 1, "
           "sum = resource_usage.sum + excluded.sum, "
           "max = CASE WHEN excluded.max > resource_usage.max THEN excluded.max "
           "ELSE resource_usage.max END, last_at = excluded.last_at "
           "WHERE excluded.last_at > resource_usage.last_at";
  };
  MultiRowStatement statements(*db_, kRowsPerStatement, sql_for);
  std::vector<std::string> days(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) days[i] = TokyoDay(samples[i].at);
  std::size_t first = 0;
  while (first < samples.size()) {
    std::set<std::tuple<std::string_view, std::string_view, std::string_view>> keys;
    std::size_t end = first;
    while (end < samples.size() && end - first < kRowsPerStatement &&
           keys.emplace(samples[end].node, samples[end].monitor, days[end]).second) {
      ++end;
    }
    const std::size_t rows = end - first;
    Stmt& st = statements.For(rows);
    for (std::size_t r = 0; r < rows; ++r) {
      const ResourceSample& sample = samples[first + r];
      const int p = static_cast<int>(5 * r);
      st.Bind(p + 1, sample.node)
          .Bind(p + 2, sample.monitor)
          .Bind(p + 3, days[first + r])
          .Bind(p + 4, sample.value)
          .Bind(p + 5, sample.at);
    }
    if (SqlCode rc = st.Step(); rc != SqlCode::kDone) {
      return Error(what + " (from " + samples[first].node + "/" + samples[first].monitor + ")", rc);
    }
    first = end;
  }
  return sp.Release();
}

LedgerResult<std::vector<ResourceUsageRow>> Ledger::ResourceUsage(LedgerTime from, LedgerTime to) {
  const std::string what = "read the resource usage of the period";
  if (to <= from) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "the end is not after the start");
  }
  Stmt st(db_,
          "SELECT node, monitor, SUM(samples), SUM(sum) / SUM(samples), MAX(max) "
          "FROM resource_usage WHERE day >= ?1 AND day < ?2 "
          "GROUP BY node, monitor ORDER BY node, monitor");
  st.Bind(1, TokyoDay(from)).Bind(2, TokyoDay(to));
  std::vector<ResourceUsageRow> rows;
  SqlCode rc;
  while ((rc = st.Step()) == SqlCode::kRow) {
    rows.push_back({st.Text(0), st.Text(1), st.Int64(2), st.Double(3), st.Double(4)});
  }
  if (rc != SqlCode::kDone) return Error(what, rc);
  return rows;
}

}  // namespace mimamori::collector
