#include "collector/metrics/collector_metrics.h"

#include "collector/monitors/registry.h"

#include <CivetServer.h>
#include <civetweb.h>
#include <prometheus/text_serializer.h>
#include <zlib.h>

#include <algorithm>
#include <set>

namespace mimamori::collector {
namespace {

constexpr const char* kTextFormat = "text/plain; version=0.0.4; charset=utf-8";

// The exposer's request hook is a plain function: it finds the metrics of
// the server by the port the request came in on.
std::mutex serving_mutex;
std::map<int, const CollectorMetrics*>& Serving() {
  static std::map<int, const CollectorMetrics*> serving;
  return serving;
}

bool AcceptsGzip(mg_connection* conn) {
  const char* accepted = mg_get_header(conn, "Accept-Encoding");
  return accepted && std::string_view(accepted).find("gzip") != std::string_view::npos;
}

// A chunked reply, gzip-compressed at level 1 when asked: a 100,000-node
// exposition is ~190 MiB of text, ~10 MiB compressed, and level 1 costs a
// fraction of what the default level does for nearly the same size.
class ChunkedReply {
 public:
  ChunkedReply(mg_connection* conn, bool gzip) : conn_(conn), gzip_(gzip) {
    if (gzip_) {
      gzip_ = deflateInit2(&stream_, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    }
  }
  ~ChunkedReply() {
    if (gzip_) deflateEnd(&stream_);
  }
  ChunkedReply(const ChunkedReply&) = delete;
  ChunkedReply& operator=(const ChunkedReply&) = delete;

  bool compressed() const { return gzip_; }
  bool Write(std::string_view piece) {
    if (!gzip_) return Send(piece.data(), piece.size());
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
    stream_.avail_in = static_cast<uInt>(piece.size());
    return Deflate(Z_NO_FLUSH);
  }
  bool Finish() {
    if (gzip_ && !Deflate(Z_FINISH)) return false;
    return mg_send_chunk(conn_, "", 0) >= 0;
  }

 private:
  bool Deflate(int flush) {
    for (;;) {
      stream_.next_out = buffer_;
      stream_.avail_out = sizeof buffer_;
      const int rc = deflate(&stream_, flush);
      if (rc == Z_STREAM_ERROR) return false;
      const std::size_t produced = sizeof buffer_ - stream_.avail_out;
      if (produced > 0 && !Send(reinterpret_cast<const char*>(buffer_), produced)) return false;
      if (flush == Z_FINISH ? rc == Z_STREAM_END : stream_.avail_out != 0) return true;
    }
  }
  bool Send(const char* data, std::size_t size) {
    return size == 0 || mg_send_chunk(conn_, data, static_cast<unsigned>(size)) > 0;
  }

  mg_connection* conn_;
  bool gzip_;
  z_stream stream_{};
  Bytef buffer_[64 * 1024];
};

int AnswerMetrics(mg_connection* conn) {
  const mg_request_info* request = mg_get_request_info(conn);
  if (!request->local_uri || std::string_view(request->local_uri) != "/metrics") return 0;
  const std::string_view method = request->request_method ? request->request_method : "";
  if (method != "GET" && method != "HEAD") return 0;
  const CollectorMetrics* metrics = nullptr;
  {
    std::lock_guard lock(serving_mutex);
    auto it = Serving().find(request->server_port);
    if (it != Serving().end()) metrics = it->second;
  }
  if (!metrics) {  // between the exposer's start and Serve() recording its port
    mg_send_http_error(conn, 503, "%s", "starting");
    return 503;
  }
  if (request->http_version && std::string_view(request->http_version) == "1.0") {
    // No chunked encoding in HTTP/1.0: the whole text, with its length.
    const std::string text = metrics->Text();
    mg_send_http_ok(conn, kTextFormat, static_cast<long long>(text.size()));
    if (method == "GET") mg_write(conn, text.data(), text.size());
    return 200;
  }
  auto reply = std::make_unique<ChunkedReply>(conn, method == "GET" && AcceptsGzip(conn));
  mg_response_header_start(conn, 200);
  mg_response_header_add(conn, "Content-Type", kTextFormat, -1);
  if (reply->compressed()) mg_response_header_add(conn, "Content-Encoding", "gzip", -1);
  mg_response_header_add(conn, "Transfer-Encoding", "chunked", -1);
  mg_response_header_add(conn, "Cache-Control", "no-store", -1);
  mg_response_header_send(conn);
  if (method == "HEAD") return 200;
  bool sent = true;
  metrics->WriteExposition([&](std::string_view piece) { return sent = reply->Write(piece); });
  if (sent) reply->Finish();
  return 200;
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
  std::string name() const {
    std::lock_guard lock(mutex_);
    return name_;
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

CollectorMetrics::~CollectorMetrics() {
  // The server first: its threads may be writing an exposition of ours.
  exposer_.reset();
  std::lock_guard lock(serving_mutex);
  for (int port : served_ports_) Serving().erase(port);
}

std::string CollectorMetrics::Serve(const std::string& listen) {
  static const CivetCallbacks callbacks = [] {
    CivetCallbacks c;
    c.begin_request = AnswerMetrics;
    return c;
  }();
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen, 2, &callbacks);
  } catch (const std::exception& e) {
    return "cannot serve /metrics on " + listen + ": " + e.what();
  }
  exposer_->RegisterCollectable(health_, "/healthz");
  served_ports_ = exposer_->GetListeningPorts();
  std::lock_guard lock(serving_mutex);
  for (int port : served_ports_) Serving()[port] = this;
  return "";
}

int CollectorMetrics::port() const { return served_ports_.empty() ? 0 : served_ports_.front(); }

void CollectorMetrics::WriteExposition(const NodeSeries::Sink& sink) const {
  if (!sink(prometheus::TextSerializer().Serialize(labelled_->Collect()))) return;
  node_series_.Render(labelled_->name(), sink);
}

std::string CollectorMetrics::Text() const {
  std::string text;
  WriteExposition([&](std::string_view piece) {
    text += piece;
    return true;
  });
  return text;
}

void CollectorMetrics::CheckStarted(std::string_view kind, std::chrono::duration<double> lag) {
  (void)kind;
  lag_.Add({}).Set(lag.count());
}

void CollectorMetrics::CheckSkipped(std::string_view kind, std::string_view reason) {
  skipped_.Add({{"kind", std::string(kind)}, {"reason", std::string(reason)}}).Increment();
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

  node_series_.SetMeasurements(node, kind_text, report.measurements);
}

void CollectorMetrics::SetState(const MonitorState& s) {
  node_series_.SetStatus(s.node, s.monitor, s.kind, static_cast<double>(s.confirmed));
  if (s.monitor == "ping") node_series_.SetUp(s.node, s.confirmed == Status::kCritical ? 0 : 1);
}

void CollectorMetrics::UpdateStates(const std::vector<MonitorState>& states) {
  for (const MonitorState& s : states) SetState(s);
}

void CollectorMetrics::PublishStates(const std::vector<MonitorState>& states) {
  std::set<std::pair<std::string, std::string>> monitors;
  std::set<std::string> pinged;
  for (const MonitorState& s : states) {
    monitors.insert({s.node, s.monitor});
    if (s.monitor == "ping") pinged.insert(s.node);
    SetState(s);
  }
  node_series_.Retain(monitors, pinged);
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
