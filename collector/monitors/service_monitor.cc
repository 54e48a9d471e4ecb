#include "collector/monitors/service_monitor.h"

#include <exception>
#include <string>
#include <utility>

#include "collector/monitors/gather.h"
#include "collector/net/snmp_client.h"
#include "collector/net/winrm_client.h"

namespace mimamori::collector {
namespace {

constexpr std::uint32_t kColumnState = 3;
constexpr std::uint32_t kColumnStartType = 4;

/// What was learnt about one service, whichever way it was read.
struct Observation {
  enum class Kind { kState, kMissing, kCannotRead };
  Kind kind = Kind::kCannotRead;
  std::string state;       ///< kState: Win32_Service.State words
  std::string start_mode;  ///< kState: Win32_Service.StartMode words; may be empty
  std::string detail;      ///< kMissing: the evidence; kCannotRead: the reason
};

/// The observations of one request: a WinRM Get (one service) or the SNMP
/// Get (all via-snmp services), by index into the node's services.
using Part = std::vector<std::pair<std::size_t, Observation>>;

struct ServiceConfig {
  std::string node;
  std::string address;
  SnmpTarget snmp;
  std::vector<ServiceCheck> checks;
  std::vector<WinRmTarget> winrm;     ///< parallel to checks (unused for via snmp)
  std::vector<std::size_t> via_snmp;  ///< indexes of the via-snmp checks
};

// mimamoriServiceState / StartType, in Win32_Service's own words so that
// both ways read the same.
std::string StateWords(std::int32_t state) {
  static const char* const kStates[] = {"Stopped", "Start Pending",    "Stop Pending",
                                        "Running", "Continue Pending", "Pause Pending",
                                        "Paused"};
  if (state >= 1 && state <= 7) return kStates[state - 1];
  return "Unknown (state " + std::to_string(state) + ")";
}

std::string StartModeWords(std::int32_t start_type) {
  static const char* const kModes[] = {"Boot", "System", "Auto", "Manual", "Disabled"};
  if (start_type >= 1 && start_type <= 5) return kModes[start_type - 1];
  return "start type " + std::to_string(start_type);
}

Observation FromWinRm(const ServiceConfig& config, std::size_t index,
                      const WinRmServiceReply& reply) {
  Observation seen;
  const WinRmTarget& target = config.winrm[index];
  switch (reply.kind) {
    case WinRmServiceReply::Kind::kFound:
      seen.kind = Observation::Kind::kState;
      seen.state = reply.state;
      seen.start_mode = reply.start_mode;
      break;
    case WinRmServiceReply::Kind::kNoSuchService:
      seen.kind = Observation::Kind::kMissing;
      seen.detail = "WinRM " + WinRmEndpoint(target) + ": " + reply.detail;
      break;
    default:
      seen.kind = Observation::Kind::kCannotRead;
      seen.detail = "WinRM " + WinRmEndpoint(target) + ": " + reply.detail;
      if (reply.attempts > 1) seen.detail += " (" + std::to_string(reply.attempts) + " attempts)";
      break;
  }
  return seen;
}

Part FromSnmp(const ServiceConfig& config, const SnmpResult& result) {
  Part part;
  const std::string who =
      "SNMP " + config.address + ":" + std::to_string(config.snmp.settings.port);
  for (std::size_t n = 0; n < config.via_snmp.size(); ++n) {
    const std::size_t index = config.via_snmp[n];
    Observation seen;
    if (!result.ok) {
      seen.detail = who + ": get mimamoriServiceTable: " +
                    (result.error.empty() ? std::string("failed") : result.error);
    } else if (result.varbinds.size() != 2 * config.via_snmp.size()) {
      seen.detail = who + ": the agent answered " + std::to_string(result.varbinds.size()) +
                    " values for " + std::to_string(2 * config.via_snmp.size()) + " asked";
    } else {
      const proto::Value& state = result.varbinds[2 * n].value;
      const proto::Value& start = result.varbinds[2 * n + 1].value;
      if (state.IsException()) {
        seen.kind = Observation::Kind::kMissing;
        seen.detail = who + ": no row in the agent's service table (mimamoriServiceState: " +
                      state.ToString() + ")";
      } else if (state.type != proto::ValueType::kInteger) {
        seen.detail = who + ": mimamoriServiceState is " + state.ToString() + ", not an INTEGER";
      } else {
        seen.kind = Observation::Kind::kState;
        seen.state = StateWords(state.AsInteger());
        if (start.type == proto::ValueType::kInteger) {
          seen.start_mode = StartModeWords(start.AsInteger());
        }
      }
    }
    part.emplace_back(index, std::move(seen));
  }
  return part;
}

CheckResult Judge(const ServiceConfig& config, const ServiceCheck& check, const Observation& seen) {
  CheckResult result;
  result.monitor = "service:" + check.service;
  const std::string subject = "service " + check.service;
  switch (seen.kind) {
    case Observation::Kind::kState:
      result.status = seen.state == "Running" ? Status::kOk : Status::kCritical;
      result.reason = subject + " is " + seen.state;
      if (!seen.start_mode.empty()) result.reason += " (StartMode " + seen.start_mode + ")";
      break;
    case Observation::Kind::kMissing:
      result.status = Status::kCritical;
      result.reason = subject + " does not exist on " + config.node + " (" + seen.detail + ")";
      break;
    case Observation::Kind::kCannotRead:
      result.status = Status::kUnknown;
      result.reason = "cannot read " + subject + ": " + seen.detail;
      break;
  }
  return result;
}

using Answers = std::vector<Gather<Part>::Answer>;

CheckReport Report(const ServiceConfig& config, const Answers& answers) {
  std::vector<Observation> seen(config.checks.size());
  for (const auto& answer : answers) {
    for (const auto& [index, observation] : answer.outcome) seen[index] = observation;
  }
  CheckReport report;
  for (std::size_t i = 0; i < config.checks.size(); ++i) {
    const ServiceCheck& check = config.checks[i];
    report.results.push_back(Judge(config, check, seen[i]));
    if (seen[i].kind != Observation::Kind::kCannotRead) {
      report.measurements.push_back(
          Measurement{"mimamori_service_up",
                      {{"service", check.service}},
                      report.results.back().status == Status::kOk ? 1.0 : 0.0});
    }
  }
  return report;
}

class ServiceMonitor final : public Monitor {
 public:
  ServiceMonitor(std::shared_ptr<const ServiceConfig> config, const Inventory& inventory,
                 MonitorServices& services)
      : config_(std::move(config)),
        interval_(inventory.defaults.intervals.service),
        failure_threshold_(inventory.defaults.failures.service),
        http_(services.http),
        snmp_(services.snmp) {}

  std::string_view Kind() const override { return "service"; }
  const std::string& NodeName() const override { return config_->node; }
  std::chrono::seconds Interval() const override { return interval_; }
  int FailureThreshold() const override { return failure_threshold_; }
  std::size_t CheckCount() const override { return config_->checks.size(); }

  void Start(std::function<void(CheckReport)> done) override {
    const ServiceConfig& config = *config_;
    const std::size_t winrm_count = config.checks.size() - config.via_snmp.size();
    const std::size_t parts = winrm_count + (config.via_snmp.empty() ? 0 : 1);
    auto run = std::make_shared<Gather<Part>>(
        parts, [config = config_, done = std::move(done)](Answers answers) {
          done(Report(*config, answers));
        });
    std::size_t part = 0;
    for (std::size_t i = 0; i < config.checks.size(); ++i) {
      if (config.checks[i].via != ServiceVia::kWinRm) continue;
      const std::size_t slot = part++;
      GetWindowsService(http_, config.winrm[i], config.checks[i].service,
                        [run, slot, i, config = config_](WinRmServiceReply reply) {
                          run->Record(slot, Part{{i, FromWinRm(*config, i, reply)}});
                        });
    }
    if (config.via_snmp.empty()) return;
    const std::size_t slot = part;
    std::vector<proto::Oid> oids;
    for (std::size_t index : config.via_snmp) {
      oids.push_back(ServiceTableOid(kColumnState, config.checks[index].service));
      oids.push_back(ServiceTableOid(kColumnStartType, config.checks[index].service));
    }
    try {
      snmp_.Get(config.snmp, std::move(oids), [run, slot, config = config_](SnmpResult result) {
        run->Record(slot, FromSnmp(*config, result));
      });
    } catch (const std::exception& e) {
      SnmpResult failed;
      failed.error = e.what();
      run->Record(slot, FromSnmp(config, failed));
    }
  }

 private:
  const std::shared_ptr<const ServiceConfig> config_;
  const std::chrono::seconds interval_;
  const int failure_threshold_;
  HttpClient& http_;
  SnmpClient& snmp_;
};

}  // namespace

proto::Oid ServiceTableOid(std::uint32_t column, const std::string& service) {
  return kMimamoriServiceEntry.Child({column}).Child(proto::StringIndex(service));
}

std::vector<std::unique_ptr<Monitor>> MakeServiceMonitors(const Node& node,
                                                          const Inventory& inventory,
                                                          MonitorServices& services) {
  std::vector<std::unique_ptr<Monitor>> monitors;
  if (node.services.empty()) return monitors;
  auto config = std::make_shared<ServiceConfig>();
  config->node = node.name;
  config->address = node.address;
  config->snmp = SnmpTarget{node.name, node.address, node.snmp};
  config->checks = node.services;
  for (std::size_t i = 0; i < node.services.size(); ++i) {
    const ServiceCheck& check = node.services[i];
    WinRmTarget target;
    target.node = node.name;
    target.address = node.address;
    target.port = check.port;
    target.https = check.https;
    target.verify_tls = check.verify_tls;
    target.ca_file = check.ca_file;
    target.user = check.user;
    target.password_file = check.password_file;
    target.password_env = check.password_env;
    target.timeout = check.timeout;
    target.retries = check.retries;
    config->winrm.push_back(std::move(target));
    if (check.via == ServiceVia::kSnmp) config->via_snmp.push_back(i);
  }
  monitors.push_back(std::make_unique<ServiceMonitor>(std::move(config), inventory, services));
  return monitors;
}

}  // namespace mimamori::collector
