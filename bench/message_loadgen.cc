// Sends a paced stream of syslog datagrams (ESXi hostd-style lines) or
// SNMPv2c traps to HOST:PORT, for bench/run_message_bench.sh.
//
//   message_loadgen syslog|trap HOST PORT COUNT RATE [MATCH_EVERY]
//
// Every MATCH_EVERY-th message (default 100) carries one of the bench
// rules' error codes, the rest match nothing. Prints "sent N in S s".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "mimamori/proto/ber.h"

namespace {

std::vector<std::uint8_t> Trap(long i, bool matching) {
  using namespace mimamori::proto;
  Message m;
  m.community = "bench";
  m.pdu.type = PduType::kSnmpV2Trap;
  m.pdu.request_id = static_cast<std::int32_t>(i);
  m.pdu.varbinds = {
      {Oid{1, 3, 6, 1, 2, 1, 1, 3, 0}, Value::TimeTicks(static_cast<std::uint32_t>(i))},
      {Oid{1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0},
       Value::ObjectId(Oid{1, 3, 6, 1, 4, 1, 6876, 4, 1, static_cast<std::uint32_t>(i % 1000)})},
      {Oid{1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 3},
       Value::OctetString(matching ? "vmnic" + std::to_string(i % 1000) + " down" : "ok")}};
  return EncodeMessage(m);
}

std::string Line(long i, bool matching) {
  char buf[512];
  if (matching) {
    std::snprintf(buf, sizeof buf,
                  "<163>1 2026-12-03T09:00:00.000Z esx01 Hostd - - - Hostd: error hostd[2099359] "
                  "[Originator@6876 sub=Vimsvc] disk error code E%04ld on naa.6000 seq %ld",
                  i % 1000, i);
  } else {
    std::snprintf(buf, sizeof buf,
                  "<166>1 2026-12-03T09:00:00.000Z esx01 Hostd - - - Hostd: info hostd[2099359] "
                  "[Originator@6876 sub=Vimsvc.TaskManager opID=abc-%ld] Task Completed : "
                  "haTask-ha-host-vim.HostSystem.retrieveInternalCapability-%ld Status success",
                  i, i);
  }
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s syslog|trap HOST PORT COUNT RATE [MATCH_EVERY]\n", argv[0]);
    return 2;
  }
  const std::string kind = argv[1];
  const long count = std::atol(argv[4]);
  const double rate = std::atof(argv[5]);
  const long every = argc > 6 ? std::atol(argv[6]) : 100;
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[3])));
  inet_pton(AF_INET, argv[2], &to.sin_addr);
  const auto start = std::chrono::steady_clock::now();
  long sent = 0;
  for (long i = 0; i < count; ++i) {
    // Paced by the clock, in small bursts, so the rate holds on average.
    if (i % 64 == 0) {
      const auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(static_cast<double>(i) / rate));
      std::this_thread::sleep_until(due);
    }
    const bool matching = every > 0 && i % every == 0;
    if (kind == "trap") {
      const auto bytes = Trap(i, matching);
      if (::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) >
          0) {
        ++sent;
      }
    } else {
      const std::string line = Line(i, matching);
      if (::sendto(fd, line.data(), line.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) >
          0) {
        ++sent;
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("sent %ld in %.3f s\n", sent, seconds);
  ::close(fd);
  return 0;
}
