#include "agent/mib/etherlike_mib.h"

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

Oid Dot3StatsTable() { return Oid{1, 3, 6, 1, 2, 1, 10, 7, 2}; }
Oid Column(std::uint32_t column) { return Dot3StatsTable().Child({1, column}); }

constexpr std::uint32_t kDot3StatsIndex = 1;
constexpr std::uint32_t kDot3StatsDuplexStatus = 19;

class EtherLikeMibProvider final : public MibProvider {
 public:
  explicit EtherLikeMibProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "etherlike-mib"; }
  std::vector<Oid> Roots() const override { return {Dot3StatsTable()}; }

  void Collect(MibWriter& out) override {
    const Oid index_column = Column(kDot3StatsIndex);
    const Oid duplex_column = Column(kDot3StatsDuplexStatus);
    out.DeclareObject(index_column);
    out.DeclareObject(duplex_column);
    for (const NetInterface& nic : context_.host.Interfaces()) {
      if (nic.duplex == NetInterface::Duplex::kNotEthernet || nic.index == 0) continue;
      // DuplexStatus: unknown(1), halfDuplex(2), fullDuplex(3).
      const std::int32_t duplex = nic.duplex == NetInterface::Duplex::kFull   ? 3
                                  : nic.duplex == NetInterface::Duplex::kHalf ? 2
                                                                              : 1;
      out.Cell(index_column, {nic.index}, Value::Integer(static_cast<std::int32_t>(nic.index)));
      out.Cell(duplex_column, {nic.index}, Value::Integer(duplex));
    }
  }

 private:
  const ProviderContext& context_;
};

}  // namespace

std::unique_ptr<MibProvider> MakeEtherLikeMibProvider(const ProviderContext& context) {
  return std::make_unique<EtherLikeMibProvider>(context);
}

}  // namespace mimamori::agent
