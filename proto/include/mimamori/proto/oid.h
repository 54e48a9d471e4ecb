// Object identifiers as SNMP carries them: a sequence of 32-bit sub-identifiers.
#pragma once

#include <algorithm>
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
  Oid(std::initializer_list<std::uint32_t> arcs) { Assign(arcs.begin(), arcs.size()); }
  explicit Oid(std::span<const std::uint32_t> arcs) { Assign(arcs.data(), arcs.size()); }
  explicit Oid(const std::vector<std::uint32_t>& arcs) { Assign(arcs.data(), arcs.size()); }
  Oid(const Oid& other) { Assign(other.data(), other.size_); }
  Oid(Oid&& other) noexcept { Take(other); }
  Oid& operator=(const Oid& other) {
    if (this != &other) Assign(other.data(), other.size_);
    return *this;
  }
  Oid& operator=(Oid&& other) noexcept {
    if (this != &other) {
      Release();
      Take(other);
    }
    return *this;
  }
  ~Oid() { Release(); }

  /// Parses dotted text ("1.3.6.1" or ".1.3.6.1"). Returns nullopt on anything
  /// else (empty parts, letters, values above 2^32-1, more than kMaxLength arcs).
  static std::optional<Oid> Parse(std::string_view text);

  /// Dotted text with a leading dot, as Net-SNMP prints numeric OIDs.
  std::string ToString() const;

  std::span<const std::uint32_t> arcs() const { return {data(), size_}; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::uint32_t operator[](std::size_t i) const { return data()[i]; }

  /// True when this OID is `other` or lies below it.
  bool StartsWith(const Oid& prefix) const;

  /// A copy with `tail` appended.
  Oid Child(std::initializer_list<std::uint32_t> tail) const;
  Oid Child(std::span<const std::uint32_t> tail) const;
  void Append(std::uint32_t arc) {
    if (size_ == capacity_) Grow(size_ + 1);
    data()[size_++] = arc;
  }

  friend bool operator==(const Oid& a, const Oid& b) {
    return std::ranges::equal(a.arcs(), b.arcs());
  }
  friend std::strong_ordering operator<=>(const Oid& a, const Oid& b) {
    return std::lexicographical_compare_three_way(a.data(), a.data() + a.size_, b.data(),
                                                  b.data() + b.size_);
  }

 private:
  // Most OIDs a monitor meets are short (a table cell is about 12 arcs):
  // kept inline they cost no allocation. The collector decodes millions per
  // cycle on one thread and frees them on another: glibc's malloc took a
  // third of its CPU in a profile, these the largest share.
  static constexpr std::uint32_t kInline = 14;

  std::uint32_t* data() { return capacity_ > kInline ? heap_ : inline_; }
  const std::uint32_t* data() const { return capacity_ > kInline ? heap_ : inline_; }
  void Assign(const std::uint32_t* arcs, std::size_t count);
  void Grow(std::size_t at_least);
  void Take(Oid& other) noexcept;
  void Release() noexcept;

  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = kInline;  ///< above kInline, the arcs are on the heap
  union {
    std::uint32_t inline_[kInline];
    std::uint32_t* heap_;
  };
};

/// A string index as SNMP encodes a non-IMPLIED OCTET STRING: its length,
/// then one sub-identifier per octet. The agent builds its service tables'
/// instances with it and the collector asks for them the same way.
std::vector<std::uint32_t> StringIndex(std::string_view text);

}  // namespace mimamori::proto
