// Resource usage: daily figures per node and monitor for the monthly report.
#include "collector/ledger/ledger.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <system_error>

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
  // The WHERE on the update is the "same sample twice" rule: an offer not
  // newer than the row's last sample changes nothing.
  Stmt st(db_,
          "INSERT INTO resource_usage (node, monitor, day, samples, sum, max, last_at) "
          "VALUES (?1, ?2, ?3, 1, ?4, ?4, ?5) "
          "ON CONFLICT (node, monitor, day) DO UPDATE SET samples = resource_usage.samples + 1, "
          "sum = resource_usage.sum + excluded.sum, "
          "max = CASE WHEN excluded.max > resource_usage.max THEN excluded.max "
          "ELSE resource_usage.max END, last_at = excluded.last_at "
          "WHERE excluded.last_at > resource_usage.last_at");
  for (const auto& sample : samples) {
    st.Reset();
    st.Bind(1, sample.node)
        .Bind(2, sample.monitor)
        .Bind(3, TokyoDay(sample.at))
        .Bind(4, sample.value)
        .Bind(5, sample.at);
    SqlCode rc = st.Step();
    if (rc != SqlCode::kDone) {
      return Error(what + " (" + sample.node + "/" + sample.monitor + ")", rc);
    }
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
