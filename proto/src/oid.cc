#include "mimamori/proto/oid.h"

#include <charconv>

namespace mimamori::proto {

std::optional<Oid> Oid::Parse(std::string_view text) {
  if (!text.empty() && text.front() == '.') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  std::vector<std::uint32_t> arcs;
  while (true) {
    std::size_t dot = text.find('.');
    std::string_view part = text.substr(0, dot);
    std::uint32_t arc = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), arc);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size()) {
      return std::nullopt;
    }
    arcs.push_back(arc);
    if (arcs.size() > kMaxLength) return std::nullopt;
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  return Oid(std::move(arcs));
}

std::string Oid::ToString() const {
  std::string out;
  out.reserve(arcs_.size() * 4);
  char buffer[16];
  for (std::uint32_t arc : arcs_) {
    out.push_back('.');
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, arc);
    out.append(buffer, end);
  }
  return out;
}

bool Oid::StartsWith(const Oid& prefix) const {
  if (prefix.arcs_.size() > arcs_.size()) return false;
  for (std::size_t i = 0; i < prefix.arcs_.size(); ++i) {
    if (arcs_[i] != prefix.arcs_[i]) return false;
  }
  return true;
}

Oid Oid::Child(std::initializer_list<std::uint32_t> tail) const {
  return Child(std::span<const std::uint32_t>(tail.begin(), tail.size()));
}

Oid Oid::Child(std::span<const std::uint32_t> tail) const {
  std::vector<std::uint32_t> arcs;
  arcs.reserve(arcs_.size() + tail.size());
  arcs.assign(arcs_.begin(), arcs_.end());
  arcs.insert(arcs.end(), tail.begin(), tail.end());
  return Oid(std::move(arcs));
}

std::vector<std::uint32_t> StringIndex(std::string_view text) {
  std::vector<std::uint32_t> index;
  index.reserve(text.size() + 1);
  index.push_back(static_cast<std::uint32_t>(text.size()));
  for (const char c : text) index.push_back(static_cast<unsigned char>(c));
  return index;
}

}  // namespace mimamori::proto
