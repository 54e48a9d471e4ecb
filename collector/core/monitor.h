// The interface every monitor kind implements, and what it may use.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collector/core/check.h"
#include "collector/core/clock.h"
#include "collector/inventory/inventory.h"

namespace mimamori::collector {

class Pinger;
class SnmpClient;
class HttpClient;
class TcpProbe;
class MessageBoard;

/// The shared network engines. Each is one object for the whole collector
/// (one ICMP socket, one SNMP poller thread, one curl multi handle), so that
/// thousands of nodes do not mean thousands of sockets or threads.
struct MonitorServices {
  Pinger& pinger;
  SnmpClient& snmp;
  HttpClient& http;
  TcpProbe& tcp;
  const Clock& clock;
  /// What the syslog and trap receivers heard; null where none runs (the
  /// message monitors then report UNKNOWN).
  MessageBoard* messages = nullptr;
};

/// One monitor kind of one node: e.g. all process checks of web01 (so they
/// share one walk of its process table). Implementations live one per file
/// in collector/monitors/ and are listed in collector/monitors/registry.cc.
///
/// The scheduler owns monitors, calls Start() at most once at a time per
/// monitor, times the run and publishes its duration and outcome; the
/// monitor only checks and judges.
class Monitor {
 public:
  virtual ~Monitor() = default;

  /// Registry name: "ping", "process", "port", "service", "web", "resource".
  virtual std::string_view Kind() const = 0;
  virtual const std::string& NodeName() const = 0;
  virtual std::chrono::seconds Interval() const = 0;
  /// Consecutive failed checks that confirm a failure (2 for ping and port).
  virtual int FailureThreshold() const = 0;
  /// How many inventory checks one run covers: one per process, port,
  /// service or URL; ping and resource (CPU, memory and every disk in one
  /// walk) are one each. `--check-config` adds these up over what the
  /// registry creates, so it counts only checks that really run.
  virtual std::size_t CheckCount() const { return 1; }

  /// Starts one check. `done` is called exactly once, from any thread, with
  /// one CheckResult per watched item (never throws; a failure to check is a
  /// kUnknown result with the reason).
  virtual void Start(std::function<void(CheckReport)> done) = 0;
};

/// Creates the monitors of one kind for one node (none when the node has
/// nothing of that kind, e.g. no ports). The inventory outlives them.
using MonitorFactory = std::vector<std::unique_ptr<Monitor>> (*)(const Node& node,
                                                                 const Inventory& inventory,
                                                                 MonitorServices& services);

}  // namespace mimamori::collector
