#include "collector/monitors/ping_monitor.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

#include "collector/net/pinger.h"

namespace mimamori::collector {
namespace {

// At most `decimals` decimals, trailing zeros dropped: "1000", "0.412", "66.7".
std::string FormatNumber(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  std::string text = buffer;
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return text;
}

// The way an operator states a timeout: "5 s", "1.5 s", "300 ms".
std::string FormatDuration(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms >= 1000) return FormatNumber(static_cast<double>(ms) / 1000.0, 3) + " s";
  return std::to_string(ms) + " ms";
}

CheckReport Judge(const PingSettings& settings, const PingOutcome& outcome) {
  CheckReport report;
  CheckResult& result = report.results.emplace_back();
  result.monitor = "ping";
  const int sent = outcome.sent;
  const int received = outcome.received;
  const bool up = received > 0;
  report.measurements.push_back({"mimamori_ping_up", {}, up ? 1.0 : 0.0});
  const int lost = sent > received ? sent - received : 0;
  if (sent > 0) {
    report.measurements.push_back(
        {"mimamori_ping_loss_ratio", {}, static_cast<double>(lost) / static_cast<double>(sent)});
  }

  if (!up) {
    result.status = Status::kCritical;
    if (!outcome.error.empty()) {
      result.reason = outcome.error;
    } else if (sent == 0) {
      result.status = Status::kUnknown;
      result.reason = "no echo request was sent";
    } else {
      result.reason = "no reply to " + std::to_string(sent) + " of " + std::to_string(sent) +
                      " echo requests within " + FormatDuration(settings.timeout);
    }
    return report;
  }

  std::chrono::microseconds total{0};
  for (std::chrono::microseconds rtt : outcome.round_trips) total += rtt;
  const double rtt_ms =
      std::chrono::duration<double, std::milli>(total).count() /
      static_cast<double>(outcome.round_trips.empty() ? 1 : outcome.round_trips.size());
  result.value = rtt_ms;
  report.measurements.push_back({"mimamori_ping_rtt_seconds", {}, rtt_ms / 1000.0});

  result.status = Status::kOk;
  std::string reasons;
  auto raise = [&](Status status, const std::string& why) {
    if (status > result.status) result.status = status;
    reasons += reasons.empty() ? why : "; " + why;
  };
  const std::string rtt_text = "RTT avg " + FormatNumber(rtt_ms, 3) + " ms";
  if (settings.rtt_critical && rtt_ms >= static_cast<double>(settings.rtt_critical->count())) {
    raise(Status::kCritical,
          rtt_text + " >= critical " + std::to_string(settings.rtt_critical->count()) + " ms");
  } else if (settings.rtt_warning && rtt_ms >= static_cast<double>(settings.rtt_warning->count())) {
    raise(Status::kWarning,
          rtt_text + " >= warning " + std::to_string(settings.rtt_warning->count()) + " ms");
  }
  const double loss_percent = 100.0 * lost / sent;
  const std::string loss_text = "loss " + FormatNumber(loss_percent, 1) + " % (" +
                                std::to_string(lost) + " of " + std::to_string(sent) +
                                " echo requests unanswered)";
  if (settings.loss_critical_percent && loss_percent >= *settings.loss_critical_percent) {
    raise(Status::kCritical,
          loss_text + " >= critical " + FormatNumber(*settings.loss_critical_percent, 1) + " %");
  } else if (settings.loss_warning_percent && loss_percent >= *settings.loss_warning_percent) {
    raise(Status::kWarning,
          loss_text + " >= warning " + FormatNumber(*settings.loss_warning_percent, 1) + " %");
  }
  result.reason = !reasons.empty() ? reasons
                                   : "reply to " + std::to_string(received) + " of " +
                                         std::to_string(sent) + " echo requests, " + rtt_text;
  return report;
}

class PingMonitor final : public Monitor {
 public:
  PingMonitor(const Node& node, const Inventory& inventory, Pinger& pinger)
      : node_(node.name),
        address_(node.address),
        settings_(node.ping),
        interval_(inventory.defaults.intervals.ping),
        failure_threshold_(inventory.defaults.failures.ping),
        pinger_(pinger) {}

  std::string_view Kind() const override { return "ping"; }
  const std::string& NodeName() const override { return node_; }
  std::chrono::seconds Interval() const override { return interval_; }
  int FailureThreshold() const override { return failure_threshold_; }

  void Start(std::function<void(CheckReport)> done) override {
    // The callback owns what it needs: a reload may destroy this monitor
    // while its echo requests are still out.
    pinger_.Ping(address_, settings_,
                 [settings = settings_, done = std::move(done)](PingOutcome outcome) {
                   done(Judge(settings, outcome));
                 });
  }

 private:
  const std::string node_;
  const std::string address_;
  const PingSettings settings_;
  const std::chrono::seconds interval_;
  const int failure_threshold_;
  Pinger& pinger_;
};

}  // namespace

std::vector<std::unique_ptr<Monitor>> MakePingMonitors(const Node& node, const Inventory& inventory,
                                                       MonitorServices& services) {
  std::vector<std::unique_ptr<Monitor>> monitors;
  const auto hours = inventory.defaults.hours.find(inventory.LevelOf(node));
  // C-dev is not pinged, to avoid needless alerts (spec section 2).
  if (hours != inventory.defaults.hours.end() && !hours->second.ping) return monitors;
  monitors.push_back(std::make_unique<PingMonitor>(node, inventory, services.pinger));
  return monitors;
}

}  // namespace mimamori::collector
