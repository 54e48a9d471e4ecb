// A recording fake of the collector's SNMP seam: it keeps every request (so a
// test can check what was asked) and answers from a table standing for the
// agent's MIB (so a test can check what was concluded from it).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collector/net/snmp_client.h"
#include "mimamori/proto/oid.h"
#include "mimamori/proto/value.h"

namespace mimamori::collector::testing {

/// Answers synchronously, inside Get()/Walk(), from the table as it is at
/// that moment. Thread-safe, but a test normally drives it from one thread.
class FakeSnmpClient final : public SnmpClient {
 public:
  struct Request {
    bool walk = false;
    SnmpTarget target;
    std::vector<proto::Oid> oids;  ///< Get: the OIDs; Walk: the roots
  };

  /// The agent's objects.
  void Set(const proto::Oid& oid, proto::Value value) {
    std::lock_guard lock(mutex_);
    mib_[oid] = std::move(value);
  }
  /// Removes every object under `prefix` (the prefix itself included).
  void Erase(const proto::Oid& prefix) {
    std::lock_guard lock(mutex_);
    for (auto it = mib_.lower_bound(prefix); it != mib_.end() && it->first.StartsWith(prefix);) {
      it = mib_.erase(it);
    }
  }

  /// Makes every later Get (or Walk) fail with `result`; nullopt heals.
  void FailGets(std::optional<SnmpResult> result) {
    std::lock_guard lock(mutex_);
    get_failure_ = std::move(result);
  }
  void FailWalks(std::optional<SnmpResult> result) {
    std::lock_guard lock(mutex_);
    walk_failure_ = std::move(result);
  }
  /// Like an SNMPv1-minded agent (the Windows SNMP service is one): a Get
  /// naming a missing object fails whole with noSuchName instead of
  /// answering noSuchObject for that varbind.
  void AnswerNoSuchName(bool on) {
    std::lock_guard lock(mutex_);
    no_such_name_ = on;
  }

  std::vector<Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  void ClearRequests() {
    std::lock_guard lock(mutex_);
    requests_.clear();
  }

  /// A timeout as NetSnmpClient reports it with the default settings.
  static SnmpResult Timeout() {
    SnmpResult result;
    result.timeout = true;
    result.error = "timeout after 3 s x 2 tries";
    return result;
  }

  void Get(const SnmpTarget& target, std::vector<proto::Oid> oids,
           std::function<void(SnmpResult)> done) override {
    SnmpResult result;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back({false, target, oids});
      if (get_failure_) {
        result = *get_failure_;
      } else {
        result.ok = true;
        for (std::size_t i = 0; i < oids.size(); ++i) {
          auto it = mib_.find(oids[i]);
          if (it != mib_.end()) {
            result.varbinds.push_back({oids[i], it->second});
          } else if (no_such_name_) {
            result = SnmpResult{};
            result.error = "noSuchName (error index " + std::to_string(i + 1) + ", " +
                           oids[i].ToString() + ")";
            break;
          } else {
            result.varbinds.push_back({oids[i], proto::Value::NoSuchObject()});
          }
        }
      }
    }
    done(std::move(result));
  }

  void Walk(const SnmpTarget& target, std::vector<proto::Oid> roots,
            std::function<void(SnmpResult)> done) override {
    SnmpResult result;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back({true, target, roots});
      if (walk_failure_) {
        result = *walk_failure_;
      } else {
        result.ok = true;
        for (const proto::Oid& root : roots) {
          for (auto it = mib_.upper_bound(root); it != mib_.end() && it->first.StartsWith(root);
               ++it) {
            result.varbinds.push_back({it->first, it->second});
          }
        }
      }
    }
    done(std::move(result));
  }

 private:
  mutable std::mutex mutex_;
  std::map<proto::Oid, proto::Value> mib_;
  std::vector<Request> requests_;
  std::optional<SnmpResult> get_failure_;
  std::optional<SnmpResult> walk_failure_;
  bool no_such_name_ = false;
};

}  // namespace mimamori::collector::testing
