// The collector's ICMP seam.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "collector/inventory/inventory.h"

namespace mimamori::collector {

struct PingOutcome {
  int sent = 0;
  int received = 0;
  std::vector<std::chrono::microseconds> round_trips;  ///< one per reply
  std::string error;  ///< e.g. "cannot resolve db01.example"; empty otherwise
};

/// ICMP echo to many targets from one socket per address family.
/// Callbacks run on the pinger's thread. Thread-safe.
class Pinger {
 public:
  virtual ~Pinger() = default;
  virtual void Ping(const std::string& address, const PingSettings& settings,
                    std::function<void(PingOutcome)> done) = 0;
};

}  // namespace mimamori::collector
