// The collector's SnmpClient over Net-SNMP's client library: one poller
// thread multiplexing many single-session (snmp_sess_*) requests.
//
// Net-SNMP is confined to netsnmp_client.cc; this header shows none of it.
// Why a thread of its own rather than the collector's Boost.Asio loop:
// docs/collector-snmp.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "collector/net/snmp_client.h"

namespace mimamori::collector {

struct NetSnmpClientOptions {
  /// Requests (a Get, or a whole Walk) on the wire at once. Each holds one
  /// UDP socket while it runs; the rest wait in arrival order. 256 keeps a
  /// cycle of 10,000 nodes well inside 30 s on a LAN while staying far below
  /// the default 1024 descriptors and the agents' and routers' patience.
  int max_in_flight = 256;
  /// max-repetitions of every GetBulk a Walk sends. 25 rows of three
  /// columns fit one 1500-octet datagram for typical process tables; an
  /// agent that answers tooBig is asked again with half as many.
  int max_repetitions = 25;
  /// A Walk that has collected more varbinds than this is stopped with an
  /// error: a guard against agents that never leave a subtree.
  std::size_t max_walk_varbinds = 200'000;
  /// How long a resolved DNS name is reused (names are resolved off the
  /// poller thread, one at a time, and cached, failures for a tenth of it).
  std::chrono::seconds dns_ttl{300};
};

/// SnmpClient over Net-SNMP, SNMP v2c only (SnmpSettings::version must be
/// "2c"; anything else completes with an error).
///
/// Threads: Get() and Walk() may be called from any thread, also from a
/// callback. Callbacks run on the client's poller thread, one at a time;
/// they must be quick and must not call Shutdown(). Addresses that are DNS
/// names are resolved on a second internal thread, so that a slow resolver
/// never delays other nodes' packets.
///
/// Results: every request completes exactly once. Errors are values in
/// SnmpResult: "timeout after 3 s x 2 tries", "noSuchName (error index 2,
/// .1.3.6.1.4.1.2021.11.53.0)", "cannot resolve db01.example: Name or
/// service not known", "walk .1.3.6.1.2.1.25.4.2.1.2: agent returned
/// .1.3...7 after .1.3...9 (OIDs not increasing)".
///
/// Walk: each root is followed with GetBulk until its varbinds leave the
/// subtree or endOfMibView; several roots are walked side by side in the
/// same GetBulk (table columns travel together). The result lists all
/// varbinds of the first root in OID order, then those of the second, ...;
/// a root with nothing below it contributes nothing.
class NetSnmpClient final : public SnmpClient {
 public:
  /// Initialises Net-SNMP once per process (no MIB files, no snmp.conf, no
  /// persistent state) and starts the threads.
  explicit NetSnmpClient(NetSnmpClientOptions options = {});
  /// Shutdown().
  ~NetSnmpClient() override;
  NetSnmpClient(const NetSnmpClient&) = delete;
  NetSnmpClient& operator=(const NetSnmpClient&) = delete;

  void Get(const SnmpTarget& target, std::vector<proto::Oid> oids,
           std::function<void(SnmpResult)> done) override;
  void Walk(const SnmpTarget& target, std::vector<proto::Oid> roots,
            std::function<void(SnmpResult)> done) override;

  /// Stops both threads. Requests still waiting or on the wire complete with
  /// the error "SNMP client shut down", on the calling thread; later
  /// requests complete the same way at once. Idempotent; not from a callback.
  void Shutdown();

  /// Counters since construction, for benchmarks and logs. Thread-safe.
  struct Stats {
    std::uint64_t requests = 0;   ///< Get and Walk calls completed
    std::uint64_t pdus_sent = 0;  ///< Get/GetBulk PDUs handed to Net-SNMP (not resends)
    std::uint64_t responses = 0;  ///< response PDUs received
    std::uint64_t timeouts = 0;   ///< requests that ended in a timeout
    std::uint64_t errors = 0;     ///< requests that ended in another error
    std::size_t peak_in_flight = 0;
  };
  Stats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mimamori::collector
