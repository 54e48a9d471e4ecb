// What one check of a monitor concludes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mimamori::collector {

/// Ordered by badness for "worst of"; kUnknown means the check could not
/// judge (SNMP timeout, node down), not that the target is fine.
enum class Status { kOk = 0, kWarning = 1, kCritical = 2, kUnknown = 3 };

std::string_view StatusName(Status status);  ///< "OK", "WARNING", "CRITICAL", "UNKNOWN"

/// The result for one monitor of a node. A Monitor object may produce several
/// (the resource monitor: "cpu", "memory", "disk:/var").
struct CheckResult {
  std::string monitor;  ///< name within the node: "ping", "process:sshd", "port:22", "cpu", ...
  Status status = Status::kUnknown;
  std::string reason;           ///< for an operator: "CPU 91.2 % >= critical 90 %"
  std::optional<double> value;  ///< the judged number (percent, RTT ms, count, seconds)
};

/// A number to publish on /metrics besides the judgement.
struct Measurement {
  std::string metric;  ///< e.g. "mimamori_ping_rtt_seconds"
  std::vector<std::pair<std::string, std::string>>
      labels;  ///< besides node (added by the framework)
  double value = 0;
};

struct CheckReport {
  std::vector<CheckResult> results;
  std::vector<Measurement> measurements;
};

}  // namespace mimamori::collector
