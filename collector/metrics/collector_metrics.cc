#include "collector/metrics/collector_metrics.h"

#include "collector/monitors/registry.h"

#include <algorithm>
#include <set>

namespace mimamori::collector {
namespace {

// HELP texts of the measurements monitors publish; anything else gets a
// generic text (a new monitor should add its names here).
const std::map<std::string, std::string>& KnownMeasurements() {
  static const std::map<std::string, std::string> known = {
      {"mimamori_ping_rtt_seconds", "Average ICMP echo round-trip time of the last check."},
      {"mimamori_ping_loss_ratio", "Share of ICMP echo requests without a reply (0-1)."},
      {"mimamori_ping_up", "1 when the last ping check got a reply."},
      {"mimamori_cpu_usage_ratio", "CPU usage over the collection interval (0-1)."},
      {"mimamori_memory_usage_ratio", "Memory in use, as free(1) computes used (0-1)."},
      {"mimamori_filesystem_usage_ratio", "File system space used (0-1)."},
      {"mimamori_filesystem_size_bytes", "File system size."},
      {"mimamori_process_matches", "Processes matching a process check."},
      {"mimamori_port_up", "1 when the TCP port accepted a connection."},
      {"mimamori_port_connect_seconds", "Time to connect to the TCP port."},
      {"mimamori_web_up", "1 when the web check passed."},
      {"mimamori_web_duration_seconds", "Time of the web request."},
      {"mimamori_web_status_code", "HTTP status of the web request."},
      {"mimamori_service_up", "1 when the Windows service is Running, 0 when not or missing."},
      {"mimamori_hardware_status",
       "Raw hrDeviceStatus (1-5) or entPhySensorOperStatus (1-3) of a device or sensor."},
      {"mimamori_clock_skew_seconds", "The node's clock minus the collector's (positive: ahead)."},
      {"mimamori_backup_last_success_timestamp_seconds",
       "Time of the last success found of a backup job, seconds since 1970."},
  };
  return known;
}

}  // namespace

// The registry as exposed: each metric with the collector's label added.
class CollectorMetrics::Labelled : public prometheus::Collectable {
 public:
  explicit Labelled(std::shared_ptr<prometheus::Registry> registry)
      : registry_(std::move(registry)) {}
  void SetName(const std::string& name) {
    std::lock_guard lock(mutex_);
    name_ = name;
  }
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> families = registry_->Collect();
    std::string name;
    {
      std::lock_guard lock(mutex_);
      name = name_;
    }
    if (name.empty()) return families;
    for (prometheus::MetricFamily& family : families) {
      for (prometheus::ClientMetric& metric : family.metric) {
        const bool named = std::any_of(metric.label.begin(), metric.label.end(),
                                       [](const auto& l) { return l.name == "collector"; });
        if (!named) metric.label.push_back({"collector", name});
      }
    }
    return families;
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  mutable std::mutex mutex_;
  std::string name_;
};

CollectorMetrics::CollectorMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      health_(std::make_shared<prometheus::Registry>()),
      labelled_(std::make_shared<Labelled>(registry_)),
      checks_(prometheus::BuildCounter()
                  .Name("mimamori_checks_total")
                  .Help("Checks run, by monitor kind and outcome (ok, failed, unknown).")
                  .Register(*registry_)),
      skipped_(prometheus::BuildCounter()
                   .Name("mimamori_checks_skipped_total")
                   .Help("Checks not run when due: outside monitoring hours, or the previous "
                         "check of that monitor still running (overrun).")
                   .Register(*registry_)),
      durations_(prometheus::BuildHistogram()
                     .Name("mimamori_check_duration_seconds")
                     .Help("Duration of checks, by monitor kind.")
                     .Register(*registry_)),
      lag_(prometheus::BuildGauge()
               .Name("mimamori_scheduler_lag_seconds")
               .Help("How late the most recent check started after it was due.")
               .Register(*registry_)),
      status_(prometheus::BuildGauge()
                  .Name("mimamori_monitor_status")
                  .Help("Confirmed status of a monitor: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.")
                  .Register(*registry_)),
      node_up_(prometheus::BuildGauge()
                   .Name("mimamori_node_up")
                   .Help("1 unless the node's ping monitor is confirmed down.")
                   .Register(*registry_)),
      queue_(prometheus::BuildGauge()
                 .Name("mimamori_state_changes_queued")
                 .Help("State changes waiting for the alerting stage.")
                 .Register(*registry_)),
      reloads_(prometheus::BuildCounter()
                   .Name("mimamori_config_reloads_total")
                   .Help("Configuration reloads, by result (success, failure).")
                   .Register(*registry_)),
      reload_ok_(prometheus::BuildGauge()
                     .Name("mimamori_config_last_reload_successful")
                     .Help("1 when the last configuration (re)load was valid.")
                     .Register(*registry_)),
      nodes_by_state_(prometheus::BuildGauge()
                          .Name("mimamori_nodes")
                          .Help("Nodes of the inventory by state (monitored, "
                                "acceptance-testing, before-go-live, disabled).")
                          .Register(*registry_)),
      checks_by_state_(prometheus::BuildGauge()
                           .Name("mimamori_node_checks")
                           .Help("Checks of the inventory's nodes by the node's state; only "
                                 "monitored and acceptance-testing ones run.")
                           .Register(*registry_)) {
  prometheus::BuildGauge()
      .Name("mimamori_build_info")
      .Help("Version of the running collector.")
      .Register(*registry_)
      .Add({{"version", MIMAMORI_VERSION}})
      .Set(1);
  prometheus::BuildGauge()
      .Name("mimamori_collector_healthy")
      .Help("1 while the collector process serves requests (liveness).")
      .Register(*health_)
      .Add({})
      .Set(1);
  dropped_counter_ = &prometheus::BuildCounter()
                          .Name("mimamori_state_changes_dropped_total")
                          .Help("State changes dropped because the alerting stage fell behind.")
                          .Register(*registry_)
                          .Add({});
  reload_ok_.Add({}).Set(1);
}

void CollectorMetrics::LabelWithCollector(const std::string& name) { labelled_->SetName(name); }

std::string CollectorMetrics::Serve(const std::string& listen) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
  } catch (const std::exception& e) {
    return "cannot serve /metrics on " + listen + ": " + e.what();
  }
  exposer_->RegisterCollectable(labelled_, "/metrics");
  exposer_->RegisterCollectable(health_, "/healthz");
  return "";
}

int CollectorMetrics::port() const {
  if (!exposer_) return 0;
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void CollectorMetrics::CheckStarted(std::string_view kind, std::chrono::duration<double> lag) {
  (void)kind;
  lag_.Add({}).Set(lag.count());
}

void CollectorMetrics::CheckSkipped(std::string_view kind, std::string_view reason) {
  skipped_.Add({{"kind", std::string(kind)}, {"reason", std::string(reason)}}).Increment();
}

prometheus::Family<prometheus::Gauge>& CollectorMetrics::MeasurementFamily(
    const std::string& name) {
  auto it = measurement_families_.find(name);
  if (it != measurement_families_.end()) return *it->second;
  auto known = KnownMeasurements().find(name);
  auto& family =
      prometheus::BuildGauge()
          .Name(name)
          .Help(known != KnownMeasurements().end() ? known->second : "A measurement of a monitor.")
          .Register(*registry_);
  measurement_families_[name] = &family;
  return family;
}

void CollectorMetrics::CheckFinished(const std::string& node, std::string_view kind,
                                     std::chrono::duration<double> duration,
                                     const CheckReport& report) {
  std::string outcome = "ok";
  for (const CheckResult& r : report.results) {
    if (r.status == Status::kUnknown) {
      outcome = "unknown";
    } else if (r.status != Status::kOk && outcome == "ok") {
      outcome = "failed";
    }
  }
  const std::string kind_text(kind);
  checks_.Add({{"kind", kind_text}, {"outcome", outcome}}).Increment();
  durations_
      .Add({{"kind", kind_text}},
           prometheus::Histogram::BucketBoundaries{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30})
      .Observe(duration.count());

  std::lock_guard lock(mutex_);
  auto& previous = published_[{node, kind_text}];
  std::vector<std::pair<prometheus::Family<prometheus::Gauge>*, prometheus::Gauge*>> now;
  for (const Measurement& m : report.measurements) {
    std::map<std::string, std::string> labels = {{"node", node}};
    for (const auto& [k, v] : m.labels) labels[k] = v;
    auto& family = MeasurementFamily(m.metric);
    auto& gauge = family.Add(labels);
    gauge.Set(m.value);
    now.emplace_back(&family, &gauge);
  }
  // Series that this check no longer reports (an unmounted file system) go.
  std::set<prometheus::Gauge*> kept;
  for (const auto& [family, gauge] : now) kept.insert(gauge);
  for (const auto& [family, gauge] : previous) {
    if (!kept.count(gauge)) family->Remove(gauge);
  }
  previous = std::move(now);
}

void CollectorMetrics::SetState(const MonitorState& s) {
  auto& series = status_series_[{s.node, s.monitor}];
  if (!series) series = &status_.Add({{"node", s.node}, {"monitor", s.monitor}, {"kind", s.kind}});
  series->Set(static_cast<double>(s.confirmed));
  if (s.monitor == "ping") {
    auto& up = node_up_series_[s.node];
    if (!up) up = &node_up_.Add({{"node", s.node}});
    up->Set(s.confirmed == Status::kCritical ? 0 : 1);
  }
}

void CollectorMetrics::UpdateStates(const std::vector<MonitorState>& states) {
  std::lock_guard lock(mutex_);
  for (const MonitorState& s : states) SetState(s);
}

void CollectorMetrics::PublishStates(const std::vector<MonitorState>& states) {
  std::lock_guard lock(mutex_);
  std::set<std::pair<std::string, std::string>> seen;
  std::set<std::string> pinged;
  for (const MonitorState& s : states) {
    seen.insert({s.node, s.monitor});
    if (s.monitor == "ping") pinged.insert(s.node);
    SetState(s);
  }
  for (auto it = status_series_.begin(); it != status_series_.end();) {
    if (!seen.count(it->first)) {
      status_.Remove(it->second);
      it = status_series_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = node_up_series_.begin(); it != node_up_series_.end();) {
    if (!pinged.count(it->first)) {
      node_up_.Remove(it->second);
      it = node_up_series_.erase(it);
    } else {
      ++it;
    }
  }
}

void CollectorMetrics::EventsQueued(std::size_t queued, std::uint64_t dropped) {
  queue_.Add({}).Set(static_cast<double>(queued));
  std::lock_guard lock(mutex_);
  if (dropped > dropped_seen_) {
    dropped_counter_->Increment(static_cast<double>(dropped - dropped_seen_));
    dropped_seen_ = dropped;
  }
}

void CollectorMetrics::PublishNodeStates(const Inventory& inventory, TimePoint now) {
  for (const auto& [state, count] : inventory.CountByState(now, ScheduledChecks(inventory))) {
    const std::string name(NodeStateName(state));
    nodes_by_state_.Add({{"state", name}}).Set(static_cast<double>(count.nodes));
    checks_by_state_.Add({{"state", name}}).Set(static_cast<double>(count.checks));
  }
}

void CollectorMetrics::ConfigReloaded(bool ok) {
  reloads_.Add({{"result", ok ? "success" : "failure"}}).Increment();
  reload_ok_.Add({}).Set(ok ? 1 : 0);
}

}  // namespace mimamori::collector
