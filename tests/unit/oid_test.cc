// proto::Oid keeps short OIDs inline and longer ones on the heap; every
// operation must behave the same on either side of that line.
#include "mimamori/proto/oid.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace mimamori::proto {
namespace {

// n arcs 1.3.6.1 followed by 100, 101, ...
Oid Numbered(std::size_t n) {
  std::vector<std::uint32_t> arcs{1, 3, 6, 1};
  while (arcs.size() < n) arcs.push_back(static_cast<std::uint32_t>(100 + arcs.size()));
  arcs.resize(n);
  return Oid(arcs);
}

TEST(Oid, AppendAcrossTheInlineLimitKeepsEveryArc) {
  Oid oid;
  for (std::uint32_t i = 0; i < Oid::kMaxLength; ++i) {
    oid.Append(i * 7);
    ASSERT_EQ(oid.size(), i + 1);
  }
  for (std::uint32_t i = 0; i < Oid::kMaxLength; ++i) EXPECT_EQ(oid[i], i * 7) << "arc " << i;
}

TEST(Oid, CopiesAndMovesAreEqualAndIndependentAtEverySize) {
  for (std::size_t n : {0u, 1u, 13u, 14u, 15u, 16u, 40u, 128u}) {
    const Oid original = Numbered(n);
    Oid copy = original;
    EXPECT_EQ(copy, original) << n;
    copy.Append(9);
    EXPECT_EQ(copy.size(), n + 1);
    EXPECT_EQ(original.size(), n) << "the copy shares storage at " << n;
    EXPECT_TRUE(copy.StartsWith(original));
    EXPECT_FALSE(original.StartsWith(copy));

    Oid moved = std::move(copy);
    EXPECT_EQ(moved.size(), n + 1);
    EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is empty
    copy = moved;               // a moved-from Oid is usable again
    EXPECT_EQ(copy, moved);

    Oid assigned = Numbered(3);
    assigned = original;  // inline or heap into inline
    EXPECT_EQ(assigned, original);
    Oid big = Numbered(60);
    big = original;  // into a heap one
    EXPECT_EQ(big, original);
    big = std::move(assigned);
    EXPECT_EQ(big, original);
    Oid& self = big;
    big = self;
    EXPECT_EQ(big, original);
  }
}

TEST(Oid, OrderIsLexicographicAcrossInlineAndHeapOids) {
  const Oid short_one = Numbered(5);
  const Oid long_one = Numbered(30);
  EXPECT_LT(short_one, long_one);  // a prefix comes first
  Oid after = short_one.Child({1});
  EXPECT_LT(short_one, after);
  Oid larger_arc{1, 3, 6, 2};
  EXPECT_LT(long_one, larger_arc);
  EXPECT_TRUE(long_one.StartsWith(short_one));
  EXPECT_EQ(long_one.Child({}), long_one);
  EXPECT_EQ(Numbered(10).Child(Numbered(30).arcs().subspan(10)), long_one);
  EXPECT_EQ(Oid::Parse(long_one.ToString()), long_one);
}

}  // namespace
}  // namespace mimamori::proto
