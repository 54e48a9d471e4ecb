// The inventory: what the collector watches, decoded from YAML into plain
// structs with the spec's defaults filled in first (../shared/spec
// MONITORING-SPEC.md section 1 and 2).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mimamori::collector {

/// Service level of a system (spec section 2). C-dev is level C used for
/// development/test: watched in business hours only and never pinged.
enum class ServiceLevel { kA, kB, kC, kCDev };

enum class NodeKind { kVm, kEsxiHost, kStorage, kNetwork, kVcenter, kMonitoringServer };

std::string_view ServiceLevelName(ServiceLevel level);  ///< "A", "B", "C", "C-dev"
std::string_view NodeKindName(NodeKind kind);           ///< "vm", "esxi-host", ...

struct Owner {
  std::string name;
  std::string mail;
};

struct System {
  std::string name;
  ServiceLevel level = ServiceLevel::kA;
  std::vector<Owner> owners;
};

/// Warning and critical levels in percent; a value at or over the level
/// (>=) is that state (spec: "usage at or over a threshold").
struct Threshold {
  double warning = 0;
  double critical = 0;
  friend bool operator==(const Threshold&, const Threshold&) = default;
};

struct Thresholds {
  Threshold cpu{75, 90};
  Threshold memory{90, 95};
  Threshold disk{75, 85};
  /// Per file system (mount point) overrides of `disk`.
  std::map<std::string, Threshold> disk_by_mount;
  /// The threshold that applies to one mount point.
  const Threshold& DiskFor(const std::string& mount) const {
    auto it = disk_by_mount.find(mount);
    return it == disk_by_mount.end() ? disk : it->second;
  }
};

struct SnmpSettings {
  std::string version = "2c";  ///< only "2c" is accepted for now
  std::string community = "MieKiban";
  std::uint16_t port = 161;
  std::chrono::milliseconds timeout{3000};
  int retries = 1;
};

struct PingSettings {
  int packets = 1;                           ///< echo requests per check (Hinemos: 1)
  std::chrono::milliseconds timeout{5000};   ///< wait for each reply (Hinemos: 5 s)
  std::chrono::milliseconds interval{1000};  ///< between packets of one check
  /// Optional RTT / loss levels (Hinemos: warning RTT >= 1 s or loss >= 1 %,
  /// critical RTT >= 3 s or loss >= 51 %); unset = only up/down.
  std::optional<std::chrono::milliseconds> rtt_warning, rtt_critical;
  std::optional<double> loss_warning_percent, loss_critical_percent;
};

struct ProcessCheck {
  std::string name;              ///< monitor label, e.g. "sshd"
  std::string command;           ///< regex fully matching hrSWRunPath (or hrSWRunName if empty)
  std::string arguments = ".*";  ///< regex fully matching hrSWRunParameters
  bool case_insensitive = false;
  int min_count = 1;  ///< allowed number of matching processes (Hinemos: 1 to 99)
  int max_count = 99;
};

struct PortCheck {
  std::uint16_t port = 0;
  std::string name;  ///< label; default "tcp/PORT"
  std::chrono::milliseconds timeout{5000};
};

/// A Windows service watched through WinRM (used by a later issue).
struct ServiceCheck {
  std::string service;  ///< the service name, e.g. "W3SVC"
  std::string user;
  std::string password_file;  ///< or password_env; never the password itself
  std::string password_env;
  std::uint16_t port = 5985;
  bool https = false;
  std::chrono::milliseconds timeout{5000};
  int retries = 1;
};

struct WebCheck {
  std::string name;  ///< label; default the URL
  std::string url;
  int expected_status = 200;  ///< Hinemos: only 200 is OK
  std::string body_regex;     ///< empty: body not checked; else must match (search)
  std::chrono::milliseconds timeout{5000};
};

struct Node {
  std::string name;
  std::string address;  ///< IPv4, IPv6 or DNS name
  NodeKind kind = NodeKind::kVm;
  std::string host;    ///< the ESXi host a VM runs on (node name), may be empty
  std::string system;  ///< System::name, may be empty for infrastructure
  std::string os;      ///< free text, e.g. "RHEL 9", "Windows Server 2022"
  SnmpSettings snmp;
  PingSettings ping;
  bool resource = true;  ///< poll CPU/memory/disk through SNMP
  std::vector<ProcessCheck> processes;
  std::vector<PortCheck> ports;
  std::vector<ServiceCheck> services;
  std::vector<WebCheck> web;
  Thresholds thresholds;
  int line = 0;  ///< where it is defined, for messages
};

struct Intervals {
  std::chrono::seconds ping{60};
  std::chrono::seconds process{300};
  std::chrono::seconds port{300};
  std::chrono::seconds service{300};
  std::chrono::seconds web{300};
  std::chrono::seconds resource{300};
};

/// Consecutive failed checks before a monitor's failure is confirmed (spec:
/// "from the first miss on, 2 consecutive" for ping and port).
struct FailureCounts {
  int ping = 2;
  int port = 2;
  int process = 1;
  int service = 1;
  int web = 1;
  int resource = 1;
};

/// When a service level is watched: always (A, B), or business hours only
/// (C, C-dev); and whether nodes of that level are pinged (not C-dev).
struct MonitoringHours {
  bool business_hours_only = false;
  bool ping = true;
};

struct CalendarSettings {
  /// Business hours, local time Asia/Tokyo (UTC+9, no daylight saving).
  int open_minute = 9 * 60;                    ///< 09:00
  int close_minute = 17 * 60 + 45;             ///< 17:45
  std::vector<std::string> extra_closed_days;  ///< "YYYY-MM-DD"
  std::vector<std::string> extra_open_days;    ///< "YYYY-MM-DD"
};

struct Defaults {
  Intervals intervals;
  FailureCounts failures;
  Thresholds thresholds;
  SnmpSettings snmp;
  PingSettings ping;
  std::map<ServiceLevel, MonitoringHours> hours = {
      {ServiceLevel::kA, {false, true}},
      {ServiceLevel::kB, {false, true}},
      {ServiceLevel::kC, {true, true}},
      {ServiceLevel::kCDev, {true, false}},
  };
};

struct MetricsSettings {
  std::string listen = "127.0.0.1:9716";  ///< /metrics and /healthz
};

struct Inventory {
  std::string platform_name = "第三期サーバ仮想基盤";
  Defaults defaults;
  CalendarSettings calendar;
  MetricsSettings metrics;
  std::vector<System> systems;
  std::vector<Node> nodes;
  std::string source;  ///< the file it was read from

  const System* FindSystem(const std::string& name) const;
  const Node* FindNode(const std::string& name) const;
  /// The node's system's service level; infrastructure nodes without a
  /// system (hosts, storage, network) are watched 24x365 like level A.
  ServiceLevel LevelOf(const Node& node) const;
};

}  // namespace mimamori::collector
