#include "collector/monitors/time_monitor.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "collector/net/snmp_client.h"
#include "mimamori/proto/oid.h"
#include "mimamori/proto/value.h"

namespace mimamori::collector {
namespace {

using proto::Oid;
using proto::ValueType;

const Oid kHrSystemDate{1, 3, 6, 1, 2, 1, 25, 1, 2, 0};

std::string Seconds(double seconds) {
  char text[64];
  // Whole seconds read best; below 10 s the tenths matter.
  std::snprintf(text, sizeof text, std::fabs(seconds) < 10 ? "%.1f" : "%.0f", seconds);
  return text;
}

std::string Hex(std::string_view octets) {
  std::string out;
  char byte[4];
  for (unsigned char c : octets) {
    std::snprintf(byte, sizeof byte, "%s%02X", out.empty() ? "" : " ", c);
    out += byte;
  }
  return out;
}

struct Config {
  std::string node;
  std::string address;
  SnmpTarget target;
  TimeSyncSettings settings;
  std::chrono::seconds interval{300};
  int failure_threshold = 1;

  std::string Who() const { return "snmp time " + node + " (" + address + ")"; }
};

CheckResult Judge(const Config& config, const SnmpResult& get, TimePoint sent, TimePoint received,
                  CheckReport& report) {
  CheckResult result;
  result.monitor = "time";
  result.status = Status::kUnknown;
  if (!get.ok) {
    result.reason =
        config.Who() + ": get hrSystemDate: " + (get.error.empty() ? "failed" : get.error);
    return result;
  }
  if (get.varbinds.empty() || get.varbinds[0].value.type != ValueType::kOctetString) {
    result.reason =
        config.Who() + ": the agent does not serve hrSystemDate (.1.3.6.1.2.1.25.1.2.0)";
    return result;
  }
  const std::string& octets = get.varbinds[0].value.bytes;
  const DateAndTime date = ParseDateAndTime(octets);
  if (!date.time) {
    result.reason =
        config.Who() + ": hrSystemDate " + Hex(octets) + " is not a DateAndTime: " + date.error;
    return result;
  }
  using Seconds_ = std::chrono::duration<double>;
  const Seconds_ round_trip = std::chrono::duration_cast<Seconds_>(received - sent);
  const TimePoint middle = sent + std::chrono::duration_cast<TimePoint::duration>(round_trip / 2);
  const double skew = std::chrono::duration_cast<Seconds_>(*date.time - middle).count();
  const double beyond_doubt = std::fabs(skew) - round_trip.count() / 2;
  const auto warning = static_cast<double>(config.settings.warning.count());
  const auto critical = static_cast<double>(config.settings.critical.count());
  result.value = skew;
  report.measurements.push_back({"mimamori_clock_skew_seconds", {}, skew});

  std::string text = "clock " + Seconds(std::fabs(skew)) + " s " +
                     (skew >= 0 ? "ahead of" : "behind") + " the collector";
  if (beyond_doubt > critical) {
    result.status = Status::kCritical;
    text += " (critical over " + std::to_string(config.settings.critical.count()) + " s";
  } else if (beyond_doubt > warning) {
    result.status = Status::kWarning;
    text += " (warning over " + std::to_string(config.settings.warning.count()) + " s";
  } else {
    result.status = Status::kOk;
    text += " (within " + std::to_string(config.settings.warning.count()) + " s";
  }
  text += "; round trip " + Seconds(round_trip.count()) + " s";
  if (!date.has_zone) text += "; no time zone sent, read as Asia/Tokyo";
  result.reason = text + ")";
  return result;
}

class TimeMonitor final : public Monitor {
 public:
  TimeMonitor(std::shared_ptr<const Config> config, MonitorServices& services)
      : config_(std::move(config)), snmp_(services.snmp), clock_(services.clock) {}

  std::string_view Kind() const override { return "time"; }
  const std::string& NodeName() const override { return config_->node; }
  std::chrono::seconds Interval() const override { return config_->interval; }
  int FailureThreshold() const override { return config_->failure_threshold; }

  void Start(std::function<void(CheckReport)> done) override {
    const TimePoint sent = clock_.Now();
    // The clock outlives monitors (MonitorServices); the config is shared.
    snmp_.Get(config_->target, {kHrSystemDate},
              [config = config_, &clock = clock_, sent, done = std::move(done)](SnmpResult get) {
                const TimePoint received = clock.Now();
                CheckReport report;
                report.results.push_back(Judge(*config, get, sent, received, report));
                done(std::move(report));
              });
  }

 private:
  std::shared_ptr<const Config> config_;
  SnmpClient& snmp_;
  const Clock& clock_;
};

}  // namespace

DateAndTime ParseDateAndTime(std::string_view octets, std::chrono::minutes zoneless_offset) {
  DateAndTime out;
  if (octets.size() != 8 && octets.size() != 11) {
    out.error = std::to_string(octets.size()) + " octets, expected 8 or 11";
    return out;
  }
  const auto octet = [&](std::size_t i) { return static_cast<unsigned char>(octets[i]); };
  const int year = octet(0) * 256 + octet(1);
  const unsigned month = octet(2), day = octet(3), hour = octet(4), minute = octet(5),
                 second = octet(6), deci = octet(7);
  const auto bad = [&](const char* field, unsigned value) {
    out.error = std::string(field) + " " + std::to_string(value) + " is out of range";
    return out;
  };
  if (month < 1 || month > 12) return bad("month", month);
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                         std::chrono::day(day)};
  if (!date.ok()) {
    out.error = "day " + std::to_string(day) + " does not exist in " + std::to_string(year) + "-" +
                std::to_string(month);
    return out;
  }
  if (hour > 23) return bad("hour", hour);
  if (minute > 59) return bad("minutes", minute);
  if (second > 60) return bad("seconds", second);
  if (deci > 9) return bad("deci-seconds", deci);
  std::chrono::minutes offset = zoneless_offset;
  if (octets.size() == 11) {
    const char direction = octets[8];
    const unsigned zone_hours = octet(9), zone_minutes = octet(10);
    if (direction != '+' && direction != '-') {
      out.error = "direction from UTC is " + Hex(octets.substr(8, 1)) + ", expected '+' or '-'";
      return out;
    }
    if (zone_hours > 14) return bad("hours from UTC", zone_hours);
    if (zone_minutes > 59) return bad("minutes from UTC", zone_minutes);
    offset = std::chrono::hours(zone_hours) + std::chrono::minutes(zone_minutes);
    if (direction == '-') offset = -offset;
    out.has_zone = true;
  }
  // A leap second (60) is read as the next second's start: within the
  // second it is right, which is far below any skew worth reporting.
  const auto local = std::chrono::sys_days(date) + std::chrono::hours(hour) +
                     std::chrono::minutes(minute) + std::chrono::seconds(second) +
                     std::chrono::milliseconds(100 * deci);
  out.time = std::chrono::time_point_cast<TimePoint::duration>(local - offset);
  return out;
}

std::vector<std::unique_ptr<Monitor>> MakeTimeMonitors(const Node& node, const Inventory& inventory,
                                                       MonitorServices& services) {
  std::vector<std::unique_ptr<Monitor>> monitors;
  if (!node.time_sync.enabled.value_or(node.resource)) return monitors;
  auto config = std::make_shared<Config>();
  config->node = node.name;
  config->address = node.address;
  config->target = SnmpTarget{node.name, node.address, node.snmp};
  config->settings = node.time_sync;
  config->interval = inventory.defaults.intervals.time;
  config->failure_threshold = inventory.defaults.failures.time;
  monitors.push_back(std::make_unique<TimeMonitor>(std::move(config), services));
  return monitors;
}

}  // namespace mimamori::collector
