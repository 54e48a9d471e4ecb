// The agent's whole MIB: routes Get/GetNext to providers and caches their snapshots.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/core/mib_provider.h"

namespace mimamori::agent {

/// Owns the providers and one cached, sorted snapshot per provider. A snapshot
/// lives `cache_lifetime` so that one walk sees one consistent table and does
/// not re-read /proc per row. Single-threaded (the event loop).
class MibView {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  /// Throws std::invalid_argument when two providers' roots overlap (a
  /// programming error in the registry, caught by a unit test).
  MibView(std::vector<std::unique_ptr<MibProvider>> providers,
          std::chrono::milliseconds cache_lifetime, Clock clock);

  /// The value of exactly `oid`, or noSuchObject / noSuchInstance.
  proto::Value Get(const proto::Oid& oid);

  /// The first instance strictly after `oid`, or nullopt at the end of the MIB.
  std::optional<proto::VarBind> GetNext(const proto::Oid& oid);

  /// Marks the start of a new request: volatile providers are collected at
  /// most once per request (all varbinds of one request see one reading),
  /// and not once per varbind.
  void BeginRequest() {
    ++request_;
    request_time_ = clock_();
  }

  /// Forwards to every provider's Sample().
  void Sample();

  void set_cache_lifetime(std::chrono::milliseconds lifetime) { cache_lifetime_ = lifetime; }

  /// Drops every cached snapshot (tests; config reload).
  void Invalidate();

 private:
  // A provider is served as one or two parts: its cached Roots(), and its
  // VolatileRoots() collected per request.
  struct Part {
    std::size_t provider;
    bool volatile_roots;
    bool collected_per_request;
    std::vector<proto::Oid> roots;
  };
  struct Snapshot {
    std::vector<proto::VarBind> entries;  // sorted by oid
    std::vector<proto::Oid> objects;      // sorted
    std::chrono::steady_clock::time_point taken{};
    std::uint64_t request = 0;  // BeginRequest() count when taken
    bool valid = false;
  };
  struct Route {
    proto::Oid root;
    std::size_t part;
  };

  const Snapshot& Fresh(std::size_t part);

  std::vector<std::unique_ptr<MibProvider>> providers_;
  std::vector<Part> parts_;
  std::vector<Snapshot> snapshots_;  // one per part
  std::vector<Route> routes_;        // sorted by root
  std::chrono::milliseconds cache_lifetime_;
  Clock clock_;
  std::uint64_t request_ = 0;
  std::chrono::steady_clock::time_point request_time_{};
  // Where recent GetNexts ended (part, index): a walk asks next for the
  // successor of what it was just given, which is then found without a
  // search. A few slots, because a GetBulk walks several columns in turn.
  struct Hint {
    std::size_t part = SIZE_MAX;
    std::size_t index = 0;
  };
  std::array<Hint, 8> hints_{};
  std::size_t next_hint_ = 0;
};

}  // namespace mimamori::agent
