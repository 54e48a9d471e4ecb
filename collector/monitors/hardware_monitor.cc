#include "collector/monitors/hardware_monitor.h"

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "collector/net/snmp_client.h"
#include "mimamori/proto/oid.h"
#include "mimamori/proto/value.h"
#include "re2/re2.h"

namespace mimamori::collector {
namespace {

using proto::Oid;
using proto::Value;
using proto::ValueType;
using proto::VarBind;

const Oid kHrDeviceDescr{1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3};
const Oid kHrDeviceStatus{1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 5};
const Oid kEntPhysicalName{1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 7};
const Oid kEntPhySensorOperStatus{1, 3, 6, 1, 2, 1, 99, 1, 1, 1, 5};

struct Config {
  std::string node;
  std::string address;
  SnmpTarget target;
  std::chrono::seconds interval{300};
  int failure_threshold = 1;
  std::vector<std::shared_ptr<const RE2>> ignore;

  std::string Who() const { return "snmp hardware " + node + " (" + address + ")"; }
  bool Ignored(const std::string& name) const {
    for (const auto& pattern : ignore) {
      if (RE2::FullMatch(name, *pattern)) return true;
    }
    return false;
  }
};

// The result names of the last good walk, so a failed one names them.
struct History {
  std::mutex mutex;
  std::vector<std::string> monitors;
};

std::optional<std::int64_t> Integer(const Value& value) {
  if (value.type != ValueType::kInteger) return std::nullopt;
  return value.AsInteger();
}

// Rows of one column keyed by their index (the OID after the column).
std::map<Oid, const Value*> Column(const std::vector<VarBind>& varbinds, const Oid& column) {
  std::map<Oid, const Value*> rows;
  for (const VarBind& vb : varbinds) {
    if (vb.oid.size() <= column.size() || !vb.oid.StartsWith(column)) continue;
    const auto tail = vb.oid.arcs().subspan(column.size());
    rows[Oid(std::vector<std::uint32_t>(tail.begin(), tail.end()))] = &vb.value;
  }
  return rows;
}

std::string IndexText(const Oid& index) {
  std::string text = index.ToString();
  if (!text.empty() && text[0] == '.') text.erase(0, 1);
  return text;
}

struct Judged {
  Status status;
  std::string state;
};

Judged DeviceState(std::int64_t status) {
  switch (status) {
    case 1:
      return {Status::kOk, "unknown(1): the agent cannot tell its state"};
    case 2:
      return {Status::kOk, "running"};
    case 3:
      return {Status::kWarning, "warning"};
    case 4:
      return {Status::kWarning, "testing"};
    case 5:
      return {Status::kCritical, "down"};
    default:
      return {Status::kUnknown, "an hrDeviceStatus of " + std::to_string(status) +
                                    " that HOST-RESOURCES-MIB does not define"};
  }
}

Judged SensorState(std::int64_t status) {
  switch (status) {
    case 1:
      return {Status::kOk, "ok"};
    case 2:
      return {Status::kWarning, "unavailable"};
    case 3:
      return {Status::kCritical, "nonoperational"};
    default:
      return {Status::kUnknown, "an entPhySensorOperStatus of " + std::to_string(status) +
                                    " that ENTITY-SENSOR-MIB does not define"};
  }
}

CheckReport Judge(const Config& config, History& history, const SnmpResult& walk) {
  CheckReport report;
  auto unknown_all = [&](const std::string& reason) {
    std::vector<std::string> monitors;
    {
      std::lock_guard lock(history.mutex);
      monitors = history.monitors;
    }
    if (monitors.empty()) monitors.push_back("hardware");
    for (std::string& monitor : monitors) {
      report.results.push_back({std::move(monitor), Status::kUnknown, reason, std::nullopt});
    }
  };
  if (!walk.ok) {
    unknown_all(config.Who() + ": walk hrDeviceTable and entPhySensorTable: " +
                (walk.error.empty() ? "failed" : walk.error));
    return report;
  }
  std::set<std::string> taken;
  std::vector<std::string> monitors;
  std::size_t ignored = 0;
  auto add = [&](std::string prefix, std::string name, const Oid& index, const Judged& judged,
                 const std::string& what, std::int64_t raw) {
    std::string monitor = prefix + name;
    if (!taken.insert(monitor).second) {
      monitor += "#" + IndexText(index);
      taken.insert(monitor);
    }
    CheckResult result;
    result.monitor = monitor;
    result.status = judged.status;
    result.value = static_cast<double>(raw);
    result.reason = what + " '" + name + "' (index " + IndexText(index) + "): " + judged.state;
    report.results.push_back(std::move(result));
    report.measurements.push_back(
        {"mimamori_hardware_status", {{"device", monitor}}, static_cast<double>(raw)});
    monitors.push_back(std::move(monitor));
  };

  const auto descrs = Column(walk.varbinds, kHrDeviceDescr);
  for (const auto& [index, value] : Column(walk.varbinds, kHrDeviceStatus)) {
    auto descr = descrs.find(index);
    std::string name = descr != descrs.end() && descr->second->type == ValueType::kOctetString &&
                               !descr->second->bytes.empty()
                           ? descr->second->bytes
                           : "hrDevice " + IndexText(index);
    if (config.Ignored(name)) {
      ++ignored;
      continue;
    }
    const std::optional<std::int64_t> status = Integer(*value);
    const Judged judged = status ? DeviceState(*status)
                                 : Judged{Status::kUnknown, "hrDeviceStatus is not an INTEGER"};
    add("hardware:", std::move(name), index, judged, "device", status.value_or(0));
  }
  const auto names = Column(walk.varbinds, kEntPhysicalName);
  for (const auto& [index, value] : Column(walk.varbinds, kEntPhySensorOperStatus)) {
    auto found = names.find(index);
    std::string name = found != names.end() && found->second->type == ValueType::kOctetString &&
                               !found->second->bytes.empty()
                           ? found->second->bytes
                           : "entPhysical " + IndexText(index);
    if (config.Ignored(name)) {
      ++ignored;
      continue;
    }
    const std::optional<std::int64_t> status = Integer(*value);
    const Judged judged =
        status ? SensorState(*status)
               : Judged{Status::kUnknown, "entPhySensorOperStatus is not an INTEGER"};
    add("hardware:sensor ", std::move(name), index, judged, "sensor", status.value_or(0));
  }
  if (report.results.empty() && ignored == 0) {
    // An empty answer is no sign of healthy hardware.
    unknown_all(config.Who() +
                (descrs.empty() ? ": the agent serves neither hrDeviceTable (HOST-RESOURCES-MIB) "
                                  "nor entPhySensorTable (ENTITY-SENSOR-MIB)"
                                : ": the agent lists devices (hrDeviceDescr) but no "
                                  "hrDeviceStatus"));
    return report;
  }
  std::lock_guard lock(history.mutex);
  history.monitors = std::move(monitors);
  return report;
}

class HardwareMonitor final : public Monitor {
 public:
  HardwareMonitor(std::shared_ptr<const Config> config, SnmpClient& snmp)
      : config_(std::move(config)), snmp_(snmp) {}

  std::string_view Kind() const override { return "hardware"; }
  const std::string& NodeName() const override { return config_->node; }
  std::chrono::seconds Interval() const override { return config_->interval; }
  int FailureThreshold() const override { return config_->failure_threshold; }

  void Start(std::function<void(CheckReport)> done) override {
    snmp_.Walk(config_->target,
               {kHrDeviceDescr, kHrDeviceStatus, kEntPhysicalName, kEntPhySensorOperStatus},
               [config = config_, history = history_, done = std::move(done)](SnmpResult result) {
                 done(Judge(*config, *history, result));
               });
  }

 private:
  std::shared_ptr<const Config> config_;
  std::shared_ptr<History> history_ = std::make_shared<History>();
  SnmpClient& snmp_;
};

}  // namespace

std::vector<std::unique_ptr<Monitor>> MakeHardwareMonitors(const Node& node,
                                                           const Inventory& inventory,
                                                           MonitorServices& services) {
  std::vector<std::unique_ptr<Monitor>> monitors;
  if (!node.hardware) return monitors;
  auto config = std::make_shared<Config>();
  config->node = node.name;
  config->address = node.address;
  config->target = SnmpTarget{node.name, node.address, node.snmp};
  config->interval = inventory.defaults.intervals.hardware;
  config->failure_threshold = inventory.defaults.failures.hardware;
  for (const std::string& pattern : node.hardware_ignore) {
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const RE2>(pattern, options);
    // The loader checked it; an inventory built by hand may not have been.
    if (re->ok()) config->ignore.push_back(std::move(re));
  }
  monitors.push_back(std::make_unique<HardwareMonitor>(std::move(config), services.snmp));
  return monitors;
}

}  // namespace mimamori::collector
