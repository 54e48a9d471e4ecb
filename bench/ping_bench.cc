// Pings N loopback addresses (127.1.x.y) once each with IcmpPinger and
// prints the wall time from the first Ping() to the last reply; driven by
// bench/run_collector_bench.sh, which runs fping on the same targets.
//
//   ping_bench [--count N] [--timeout-ms MS] [--mode auto|datagram|raw]
//   ping_bench --print-targets [--count N]     # the target list, one a line
//
// Output: one human line on stderr, one "key=value ..." line on stdout.
// Exit status: 0 when every target answered, 1 otherwise, 2 on usage errors.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "collector/net/icmp_pinger.h"

namespace mimamori::collector {
namespace {

constexpr int kMaxTargets = 250 * 256;

// 127.1.0.1 ... 127.1.0.250, 127.1.1.1 ...: all of 127/8 is local on Linux,
// so every one answers without any configuration.
std::vector<std::string> Targets(int count) {
  std::vector<std::string> targets;
  targets.reserve(count);
  for (int i = 0; i < count; ++i) {
    targets.push_back("127.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1));
  }
  return targets;
}

int Usage() {
  std::fprintf(stderr,
               "usage: ping_bench [--count N (1..%d)] [--timeout-ms MS] "
               "[--mode auto|datagram|raw] [--print-targets]\n",
               kMaxTargets);
  return 2;
}

int Run(int argc, char** argv) {
  int count = 10000;
  int timeout_ms = 1000;
  bool print_targets = false;
  IcmpPingerOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--count" && has_value) {
      count = std::atoi(argv[++i]);
    } else if (arg == "--timeout-ms" && has_value) {
      timeout_ms = std::atoi(argv[++i]);
    } else if (arg == "--mode" && has_value) {
      const std::string mode = argv[++i];
      if (mode == "auto") {
        options.mode = IcmpPingerOptions::Mode::kAuto;
      } else if (mode == "datagram") {
        options.mode = IcmpPingerOptions::Mode::kDatagramOnly;
      } else if (mode == "raw") {
        options.mode = IcmpPingerOptions::Mode::kRawOnly;
      } else {
        return Usage();
      }
    } else if (arg == "--print-targets") {
      print_targets = true;
    } else {
      return Usage();
    }
  }
  if (count < 1 || count > kMaxTargets || timeout_ms < 1) return Usage();

  const std::vector<std::string> targets = Targets(count);
  if (print_targets) {
    for (const std::string& target : targets) std::printf("%s\n", target.c_str());
    return 0;
  }

  IcmpPinger pinger(options);
  if (pinger.SocketKind(false) == IcmpSocketKind::kNone) {
    std::fprintf(stderr, "ping_bench: no IPv4 ICMP socket: %s\n",
                 pinger.SocketError(false).c_str());
    return 1;
  }
  PingSettings settings;
  settings.packets = 1;
  settings.timeout = std::chrono::milliseconds(timeout_ms);

  std::mutex mutex;
  std::condition_variable finished;
  int pending = count, answered = 0, errors = 0;
  std::chrono::microseconds rtt_sum{0}, rtt_max{0};
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& target : targets) {
    pinger.Ping(target, settings, [&](PingOutcome outcome) {
      std::lock_guard lock(mutex);
      if (outcome.received > 0) ++answered;
      if (!outcome.error.empty()) ++errors;
      for (auto rtt : outcome.round_trips) {
        rtt_sum += rtt;
        if (rtt > rtt_max) rtt_max = rtt;
      }
      if (--pending == 0) finished.notify_one();
    });
  }
  {
    std::unique_lock lock(mutex);
    finished.wait(lock, [&] { return pending == 0; });  // every check ends by its timeout
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rtt_avg_ms =
      answered ? std::chrono::duration<double, std::milli>(rtt_sum).count() / answered : 0;
  const double rtt_max_ms = std::chrono::duration<double, std::milli>(rtt_max).count();
  const std::string_view socket = IcmpSocketKindName(pinger.SocketKind(false));
  std::fprintf(stderr,
               "ping_bench: IcmpPinger (%.*s socket): %d targets, %d answered, %d errors, "
               "wall %.4f s, RTT avg %.3f ms, max %.3f ms\n",
               static_cast<int>(socket.size()), socket.data(), count, answered, errors, wall,
               rtt_avg_ms, rtt_max_ms);
  std::printf(
      "socket=%.*s targets=%d answered=%d errors=%d wall_seconds=%.6f rtt_avg_ms=%.3f "
      "rtt_max_ms=%.3f\n",
      static_cast<int>(socket.size()), socket.data(), count, answered, errors, wall, rtt_avg_ms,
      rtt_max_ms);
  return answered == count ? 0 : 1;
}

}  // namespace
}  // namespace mimamori::collector

int main(int argc, char** argv) { return mimamori::collector::Run(argc, argv); }
