// Object identifiers as SNMP carries them: a sequence of 32-bit sub-identifiers.
#pragma once

#include <compare>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mimamori::proto {

/// An OBJECT IDENTIFIER. Value type; ordering is the lexicographic order SNMP
/// GetNext walks in. Not thread-safe for concurrent mutation, like std::vector.
class Oid {
 public:
  /// RFC 2578 section 3.5: at most 128 sub-identifiers.
  static constexpr std::size_t kMaxLength = 128;

  Oid() = default;
  Oid(std::initializer_list<std::uint32_t> arcs) : arcs_(arcs) {}
  explicit Oid(std::vector<std::uint32_t> arcs) : arcs_(std::move(arcs)) {}

  /// Parses dotted text ("1.3.6.1" or ".1.3.6.1"). Returns nullopt on anything
  /// else (empty parts, letters, values above 2^32-1, more than kMaxLength arcs).
  static std::optional<Oid> Parse(std::string_view text);

  /// Dotted text with a leading dot, as Net-SNMP prints numeric OIDs.
  std::string ToString() const;

  std::span<const std::uint32_t> arcs() const { return arcs_; }
  std::size_t size() const { return arcs_.size(); }
  bool empty() const { return arcs_.empty(); }
  std::uint32_t operator[](std::size_t i) const { return arcs_[i]; }

  /// True when this OID is `other` or lies below it.
  bool StartsWith(const Oid& prefix) const;

  /// A copy with `tail` appended.
  Oid Child(std::initializer_list<std::uint32_t> tail) const;
  Oid Child(std::span<const std::uint32_t> tail) const;
  void Append(std::uint32_t arc) { arcs_.push_back(arc); }

  friend bool operator==(const Oid&, const Oid&) = default;
  friend std::strong_ordering operator<=>(const Oid& a, const Oid& b) {
    return a.arcs_ <=> b.arcs_;
  }

 private:
  std::vector<std::uint32_t> arcs_;
};

/// A string index as SNMP encodes a non-IMPLIED OCTET STRING: its length,
/// then one sub-identifier per octet. The agent builds its service tables'
/// instances with it and the collector asks for them the same way.
std::vector<std::uint32_t> StringIndex(std::string_view text);

}  // namespace mimamori::proto
