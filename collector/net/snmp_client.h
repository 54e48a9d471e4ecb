// The collector's SNMP seam. Only netsnmp_client.cc includes Net-SNMP.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "collector/inventory/inventory.h"
#include "mimamori/proto/value.h"

namespace mimamori::collector {

struct SnmpTarget {
  std::string node;     ///< for logs
  std::string address;  ///< IPv4, IPv6 or DNS name
  SnmpSettings settings;
};

struct SnmpResult {
  bool ok = false;
  bool timeout = false;  ///< no answer after all retries
  std::string error;     ///< "timeout", "authorizationError", "bad address ..."; empty when ok
  std::vector<proto::VarBind> varbinds;
};

/// Asynchronous SNMP v2c requests. Callbacks run on the client's own thread;
/// they must be quick (post work elsewhere). Thread-safe.
class SnmpClient {
 public:
  virtual ~SnmpClient() = default;
  /// One GetRequest for `oids`; varbinds in request order (exceptions kept).
  virtual void Get(const SnmpTarget& target, std::vector<proto::Oid> oids,
                   std::function<void(SnmpResult)> done) = 0;
  /// Walks each subtree with GetBulk; varbinds of all roots, in walk order.
  virtual void Walk(const SnmpTarget& target, std::vector<proto::Oid> roots,
                    std::function<void(SnmpResult)> done) = 0;
};

}  // namespace mimamori::collector
