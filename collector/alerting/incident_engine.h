// The incident engine: turns the monitoring half's confirmed state changes
// into incidents and queues the reports the timetable asks for. It only
// writes the ledger; the outbox delivers. Every incident and the reports it
// makes due are written in one transaction, so a crash never leaves an
// incident without its first report or a report without its incident.
//
// Grouping (issue 4, "one platform-wide incident instead of one mail per
// VM"): a new failure waits in a group for `alerting.grouping_window`
// (default 60 s, well inside the 5-minute shortest first-report deadline).
// Groups are keyed by ESXi host: a VM's failures join its host's group, the
// host's own failures too. When the window ends, the group becomes
//   - one platform incident when a host, storage or network device failed,
//     or when `platform_vm_threshold` or more VMs of one host failed; it
//     lists every affected VM (for a failed ESXi host: every VM on it);
//   - otherwise one VM-scope incident per node.
// A failure of a node that already has an open incident joins it at once
// (a later, worse state updates it; the priority only ever rises on its own).
//
// Nothing confirmed is lost across a crash (issue 13): the first thing the
// engine does with a change is write it to the ledger's pending changes, and
// whatever consumes it (the incident it opens, joins or closes) removes it in
// the same transaction. A restarted engine replays what is still pending, with
// the grouping windows it had. The monitors of open incidents keep their
// latest status in the ledger, so the restarted collector presumes exactly
// that (InheritedStates) until each monitor's first check decides: an OK
// check closes with that check's time; until then a new failure of the node
// waits in its group rather than joining an incident that may be stale.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "collector/alerting/incident_actions.h"
#include "collector/core/clock.h"
#include "collector/core/state_change.h"
#include "collector/core/state_tracker.h"
#include "collector/ledger/ledger.h"

namespace mimamori::collector {

/// Counters for /metrics and tests.
struct IncidentEngineStats {
  std::uint64_t incidents_opened = 0;
  std::uint64_t platform_incidents_opened = 0;
  std::uint64_t incidents_updated = 0;   ///< a change joined an open incident
  std::uint64_t incidents_closed = 0;    ///< by recovery (not by operators)
  std::uint64_t reports_queued = 0;      ///< continuing reports and suppression mails
  std::uint64_t suppressed_changes = 0;  ///< failures inside a suppression window
  std::uint64_t ledger_errors = 0;       ///< each one logged at error level
  /// Open incidents past their recovery target, by level ("" platform-wide),
  /// as of the latest Tick.
  std::map<std::string, int> past_recovery_target;
};

/// A monitor the ledger says was failing when the collector stopped: a
/// monitor of an open incident not recorded OK since, or a pending failure.
struct InheritedState {
  std::string node;
  std::string monitor;
  std::string kind;  ///< the monitor kind, as the scheduler names it
  Status status = Status::kCritical;
  TimePoint since;  ///< when the failure was detected
};

/// Read once at start, before the first check, so the state tracker and the
/// scheduler can carry on where the previous run stopped.
LedgerResult<std::vector<InheritedState>> InheritedStates(Ledger& ledger);

/// The monitor kind of a monitor name ("process:httpd" -> "process",
/// "disk:/var" -> "resource"), for ledger rows written before kinds were kept.
std::string MonitorKindOf(const std::string& monitor);

/// Single-threaded: one thread calls everything, with its own Ledger.
class IncidentEngine {
 public:
  /// `ledger` must outlive the engine. Re-reads the open incidents and
  /// replays the pending changes a previous run left.
  IncidentEngine(Ledger& ledger, const Clock& clock, AlertingContext context);

  /// A new inventory/templates (reload). Groups already waiting keep their
  /// members; configured suppressions are added to the ledger once.
  void SetContext(AlertingContext context);

  /// Takes confirmed state changes, oldest first.
  void Accept(const std::vector<StateChange>& changes);

  /// Sharding: from now on TakeForwardedChanges takes the changes the other
  /// collectors of the pair record in the ledger's pending changes (see
  /// Ledger::RecordForwardedChanges), as if they had come through Accept.
  void EnableForwardedChanges() { forwarding_ = true; }
  /// Those recorded since the last call (nothing unless enabled).
  void TakeForwardedChanges();

  /// Does what is due now: ends grouping windows, queues hourly continuing
  /// reports and suppression start/resumption mails, re-opens failures still
  /// present when a suppression ends. Call at least every second.
  void Tick();

  /// When the event queue dropped events the tracker's view is the truth: an
  /// open incident all of whose monitors were checked OK since `since` is
  /// closed as recovered (at the latest of its monitors' first OK checks),
  /// and a confirmed failure the engine has not seen is taken as new.
  void Reconcile(const std::vector<MonitorState>& current, TimePoint since);

  /// When Tick next has something to do (a group's window ends); nullopt
  /// when nothing waits (Tick is still needed each second for the clock-driven
  /// reports).
  std::optional<TimePoint> NextGroupDeadline() const;

  const IncidentEngineStats& stats() const { return stats_; }
  /// For each change recorded since the last call: seconds from its
  /// detection (the check that confirmed it) to its pending row's commit,
  /// the window in which a crash could still lose it.
  std::vector<double> TakeRecordDelays();
  /// Failures waiting in a grouping window.
  std::size_t waiting() const;

 private:
  /// A change the engine took, with its rows in the ledger's pending changes
  /// (none when it could not be written; several when a group folded earlier
  /// changes of the same monitor into it) and when it was taken.
  struct Taken {
    StateChange change;
    std::vector<std::int64_t> rows;
    TimePoint taken_at;
  };
  struct Group {
    TimePoint opened;  ///< by the engine's clock: the window runs from here
    std::vector<Taken> failures;
    std::vector<Taken> recoveries;  ///< of members, while waiting
  };
  using MonitorKey = std::pair<std::string, std::string>;

  bool IsFailure(Status s) const { return s == Status::kWarning || s == Status::kCritical; }
  Priority PriorityOf(const StateChange& change) const;
  std::string GroupKeyOf(const std::string& node) const;
  bool Suppressed(const std::string& node, TimePoint at) const;
  /// Re-reads the suppressions active at `now` (the CLI may have added
  /// some); keeps the last ones when the ledger fails.
  void RefreshSuppressions(TimePoint now);

  /// Records the changes as pending (one transaction), then processes each.
  void Take(const std::vector<StateChange>& changes);
  void Process(const Taken& taken);
  void OnFailure(const Taken& taken);
  void OnRecovery(const Taken& taken);
  void ReplayPendingChanges();
  /// Whether the failure may join incident `id` now: not while the incident
  /// came from before the restart and some other monitor of it has not been
  /// checked since (it may be stale; the failure waits in its group).
  bool MayJoinNow(IncidentId id, const MonitorKey& key) const;
  void FlushGroup(const std::string& key, Group group);
  void OpenPlatformIncident(const std::string& key, const std::vector<Taken>& failures);
  void OpenNodeIncident(const std::string& node, const std::vector<Taken>& failures);
  /// Adds a failure to an open incident (and raises its priority when the
  /// rules say this failure is more urgent); its pending rows are removed in
  /// the same transaction.
  /// false when the incident was closed meanwhile (the caller then treats
  /// the failure as new); true otherwise, also when the ledger failed (the
  /// failure is then retried from Tick).
  bool JoinIncident(IncidentId id, const Taken& taken);
  void ForgetRows(const Taken& taken);

  void QueueContinuingReports(TimePoint now);
  /// Counts open incidents past their recovery target and, when configured,
  /// raises each to high priority once.
  void WatchRecoveryTargets(const std::vector<Incident>& open, TimePoint now);
  void SyncConfiguredSuppressions();
  /// Records on each open incident that a VM of it now runs on another host
  /// than under `before` (vCenter placement or an edited inventory).
  void RecordMoves(const Inventory& before);
  void QueueSuppressionMails(TimePoint now);
  LedgerStatus QueueSuppressionMail(const Suppression& s, bool start, TimePoint now);

  /// Logs a ledger failure loudly and counts it; returns true when `status`
  /// was an error.
  bool Failed(const LedgerStatus& status, std::string_view what, const std::string& node = {},
              const std::string& monitor = {}, std::optional<IncidentId> incident = {});

  Ledger& ledger_;
  const Clock& clock_;
  AlertingContext ctx_;
  IncidentEngineStats stats_;

  void IndexOpenIncidents();
  void Forget(IncidentId id);

  std::map<std::string, Group> groups_;  ///< by GroupKeyOf
  /// Open incidents by the nodes they name (monitors and affected VMs), and
  /// platform incidents by their group key (ESXi host), so a later failure
  /// joins instead of opening another. Rebuilt from the ledger at start;
  /// pruned each Tick (an operator may close an incident from the CLI).
  std::map<std::string, IncidentId> node_incident_;
  std::map<std::string, IncidentId> host_incident_;
  std::map<MonitorKey, StateChange> failing_;  ///< current confirmed failures
  /// Monitors of incidents open before this run, not yet checked since, and
  /// their incidents.
  std::map<MonitorKey, IncidentId> presumed_failing_;
  /// Changes whose processing the ledger refused; offered again from Tick.
  std::vector<Taken> retry_;
  TimePoint next_retry_{};
  /// The open-incident sweep of Tick: when it ran, when it is next due, and
  /// whether something (a new context) wants it on the next turn.
  TimePoint last_sweep_{};
  TimePoint next_sweep_{};
  bool sweep_now_ = true;
  std::vector<double> record_delays_;
  /// Sharding: the highest pending-change id seen, and the rows this engine
  /// wrote above it (not to be taken twice).
  bool forwarding_ = false;
  std::int64_t forwarded_after_ = 0;
  TimePoint next_forwarded_read_{};
  std::set<std::int64_t> own_rows_;
  /// When each monitor's latest change was detected, so Reconcile never
  /// lets an older snapshot undo a newer change.
  std::map<MonitorKey, TimePoint> last_change_;
  std::vector<Suppression> active_suppressions_;  ///< refreshed each Tick
  /// Suppressions whose start / resumption mail is queued (or was before a
  /// restart: the ledger refuses the duplicate, which is then recorded here).
  std::set<SuppressionId> start_mailed_, end_mailed_;
  /// Open incident -> (priority it was computed for, next hourly due).
  std::map<IncidentId, std::pair<Priority, std::optional<TimePoint>>> continuing_;
  std::set<IncidentId> raised_past_target_;
};

}  // namespace mimamori::collector
