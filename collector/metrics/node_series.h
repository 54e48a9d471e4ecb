// The per-node series of /metrics (monitor status, node up, every monitor's
// measurements), kept compactly and written straight to the text format.
//
// Why not prometheus-cpp's Family<Gauge>: at 100,000 nodes they are 2.2
// million series, and a scrape through Registry::Collect copies each into a
// ClientMetric with its label vector and streams it through an ostream: 8 s of
// a core per scrape, every 30 s. Here a series is one label text and a
// double, rendered family by family in chunks, the lock taken per chunk so a
// scrape never holds the poll threads up for long (the model is
// kube-state-metrics' own metrics store).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collector/core/check.h"

namespace mimamori::collector {

class NodeSeries {
 public:
  /// Receives the exposition in pieces; returns false to stop (client gone).
  using Sink = std::function<bool(std::string_view)>;

  /// The measurements of the last `kind` check of `node` replace its
  /// previous ones: a series the check no longer reports (an unmounted file
  /// system) goes.
  void SetMeasurements(const std::string& node, const std::string& kind,
                       const std::vector<Measurement>& measurements);
  /// mimamori_monitor_status of (node, monitor).
  void SetStatus(const std::string& node, const std::string& monitor, const std::string& kind,
                 double status);
  /// mimamori_node_up of the node.
  void SetUp(const std::string& node, double up);
  /// Drops the status series of monitors not in `monitors` and the up series
  /// of nodes not in `pinged` (after a reload removed them).
  void Retain(const std::set<std::pair<std::string, std::string>>& monitors,
              const std::set<std::string>& pinged);

  /// Writes every family as `# HELP`, `# TYPE` and its series in label order,
  /// `collector="<collector>"` last on each series when not empty.
  void Render(const std::string& collector, const Sink& sink) const;
  std::size_t size() const;

 private:
  struct Series {
    double value = 0;
    int publishers = 0;  ///< (node, kind) checks whose last report has it
  };
  /// A measurement's family: label text without braces (`mount="/",node="web01"`,
  /// labels sorted by name) -> series. Families are never erased, so a
  /// scrape may keep a reference across its chunks.
  struct Family {
    std::string help;
    std::map<std::string, Series, std::less<>> series;
  };
  using SeriesRef = std::pair<Family*, std::map<std::string, Series, std::less<>>::iterator>;
  struct Status {
    std::string kind;
    double value = 0;
  };
  using NodeKind = std::pair<std::string, std::string>;
  using NodeMonitor = std::pair<std::string, std::string>;

  template <typename Map, typename WriteSeries>
  bool RenderChunked(const Map& map, const WriteSeries& write, std::string& out,
                     const Sink& sink) const;

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
  /// What the last check of (node, kind) published, to drop stale series.
  std::map<NodeKind, std::vector<SeriesRef>> published_;
  std::map<NodeMonitor, Status> statuses_;  ///< (node, monitor)
  std::map<std::string, double> up_;        ///< node
};

}  // namespace mimamori::collector
