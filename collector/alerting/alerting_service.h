// The collector's alerting half as two threads beside the monitoring loop:
//   - the incident thread drains the state-change queue into the incident
//     engine and ticks it (grouping windows, hourly reports, suppressions);
//   - the sender thread runs the outbox: it delivers what the engine and
//     mimamorictl queued in the ledger, with retry and back-off.
// Each has its own ledger connection; they meet only in the ledger file, as
// the CLI does. Neither ever blocks the monitoring loop: a stuck SMTP server
// or a slow disk delays reports, never checks.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "collector/alerting/incident_actions.h"
#include "collector/alerting/incident_engine.h"
#include "collector/core/clock.h"
#include "collector/core/state_change.h"
#include "collector/core/state_tracker.h"

namespace prometheus {
class Registry;
}

namespace mimamori::collector {

class AlertingService {
 public:
  /// `events`, `clock` and `registry` must outlive the service.
  AlertingService(EventQueue& events, const Clock& clock, prometheus::Registry& registry);
  ~AlertingService();
  AlertingService(const AlertingService&) = delete;
  AlertingService& operator=(const AlertingService&) = delete;

  /// Opens the ledger (two connections), recovers reports a crash left
  /// "sending", and starts both threads. Returns "" or why it cannot start
  /// (the ledger cannot be opened or written: a loud error, not a silent
  /// monitor-only mode).
  std::string Start(AlertingContext context);
  /// HA pair: the term this collector leads under (see
  /// LedgerOptions::fencing_term), set before Start.
  void SetFencingTerm(std::shared_ptr<const std::atomic<std::int64_t>> term);

  /// What the previous run left failing (read by Start, before the threads
  /// start): the caller presumes these states in the tracker and checks
  /// those monitors first.
  const std::vector<InheritedState>& inherited() const;

  /// A reloaded configuration; takes effect at the threads' next turn. The
  /// ledger path and the mail/phone settings are read at Start only.
  void Reload(AlertingContext context);

  /// The tracker's current view, offered from the monitoring loop now and
  /// then; the incident thread reconciles with it (see IncidentEngine::
  /// Reconcile).
  void OfferSnapshot(std::vector<MonitorState> states);

  /// Stops both threads after their current step (a send in progress
  /// finishes or times out first).
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The host name used in Message-IDs ("mimamori.invalid" when unknown).
std::string MessageDomain();

}  // namespace mimamori::collector
