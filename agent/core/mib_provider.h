// The interface every MIB subtree of the agent implements.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "mimamori/proto/oid.h"
#include "mimamori/proto/value.h"

namespace mimamori::agent {

/// Collects the instances of one provider. Entries may be added in any order;
/// the MibView sorts them once per snapshot. Also records which objects
/// (scalars, table columns) exist so that a Get on a missing row answers
/// noSuchInstance and a Get on an unknown object noSuchObject, as snmpd does.
class MibWriter {
 public:
  /// A scalar: the instance is `object`.0.
  void Scalar(const proto::Oid& object, proto::Value value);
  /// A table cell: the instance is `column`.`index...`.
  void Cell(const proto::Oid& column, std::span<const std::uint32_t> index, proto::Value value);
  void Cell(const proto::Oid& column, std::initializer_list<std::uint32_t> index,
            proto::Value value) {
    Cell(column, std::span<const std::uint32_t>(index.begin(), index.size()), std::move(value));
  }
  /// Marks a column as existing even when its table has no rows right now.
  void DeclareObject(const proto::Oid& object);

  std::vector<proto::VarBind>& entries() { return entries_; }
  std::vector<proto::Oid>& objects() { return objects_; }

 private:
  std::vector<proto::VarBind> entries_;
  std::vector<proto::Oid> objects_;
};

/// One MIB subtree (or a few subtrees fed by the same data). Implementations
/// live one per file in agent/mib/ and are listed in agent/mib/registry.cc.
/// All calls come from the agent's event-loop thread.
class MibProvider {
 public:
  virtual ~MibProvider() = default;

  /// Short name for logs ("host-resources-storage").
  virtual std::string_view Name() const = 0;

  /// The subtrees this provider answers for. They must not overlap any other
  /// provider's; the registry checks that at start.
  virtual std::vector<proto::Oid> Roots() const = 0;

  /// Writes every instance below Roots() as of now. Called when the cached
  /// snapshot has expired (or on every request when Volatile()).
  virtual void Collect(MibWriter& out) = 0;

  /// True when values must be fresh on every request (the snmp group's
  /// counters). Such providers must be cheap to collect.
  virtual bool Volatile() const { return false; }

  /// Subtrees (disjoint from Roots() and every other provider's) whose few
  /// values change on every request (sysUpTime, hrSystemDate), collected by
  /// CollectVolatile() once per request while the rest of the provider stays
  /// cached. Lets a provider keep one clock value fresh without re-reading
  /// everything else per request.
  virtual std::vector<proto::Oid> VolatileRoots() const { return {}; }
  virtual void CollectVolatile(MibWriter& /*out*/) {}

  /// Called every few seconds by the agent's timer so that providers can keep
  /// a history (CPU load over the last minute). Default: nothing.
  virtual void Sample() {}
};

}  // namespace mimamori::agent
