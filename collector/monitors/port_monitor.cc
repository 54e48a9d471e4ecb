#include "collector/monitors/port_monitor.h"

#include <cstdio>
#include <exception>
#include <string>
#include <utility>

#include "collector/monitors/gather.h"
#include "collector/net/http_client.h"

namespace mimamori::collector {
namespace {

/// What a check needs, copied from the inventory and shared with running
/// checks so that they never touch a destroyed monitor.
struct PortConfig {
  std::string node;
  std::string address;
  std::vector<PortCheck> ports;
};

std::string ResultName(const PortCheck& check) {
  return "port:" + (check.name.empty() ? std::to_string(check.port) : check.name);
}

std::string Target(const std::string& address, std::uint16_t port) {
  const bool ipv6_literal = address.find(':') != std::string::npos;
  return (ipv6_literal ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

std::string Milliseconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f ms", seconds * 1000);
  return text;
}

CheckResult Judge(const PortConfig& config, const PortCheck& check, const TcpProbeResult& outcome) {
  CheckResult result;
  result.monitor = ResultName(check);
  const std::string target = Target(config.address, check.port);
  if (outcome.connected) {
    result.status = Status::kOk;
    result.reason = "connected to " + target + " in " + Milliseconds(outcome.seconds);
    result.value = outcome.seconds;
  } else {
    result.status = Status::kCritical;
    result.reason = "TCP connect to " + target + ": " + outcome.error;
  }
  return result;
}

using PortAnswers = std::vector<Gather<TcpProbeResult>::Answer>;

CheckReport Report(const PortConfig& config, const PortAnswers& answers) {
  CheckReport report;
  for (std::size_t i = 0; i < config.ports.size(); ++i) {
    const PortCheck& check = config.ports[i];
    const auto& answer = answers[i];
    const std::string port = std::to_string(check.port);
    CheckResult result = Judge(config, check, answer.outcome);
    if (!answer.cannot_check.empty()) {
      result.status = Status::kUnknown;
      result.reason =
          "cannot check " + Target(config.address, check.port) + ": " + answer.cannot_check;
    }
    report.measurements.push_back(
        Measurement{"mimamori_port_up", {{"port", port}}, answer.outcome.connected ? 1.0 : 0.0});
    if (answer.outcome.connected) {
      report.measurements.push_back(
          Measurement{"mimamori_port_connect_seconds", {{"port", port}}, answer.outcome.seconds});
    }
    report.results.push_back(std::move(result));
  }
  return report;
}

class PortMonitor final : public Monitor {
 public:
  PortMonitor(const Node& node, const Inventory& inventory, TcpProbe& tcp)
      : config_(
            std::make_shared<const PortConfig>(PortConfig{node.name, node.address, node.ports})),
        interval_(inventory.defaults.intervals.port),
        failure_threshold_(inventory.defaults.failures.port),
        tcp_(tcp) {}

  std::string_view Kind() const override { return "port"; }
  const std::string& NodeName() const override { return config_->node; }
  std::chrono::seconds Interval() const override { return interval_; }
  int FailureThreshold() const override { return failure_threshold_; }
  std::size_t CheckCount() const override { return config_->ports.size(); }

  void Start(std::function<void(CheckReport)> done) override {
    auto run = std::make_shared<Gather<TcpProbeResult>>(
        config_->ports.size(), [config = config_, done = std::move(done)](PortAnswers answers) {
          done(Report(*config, answers));
        });
    for (std::size_t i = 0; i < config_->ports.size(); ++i) {
      const PortCheck& check = config_->ports[i];
      try {
        tcp_.Connect(config_->address, check.port, check.timeout,
                     [run, i](TcpProbeResult outcome) { run->Record(i, std::move(outcome)); });
      } catch (const std::exception& e) {
        run->RecordError(i, e.what());
      }
    }
  }

 private:
  const std::shared_ptr<const PortConfig> config_;
  const std::chrono::seconds interval_;
  const int failure_threshold_;
  TcpProbe& tcp_;
};

}  // namespace

std::vector<std::unique_ptr<Monitor>> MakePortMonitors(const Node& node, const Inventory& inventory,
                                                       MonitorServices& services) {
  std::vector<std::unique_ptr<Monitor>> monitors;
  if (!node.ports.empty()) {
    monitors.push_back(std::make_unique<PortMonitor>(node, inventory, services.tcp));
  }
  return monitors;
}

}  // namespace mimamori::collector
