// Incidents, their monitors, affected VMs, timeline and pending changes,
// and the queries over them (CLI, monthly figures).
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
// Incidents

namespace {

/// Returns SqlCode::kDone and sets `id` on success.
SqlCode InsertEvent(SqlConnection& db, const IncidentEvent& e, std::int64_t& id) {
  Stmt st(db,
          "INSERT INTO incident_events (incident_id, at, kind, actor, node, monitor, text, "
          "to_status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id");
  st.Bind(1, e.incident_id)
      .Bind(2, e.at)
      .Bind(3, ToString(e.kind))
      .Bind(4, e.actor)
      .Bind(5, e.node)
      .Bind(6, e.monitor)
      .Bind(7, e.text)
      .Bind(8, e.to_status ? std::optional<std::string_view>(NameOf(*e.to_status, kStatusNames))
                           : std::nullopt);
  return st.StepReturningId(id);
}

bool KnownLevel(std::string_view level) {
  for (auto known : kLevels) {
    if (known == level) return true;
  }
  return false;
}

}  // namespace

LedgerResult<IncidentId> Ledger::OpenIncident(const NewIncident& in) {
  const std::string what = "open incident \"" + in.title + "\"";
  if (in.title.empty()) return Error(LedgerErrorKind::kInvalidArgument, what, "the title is empty");
  if (!KnownLevel(in.service_level)) {
    return Error(LedgerErrorKind::kInvalidArgument, what,
                 "service level \"" + in.service_level + "\" is not A, B, C, C-dev or empty");
  }
  if (in.scope == IncidentScope::kVm && in.service_level.empty()) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "a VM incident needs a service level");
  }
  if (in.opened_by.empty()) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "opened_by is empty");
  }
  if (!IsIncidentClass(in.incident_class)) {
    return Error(LedgerErrorKind::kInvalidArgument, what,
                 "class \"" + in.incident_class + "\" is not trouble, request or question");
  }
  Savepoint sp(*this, true, what);
  if (sp.status()) return *sp.status();
  Stmt st(db_,
          "INSERT INTO incidents (scope, title, priority, service_level, opened_at, detected_at, "
          "class, cause, opened_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id");
  st.Bind(1, ToString(in.scope))
      .Bind(2, in.title)
      .Bind(3, ToString(in.priority))
      .Bind(4, in.service_level)
      .Bind(5, in.opened_at)
      .Bind(6, in.detected_at)
      .Bind(7, in.incident_class)
      .Bind(8, ToString(in.cause))
      .Bind(9, in.opened_by);
  IncidentId id = 0;
  SqlCode rc = st.StepReturningId(id);
  if (rc != SqlCode::kDone) return Error(what, rc);
  IncidentEvent opened{0,  id, in.opened_at, EventKind::kOpened, in.opened_by,
                       "", "", in.text,      std::nullopt};
  std::int64_t event_id = 0;
  rc = InsertEvent(*db_, opened, event_id);
  if (rc != SqlCode::kDone) return Error(what, rc);
  if (auto err = sp.Release()) return *err;
  return id;
}

LedgerResult<Incident> Ledger::GetIncident(IncidentId id) {
  const std::string what = "read incident " + Id(id);
  Stmt st(db_, std::string("SELECT ") + kIncidentColumns + " FROM incidents WHERE id = ?1");
  st.Bind(1, id);
  std::vector<Incident> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  if (rows.empty()) return Error(LedgerErrorKind::kNotFound, what, "no such incident");
  return std::move(rows.front());
}

LedgerStatus Ledger::ChangePriority(IncidentId id, Priority priority, LedgerTime at,
                                    const std::string& actor, const std::string& reason) {
  const std::string what = "change the priority of incident " + Id(id);
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  auto incident = GetIncident(id);
  if (!incident) return incident.error();
  if (incident->status != IncidentStatus::kOpen) {
    return Error(LedgerErrorKind::kWrongState, what, "the incident is closed");
  }
  if (incident->priority == priority) {
    return Error(LedgerErrorKind::kWrongState, what,
                 "the priority is already " + std::string(ToString(priority)));
  }
  Stmt st(db_, "UPDATE incidents SET priority = ?1 WHERE id = ?2");
  st.Bind(1, ToString(priority)).Bind(2, id);
  SqlCode rc = st.Step();
  if (rc != SqlCode::kDone) return Error(what, rc);
  std::string text =
      std::string(ToString(incident->priority)) + " -> " + std::string(ToString(priority));
  if (!reason.empty()) text += ": " + reason;
  auto event =
      AppendEvent({0, id, at, EventKind::kPriorityChange, actor, "", "", text, std::nullopt});
  if (!event) return event.error();
  return sp.Release();
}

LedgerStatus Ledger::Acknowledge(IncidentId id, LedgerTime at, const std::string& actor,
                                 const std::string& text) {
  const std::string what = "acknowledge incident " + Id(id);
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  // Every SET term sees the old row, so both keep the FIRST acknowledgement.
  Stmt st(db_,
          "UPDATE incidents SET acknowledged_at = COALESCE(acknowledged_at, ?1), "
          "acknowledged_by = CASE WHEN acknowledged_at IS NULL THEN ?2 ELSE acknowledged_by END "
          "WHERE id = ?3");
  st.Bind(1, at).Bind(2, actor).Bind(3, id);
  SqlCode rc = st.Step();
  if (rc != SqlCode::kDone) return Error(what, rc);
  if (db_->Changes() == 0) return Error(LedgerErrorKind::kNotFound, what, "no such incident");
  auto event =
      AppendEvent({0, id, at, EventKind::kAcknowledged, actor, "", "", text, std::nullopt});
  if (!event) return event.error();
  return sp.Release();
}

LedgerStatus Ledger::CloseIncident(IncidentId id, LedgerTime at, const std::string& actor,
                                   const std::string& text) {
  const std::string what = "close incident " + Id(id);
  if (actor.empty()) return Error(LedgerErrorKind::kInvalidArgument, what, "the actor is empty");
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  Stmt st(db_,
          "UPDATE incidents SET status = 'closed', closed_at = ?1, closed_by = ?2 "
          "WHERE id = ?3 AND status = 'open'");
  st.Bind(1, at).Bind(2, actor).Bind(3, id);
  SqlCode rc = st.Step();
  if (rc != SqlCode::kDone) return Error(what, rc);
  if (db_->Changes() == 0) {
    return MissingOrWrongState("incidents", id, what, "the incident is already closed");
  }
  auto event = AppendEvent({0, id, at, EventKind::kClosed, actor, "", "", text, std::nullopt});
  if (!event) return event.error();
  return sp.Release();
}

LedgerStatus Ledger::ProvisionalClose(IncidentId id, LedgerTime at, const std::string& actor,
                                      const std::string& text) {
  const std::string what = "provisionally close incident " + Id(id);
  if (actor.empty()) return Error(LedgerErrorKind::kInvalidArgument, what, "the actor is empty");
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  Stmt st(db_,
          "UPDATE incidents SET provisional_closed_at = ?1, provisional_closed_by = ?2 "
          "WHERE id = ?3 AND status = 'open' AND provisional_closed_at IS NULL "
          "AND ?1 >= detected_at");
  st.Bind(1, at).Bind(2, actor).Bind(3, id);
  SqlCode rc = st.Step();
  if (rc != SqlCode::kDone) return Error(what, rc);
  if (db_->Changes() == 0) {
    return MissingOrWrongState("incidents", id, what,
                               "the incident is closed, already provisionally closed, or was "
                               "detected after that time");
  }
  auto event =
      AppendEvent({0, id, at, EventKind::kProvisionalClose, actor, "", "", text, std::nullopt});
  if (!event) return event.error();
  return sp.Release();
}

LedgerStatus Ledger::SetCause(IncidentId id, IncidentCause cause, LedgerTime at,
                              const std::string& actor, const std::string& reason) {
  const std::string what = "set the cause of incident " + Id(id);
  if (actor.empty()) return Error(LedgerErrorKind::kInvalidArgument, what, "the actor is empty");
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  Stmt st(db_, "UPDATE incidents SET cause = ?1 WHERE id = ?2 AND cause <> ?1");
  st.Bind(1, ToString(cause)).Bind(2, id);
  SqlCode rc = st.Step();
  if (rc != SqlCode::kDone) return Error(what, rc);
  if (db_->Changes() == 0) {
    return MissingOrWrongState("incidents", id, what,
                               "the cause is already " + std::string(ToString(cause)));
  }
  std::string text = "cause: " + std::string(ToString(cause));
  if (!reason.empty()) text += " (" + reason + ")";
  auto event = AppendEvent({0, id, at, EventKind::kCauseChange, actor, "", "", text, std::nullopt});
  if (!event) return event.error();
  return sp.Release();
}

LedgerStatus Ledger::AttachMonitor(const IncidentMonitor& m) {
  const std::string what =
      "attach monitor " + m.node + "/" + m.monitor + " to incident " + Id(m.incident_id);
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  // ON CONFLICT DO UPDATE, not INSERT OR REPLACE: the latter would also
  // swallow CHECK and NOT NULL failures, and lose attached_at.
  Stmt st(
      db_,
      "INSERT INTO incident_monitors (incident_id, node, monitor, system, attached_at, kind, "
      "status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (incident_id, node, monitor) "
      "DO UPDATE SET status = excluded.status, "
      "kind = CASE WHEN excluded.kind <> '' THEN excluded.kind ELSE incident_monitors.kind END");
  st.Bind(1, m.incident_id)
      .Bind(2, m.node)
      .Bind(3, m.monitor)
      .Bind(4, m.system)
      .Bind(5, m.attached_at)
      .Bind(6, m.kind)
      .Bind(7, NameOf(m.status, kStatusNames));
  SqlCode rc = st.Step();
  if (rc != SqlCode::kDone) return Error(what, rc);
  return sp.Release();
}

LedgerStatus Ledger::SetMonitorStatus(IncidentId id, const std::string& node,
                                      const std::string& monitor, Status status) {
  const std::string what = "set the status of monitor " + node + "/" + monitor + " of incident " +
                           Id(id) + " to " + std::string(NameOf(status, kStatusNames));
  Stmt st(db_,
          "UPDATE incident_monitors SET status = ?4 "
          "WHERE incident_id = ?1 AND node = ?2 AND monitor = ?3");
  st.Bind(1, id).Bind(2, node).Bind(3, monitor).Bind(4, NameOf(status, kStatusNames));
  SqlCode rc = st.Step();
  if (rc != SqlCode::kDone) return Error(what, rc);
  if (db_->Changes() == 0) {
    return Error(LedgerErrorKind::kNotFound, what, "the monitor is not attached");
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Pending changes

LedgerResult<std::vector<std::int64_t>> Ledger::RecordPendingChanges(
    const std::vector<StateChange>& changes, LedgerTime recorded_at) {
  const std::string what = "record " + std::to_string(changes.size()) + " pending state changes";
  std::vector<std::int64_t> ids;
  if (changes.empty()) return ids;
  Savepoint sp(*this, true, what);
  if (sp.status()) return *sp.status();
  Stmt st(db_,
          "INSERT INTO pending_changes (node, monitor, kind, from_status, to_status, detected_at, "
          "first_seen_at, reason, value, recorded_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id");
  for (const StateChange& c : changes) {
    st.Reset();
    st.Bind(1, c.node)
        .Bind(2, c.monitor)
        .Bind(3, c.kind)
        .Bind(4, NameOf(c.from, kStatusNames))
        .Bind(5, NameOf(c.to, kStatusNames))
        .Bind(6, c.detected_at)
        .Bind(7, c.first_seen_at)
        .Bind(8, c.reason)
        .Bind(9, c.value)
        .Bind(10, recorded_at);
    std::int64_t id = 0;
    SqlCode rc = st.StepReturningId(id);
    if (rc != SqlCode::kDone) return Error(what + " (" + c.node + "/" + c.monitor + ")", rc);
    ids.push_back(id);
  }
  if (auto err = sp.Release()) return *err;
  return ids;
}

LedgerResult<std::vector<std::int64_t>> Ledger::RecordForwardedChanges(
    const std::vector<StateChange>& changes, LedgerTime recorded_at, const std::string& collector) {
  const std::string what = "record " + std::to_string(changes.size()) +
                           " state changes forwarded by collector " + collector;
  std::vector<std::int64_t> ids;
  if (changes.empty()) return ids;
  Savepoint sp(*this, true, what);
  if (sp.status()) return *sp.status();
  // FOR SHARE: the leader cannot give the node to another collector until
  // this transaction ends, so the new owner, which reads the ledger after
  // it got the node, sees this change.
  Stmt owns(db_, "SELECT 1 FROM shard_assignments WHERE node = ?1 AND collector = ?2 FOR SHARE");
  for (const StateChange& c : changes) {
    owns.Reset();
    owns.Bind(1, c.node).Bind(2, collector);
    const SqlCode rc = owns.Step();
    if (rc == SqlCode::kDone) {
      ids.push_back(0);
      continue;
    }
    if (rc != SqlCode::kRow) return Error(what + " (" + c.node + "/" + c.monitor + ")", rc);
    owns.Step();  // to the end
    auto id = RecordPendingChanges({c}, recorded_at);
    if (!id) return id.error();
    ids.push_back(id->front());
  }
  if (auto err = sp.Release()) return *err;
  return ids;
}

LedgerResult<std::vector<PendingChange>> Ledger::PendingChangesAfter(std::int64_t after) {
  const std::string what = "read the pending state changes after " + std::to_string(after);
  Stmt st(db_, std::string("SELECT ") + kPendingColumns +
                   " FROM pending_changes WHERE id > ?1 ORDER BY id");
  st.Bind(1, after);
  std::vector<PendingChange> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  return rows;
}

LedgerResult<std::vector<PendingChange>> Ledger::PendingChanges() {
  const std::string what = "read the pending state changes";
  Stmt st(db_, std::string("SELECT ") + kPendingColumns + " FROM pending_changes ORDER BY id");
  std::vector<PendingChange> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  return rows;
}

LedgerStatus Ledger::ForgetPendingChanges(const std::vector<std::int64_t>& ids) {
  const std::string what = "remove " + std::to_string(ids.size()) + " pending state changes";
  if (ids.empty()) return std::nullopt;
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  Stmt st(db_, "DELETE FROM pending_changes WHERE id = ?1");
  for (std::int64_t id : ids) {
    st.Reset();
    st.Bind(1, id);
    SqlCode rc = st.Step();
    if (rc != SqlCode::kDone) return Error(what, rc);
  }
  return sp.Release();
}

LedgerStatus Ledger::AddAffectedVm(const AffectedVm& vm) {
  const std::string what = "add affected VM " + vm.vm + " to incident " + Id(vm.incident_id);
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  Stmt st(db_,
          "INSERT INTO incident_affected_vms (incident_id, vm, system, host, added_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (incident_id, vm) DO UPDATE SET "
          "system = excluded.system, host = excluded.host");
  st.Bind(1, vm.incident_id)
      .Bind(2, vm.vm)
      .Bind(3, vm.system)
      .Bind(4, vm.host)
      .Bind(5, vm.added_at);
  SqlCode rc = st.Step();
  if (rc != SqlCode::kDone) return Error(what, rc);
  return sp.Release();
}

LedgerResult<std::optional<IncidentId>> Ledger::FindOpenIncident(const std::string& node,
                                                                 const std::string& monitor) {
  const std::string what = "find the open incident of " + node + "/" + monitor;
  Stmt st(db_,
          "SELECT i.id FROM incident_monitors m JOIN incidents i ON i.id = m.incident_id "
          "WHERE m.node = ?1 AND m.monitor = ?2 AND i.status = 'open' "
          "ORDER BY i.detected_at DESC, i.id DESC LIMIT 1");
  st.Bind(1, node).Bind(2, monitor);
  SqlCode rc = st.Step();
  if (rc == SqlCode::kDone) return std::optional<IncidentId>();
  if (rc != SqlCode::kRow) return Error(what, rc);
  return std::optional<IncidentId>(st.Int64(0));
}

LedgerResult<EventId> Ledger::AppendEvent(const IncidentEvent& event) {
  const std::string what = "append a " + std::string(ToString(event.kind)) + " event to incident " +
                           Id(event.incident_id);
  if (event.actor.empty()) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "the actor is empty");
  }
  Savepoint sp(*this, true, what);
  if (sp.status()) return *sp.status();
  std::int64_t id = 0;
  SqlCode rc = InsertEvent(*db_, event, id);
  if (rc != SqlCode::kDone) return Error(what, rc);
  if (auto err = sp.Release()) return *err;
  return id;
}

// ---------------------------------------------------------------------------
// Queries

LedgerResult<std::vector<Incident>> Ledger::OpenIncidents() {
  const std::string what = "list open incidents";
  Stmt st(db_, std::string("SELECT ") + kIncidentColumns +
                   " FROM incidents WHERE status = 'open' ORDER BY detected_at, id");
  std::vector<Incident> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  return rows;
}

LedgerResult<std::vector<IncidentMonitor>> Ledger::OpenIncidentMonitors() {
  const std::string what = "list the monitors of open incidents";
  Stmt st(db_, std::string("SELECT ") + kMonitorColumns +
                   " FROM incident_monitors WHERE incident_id IN "
                   "(SELECT id FROM incidents WHERE status = 'open') "
                   "ORDER BY incident_id, attached_at, node, monitor");
  std::vector<IncidentMonitor> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  return rows;
}

LedgerResult<std::vector<Incident>> Ledger::RecentIncidents(LedgerTime since, int limit) {
  const std::string what = "list recent incidents";
  Stmt st(db_, std::string("SELECT ") + kIncidentColumns +
                   " FROM incidents WHERE detected_at >= ?1 "
                   "ORDER BY detected_at DESC, id DESC LIMIT ?2");
  st.Bind(1, since).Bind(2, limit);
  std::vector<Incident> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  return rows;
}

LedgerResult<IncidentTimeline> Ledger::Timeline(IncidentId id) {
  const std::string what = "read the timeline of incident " + Id(id);
  Savepoint snapshot(*this, false, what);  // all five reads see one state
  if (snapshot.status()) return *snapshot.status();
  IncidentTimeline out;
  auto incident = GetIncident(id);
  if (!incident) return incident.error();
  out.incident = std::move(*incident);
  std::string bad;
  {
    Stmt st(db_, std::string("SELECT ") + kMonitorColumns +
                     " FROM incident_monitors WHERE incident_id = ?1 "
                     "ORDER BY attached_at, node, monitor");
    st.Bind(1, id);
    if (auto err = RowsStatus(ReadAll(st, out.monitors, bad), bad, what)) return *err;
  }
  {
    Stmt st(db_, std::string("SELECT ") + kVmColumns +
                     " FROM incident_affected_vms WHERE incident_id = ?1 ORDER BY added_at, vm");
    st.Bind(1, id);
    if (auto err = RowsStatus(ReadAll(st, out.affected_vms, bad), bad, what)) return *err;
  }
  {
    Stmt st(db_, std::string("SELECT ") + kEventColumns +
                     " FROM incident_events WHERE incident_id = ?1 ORDER BY at, id");
    st.Bind(1, id);
    if (auto err = RowsStatus(ReadAll(st, out.events, bad), bad, what)) return *err;
  }
  {
    Stmt st(db_, std::string("SELECT ") + kReportColumns +
                     " FROM reports WHERE incident_id = ?1 ORDER BY created_at, id");
    st.Bind(1, id);
    if (auto err = RowsStatus(ReadAll(st, out.reports, bad), bad, what)) return *err;
  }
  if (auto err = snapshot.Release()) return *err;
  return out;
}

LedgerResult<MonthlySummary> Ledger::Summarize(LedgerTime from, LedgerTime to) {
  const std::string what = "summarize the period";
  if (to <= from) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "the end is not after the start");
  }
  Savepoint snapshot(*this, false, what);
  if (snapshot.status()) return *snapshot.status();
  MonthlySummary out;
  out.from = from;
  out.to = to;
  std::map<std::string, LevelSummary> by_level;
  {
    // Every incident whose outage overlaps [from, to); its outage clipped to
    // the period, and counted as a detection only if detected inside it.
    // CASE rather than SQLite's boolean sums and two-argument MIN/MAX, which
    // PostgreSQL does not have.
    Stmt st(db_,
            "SELECT service_level, "
            "  SUM(CASE WHEN detected_at >= ?1 THEN 1 ELSE 0 END), "
            "  SUM(CASE WHEN detected_at >= ?1 AND EXISTS (SELECT 1 FROM reports r "
            "      WHERE r.incident_id = i.id AND r.kind = 'first' AND "
            "      ((r.sent_at IS NOT NULL AND r.sent_at > r.due_at) OR "
            "       (r.sent_at IS NULL AND r.due_at < ?2))) THEN 1 ELSE 0 END), "
            "  SUM(CASE WHEN outage_end > outage_start THEN outage_end - outage_start ELSE 0 END) "
            "FROM (SELECT id, service_level, detected_at, "
            "        CASE WHEN closed_at IS NULL OR closed_at > ?2 THEN ?2 ELSE closed_at END "
            "          AS outage_end, "
            "        CASE WHEN detected_at > ?1 THEN detected_at ELSE ?1 END AS outage_start "
            "      FROM incidents "
            "      WHERE class = 'trouble' AND detected_at < ?2 "
            "      AND (closed_at IS NULL OR closed_at > ?1 OR detected_at >= ?1)) i "
            "GROUP BY service_level");
    st.Bind(1, from).Bind(2, to);
    SqlCode rc;
    while ((rc = st.Step()) == SqlCode::kRow) {
      LevelSummary& level = by_level[st.Text(0)];
      level.detections = st.Int(1);
      level.first_report_late = st.Int(2);
      level.outage = milliseconds(st.Int64(3));
    }
    if (rc != SqlCode::kDone) return Error(what, rc);
  }
  for (std::string_view name : kLevels) {
    LevelSummary level = by_level[std::string(name)];
    level.service_level = std::string(name);
    out.levels.push_back(std::move(level));
  }
  {
    Stmt st(db_,
            "SELECT COUNT(CASE WHEN status = 'sent' AND sent_at <= due_at THEN 1 END), "
            "  COUNT(CASE WHEN status = 'sent' AND sent_at > due_at THEN 1 END), "
            "  COUNT(CASE WHEN status IN ('pending', 'sending') THEN 1 END), "
            "  COUNT(CASE WHEN status = 'failed-permanently' THEN 1 END) "
            "FROM reports WHERE due_at >= ?1 AND due_at < ?2");
    st.Bind(1, from).Bind(2, to);
    SqlCode rc = st.Step();
    if (rc != SqlCode::kRow) return Error(what, rc);
    out.reports.on_time = st.Int(0);
    out.reports.late = st.Int(1);
    out.reports.unsent = st.Int(2);
    out.reports.failed_permanently = st.Int(3);
  }
  if (auto err = snapshot.Release()) return *err;
  return out;
}

// ---------------------------------------------------------------------------
// Incidents by period, resource usage

LedgerResult<std::vector<Incident>> Ledger::IncidentsOverlapping(LedgerTime from, LedgerTime to) {
  const std::string what = "list the incidents of the period";
  if (to <= from) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "the end is not after the start");
  }
  // The same WHERE as Summarize, so both see the same incidents.
  Stmt st(db_, std::string("SELECT ") + kIncidentColumns +
                   " FROM incidents WHERE detected_at < ?2 AND "
                   "(closed_at IS NULL OR closed_at > ?1 OR detected_at >= ?1) "
                   "ORDER BY detected_at, id");
  st.Bind(1, from).Bind(2, to);
  std::vector<Incident> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  return rows;
}

}  // namespace mimamori::collector
