#include "collector/metrics/node_series.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>

namespace mimamori::collector {
namespace {

// Series per lock: about a millisecond of rendering, so a check finishing
// meanwhile waits at most that long.
constexpr std::size_t kSeriesPerLock = 8192;
// The sink gets pieces of about this size (one chunk of the HTTP reply).
constexpr std::size_t kPieceBytes = 256 * 1024;

constexpr std::string_view kStatusName = "mimamori_monitor_status";
constexpr std::string_view kStatusHelp =
    "Confirmed status of a monitor: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.";
constexpr std::string_view kUpName = "mimamori_node_up";
constexpr std::string_view kUpHelp = "1 unless the node's ping monitor is confirmed down.";

// HELP texts of the measurements monitors publish; anything else gets a
// generic text (a new monitor should add its names here).
const std::map<std::string, std::string, std::less<>>& KnownMeasurements() {
  static const std::map<std::string, std::string, std::less<>> known = {
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

// Label values as the text format escapes them.
void AppendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void AppendLabel(std::string& out, std::string_view name, std::string_view value) {
  if (!out.empty() && out.back() != '{') out += ',';
  out += name;
  out += "=\"";
  AppendLabelValue(out, value);
  out += '"';
}

void AppendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, ec == std::errc() ? end : buffer);
  }
}

void AppendHeader(std::string& out, std::string_view name, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += "\n# TYPE ";
  out += name;
  out += " gauge\n";
}

}  // namespace

void NodeSeries::SetMeasurements(const std::string& node, const std::string& kind,
                                 const std::vector<Measurement>& measurements) {
  // Label texts are built before the lock: the scrape and the other poll
  // threads wait only for the map updates.
  std::vector<std::string> texts;
  texts.reserve(measurements.size());
  std::vector<std::pair<std::string_view, std::string_view>> labels;
  for (const Measurement& m : measurements) {
    labels.clear();
    labels.emplace_back("node", node);
    for (const auto& [name, value] : m.labels) labels.emplace_back(name, value);
    // The measurement's own value wins over an equal name before it (as a
    // label map's assignment did).
    std::stable_sort(labels.begin(), labels.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string text;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i + 1 < labels.size() && labels[i + 1].first == labels[i].first) continue;
      AppendLabel(text, labels[i].first, labels[i].second);
    }
    texts.push_back(std::move(text));
  }

  std::lock_guard lock(mutex_);
  std::vector<SeriesRef> now;
  now.reserve(measurements.size());
  for (std::size_t i = 0; i < measurements.size(); ++i) {
    const Measurement& m = measurements[i];
    auto family = families_.find(m.metric);
    if (family == families_.end()) {
      auto known = KnownMeasurements().find(m.metric);
      family = families_
                   .emplace(m.metric, Family{known != KnownMeasurements().end()
                                                 ? known->second
                                                 : "A measurement of a monitor.",
                                             {}})
                   .first;
    }
    auto series = family->second.series.try_emplace(std::move(texts[i])).first;
    series->second.value = m.value;
    SeriesRef ref{&family->second, series};
    if (std::find(now.begin(), now.end(), ref) == now.end()) now.push_back(ref);
  }
  auto previous = published_.find({node, kind});
  std::vector<SeriesRef> none;
  std::vector<SeriesRef>& before = previous != published_.end() ? previous->second : none;
  for (const SeriesRef& ref : now) {
    if (std::find(before.begin(), before.end(), ref) == before.end())
      ++ref.second->second.publishers;
  }
  for (const SeriesRef& ref : before) {
    if (std::find(now.begin(), now.end(), ref) != now.end()) continue;
    if (--ref.second->second.publishers == 0) ref.first->series.erase(ref.second);
  }
  if (now.empty()) {
    if (previous != published_.end()) published_.erase(previous);
  } else if (previous != published_.end()) {
    previous->second = std::move(now);
  } else {
    published_.emplace(NodeKind{node, kind}, std::move(now));
  }
}

void NodeSeries::SetStatus(const std::string& node, const std::string& monitor,
                           const std::string& kind, double status) {
  std::lock_guard lock(mutex_);
  Status& s = statuses_[{node, monitor}];
  s.kind = kind;
  s.value = status;
}

void NodeSeries::SetUp(const std::string& node, double up) {
  std::lock_guard lock(mutex_);
  up_[node] = up;
}

void NodeSeries::Retain(const std::set<std::pair<std::string, std::string>>& monitors,
                        const std::set<std::string>& pinged) {
  std::lock_guard lock(mutex_);
  std::erase_if(statuses_, [&](const auto& entry) { return !monitors.count(entry.first); });
  std::erase_if(up_, [&](const auto& entry) { return !pinged.count(entry.first); });
}

std::size_t NodeSeries::size() const {
  std::lock_guard lock(mutex_);
  std::size_t n = statuses_.size() + up_.size();
  for (const auto& [name, family] : families_) n += family.series.size();
  return n;
}

// Renders `map` a slice at a time under the lock, resuming after the last key
// written: series added or removed meanwhile are in or out, never torn.
template <typename Map, typename WriteSeries>
bool NodeSeries::RenderChunked(const Map& map, const WriteSeries& write, std::string& out,
                               const Sink& sink) const {
  std::optional<typename Map::key_type> last;
  for (;;) {
    bool done = false;
    {
      std::lock_guard lock(mutex_);
      auto it = last ? map.upper_bound(*last) : map.begin();
      std::size_t n = 0;
      for (; it != map.end() && n < kSeriesPerLock; ++it, ++n) write(out, it->first, it->second);
      done = it == map.end();
      if (!done && n > 0) last = std::prev(it)->first;
    }
    if (out.size() >= kPieceBytes) {
      if (!sink(out)) return false;
      out.clear();
    }
    if (done) return true;
  }
}

void NodeSeries::Render(const std::string& collector, const Sink& sink) const {
  std::string tail = "}";
  if (!collector.empty()) {
    tail = ",collector=\"";
    AppendLabelValue(tail, collector);
    tail += "\"}";
  }
  std::string out;
  out.reserve(kPieceBytes + 64 * 1024);

  AppendHeader(out, kStatusName, kStatusHelp);
  // Labels in name order, as every family here: kind, monitor, node.
  auto write_status = [&](std::string& o, const NodeMonitor& key, const Status& s) {
    o += kStatusName;
    o += "{kind=\"";
    AppendLabelValue(o, s.kind);
    o += "\",monitor=\"";
    AppendLabelValue(o, key.second);
    o += "\",node=\"";
    AppendLabelValue(o, key.first);
    o += '"';
    o += tail;
    o += ' ';
    AppendValue(o, s.value);
    o += '\n';
  };
  if (!RenderChunked(statuses_, write_status, out, sink)) return;

  AppendHeader(out, kUpName, kUpHelp);
  auto write_up = [&](std::string& o, const std::string& node, double up) {
    o += kUpName;
    o += "{node=\"";
    AppendLabelValue(o, node);
    o += '"';
    o += tail;
    o += ' ';
    AppendValue(o, up);
    o += '\n';
  };
  if (!RenderChunked(up_, write_up, out, sink)) return;

  std::vector<std::pair<std::string, const Family*>> families;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, family] : families_) {
      if (!family.series.empty()) families.emplace_back(name, &family);
    }
  }
  for (const auto& [name, family] : families) {
    AppendHeader(out, name, family->help);
    auto write_measurement = [&](std::string& o, const std::string& labels, const Series& s) {
      o += name;
      o += '{';
      o += labels;
      o += tail;
      o += ' ';
      AppendValue(o, s.value);
      o += '\n';
    };
    if (!RenderChunked(family->series, write_measurement, out, sink)) return;
  }
  if (!out.empty()) sink(out);
}

}  // namespace mimamori::collector
