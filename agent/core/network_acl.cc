#include "agent/core/network_acl.h"

#include <charconv>

namespace mimamori::agent {
namespace {

asio::ip::address Unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

}  // namespace

std::optional<Network> Network::Parse(std::string_view text) {
  std::string_view host = text;
  std::optional<unsigned> prefix;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    host = text.substr(0, slash);
    std::string_view bits = text.substr(slash + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), value);
    if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size()) return std::nullopt;
    prefix = value;
  }
  asio::error_code ec;
  auto address = asio::ip::make_address(std::string(host), ec);
  if (ec) return std::nullopt;
  address = Unmapped(address);
  const unsigned max = address.is_v4() ? 32 : 128;
  if (prefix && *prefix > max) return std::nullopt;
  Network network;
  network.base_ = address;
  network.prefix_ = prefix.value_or(max);
  return network;
}

bool Network::Contains(const asio::ip::address& candidate) const {
  const asio::ip::address address = Unmapped(candidate);
  if (address.is_v4() != base_.is_v4()) return false;
  std::array<unsigned char, 16> a{}, b{};
  std::size_t length = 0;
  if (address.is_v4()) {
    auto x = address.to_v4().to_bytes(), y = base_.to_v4().to_bytes();
    std::copy(x.begin(), x.end(), a.begin());
    std::copy(y.begin(), y.end(), b.begin());
    length = 4;
  } else {
    a = address.to_v6().to_bytes();
    b = base_.to_v6().to_bytes();
    length = 16;
  }
  unsigned bits = prefix_;
  for (std::size_t i = 0; i < length && bits > 0; ++i) {
    const unsigned take = bits >= 8 ? 8 : bits;
    const auto mask = static_cast<unsigned char>(0xFF << (8 - take));
    if ((a[i] & mask) != (b[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

std::string Network::ToString() const { return base_.to_string() + "/" + std::to_string(prefix_); }

bool ManagerAcl::Allows(const asio::ip::address& address) const {
  if (allowed_.empty()) return true;
  for (const Network& network : allowed_) {
    if (network.Contains(address)) return true;
  }
  return false;
}

}  // namespace mimamori::agent
