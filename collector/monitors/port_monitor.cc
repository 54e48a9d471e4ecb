#include "collector/monitors/port_monitor.h"

#include <cstdio>
#include <exception>
#include <mutex>
#include <string>
#include <utility>

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

/// One check of all ports: collects the probes' answers, which arrive on the
/// probe's thread in any order, and reports once the last is in.
class PortRun {
 public:
  PortRun(std::shared_ptr<const PortConfig> config, std::function<void(CheckReport)> done)
      : config_(std::move(config)),
        done_(std::move(done)),
        slots_(config_->ports.size()),
        remaining_(config_->ports.size()) {}

  void Record(std::size_t index, TcpProbeResult outcome) {
    Fill(index, Slot{std::move(outcome), ""});
  }

  /// The probe refused the request (misuse, e.g. a zero timeout): no
  /// judgement about the port, so UNKNOWN.
  void RecordError(std::size_t index, std::string error) {
    Fill(index, Slot{TcpProbeResult{}, std::move(error)});
  }

 private:
  struct Slot {
    TcpProbeResult outcome;
    std::string cannot_check;
  };

  void Fill(std::size_t index, Slot slot) {
    {
      std::lock_guard lock(mutex_);
      slots_[index] = std::move(slot);
      if (--remaining_ != 0) return;
    }
    // The last answer: every slot is written and no one else touches them.
    done_(Report());
  }

  CheckReport Report() const {
    CheckReport report;
    for (std::size_t i = 0; i < config_->ports.size(); ++i) {
      const PortCheck& check = config_->ports[i];
      const Slot& slot = slots_[i];
      const std::string port = std::to_string(check.port);
      CheckResult result = Judge(*config_, check, slot.outcome);
      if (!slot.cannot_check.empty()) {
        result.status = Status::kUnknown;
        result.reason =
            "cannot check " + Target(config_->address, check.port) + ": " + slot.cannot_check;
      }
      report.measurements.push_back(
          Measurement{"mimamori_port_up", {{"port", port}}, slot.outcome.connected ? 1.0 : 0.0});
      if (slot.outcome.connected) {
        report.measurements.push_back(
            Measurement{"mimamori_port_connect_seconds", {{"port", port}}, slot.outcome.seconds});
      }
      report.results.push_back(std::move(result));
    }
    return report;
  }

  const std::shared_ptr<const PortConfig> config_;
  std::function<void(CheckReport)> done_;
  std::mutex mutex_;
  std::vector<Slot> slots_;  // guarded by mutex_ until the last answer
  std::size_t remaining_;    // guarded by mutex_
};

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

  void Start(std::function<void(CheckReport)> done) override {
    auto run = std::make_shared<PortRun>(config_, std::move(done));
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
