#include "agent/core/mib_view.h"

#include <algorithm>
#include <stdexcept>

namespace mimamori::agent {

using proto::Oid;
using proto::Value;
using proto::VarBind;

MibView::MibView(std::vector<std::unique_ptr<MibProvider>> providers,
                 std::chrono::milliseconds cache_lifetime, Clock clock)
    : providers_(std::move(providers)), cache_lifetime_(cache_lifetime), clock_(std::move(clock)) {
  for (std::size_t i = 0; i < providers_.size(); ++i) {
    parts_.push_back({i, false, providers_[i]->Volatile(), providers_[i]->Roots()});
    if (auto roots = providers_[i]->VolatileRoots(); !roots.empty()) {
      parts_.push_back({i, true, true, std::move(roots)});
    }
  }
  snapshots_.resize(parts_.size());
  for (std::size_t p = 0; p < parts_.size(); ++p) {
    for (const Oid& root : parts_[p].roots) routes_.push_back({root, p});
  }
  std::sort(routes_.begin(), routes_.end(),
            [](const Route& a, const Route& b) { return a.root < b.root; });
  auto name = [&](const Route& r) {
    return std::string(providers_[parts_[r.part].provider]->Name());
  };
  for (std::size_t i = 1; i < routes_.size(); ++i) {
    if (routes_[i].root.StartsWith(routes_[i - 1].root)) {
      throw std::invalid_argument("MIB providers overlap: " + name(routes_[i - 1]) + " " +
                                  routes_[i - 1].root.ToString() + " and " + name(routes_[i]) +
                                  " " + routes_[i].root.ToString());
    }
  }
}

const MibView::Snapshot& MibView::Fresh(std::size_t index) {
  const Part& part = parts_[index];
  Snapshot& snapshot = snapshots_[index];
  // Inside a request every part is judged against the request's start, so
  // one request never mixes a table read before and after an expiry.
  const auto now = request_ > 0 ? request_time_ : clock_();
  if (snapshot.valid) {
    const bool fresh = part.collected_per_request ? snapshot.request == request_
                                                  : now - snapshot.taken < cache_lifetime_;
    if (fresh) return snapshot;
  }
  MibWriter writer;
  // Reuse the old vectors' capacity: tables rarely change size much.
  writer.entries().swap(snapshot.entries);
  writer.entries().clear();
  writer.objects().swap(snapshot.objects);
  writer.objects().clear();
  MibProvider& provider = *providers_[part.provider];
  if (part.volatile_roots) {
    provider.CollectVolatile(writer);
  } else {
    provider.Collect(writer);
  }

  auto& entries = writer.entries();
  std::sort(entries.begin(), entries.end(),
            [](const VarBind& a, const VarBind& b) { return a.oid < b.oid; });
  // A provider bug must not make a walk loop or repeat: keep the first of
  // duplicate OIDs, and only instances inside this part's own roots.
  entries.erase(std::unique(entries.begin(), entries.end(),
                            [](const VarBind& a, const VarBind& b) { return a.oid == b.oid; }),
                entries.end());
  std::erase_if(entries, [&](const VarBind& vb) {
    return std::none_of(part.roots.begin(), part.roots.end(),
                        [&](const Oid& root) { return vb.oid.StartsWith(root); });
  });
  auto& objects = writer.objects();
  std::sort(objects.begin(), objects.end());
  objects.erase(std::unique(objects.begin(), objects.end()), objects.end());

  snapshot.entries.swap(entries);
  snapshot.objects.swap(objects);
  snapshot.taken = now;
  snapshot.request = request_;
  snapshot.valid = true;
  return snapshot;
}

Value MibView::Get(const Oid& oid) {
  // The route whose root is the greatest one <= oid is the only candidate.
  auto it = std::upper_bound(routes_.begin(), routes_.end(), oid,
                             [](const Oid& o, const Route& r) { return o < r.root; });
  if (it == routes_.begin()) return Value::NoSuchObject();
  --it;
  if (!oid.StartsWith(it->root)) return Value::NoSuchObject();
  const Snapshot& snapshot = Fresh(it->part);
  auto found = std::lower_bound(snapshot.entries.begin(), snapshot.entries.end(), oid,
                                [](const VarBind& vb, const Oid& o) { return vb.oid < o; });
  if (found != snapshot.entries.end() && found->oid == oid) return found->value;
  // An instance of a known object that does not exist (a row that is gone).
  auto object = std::upper_bound(snapshot.objects.begin(), snapshot.objects.end(), oid);
  if (object != snapshot.objects.begin() && oid.StartsWith(*std::prev(object)) &&
      oid != *std::prev(object)) {
    return Value::NoSuchInstance();
  }
  return Value::NoSuchObject();
}

std::optional<VarBind> MibView::GetNext(const Oid& oid) {
  // Start at the route that may contain oid (or the first root after it).
  auto it = std::upper_bound(routes_.begin(), routes_.end(), oid,
                             [](const Oid& o, const Route& r) { return o < r.root; });
  if (it != routes_.begin() && oid.StartsWith(std::prev(it)->root)) --it;
  for (; it != routes_.end(); ++it) {
    const Snapshot& snapshot = Fresh(it->part);
    const auto& entries = snapshot.entries;
    std::size_t next = entries.size();
    for (const Hint& hint : hints_) {
      if (hint.part == it->part && hint.index < entries.size() && entries[hint.index].oid == oid) {
        next = hint.index + 1;
        break;
      }
    }
    if (next == entries.size()) {
      next = static_cast<std::size_t>(
          std::upper_bound(entries.begin(), entries.end(), oid,
                           [](const Oid& o, const VarBind& vb) { return o < vb.oid; }) -
          entries.begin());
    }
    // A provider with several roots keeps all of them in one snapshot; stay
    // inside this route's root so the walk order follows the routes.
    if (next < entries.size() && entries[next].oid.StartsWith(it->root)) {
      hints_[next_hint_] = {it->part, next};
      next_hint_ = (next_hint_ + 1) % hints_.size();
      return entries[next];
    }
  }
  return std::nullopt;
}

void MibView::Sample() {
  for (auto& provider : providers_) provider->Sample();
}

void MibView::Invalidate() {
  for (auto& snapshot : snapshots_) snapshot.valid = false;
}

}  // namespace mimamori::agent
