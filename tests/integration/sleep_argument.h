// The argument of a `sleep` a test's process monitor watches, unique to the
// test process: tests running side by side (ctest -j) must not satisfy, or
// break, each other's process monitors.
#pragma once

#include <unistd.h>

#include <string>

namespace mimamori::testing {

inline std::string SleepArgument(int i) {
  return std::to_string(700000000 + (::getpid() % 100000) * 10 + i);
}

}  // namespace mimamori::testing
