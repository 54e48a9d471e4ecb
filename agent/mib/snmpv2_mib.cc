#include "agent/mib/snmpv2_mib.h"

#include <array>

namespace mimamori::agent {

using proto::Oid;
using proto::Value;

const Oid kMimamoriMib{1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 3863};
const Oid kMimamoriAgentLinux = kMimamoriMib.Child({1, 1});
const Oid kMimamoriAgentWindows = kMimamoriMib.Child({1, 2});
const Oid kMimamoriAgentObjects = kMimamoriMib.Child({2});

namespace {

const Oid kSystem{1, 3, 6, 1, 2, 1, 1};
const Oid kSnmp{1, 3, 6, 1, 2, 1, 11};
const Oid kSysOREntry = kSystem.Child({9, 1});

// The MIB modules this agent implements, for sysORTable (what snmpd lists
// there is its own module set; ours is this).
struct ModuleRow {
  Oid id;
  const char* description;
};
const std::array<ModuleRow, 7> kModules = {{
    {{1, 3, 6, 1, 6, 3, 1}, "The MIB module for SNMPv2 entities"},
    {{1, 3, 6, 1, 2, 1, 25, 7, 1}, "The MIB module for host resources (HOST-RESOURCES-MIB)"},
    {{1, 3, 6, 1, 2, 1, 31},
     "The MIB module to describe generic objects for network interface sub-layers"},
    {{1, 3, 6, 1, 2, 1, 49}, "The MIB module for managing TCP implementations"},
    {{1, 3, 6, 1, 2, 1, 50}, "The MIB module for managing UDP implementations"},
    {{1, 3, 6, 1, 4, 1, 2021}, "The UCD-SNMP-MIB module (CPU, memory, load and disk)"},
    {{1, 3, 6, 1, 4, 1, 2021, 13, 15}, "The UCD-DISKIO-MIB module (block device I/O)"},
}};

class SnmpV2MibProvider final : public MibProvider {
 public:
  explicit SnmpV2MibProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "snmpv2-mib"; }
  // Everything of the system group but sysUpTime is cached like any table;
  // sysUpTime alone is read per request, and the snmp counters are a
  // provider of their own that is collected per request.
  std::vector<Oid> Roots() const override {
    return {kSystem.Child({1}), kSystem.Child({2}), kSystem.Child({4}), kSystem.Child({5}),
            kSystem.Child({6}), kSystem.Child({7}), kSystem.Child({8}), kSystem.Child({9})};
  }
  std::vector<Oid> VolatileRoots() const override { return {kSystem.Child({3})}; }
  void CollectVolatile(MibWriter& out) override {
    out.Scalar(kSystem.Child({3}), Value::TimeTicks(AgentUptimeTicks()));
  }

  void Collect(MibWriter& out) override {
    const SystemIdentity id = context_.host.Identity();
    const SystemSettings& settings = context_.system;
    // The same text as snmpd (uname's five fields joined by spaces) or as the
    // Windows SNMP service ("Hardware: ... - Software: Windows Version ...").
    // Hinemos and Zabbix pick their collection method by matching
    // ".*inux.*" / ".*indows.*" here (docs/agent-windows.md).
    out.Scalar(kSystem.Child({1}),
               Value::OctetString(!id.description.empty()
                                      ? id.description
                                      : id.sysname + " " + id.nodename + " " + id.release + " " +
                                            id.version + " " + id.machine));
    out.Scalar(kSystem.Child({2}),
               Value::ObjectId(id.family == OsFamily::kWindows ? kMimamoriAgentWindows
                                                               : kMimamoriAgentLinux));
    out.Scalar(kSystem.Child({4}),
               Value::OctetString(settings.contact.empty() ? "root" : settings.contact));
    out.Scalar(kSystem.Child({5}),
               Value::OctetString(settings.name.empty() ? id.nodename : settings.name));
    out.Scalar(kSystem.Child({6}),
               Value::OctetString(settings.location.empty() ? "Unknown" : settings.location));
    // sysServices: applications (64) + end-to-end (8), as snmpd on a host.
    out.Scalar(kSystem.Child({7}), Value::Integer(72));
    out.Scalar(kSystem.Child({8}), Value::TimeTicks(0));  // sysORLastChange: fixed at start
    for (std::uint32_t i = 0; i < kModules.size(); ++i) {
      const std::uint32_t index = i + 1;
      out.Cell(kSysOREntry.Child({1}), {index}, Value::Integer(static_cast<std::int32_t>(index)));
    }
    for (std::uint32_t i = 0; i < kModules.size(); ++i) {
      out.Cell(kSysOREntry.Child({2}), {i + 1}, Value::ObjectId(kModules[i].id));
      out.Cell(kSysOREntry.Child({3}), {i + 1}, Value::OctetString(kModules[i].description));
      out.Cell(kSysOREntry.Child({4}), {i + 1}, Value::TimeTicks(0));
    }
  }

 private:
  std::uint32_t AgentUptimeTicks() const {
    const auto elapsed = context_.now() - context_.agent_start;
    const auto ticks = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() / 10;
    return static_cast<std::uint32_t>(ticks);  // wraps after 497 days, as TimeTicks do
  }

  const ProviderContext& context_;
};

/// The snmp group's counters change with every packet, so they are read per
/// request; they are kept apart from the system group so that a Get of
/// sysName does not rebuild them.
class SnmpCountersProvider final : public MibProvider {
 public:
  explicit SnmpCountersProvider(const ProviderContext& context) : context_(context) {}
  std::string_view Name() const override { return "snmpv2-mib-snmp"; }
  std::vector<Oid> Roots() const override { return {kSnmp}; }
  bool Volatile() const override { return true; }

  void Collect(MibWriter& out) override {
    const SnmpCounters& c = context_.counters;
    const std::pair<std::uint32_t, std::uint32_t> counters[] = {
        {1, c.in_pkts},
        {2, c.out_pkts},
        {3, c.in_bad_versions},
        {4, c.in_bad_community_names},
        {5, c.in_bad_community_uses},
        {6, c.in_asn_parse_errs},
        {8, c.in_too_bigs},
        {9, c.in_no_such_names},
        {10, c.in_bad_values},
        {11, c.in_read_onlys},
        {12, c.in_gen_errs},
        {13, c.in_total_req_vars},
        {14, c.in_total_set_vars},
        {15, c.in_get_requests},
        {16, c.in_get_nexts},
        {17, c.in_set_requests},
        {18, c.in_get_responses},
        {19, c.in_traps},
        {20, c.out_too_bigs},
        {21, c.out_no_such_names},
        {22, c.out_bad_values},
        {24, c.out_gen_errs},
        {25, c.out_get_requests},
        {26, c.out_get_nexts},
        {27, c.out_set_requests},
        {28, c.out_get_responses},
        {29, c.out_traps},
        {31, c.silent_drops},
        {32, c.proxy_drops},
    };
    for (const auto& [arc, value] : counters)
      out.Scalar(kSnmp.Child({arc}), Value::Counter32(value));
    // snmpEnableAuthenTraps: disabled(2); the agent sends no traps.
    out.Scalar(kSnmp.Child({30}), Value::Integer(2));
  }

 private:
  const ProviderContext& context_;
};

class MimamoriMibProvider final : public MibProvider {
 public:
  explicit MimamoriMibProvider(const ProviderContext& context) : context_(context) {}
  std::string_view Name() const override { return "mimamori-mib"; }
  // Only the counter: the service table beside it (mimamoriAgentObjects.2)
  // is a provider of its own.
  std::vector<Oid> Roots() const override { return {kMimamoriAgentObjects.Child({1})}; }
  bool Volatile() const override { return true; }
  void Collect(MibWriter& out) override {
    out.Scalar(kMimamoriAgentObjects.Child({1}),
               Value::Counter32(context_.counters.denied_sources));
  }

 private:
  const ProviderContext& context_;
};

}  // namespace

std::unique_ptr<MibProvider> MakeSnmpV2MibProvider(const ProviderContext& context) {
  return std::make_unique<SnmpV2MibProvider>(context);
}

std::unique_ptr<MibProvider> MakeSnmpCountersProvider(const ProviderContext& context) {
  return std::make_unique<SnmpCountersProvider>(context);
}

std::unique_ptr<MibProvider> MakeMimamoriMibProvider(const ProviderContext& context) {
  return std::make_unique<MimamoriMibProvider>(context);
}

}  // namespace mimamori::agent
