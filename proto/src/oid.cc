#include "mimamori/proto/oid.h"

#include <algorithm>
#include <charconv>

namespace mimamori::proto {

std::optional<Oid> Oid::Parse(std::string_view text) {
  if (!text.empty() && text.front() == '.') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  Oid arcs;
  while (true) {
    std::size_t dot = text.find('.');
    std::string_view part = text.substr(0, dot);
    std::uint32_t arc = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), arc);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size()) {
      return std::nullopt;
    }
    arcs.Append(arc);
    if (arcs.size() > kMaxLength) return std::nullopt;
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  return arcs;
}

std::string Oid::ToString() const {
  std::string out;
  out.reserve(size_ * 4);
  char buffer[16];
  for (std::uint32_t arc : arcs()) {
    out.push_back('.');
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, arc);
    out.append(buffer, end);
  }
  return out;
}

bool Oid::StartsWith(const Oid& prefix) const {
  return prefix.size_ <= size_ && std::equal(prefix.data(), prefix.data() + prefix.size_, data());
}

Oid Oid::Child(std::initializer_list<std::uint32_t> tail) const {
  return Child(std::span<const std::uint32_t>(tail.begin(), tail.size()));
}

Oid Oid::Child(std::span<const std::uint32_t> tail) const {
  Oid out;
  out.Grow(size_ + tail.size());
  std::copy(data(), data() + size_, out.data());
  std::copy(tail.begin(), tail.end(), out.data() + size_);
  out.size_ = static_cast<std::uint32_t>(size_ + tail.size());
  return out;
}

void Oid::Assign(const std::uint32_t* arcs, std::size_t count) {
  size_ = 0;  // nothing of the old arcs is kept
  Grow(count);
  // std::copy_n of zero arcs from a null pointer is fine; memcpy's would not be.
  std::copy_n(arcs, count, data());
  size_ = static_cast<std::uint32_t>(count);
}

void Oid::Grow(std::size_t at_least) {
  if (at_least <= capacity_) return;
  const std::size_t capacity = std::max<std::size_t>(at_least, 2 * std::size_t{capacity_});
  auto* heap = new std::uint32_t[capacity];
  std::copy_n(data(), size_, heap);
  Release();
  heap_ = heap;
  capacity_ = static_cast<std::uint32_t>(capacity);
}

void Oid::Take(Oid& other) noexcept {
  size_ = other.size_;
  capacity_ = other.capacity_;
  if (other.capacity_ > kInline) {
    heap_ = other.heap_;
  } else {
    std::copy_n(other.inline_, other.size_, inline_);
  }
  other.size_ = 0;
  other.capacity_ = kInline;
}

void Oid::Release() noexcept {
  if (capacity_ > kInline) delete[] heap_;
  capacity_ = kInline;
}

std::vector<std::uint32_t> StringIndex(std::string_view text) {
  std::vector<std::uint32_t> index;
  index.reserve(text.size() + 1);
  index.push_back(static_cast<std::uint32_t>(text.size()));
  for (const char c : text) index.push_back(static_cast<unsigned char>(c));
  return index;
}

}  // namespace mimamori::proto
