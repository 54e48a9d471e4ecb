// Everything the collector publishes on /metrics, through prometheus-cpp.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collector/core/check.h"
#include "collector/core/state_tracker.h"
#include "collector/inventory/inventory.h"
#include "collector/metrics/node_series.h"

namespace mimamori::collector {

/// Metric names follow Prometheus conventions: base units (seconds, bytes,
/// ratios 0-1), _total for counters, `node` on every per-node series.
/// Thread-safe (prometheus-cpp's types are; NodeSeries has its own lock).
///
/// The collector's own families live in a prometheus-cpp registry; the
/// per-node ones (22 per node) in NodeSeries. GET /metrics is answered by
/// WriteExposition (both, the node series streamed in chunks, gzip when the
/// scraper accepts it) through the exposer's request hook; /healthz is
/// prometheus-cpp's.
class CollectorMetrics {
 public:
  CollectorMetrics();
  ~CollectorMetrics();

  /// Starts serving /metrics and /healthz on `listen` ("127.0.0.1:9716",
  /// "[::1]:0"). Returns "" or the error. Port 0 picks a free port.
  std::string Serve(const std::string& listen);
  /// The bound port after Serve().
  int port() const;
  /// Sharding: every series on /metrics carries collector="<name>" from now
  /// on (a series that names a collector already keeps its own), so that a
  /// federating Prometheus tells the collectors of one pair apart.
  void LabelWithCollector(const std::string& name);

  prometheus::Registry& registry() { return *registry_; }
  /// The whole exposition, in pieces (false from the sink stops it).
  void WriteExposition(const NodeSeries::Sink& sink) const;
  /// The whole exposition as one text (tests; the HTTP/1.0 reply, which needs its length).
  std::string Text() const;

  void CheckStarted(std::string_view kind, std::chrono::duration<double> lag);
  void CheckSkipped(std::string_view kind, std::string_view reason);
  /// A finished check: its duration and outcome (ok when every result is
  /// OK), and its measurements replace the node's previous ones of that kind.
  void CheckFinished(const std::string& node, std::string_view kind,
                     std::chrono::duration<double> duration, const CheckReport& report);
  /// Publishes every monitor's confirmed status (0 OK, 1 WARNING, 2 CRITICAL,
  /// 3 UNKNOWN) and node up/down from ping; removes series of gone monitors.
  void PublishStates(const std::vector<MonitorState>& states);
  /// Updates only the given monitors' series (after one check); cheap.
  void UpdateStates(const std::vector<MonitorState>& states);
  void EventsQueued(std::size_t queued, std::uint64_t dropped);
  void ConfigReloaded(bool ok);
  /// mimamori_nodes{state} and mimamori_node_checks{state}: what really
  /// runs (Inventory::CountByState), so an operator sees at a glance how
  /// many nodes wait for go-live or are in acceptance testing.
  void PublishNodeStates(const Inventory& inventory, TimePoint now);

 private:
  void SetState(const MonitorState& state);

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Registry> health_;
  class Labelled;
  std::shared_ptr<Labelled> labelled_;
  NodeSeries node_series_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::vector<int> served_ports_;

  prometheus::Family<prometheus::Counter>& checks_;
  prometheus::Family<prometheus::Counter>& skipped_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Family<prometheus::Gauge>& lag_;
  prometheus::Family<prometheus::Gauge>& queue_;
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Family<prometheus::Gauge>& reload_ok_;
  prometheus::Family<prometheus::Gauge>& nodes_by_state_;
  prometheus::Family<prometheus::Gauge>& checks_by_state_;

  std::mutex mutex_;  ///< dropped_seen_
  prometheus::Counter* dropped_counter_ = nullptr;
  std::uint64_t dropped_seen_ = 0;
};

}  // namespace mimamori::collector
