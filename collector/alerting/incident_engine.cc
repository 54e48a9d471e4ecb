#include "collector/alerting/incident_engine.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "collector/alerting/mail_message.h"
#include "collector/alerting/mail_templates.h"
#include "collector/alerting/recovery_target.h"
#include "collector/alerting/report_wording.h"
#include "collector/core/log.h"

namespace mimamori::collector {
namespace {

/// A VM incident's cause until an operator says otherwise: a VM that stopped
/// answering (ping) may be the platform's fault or the owner's, so unknown;
/// any other monitor (process, port, service, web page, resource) watches
/// the inside of the VM, the owner's side.
IncidentCause DefaultCause(const std::vector<StateChange>& failures) {
  for (const StateChange& f : failures) {
    if (f.kind == "ping" || f.monitor == "ping") return IncidentCause::kUnknown;
  }
  return IncidentCause::kSystem;
}

/// Hourly continuing reports are queued this long before they are due, so
/// that a prompt sender delivers them by their due time, not just after it.
constexpr std::chrono::minutes kContinuingLead{1};
// How often Tick reads every open incident (continuing reports, recovery
// targets, incidents closed from the command line). Not every turn: with
// thousands of incidents open, four reads a second of all of them took a
// sixth of a core. Continuing reports are queued kContinuingLead ahead, so a
// few seconds never make one late.
constexpr std::chrono::seconds kOpenIncidentSweep{5};
/// A group whose incident could not be written is tried again this soon.
constexpr std::chrono::seconds kRetryWrite{5};
constexpr const char* kSystemActor = "mimamori";

bool IsPlatformDevice(NodeKind kind) {
  return kind == NodeKind::kEsxiHost || kind == NodeKind::kStorage || kind == NodeKind::kNetwork;
}

std::string ChangeText(const StateChange& c) {
  std::string text = std::string(StatusName(c.from)) + " → " + std::string(StatusName(c.to));
  if (!c.reason.empty()) text += ": " + c.reason;
  return text;
}

std::string IdText(IncidentId id) { return std::to_string(id); }

IncidentEvent StateChangeEvent(IncidentId id, TimePoint at, const StateChange& c) {
  IncidentEvent event{
      0, id, at, EventKind::kStateChange, kSystemActor, c.node, c.monitor, ChangeText(c), c.to};
  return event;
}

/// The change that led to a monitor's current confirmed failure, as the
/// tracker's snapshot tells it.
StateChange ConfirmedChangeOf(const MonitorState& s) {
  StateChange change;
  change.node = s.node;
  change.monitor = s.monitor;
  change.kind = s.kind;
  change.from = Status::kOk;
  change.to = s.confirmed;
  change.detected_at = s.last_checked;
  change.first_seen_at = s.streak_started;
  change.reason = s.reason;
  change.value = s.value;
  return change;
}

}  // namespace

std::string MonitorKindOf(const std::string& monitor) {
  const std::string prefix = monitor.substr(0, monitor.find(':'));
  if (prefix == "cpu" || prefix == "memory" || prefix == "disk") return "resource";
  return prefix;
}

LedgerResult<std::vector<InheritedState>> InheritedStates(Ledger& ledger) {
  std::map<std::pair<std::string, std::string>, InheritedState> states;
  auto open = ledger.OpenIncidents();
  if (!open) return open.error();
  for (const Incident& incident : *open) {
    auto timeline = ledger.Timeline(incident.id);
    if (!timeline) return timeline.error();
    for (const IncidentMonitor& m : timeline->monitors) {
      if (m.status == Status::kOk) continue;
      states[{m.node, m.monitor}] = {m.node, m.monitor,
                                     m.kind.empty() ? MonitorKindOf(m.monitor) : m.kind, m.status,
                                     incident.detected_at};
    }
  }
  auto pending = ledger.PendingChanges();
  if (!pending) return pending.error();
  // Oldest first: the latest change of a monitor decides.
  for (const PendingChange& p : *pending) {
    const StateChange& c = p.change;
    if (c.to == Status::kOk) {
      states.erase({c.node, c.monitor});
    } else if (c.to != Status::kUnknown) {
      states[{c.node, c.monitor}] = {c.node, c.monitor,
                                     c.kind.empty() ? MonitorKindOf(c.monitor) : c.kind, c.to,
                                     c.detected_at};
    }
  }
  std::vector<InheritedState> out;
  out.reserve(states.size());
  for (auto& [key, state] : states) out.push_back(std::move(state));
  return out;
}

IncidentEngine::IncidentEngine(Ledger& ledger, const Clock& clock, AlertingContext context)
    : ledger_(ledger), clock_(clock), ctx_(std::move(context)) {
  IndexOpenIncidents();
  SyncConfiguredSuppressions();
  ReplayPendingChanges();
}

void IncidentEngine::SetContext(AlertingContext context) {
  const std::shared_ptr<const Inventory> before = ctx_.inventory;
  ctx_ = std::move(context);
  if (before) RecordMoves(*before);
  SyncConfiguredSuppressions();
  sweep_now_ = true;  // the timetables or the recovery targets may have changed
}

void IncidentEngine::RecordMoves(const Inventory& before) {
  const TimePoint now = clock_.Now();
  for (const auto& [vm, id] : node_incident_) {
    const Node* old_node = before.FindNode(vm);
    const Node* node = ctx_.inventory->FindNode(vm);
    if (!old_node || !node || node->kind != NodeKind::kVm || old_node->host == node->host) {
      continue;
    }
    const std::string text = "VM " + vm + " moved (vMotion/DRS): host " +
                             (old_node->host.empty() ? std::string("-") : old_node->host) + " -> " +
                             node->host;
    LedgerStatus status = ledger_.Transaction([&](Ledger& l) -> LedgerStatus {
      auto incident = l.GetIncident(id);
      if (!incident) return incident.error();
      if (incident->status != IncidentStatus::kOpen) return std::nullopt;
      // The affected VM's row follows it, so the next report's recipients
      // and text are those of its current host.
      if (auto e = l.AddAffectedVm({id, vm, node->system, node->host, now})) return e;
      IncidentEvent event{0,  id,          now,  EventKind::kProgress, kSystemActor,
                          vm, "placement", text, std::nullopt};
      if (auto e = l.AppendEvent(event); !e) return e.error();
      return std::nullopt;
    });
    if (Failed(status, "recording a VM's move", vm, "placement", id)) continue;
    Log(LogLevel::kInfo, {vm, "placement", IdText(id)}, text + ": recorded on the incident");
  }
}

std::size_t IncidentEngine::waiting() const {
  std::size_t n = 0;
  for (const auto& [key, group] : groups_) n += group.failures.size();
  return n;
}

std::optional<TimePoint> IncidentEngine::NextGroupDeadline() const {
  std::optional<TimePoint> next;
  for (const auto& [key, group] : groups_) {
    TimePoint end = group.opened + ctx_.inventory->alerting.grouping_window;
    if (!next || end < *next) next = end;
  }
  return next;
}

bool IncidentEngine::Failed(const LedgerStatus& status, std::string_view what,
                            const std::string& node, const std::string& monitor,
                            std::optional<IncidentId> incident) {
  if (!status) return false;
  ++stats_.ledger_errors;
  const std::string id = incident ? IdText(*incident) : std::string();
  Log(LogLevel::kError, {node, monitor, id}, std::string(what) + ": " + status->message);
  return true;
}

Priority IncidentEngine::PriorityOf(const StateChange& change) const {
  FailureClass failure = FailureClass::kAlive;
  if (change.kind == "process") {
    failure = FailureClass::kProcess;
  } else if (change.kind == "port") {
    failure = FailureClass::kPort;
  } else if (change.kind == "service") {
    failure = FailureClass::kService;
  } else if (change.kind == "web") {
    failure = FailureClass::kWeb;
  } else if (change.kind == "resource") {
    failure = change.to == Status::kCritical ? FailureClass::kResourceCritical
                                             : FailureClass::kResourceWarning;
  } else if (change.kind == "hardware") {
    failure = FailureClass::kHardware;
  } else if (change.kind == "time") {
    failure = FailureClass::kTimeSync;
  } else if (change.kind == "backup") {
    failure = FailureClass::kBackup;
  } else if (change.kind == "message") {
    failure = FailureClass::kMessage;
  }
  const Inventory& inv = *ctx_.inventory;
  if (const Node* node = inv.FindNode(change.node)) {
    if (const System* system = inv.FindSystem(node->system)) {
      if (auto it = system->priority.find(failure); it != system->priority.end()) {
        return it->second;
      }
    }
  }
  return inv.alerting.priority.For(failure);
}

std::string IncidentEngine::GroupKeyOf(const std::string& node) const {
  const Node* n = ctx_.inventory->FindNode(node);
  if (n && n->kind == NodeKind::kVm && !n->host.empty()) return n->host;
  return node;
}

bool IncidentEngine::Suppressed(const std::string& node, TimePoint at) const {
  const Node* n = ctx_.inventory->FindNode(node);
  for (const Suppression& s : active_suppressions_) {
    if (at < s.starts_at || at >= s.ends_at) continue;
    if (s.cancelled_at && *s.cancelled_at <= at) continue;
    if (s.target_kind == SuppressionTarget::kNode && s.target == node) return true;
    if (s.target_kind == SuppressionTarget::kSystem && n && n->system == s.target) return true;
  }
  return false;
}

void IncidentEngine::IndexOpenIncidents() {
  node_incident_.clear();
  host_incident_.clear();
  auto open = ledger_.OpenIncidents();
  if (!open) {
    Failed(open.error(), "reading open incidents");
    return;
  }
  for (const Incident& incident : *open) {
    // Failures join only incidents monitoring opened: one an operator opened
    // (a call, a request) is theirs, before and after a restart alike.
    if (incident.opened_by != kSystemActor) continue;
    auto timeline = ledger_.Timeline(incident.id);
    if (!timeline) {
      Failed(timeline.error(), "reading incident", {}, {}, incident.id);
      continue;
    }
    for (const IncidentMonitor& m : timeline->monitors) {
      node_incident_[m.node] = incident.id;
      // Until a check says otherwise after this restart, a monitor of an
      // open incident is taken as it was last recorded, so one recovery does
      // not close an incident whose other monitors were never seen OK.
      if (m.status != Status::kOk) presumed_failing_[{m.node, m.monitor}] = incident.id;
    }
    for (const AffectedVm& vm : timeline->affected_vms) node_incident_[vm.vm] = incident.id;
    if (incident.scope == IncidentScope::kPlatform && !timeline->monitors.empty()) {
      host_incident_[GroupKeyOf(timeline->monitors.front().node)] = incident.id;
    }
  }
}

void IncidentEngine::Forget(IncidentId id) {
  std::erase_if(node_incident_, [id](const auto& kv) { return kv.second == id; });
  std::erase_if(host_incident_, [id](const auto& kv) { return kv.second == id; });
  continuing_.erase(id);
}

void IncidentEngine::RefreshSuppressions(TimePoint now) {
  if (auto active = ledger_.ActiveSuppressions(now)) {
    active_suppressions_ = std::move(*active);
  } else {
    Failed(active.error(), "reading suppressions");
  }
}

void IncidentEngine::Accept(const std::vector<StateChange>& changes) {
  if (changes.empty()) return;
  // Windows may have been added from the CLI since the last Tick.
  RefreshSuppressions(clock_.Now());
  Take(changes);
}

void IncidentEngine::Take(const std::vector<StateChange>& changes) {
  if (changes.empty()) return;
  // Before anything else happens to them, failures and recoveries are made
  // durable, all of this turn's in one transaction (one fsync).
  const TimePoint now = clock_.Now();
  std::vector<StateChange> durable;
  for (const StateChange& c : changes) {
    if (c.to != Status::kUnknown) durable.push_back(c);
  }
  std::vector<std::int64_t> rows(durable.size(), 0);
  if (auto recorded = ledger_.RecordPendingChanges(durable, now)) {
    rows = std::move(*recorded);
    if (forwarding_) own_rows_.insert(rows.begin(), rows.end());
    const TimePoint committed = clock_.Now();
    for (const StateChange& c : durable) {
      record_delays_.push_back(std::chrono::duration<double>(committed - c.detected_at).count());
    }
  } else {
    Failed(recorded.error(), "recording confirmed state changes", durable.front().node,
           durable.front().monitor);
  }
  auto row = rows.begin();
  for (const StateChange& c : changes) {
    Taken taken{c, {}, now};
    if (c.to != Status::kUnknown) {
      if (*row != 0) taken.rows.push_back(*row);
      ++row;
    }
    Process(taken);
  }
}

std::vector<double> IncidentEngine::TakeRecordDelays() {
  std::vector<double> out;
  out.swap(record_delays_);
  return out;
}

void IncidentEngine::Process(const Taken& taken) {
  const StateChange& c = taken.change;
  TimePoint& last = last_change_[{c.node, c.monitor}];
  last = std::max(last, c.detected_at);
  if (c.to == Status::kOk) {
    OnRecovery(taken);
  } else if (IsFailure(c.to)) {
    OnFailure(taken);
  } else if (auto it = node_incident_.find(c.node); it != node_incident_.end()) {
    // UNKNOWN (the check could not judge, e.g. the node is down) opens
    // nothing by itself; it is recorded on the node's open incident.
    auto appended = ledger_.AppendEvent(StateChangeEvent(it->second, clock_.Now(), c));
    if (!appended)
      Failed(appended.error(), "recording a state change", c.node, c.monitor, it->second);
  }
}

void IncidentEngine::ReplayPendingChanges() {
  auto pending = ledger_.PendingChanges();
  if (!pending) {
    Failed(pending.error(), "reading the pending state changes");
    return;
  }
  if (pending->empty()) return;
  forwarded_after_ = pending->back().id;
  Log(LogLevel::kInfo, "replaying " + std::to_string(pending->size()) +
                           " confirmed state changes the previous run had not finished with");
  // Each takes up where it was: a failure rejoins its group with the window
  // it had (a window that ended meanwhile flushes at the first Tick).
  for (const PendingChange& p : *pending) Process({p.change, {p.id}, p.recorded_at});
}

void IncidentEngine::TakeForwardedChanges() {
  if (!forwarding_ || clock_.Now() < next_forwarded_read_) return;
  auto pending = ledger_.PendingChangesAfter(forwarded_after_);
  if (!pending) {
    // They wait in the ledger; read again after a pause, not every turn.
    next_forwarded_read_ = clock_.Now() + kRetryWrite;
    Failed(pending.error(), "reading the state changes other collectors recorded");
    return;
  }
  std::vector<const PendingChange*> forwarded;
  for (const PendingChange& p : *pending) {
    if (!own_rows_.contains(p.id)) forwarded.push_back(&p);
  }
  if (!pending->empty()) forwarded_after_ = pending->back().id;
  // Every row of ours up to here was read now or consumed before.
  own_rows_.erase(own_rows_.begin(), own_rows_.upper_bound(forwarded_after_));
  if (forwarded.empty()) return;
  RefreshSuppressions(clock_.Now());
  for (const PendingChange* p : forwarded) Process({p->change, {p->id}, p->recorded_at});
}

void IncidentEngine::ForgetRows(const Taken& taken) {
  // A row left behind is only replayed after a restart, where it meets the
  // same judgement again (suppressed, no incident): logged, not fatal.
  Failed(ledger_.ForgetPendingChanges(taken.rows), "removing a finished pending change",
         taken.change.node, taken.change.monitor);
}

bool IncidentEngine::MayJoinNow(IncidentId id, const MonitorKey& key) const {
  return std::none_of(presumed_failing_.begin(), presumed_failing_.end(),
                      [&](const auto& kv) { return kv.second == id && kv.first != key; });
}

void IncidentEngine::OnFailure(const Taken& taken) {
  const StateChange& change = taken.change;
  const MonitorKey key{change.node, change.monitor};
  // Acceptance testing: checks run and are recorded, nothing is reported.
  // Not kept as failing, so after go-live Reconcile offers a failure still
  // there as new, detected at its first check after go-live.
  if (const Node* n = ctx_.inventory->FindNode(change.node);
      n && n->StateAt(change.detected_at) == NodeState::kAcceptanceTesting) {
    Log(LogLevel::kInfo, {change.node, change.monitor, {}},
        "failure during acceptance testing: recorded, no incident: " + ChangeText(change));
    ForgetRows(taken);
    return;
  }
  failing_[key] = change;
  presumed_failing_.erase(key);
  const LogSubject subject{change.node, change.monitor, {}};

  // An incident from before a restart whose other monitors are not yet
  // checked may be stale: the failure waits in its group, and joins at the
  // window's end only if the incident is still open then.
  if (auto it = node_incident_.find(change.node);
      it != node_incident_.end() && MayJoinNow(it->second, key)) {
    if (JoinIncident(it->second, taken)) return;
  }
  if (auto it = host_incident_.find(GroupKeyOf(change.node));
      it != host_incident_.end() && MayJoinNow(it->second, key)) {
    if (JoinIncident(it->second, taken)) return;
  }
  if (Suppressed(change.node, change.detected_at)) {
    ++stats_.suppressed_changes;
    Log(LogLevel::kInfo, subject,
        "failure inside a suppression window: recorded, no incident: " + ChangeText(change));
    ForgetRows(taken);
    return;
  }
  auto [it, inserted] = groups_.try_emplace(GroupKeyOf(change.node));
  if (inserted) it->second.opened = taken.taken_at;
  it->second.failures.push_back(taken);
}

void IncidentEngine::OnRecovery(const Taken& taken) {
  const StateChange& change = taken.change;
  failing_.erase({change.node, change.monitor});
  presumed_failing_.erase({change.node, change.monitor});
  // A member of a group still waiting: the group opens its incident anyway
  // (the failure was confirmed and is recorded) and this recovery follows.
  if (auto g = groups_.find(GroupKeyOf(change.node)); g != groups_.end()) {
    for (const Taken& f : g->second.failures) {
      if (f.change.node == change.node && f.change.monitor == change.monitor) {
        g->second.recoveries.push_back(taken);
        return;
      }
    }
  }
  auto found = ledger_.FindOpenIncident(change.node, change.monitor);
  if (!found) {
    Failed(found.error(), "finding the incident of a recovery", change.node, change.monitor);
    retry_.push_back(taken);
    return;
  }
  if (!*found) {
    ForgetRows(taken);
    return;
  }
  const IncidentId id = **found;
  bool closed = false;
  LedgerStatus status = ledger_.Transaction([&](Ledger& l) -> LedgerStatus {
    if (auto e = l.AppendEvent(StateChangeEvent(id, clock_.Now(), change)); !e) return e.error();
    if (auto e = l.SetMonitorStatus(id, change.node, change.monitor, Status::kOk)) return e;
    if (auto e = l.ForgetPendingChanges(taken.rows)) return e;
    auto timeline = l.Timeline(id);
    if (!timeline) return timeline.error();
    for (const IncidentMonitor& m : timeline->monitors) {
      if (failing_.contains({m.node, m.monitor}) ||
          presumed_failing_.contains({m.node, m.monitor})) {
        return std::nullopt;
      }
    }
    closed = true;
    return CloseAndReport(l, ctx_, timeline->incident, change.detected_at, kSystemActor,
                          "全監視項目が復旧しました (all monitors recovered)");
  });
  if (Failed(status, "recording a recovery", change.node, change.monitor, id)) {
    // Not lost: offered again from Tick (and, after a restart, replayed).
    retry_.push_back(taken);
    return;
  }
  if (closed) {
    ++stats_.incidents_closed;
    Forget(id);
    Log(LogLevel::kInfo, {change.node, change.monitor, IdText(id)},
        "incident closed: all monitors recovered; final report queued");
  }
}

bool IncidentEngine::JoinIncident(IncidentId id, const Taken& taken) {
  const StateChange& change = taken.change;
  const Node* node = ctx_.inventory->FindNode(change.node);
  bool closed = false;
  std::vector<const Node*> added_vms;
  LedgerStatus status = ledger_.Transaction([&](Ledger& l) -> LedgerStatus {
    auto incident = l.GetIncident(id);
    if (!incident) return incident.error();
    // Closed meanwhile (an operator's `close`): this failure is a new story.
    if (incident->status != IncidentStatus::kOpen) {
      closed = true;
      return LedgerError{LedgerErrorKind::kWrongState, "closed"};
    }
    const TimePoint now = clock_.Now();
    // A host failing after its VMs: every VM on it is affected now.
    if (incident->scope == IncidentScope::kPlatform && node && node->kind == NodeKind::kEsxiHost) {
      for (const Node& vm : ctx_.inventory->nodes) {
        if (vm.host != change.node || vm.kind != NodeKind::kVm) continue;
        if (auto e = l.AddAffectedVm({id, vm.name, vm.system, vm.host, now})) return e;
        added_vms.push_back(&vm);
      }
    }
    IncidentMonitor monitor{id,  change.node, change.monitor, node ? node->system : "",
                            now, change.kind, change.to};
    if (auto e = l.AttachMonitor(monitor)) return e;
    if (incident->scope == IncidentScope::kPlatform && node && node->kind == NodeKind::kVm) {
      if (auto e = l.AddAffectedVm({id, change.node, node->system, node->host, now})) return e;
    }
    if (auto e = l.AppendEvent(StateChangeEvent(id, now, change)); !e) return e.error();
    if (auto e = l.ForgetPendingChanges(taken.rows)) return e;
    // A VM that stops answering after a failure inside it: why it stopped
    // is no longer known (the owner's side is not presumed).
    if (incident->cause == IncidentCause::kSystem &&
        DefaultCause({change}) == IncidentCause::kUnknown) {
      if (auto e = l.SetCause(id, IncidentCause::kUnknown, now, kSystemActor,
                              "the VM stopped answering: " + change.monitor)) {
        return e;
      }
    }
    // The rules may only raise the priority on their own; lowering it is an
    // operator's judgement.
    if (incident->priority == Priority::kLow && PriorityOf(change) == Priority::kHigh) {
      if (auto e = l.ChangePriority(id, Priority::kHigh, now, kSystemActor,
                                    "より緊急度の高い障害を検知: " + change.monitor + " " +
                                        std::string(StatusName(change.to)))) {
        return e;
      }
      incident->priority = Priority::kHigh;
      if (auto e = QueueOwedFirstReport(l, ctx_, *incident, now)) return e;
    }
    return std::nullopt;
  });
  if (closed) {
    Forget(id);
    return false;
  }
  if (Failed(status, "adding a failure to its incident", change.node, change.monitor, id)) {
    // Not lost: offered again from Tick (its pending rows stay until then).
    retry_.push_back(taken);
    return true;
  }
  ++stats_.incidents_updated;
  node_incident_[change.node] = id;
  for (const Node* vm : added_vms) node_incident_[vm->name] = id;
  Log(LogLevel::kInfo, {change.node, change.monitor, IdText(id)},
      "joined the open incident: " + ChangeText(change));
  return true;
}

void IncidentEngine::Tick() {
  const TimePoint now = clock_.Now();
  RefreshSuppressions(now);

  // Changes the ledger refused before, again, at most every kRetryWrite so
  // a locked ledger does not hold this thread in its busy timeout each turn.
  if (!retry_.empty() && now >= next_retry_) {
    next_retry_ = now + kRetryWrite;
    std::vector<Taken> again;
    again.swap(retry_);
    for (const Taken& t : again) {
      // A newer change of the same monitor has replaced it meanwhile.
      const auto last = last_change_.find({t.change.node, t.change.monitor});
      if (last != last_change_.end() && last->second > t.change.detected_at) {
        ForgetRows(t);
        continue;
      }
      Process(t);
    }
  }

  std::vector<std::string> due;
  for (const auto& [key, group] : groups_) {
    if (now >= group.opened + ctx_.inventory->alerting.grouping_window) due.push_back(key);
  }
  // A storage or network failure takes every VM failure waiting anywhere:
  // VMs on every host depend on it. Such groups go first, so VM groups due
  // in the same turn are absorbed rather than opened on their own.
  auto is_wide = [&](const std::string& key) {
    for (const Taken& f : groups_.at(key).failures) {
      const Node* n = ctx_.inventory->FindNode(f.change.node);
      if (n && (n->kind == NodeKind::kStorage || n->kind == NodeKind::kNetwork)) return true;
    }
    return false;
  };
  std::stable_partition(due.begin(), due.end(), is_wide);
  for (const std::string& key : due) {
    auto it = groups_.find(key);
    if (it == groups_.end()) continue;  // absorbed by a wide group this turn
    const bool wide = is_wide(key);
    Group group = std::move(it->second);
    groups_.erase(it);
    if (wide) {
      for (auto other = groups_.begin(); other != groups_.end();) {
        group.failures.insert(group.failures.end(), other->second.failures.begin(),
                              other->second.failures.end());
        group.recoveries.insert(group.recoveries.end(), other->second.recoveries.begin(),
                                other->second.recoveries.end());
        other = groups_.erase(other);
      }
    }
    FlushGroup(key, std::move(group));
  }

  if (sweep_now_ || now >= next_sweep_ || now < last_sweep_) {
    sweep_now_ = false;
    last_sweep_ = now;
    next_sweep_ = now + kOpenIncidentSweep;
    QueueContinuingReports(now);
  }
  QueueSuppressionMails(now);
}

void IncidentEngine::FlushGroup(const std::string& key, Group group) {
  const Inventory& inv = *ctx_.inventory;
  // The latest failure of each monitor, carrying the pending rows of the
  // earlier ones it replaces.
  std::vector<Taken> failures;
  for (const Taken& f : group.failures) {
    auto same = std::find_if(failures.begin(), failures.end(), [&](const Taken& g) {
      return g.change.node == f.change.node && g.change.monitor == f.change.monitor;
    });
    if (same != failures.end()) {
      std::vector<std::int64_t> rows = std::move(same->rows);
      *same = f;
      same->rows.insert(same->rows.begin(), rows.begin(), rows.end());
    } else {
      failures.push_back(f);
    }
  }
  // A failure that waited because its node's incident (from before a
  // restart) was not yet checked joins it now if it is still open; one that
  // closed meanwhile leaves the failure a story of its own.
  std::erase_if(failures, [&](const Taken& f) {
    if (auto it = node_incident_.find(f.change.node); it != node_incident_.end()) {
      return JoinIncident(it->second, f);
    }
    auto it = host_incident_.find(GroupKeyOf(f.change.node));
    return it != host_incident_.end() && JoinIncident(it->second, f);
  });
  auto follow_recoveries = [&] {
    for (const Taken& r : group.recoveries) {
      if (!failing_.contains({r.change.node, r.change.monitor})) {
        OnRecovery(r);
      } else {
        ForgetRows(r);  // failed again since: the recovery is history
      }
    }
  };
  if (failures.empty()) {
    follow_recoveries();
    return;
  }

  bool platform = false;
  std::set<std::string> vms;
  for (const Taken& f : failures) {
    const Node* n = inv.FindNode(f.change.node);
    if (n && IsPlatformDevice(n->kind)) platform = true;
    if (n && n->kind == NodeKind::kVm) vms.insert(f.change.node);
  }
  if (vms.size() >= static_cast<std::size_t>(inv.alerting.platform_vm_threshold)) platform = true;

  const std::uint64_t errors_before = stats_.ledger_errors;
  if (platform) {
    OpenPlatformIncident(key, failures);
  } else {
    std::map<std::string, std::vector<Taken>> by_node;
    for (const Taken& f : failures) by_node[f.change.node].push_back(f);
    for (const auto& [node, list] : by_node) OpenNodeIncident(node, list);
  }
  if (stats_.ledger_errors != errors_before) {
    // Not lost: the group waits again and is written when the ledger works.
    // Members already written joined an incident and are skipped next time.
    Group retry;
    retry.opened = clock_.Now() - inv.alerting.grouping_window + kRetryWrite;
    for (const Taken& f : failures) {
      if (!node_incident_.contains(f.change.node)) retry.failures.push_back(f);
    }
    retry.recoveries = group.recoveries;
    if (!retry.failures.empty()) {
      groups_[key] = std::move(retry);
      return;
    }
  }
  follow_recoveries();
}

namespace {

std::vector<StateChange> ChangesOf(const auto& taken) {
  std::vector<StateChange> out;
  for (const auto& t : taken) out.push_back(t.change);
  return out;
}

std::vector<std::int64_t> RowsOf(const auto& taken) {
  std::vector<std::int64_t> out;
  for (const auto& t : taken) out.insert(out.end(), t.rows.begin(), t.rows.end());
  return out;
}

}  // namespace

void IncidentEngine::OpenNodeIncident(const std::string& node_name,
                                      const std::vector<Taken>& taken) {
  const std::vector<StateChange> failures = ChangesOf(taken);
  const Inventory& inv = *ctx_.inventory;
  const Node* node = inv.FindNode(node_name);
  const ServiceLevel level = node ? inv.LevelOf(*node) : ServiceLevel::kA;
  Priority priority = Priority::kLow;
  TimePoint detected = failures.front().detected_at;
  std::string text;
  for (const StateChange& f : failures) {
    if (PriorityOf(f) == Priority::kHigh) priority = Priority::kHigh;
    detected = std::min(detected, f.detected_at);
    text += f.node + " " + f.monitor + ": " + ChangeText(f) + "\n";
  }
  text.pop_back();
  std::string title = node_name + ": " + failures.front().monitor + " " +
                      std::string(StatusName(failures.front().to));
  if (failures.size() > 1) title += " 他" + std::to_string(failures.size() - 1) + "件";

  IncidentId id = 0;
  const TimePoint now = clock_.Now();
  LedgerStatus status = ledger_.Transaction([&](Ledger& l) -> LedgerStatus {
    NewIncident incident{
        IncidentScope::kVm, title, priority,     std::string(ServiceLevelName(level)),
        detected,           now,   kSystemActor, text};
    incident.cause = DefaultCause(failures);
    auto opened = l.OpenIncident(incident);
    if (!opened) return opened.error();
    id = *opened;
    const std::string system = node ? node->system : "";
    for (const StateChange& f : failures) {
      if (auto e = l.AttachMonitor({id, f.node, f.monitor, system, now, f.kind, f.to})) return e;
      if (auto e = l.AppendEvent(StateChangeEvent(id, now, f)); !e) return e.error();
    }
    if (auto e = l.AddAffectedVm({id, node_name, system, node ? node->host : "", now})) return e;
    if (auto e = l.ForgetPendingChanges(RowsOf(taken))) return e;
    auto row = l.GetIncident(id);
    if (!row) return row.error();
    return QueueOwedFirstReport(l, ctx_, *row, now);
  });
  if (Failed(status, "opening an incident", node_name, failures.front().monitor)) return;
  ++stats_.incidents_opened;
  node_incident_[node_name] = id;
  Log(LogLevel::kInfo, {node_name, failures.front().monitor, IdText(id)},
      "incident opened (vm, level " + std::string(ServiceLevelName(level)) + ", priority " +
          std::string(PriorityName(priority)) + "): " + title);
}

void IncidentEngine::OpenPlatformIncident(const std::string& key, const std::vector<Taken>& taken) {
  const std::vector<StateChange> failures = ChangesOf(taken);
  const Inventory& inv = *ctx_.inventory;
  Priority priority = Priority::kLow;
  TimePoint detected = failures.front().detected_at;
  std::vector<std::string> devices;
  std::vector<const Node*> affected;
  auto add_affected = [&](const Node* n) {
    if (n && n->kind == NodeKind::kVm &&
        std::find(affected.begin(), affected.end(), n) == affected.end()) {
      affected.push_back(n);
    }
  };
  std::string text;
  for (const StateChange& f : failures) {
    if (PriorityOf(f) == Priority::kHigh) priority = Priority::kHigh;
    detected = std::min(detected, f.detected_at);
    text += f.node + " " + f.monitor + ": " + ChangeText(f) + "\n";
    const Node* n = inv.FindNode(f.node);
    if (n && IsPlatformDevice(n->kind) &&
        std::find(devices.begin(), devices.end(), f.node) == devices.end()) {
      devices.push_back(f.node);
      // Every VM on a failed ESXi host is affected, failing yet or not.
      if (n->kind == NodeKind::kEsxiHost) {
        for (const Node& vm : inv.nodes) {
          if (vm.host == f.node) add_affected(&vm);
        }
      }
    }
    add_affected(n);
  }
  text.pop_back();
  std::string title = "基盤障害: ";
  if (devices.empty()) {
    title += "ホスト " + key + " 上の仮想マシン";
  } else {
    for (std::size_t i = 0; i < devices.size(); ++i) title += (i ? ", " : "") + devices[i];
  }
  title += " (影響VM " + std::to_string(affected.size()) + "台)";

  IncidentId id = 0;
  const TimePoint now = clock_.Now();
  LedgerStatus status = ledger_.Transaction([&](Ledger& l) -> LedgerStatus {
    NewIncident incident{
        IncidentScope::kPlatform, title, priority, "", detected, now, kSystemActor, text};
    incident.cause = IncidentCause::kPlatform;
    auto opened = l.OpenIncident(incident);
    if (!opened) return opened.error();
    id = *opened;
    for (const StateChange& f : failures) {
      const Node* n = inv.FindNode(f.node);
      IncidentMonitor monitor{id, f.node, f.monitor, n ? n->system : "", now, f.kind, f.to};
      if (auto e = l.AttachMonitor(monitor)) return e;
      if (auto e = l.AppendEvent(StateChangeEvent(id, now, f)); !e) return e.error();
    }
    for (const Node* vm : affected) {
      if (auto e = l.AddAffectedVm({id, vm->name, vm->system, vm->host, now})) return e;
    }
    if (auto e = l.ForgetPendingChanges(RowsOf(taken))) return e;
    auto row = l.GetIncident(id);
    if (!row) return row.error();
    return QueueOwedFirstReport(l, ctx_, *row, now);
  });
  if (Failed(status, "opening a platform incident", key, failures.front().monitor)) return;
  ++stats_.incidents_opened;
  ++stats_.platform_incidents_opened;
  host_incident_[key] = id;
  for (const StateChange& f : failures) node_incident_[f.node] = id;
  for (const Node* vm : affected) node_incident_[vm->name] = id;
  Log(LogLevel::kInfo, {key, failures.front().monitor, IdText(id)},
      "platform incident opened (priority " + std::string(PriorityName(priority)) + ", " +
          std::to_string(failures.size()) + " failures): " + title);
}

namespace {
constexpr std::string_view kPastTargetReason = "復旧完了目標超過 recovery target passed";
}  // namespace

void IncidentEngine::WatchRecoveryTargets(const std::vector<Incident>& open, TimePoint now) {
  const RecoveryTargets& targets = ctx_.inventory->alerting.recovery_targets;
  std::map<std::string, int> past;
  for (const Incident& incident : open) {
    const RecoveryTargetStatus target = RecoveryTargetOf(incident, targets, *ctx_.calendar, now);
    if (target.state != RecoveryTargetState::kPast) continue;
    ++past[incident.service_level];
    if (!targets.raise_priority || incident.priority == Priority::kHigh) continue;
    // Raised once: a later lowering by an operator is their judgement and
    // stays (the engine remembers the incidents it raised).
    if (!raised_past_target_.insert(incident.id).second) continue;
    // ... also across restarts: the ledger remembers the raise.
    if (auto timeline = ledger_.Timeline(incident.id); timeline) {
      const bool raised_before =
          std::any_of(timeline->events.begin(), timeline->events.end(), [](const auto& e) {
            return e.kind == EventKind::kPriorityChange && e.actor == kSystemActor &&
                   e.text.find(kPastTargetReason) != std::string::npos;
          });
      if (raised_before) continue;
    }
    LedgerStatus status = ledger_.Transaction([&](Ledger& l) -> LedgerStatus {
      if (auto e = l.ChangePriority(
              incident.id, Priority::kHigh, now, kSystemActor,
              std::string(kPastTargetReason) + " (" + FormatReportTime(*target.due) + ")")) {
        return e;
      }
      auto row = l.GetIncident(incident.id);
      if (!row) return row.error();
      return QueueOwedFirstReport(l, ctx_, *row, now);
    });
    if (Failed(status, "raising the priority past the recovery target", {}, {}, incident.id)) {
      raised_past_target_.erase(incident.id);
      continue;
    }
    Log(LogLevel::kWarning, {"", "", IdText(incident.id)},
        "recovery target " + FormatReportTime(*target.due) + " passed: priority raised to high");
  }
  stats_.past_recovery_target = std::move(past);
}

void IncidentEngine::QueueContinuingReports(TimePoint now) {
  auto open = ledger_.OpenIncidents();
  if (!open) {
    Failed(open.error(), "reading open incidents");
    return;
  }
  std::set<IncidentId> open_ids;
  for (const Incident& i : *open) open_ids.insert(i.id);
  // Incidents closed elsewhere (an operator's `close`) are forgotten here.
  std::set<IncidentId> known;
  for (const auto& [node, id] : node_incident_) known.insert(id);
  for (const auto& [host, id] : host_incident_) known.insert(id);
  for (const auto& [id, entry] : continuing_) known.insert(id);
  for (IncidentId id : known) {
    if (!open_ids.contains(id)) Forget(id);
  }
  WatchRecoveryTargets(*open, now);

  for (const Incident& incident : *open) {
    ReportPlan plan = PlanFor(incident, *ctx_.calendar);
    if (plan.continuing.kind != ContinuingKind::kHourly) continue;
    auto entry = continuing_.find(incident.id);
    if (entry == continuing_.end() || entry->second.first != incident.priority) {
      auto timeline = ledger_.Timeline(incident.id);
      if (!timeline) {
        Failed(timeline.error(), "reading incident", {}, {}, incident.id);
        continue;
      }
      std::optional<TimePoint> last;
      for (const Report& r : timeline->reports) {
        if (r.kind == ReportKind::kContinuing && (!last || r.due_at > *last)) last = r.due_at;
      }
      entry = continuing_
                  .insert_or_assign(
                      incident.id,
                      std::make_pair(incident.priority,
                                     NextContinuingReportDue(plan, incident.detected_at, last)))
                  .first;
    }
    std::optional<TimePoint>& next = entry->second.second;
    if (!next || now < *next - kContinuingLead) continue;
    const TimePoint due = *next;
    LedgerStatus status = ledger_.Transaction([&](Ledger& l) -> LedgerStatus {
      ReportRequest request{ReportKind::kContinuing, plan.continuing.channels, due, {}};
      auto ids = QueueIncidentReport(l, ctx_, incident.id, request, now);
      if (!ids) return ids.error();
      return std::nullopt;
    });
    if (Failed(status, "queueing a continuing report", {}, {}, incident.id)) continue;
    ++stats_.reports_queued;
    // After an outage of the collector only one catch-up report goes out
    // (due at the first missed hour, so it shows as late), not one per hour.
    next = NextContinuingReportDue(plan, incident.detected_at, std::max(now, due));
    Log(LogLevel::kInfo, {{}, {}, IdText(incident.id)},
        "continuing report queued, due " + FormatTokyoTime(due));
  }
}

void IncidentEngine::SyncConfiguredSuppressions() {
  const Inventory& inv = *ctx_.inventory;
  const TimePoint now = clock_.Now();
  for (const ConfiguredSuppression& cs : inv.alerting.suppressions) {
    auto start = ParseTokyoTime(cs.start);
    auto end = ParseTokyoTime(cs.end);
    if (!start || !end || *end <= now) continue;
    NewSuppression s;
    s.target_kind = cs.node.empty() ? SuppressionTarget::kSystem : SuppressionTarget::kNode;
    s.target = cs.node.empty() ? cs.system : cs.node;
    s.starts_at = *start;
    s.ends_at = *end;
    s.reason = cs.reason;
    s.requested_by = cs.requested_by.empty() ? "config" : cs.requested_by;
    s.created_at = now;
    auto existing = ledger_.ListSuppressions(*start - std::chrono::seconds(1));
    if (!existing) {
      Failed(existing.error(), "reading suppressions");
      return;
    }
    bool known = std::any_of(existing->begin(), existing->end(), [&](const Suppression& e) {
      return e.target_kind == s.target_kind && e.target == s.target && e.starts_at == s.starts_at &&
             e.ends_at == s.ends_at;
    });
    if (known) continue;
    auto added = ledger_.AddSuppression(s);
    if (!added) {
      Failed(added.error(), "adding a configured suppression", cs.node, {});
      continue;
    }
    Log(LogLevel::kInfo, {cs.node, {}, {}},
        "suppression " + std::to_string(*added) + " from the config: " + s.target + " " + cs.start +
            " - " + cs.end);
  }
}

LedgerStatus IncidentEngine::QueueSuppressionMail(const Suppression& s, bool start, TimePoint now) {
  const Inventory& inv = *ctx_.inventory;
  std::string system_name = s.target;
  if (s.target_kind == SuppressionTarget::kNode) {
    const Node* n = inv.FindNode(s.target);
    if (n && !n->system.empty()) system_name = n->system + " (" + s.target + ")";
  }
  const System* system = nullptr;
  if (s.target_kind == SuppressionTarget::kSystem) {
    system = inv.FindSystem(s.target);
  } else if (const Node* n = inv.FindNode(s.target)) {
    system = inv.FindSystem(n->system);
  }
  // Spec section 5: "To: system owner". A node of no system (or a system
  // without owners) goes to the platform managers, so the notice is not lost.
  std::vector<std::string> to;
  for (const Owner& o : system ? system->owners : std::vector<Owner>{}) to.push_back(o.mail);
  if (to.empty()) {
    for (const Owner& o : inv.alerting.platform_managers) to.push_back(o.mail);
  }
  if (to.empty()) {
    return LedgerError{LedgerErrorKind::kInvalidArgument,
                       "suppression " + std::to_string(s.id) + ": nobody to notify"};
  }
  const TimePoint end = s.cancelled_at ? std::min(*s.cancelled_at, s.ends_at) : s.ends_at;
  MailValues values{{"platform_name", inv.SuppressionPlatformName()},
                    {"system_name", system_name},
                    {"suppression_start", FormatYymmddHhmm(s.starts_at)},
                    {"suppression_end", FormatYymmddHhmm(end)}};
  const MailKind kind = start ? MailKind::kSuppressionStart : MailKind::kMonitoringResumed;
  RenderedMail mail = ctx_.templates->Render(kind, values);
  if (!mail.ok()) return LedgerError{LedgerErrorKind::kInvalidArgument, mail.error};
  NewReport report;
  report.suppression_id = s.id;
  report.report_number = 1;
  report.kind = start ? ReportKind::kSuppressionStart : ReportKind::kMonitoringResumed;
  report.channel = Channel::kMail;
  report.recipients = to;
  report.subject = mail.subject;
  report.body = mail.body;
  report.message_id = MessageId(
      "suppression-" + std::to_string(s.id) + (start ? ".start" : ".resumed"), ctx_.message_domain);
  // A start notice queued ahead is due at the start itself; one the engine
  // only learns of afterwards (added late, collector down) gets the grace of
  // any event-driven report, so it shows as late only when it is.
  report.due_at = start && now <= s.starts_at ? s.starts_at
                                              : (start ? s.starts_at : end) + kPromptReportDeadline;
  report.created_at = now;
  auto queued = ledger_.EnqueueReport(report);
  if (!queued && queued.error().kind != LedgerErrorKind::kDuplicate) return queued.error();
  return std::nullopt;
}

void IncidentEngine::QueueSuppressionMails(TimePoint now) {
  auto list = ledger_.ListSuppressions(now - std::chrono::hours(24));
  if (!list) {
    Failed(list.error(), "reading suppressions");
    return;
  }
  for (const Suppression& s : *list) {
    // One cancelled before its start after the notice went out ahead still
    // gets its resumption notice, so the owners are not left waiting.
    const bool cancelled_before_start = s.cancelled_at && *s.cancelled_at <= s.starts_at;
    const auto lead = ctx_.inventory->alerting.suppression_notice_lead;
    if ((cancelled_before_start && !start_mailed_.contains(s.id)) || s.starts_at - lead > now) {
      continue;
    }
    const std::string target = s.target;
    if (!start_mailed_.contains(s.id)) {
      if (Failed(QueueSuppressionMail(s, true, now), "queueing a suppression mail", target)) {
        continue;
      }
      start_mailed_.insert(s.id);
      ++stats_.reports_queued;
      Log(LogLevel::kInfo, {target, {}, {}},
          "suppression " + std::to_string(s.id) + " started: notice queued");
    }
    const TimePoint end = s.cancelled_at ? std::min(*s.cancelled_at, s.ends_at) : s.ends_at;
    if (end > now || end_mailed_.contains(s.id)) continue;
    if (Failed(QueueSuppressionMail(s, false, now), "queueing a resumption mail", target)) continue;
    end_mailed_.insert(s.id);
    ++stats_.reports_queued;
    Log(LogLevel::kInfo, {target, {}, {}},
        "suppression " + std::to_string(s.id) + " ended: monitoring resumed, notice queued");
    // Failures that began inside the window and are still there now open
    // their incidents, detected at the moment monitoring resumed.
    std::erase_if(active_suppressions_, [&](const Suppression& a) { return a.id == s.id; });
    std::vector<StateChange> still;
    for (const auto& [key, change] : failing_) {
      const Node* n = ctx_.inventory->FindNode(key.first);
      const bool covered = s.target_kind == SuppressionTarget::kNode ? key.first == s.target
                                                                     : (n && n->system == s.target);
      if (covered && !node_incident_.contains(key.first)) still.push_back(change);
    }
    for (StateChange& change : still) {
      change.detected_at = std::max(change.detected_at, end);
      change.reason += " (監視再開時に継続中)";
    }
    Take(still);
  }
}

void IncidentEngine::Reconcile(const std::vector<MonitorState>& current, TimePoint since) {
  std::vector<StateChange> unseen;
  std::map<MonitorKey, const MonitorState*> by_key;
  for (const MonitorState& s : current) {
    by_key[{s.node, s.monitor}] = &s;
    if (s.confirmed == Status::kOk && s.last_result == Status::kOk && s.last_checked >= since) {
      presumed_failing_.erase({s.node, s.monitor});
    }
  }
  for (const MonitorState& s : current) {
    if (!IsFailure(s.confirmed) || failing_.contains({s.node, s.monitor})) continue;
    // Presumed from the ledger (the tracker carries the same presumption):
    // known already, not a new failure. Checked failing since: verified.
    if (auto presumed = presumed_failing_.find({s.node, s.monitor});
        presumed != presumed_failing_.end()) {
      if (IsFailure(s.last_result) && s.last_checked >= since) {
        presumed_failing_.erase(presumed);
        failing_[{s.node, s.monitor}] = ConfirmedChangeOf(s);
      }
      continue;
    }
    if (auto it = last_change_.find({s.node, s.monitor});
        it != last_change_.end() && it->second >= s.last_checked) {
      continue;
    }
    unseen.push_back(ConfirmedChangeOf(s));
  }
  Take(unseen);
  auto open = ledger_.OpenIncidents();
  if (!open) {
    Failed(open.error(), "reading open incidents");
    return;
  }
  // Two queries for all open incidents: a snapshot comes every 30 s, and a
  // Timeline each (five reads) was most of a PostgreSQL server's work at
  // 100,000 nodes with 6,000 incidents open.
  auto open_monitors = ledger_.OpenIncidentMonitors();
  if (!open_monitors) {
    Failed(open_monitors.error(), "reading the monitors of open incidents");
    return;
  }
  std::map<IncidentId, std::vector<const IncidentMonitor*>> monitors_of;
  for (const IncidentMonitor& m : *open_monitors) monitors_of[m.incident_id].push_back(&m);
  for (const Incident& incident : *open) {
    auto monitors = monitors_of.find(incident.id);
    if (monitors == monitors_of.end()) continue;  // none attached (a request, a platform record)
    bool all_ok = true;
    // Recovered when the last of its monitors came back: the first OK check
    // of each one's current run, not the moment this snapshot arrived.
    TimePoint recovered{};
    for (const IncidentMonitor* monitor : monitors->second) {
      const IncidentMonitor& m = *monitor;
      auto it = by_key.find({m.node, m.monitor});
      auto known = last_change_.find({m.node, m.monitor});
      all_ok = all_ok && it != by_key.end() && it->second->confirmed == Status::kOk &&
               it->second->last_result == Status::kOk && it->second->last_checked >= since &&
               !failing_.contains({m.node, m.monitor}) &&
               (known == last_change_.end() || it->second->last_checked >= known->second);
      if (all_ok) {
        const MonitorState& state = *it->second;
        recovered = std::max(recovered,
                             state.ok_since != TimePoint{} ? state.ok_since : state.last_checked);
      }
    }
    if (!all_ok) continue;
    recovered = std::max(recovered, incident.detected_at);
    LedgerStatus status = ledger_.Transaction([&](Ledger& l) -> LedgerStatus {
      return CloseAndReport(l, ctx_, incident, recovered, kSystemActor,
                            "全監視項目の正常を確認 (every monitor checked OK)");
    });
    if (Failed(status, "closing a recovered incident", {}, {}, incident.id)) continue;
    ++stats_.incidents_closed;
    Forget(incident.id);
    Log(LogLevel::kInfo, {{}, {}, IdText(incident.id)},
        "incident closed: every monitor checked OK (recovered " + FormatTokyoTime(recovered) +
            "); final report queued");
  }
}

}  // namespace mimamori::collector
