// Suppression windows (監視一時抑止).
#include "collector/ledger/ledger.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <system_error>

#include "collector/ledger/ledger_internal.h"

namespace mimamori::collector {

using namespace ledger_internal;  // NOLINT: this file is the ledger

// ---------------------------------------------------------------------------
// Suppressions

LedgerResult<SuppressionId> Ledger::AddSuppression(const NewSuppression& s) {
  const std::string what =
      "add a suppression of " + std::string(ToString(s.target_kind)) + " " + s.target;
  if (s.target.empty()) return Error(LedgerErrorKind::kInvalidArgument, what, "no target");
  if (s.requested_by.empty()) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "requested_by is empty");
  }
  if (s.ends_at <= s.starts_at) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "the end is not after the start");
  }
  Savepoint sp(*this, true, what);
  if (sp.status()) return *sp.status();
  Stmt st(db_,
          "INSERT INTO suppressions (target_kind, target, starts_at, ends_at, reason, "
          "requested_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id");
  st.Bind(1, ToString(s.target_kind))
      .Bind(2, s.target)
      .Bind(3, s.starts_at)
      .Bind(4, s.ends_at)
      .Bind(5, s.reason)
      .Bind(6, s.requested_by)
      .Bind(7, s.created_at);
  SuppressionId id = 0;
  SqlCode rc = st.StepReturningId(id);
  if (rc != SqlCode::kDone) return Error(what, rc);
  if (auto err = sp.Release()) return *err;
  return id;
}

LedgerResult<Suppression> Ledger::GetSuppression(SuppressionId id) {
  const std::string what = "read suppression " + Id(id);
  Stmt st(db_, std::string("SELECT ") + kSuppressionColumns + " FROM suppressions WHERE id = ?1");
  st.Bind(1, id);
  std::vector<Suppression> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  if (rows.empty()) return Error(LedgerErrorKind::kNotFound, what, "no such suppression");
  return std::move(rows.front());
}

LedgerStatus Ledger::SetSuppressionPeriod(SuppressionId id, LedgerTime starts_at,
                                          LedgerTime ends_at) {
  const std::string what = "change the period of suppression " + Id(id);
  if (ends_at <= starts_at) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "the end is not after the start");
  }
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  Stmt st(db_,
          "UPDATE suppressions SET starts_at = ?1, ends_at = ?2 "
          "WHERE id = ?3 AND cancelled_at IS NULL");
  st.Bind(1, starts_at).Bind(2, ends_at).Bind(3, id);
  SqlCode rc = st.Step();
  if (rc != SqlCode::kDone) return Error(what, rc);
  if (db_->Changes() == 0) {
    return MissingOrWrongState("suppressions", id, what, "the suppression is cancelled");
  }
  return sp.Release();
}

LedgerStatus Ledger::CancelSuppression(SuppressionId id, LedgerTime at) {
  const std::string what = "cancel suppression " + Id(id);
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  Stmt st(db_, "UPDATE suppressions SET cancelled_at = ?1 WHERE id = ?2 AND cancelled_at IS NULL");
  st.Bind(1, at).Bind(2, id);
  SqlCode rc = st.Step();
  if (rc != SqlCode::kDone) return Error(what, rc);
  if (db_->Changes() == 0) {
    return MissingOrWrongState("suppressions", id, what, "the suppression is already cancelled");
  }
  return sp.Release();
}

LedgerResult<std::vector<Suppression>> Ledger::ActiveSuppressions(LedgerTime now) {
  const std::string what = "list active suppressions";
  Stmt st(db_, std::string("SELECT ") + kSuppressionColumns +
                   " FROM suppressions WHERE starts_at <= ?1 AND ?1 < ends_at "
                   "AND (cancelled_at IS NULL OR cancelled_at > ?1) ORDER BY starts_at, id");
  st.Bind(1, now);
  std::vector<Suppression> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  return rows;
}

LedgerResult<std::vector<Suppression>> Ledger::ListSuppressions(LedgerTime since) {
  const std::string what = "list suppressions";
  Stmt st(db_, std::string("SELECT ") + kSuppressionColumns +
                   " FROM suppressions WHERE ends_at > ?1 ORDER BY starts_at, id");
  st.Bind(1, since);
  std::vector<Suppression> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  return rows;
}

}  // namespace mimamori::collector
