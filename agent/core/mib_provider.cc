#include "agent/core/mib_provider.h"

namespace mimamori::agent {

void MibWriter::Scalar(const proto::Oid& object, proto::Value value) {
  objects_.push_back(object);
  entries_.push_back({object.Child({0}), std::move(value)});
}

void MibWriter::Cell(const proto::Oid& column, std::span<const std::uint32_t> index,
                     proto::Value value) {
  // One objects_ entry per column is enough; consecutive cells of a column are
  // the common case, so this check keeps the list short without a set.
  if (objects_.empty() || objects_.back() != column) objects_.push_back(column);
  entries_.push_back({column.Child(index), std::move(value)});
}

void MibWriter::DeclareObject(const proto::Oid& object) { objects_.push_back(object); }

}  // namespace mimamori::agent
