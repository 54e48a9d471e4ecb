// snmp_simulator: one process answering SNMP v2c for many simulated nodes on
// loopback addresses, for the collector benchmark (bench/collector_bench.cc,
// bench/run_collector_bench.sh snmp).
//
// Node i (0-based) is 127.2.(i / 250).(i % 250 + 1). All of them share one
// UDP socket bound to the wildcard address of one port: IP_PKTINFO tells
// which address a request was sent to (hence which node), and the reply is
// sent from that address, as a real per-node agent's would be. One socket
// scales to any number of nodes with one descriptor and no per-address bind;
// datagrams from or to anything outside 127.0.0.0/8 are dropped (the socket
// is also tied to the loopback device when we may), so nothing but loopback
// is ever served.
//
// Each node serves a static MIB in the shape of a RHEL VM as Net-SNMP's snmpd
// shows it: ssCpuRaw* counters that advance with time (4 CPUs, a per-node
// busy share), UCD memory scalars, hrSystemUptime, hrStorageTable with the
// seven memory rows and four file systems, hrProcessorLoad for 4 CPUs, and
// hrSWRunTable with about 150 processes; a few nodes are over a threshold or
// have httpd stopped, so that every verdict occurs. Values are computed per
// request from the node number: 10,000 nodes cost no more memory than one.
//
//   snmp_simulator [--nodes N] [--port P] [--community C]
//
// Prints "listening on 0.0.0.0:PORT nodes=N first=127.2.0.1 last=..." on
// stdout once ready; serves until SIGTERM/SIGINT, then prints its counters.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mimamori/proto/ber.h"

namespace {

namespace mp = mimamori::proto;
using mp::Oid;
using mp::Value;

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

// ------------------------------------------------------------------ nodes

// 127.2.0.1 ... 127.3.255.250: 250 nodes per /24, 512 of them (128,000).
constexpr std::uint32_t kFirstAddress = (127u << 24) | (2u << 16);  // 127.2.0.0
constexpr int kMaxNodes = 2 * 256 * 250;

std::uint32_t AddressOf(int node) {
  return kFirstAddress + (static_cast<std::uint32_t>(node / 250) << 8) +
         static_cast<std::uint32_t>(node % 250 + 1);
}

// The node an address belongs to, or -1.
int NodeOf(std::uint32_t address, int nodes) {
  if (address < kFirstAddress) return -1;
  const std::uint32_t offset = address - kFirstAddress;
  const int block = static_cast<int>(offset >> 8);
  const int low = static_cast<int>(offset & 0xff);
  if (block >= kMaxNodes / 250 || low < 1 || low > 250) return -1;
  const int node = block * 250 + low - 1;
  return node < nodes ? node : -1;
}

std::string Dotted(std::uint32_t address) {
  in_addr a{htonl(address)};
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, text, sizeof text);
  return text;
}

// Per-node figures: mostly healthy, a few nodes over each threshold.
struct Profile {
  double busy;          // CPU share, 0-1
  double memory_used;   // 0-1, of 8 GiB
  double disk_used[4];  // "/", "/boot", "/var", "/home"
  bool httpd_stopped;
  std::uint64_t boot_ticks;  // uptime at simulator start, 1/100 s
};

Profile ProfileOf(int node) {
  Profile p;
  const auto n = static_cast<unsigned>(node);
  p.busy = 0.05 + 0.01 * (n % 20);
  if (n % 100 == 7) p.busy = 0.80;   // WARNING
  if (n % 100 == 13) p.busy = 0.95;  // CRITICAL
  p.memory_used = 0.30 + 0.01 * (n % 30);
  if (n % 97 == 3) p.memory_used = 0.92;
  if (n % 211 == 5) p.memory_used = 0.97;
  p.disk_used[0] = 0.30 + 0.005 * (n % 60);
  p.disk_used[1] = 0.20;
  p.disk_used[2] = 0.40 + 0.01 * (n % 30);
  p.disk_used[3] = 0.10 + 0.01 * (n % 50);
  if (n % 89 == 11) p.disk_used[2] = 0.80;   // WARNING
  if (n % 149 == 17) p.disk_used[0] = 0.90;  // CRITICAL
  p.httpd_stopped = n % 100 == 42;
  p.boot_ticks = 100ull * (86400ull * (1 + n % 200) + 977ull * n);
  return p;
}

// ------------------------------------------------------------------ MIB

// How a template value is made into a node's value.
enum class Vary : std::uint8_t {
  kNone,
  kCpu,            // arg: ssCpuRaw field (0 user ... 8 steal)
  kUptime,         // hrSystemUptime
  kMemAvail,       // memSysAvail / memAvailReal-like (arg: 0 = avail, 1 = free)
  kStorageUsed,    // arg: file system 0-3
  kProcessorLoad,  // hrProcessorLoad
  kHttpdPath,      // hrSWRunPath of an httpd worker
};

struct Entry {
  Oid oid;
  Value value;
  Vary vary = Vary::kNone;
  int arg = 0;
};

constexpr std::uint64_t kRamKb = 8ull * 1024 * 1024;
constexpr std::int32_t kFsUnits = 4096;
constexpr std::array<std::int32_t, 4> kFsBlocks = {2621440, 262144, 5242880, 13107200};
constexpr std::array<const char*, 4> kFsMounts = {"/", "/boot", "/var", "/home"};

Oid Ucd(std::uint32_t group, std::uint32_t object) {
  return Oid{1, 3, 6, 1, 4, 1, 2021, group, object, 0};
}

std::vector<Entry> BuildTemplate() {
  std::vector<Entry> mib;
  const auto add = [&](Oid oid, Value value, Vary vary = Vary::kNone, int arg = 0) {
    mib.push_back({std::move(oid), std::move(value), vary, arg});
  };
  // system
  add(Oid{1, 3, 6, 1, 2, 1, 1, 1, 0},
      Value::OctetString("Linux vm 5.14.0-427.el9.x86_64 #1 SMP x86_64"));
  add(Oid{1, 3, 6, 1, 2, 1, 1, 2, 0}, Value::ObjectId(Oid{1, 3, 6, 1, 4, 1, 8072, 3, 2, 10}));
  add(Oid{1, 3, 6, 1, 2, 1, 1, 3, 0}, Value::TimeTicks(0), Vary::kUptime);
  add(Oid{1, 3, 6, 1, 2, 1, 1, 5, 0}, Value::OctetString("vm"));
  // hrSystem
  add(Oid{1, 3, 6, 1, 2, 1, 25, 1, 1, 0}, Value::TimeTicks(0), Vary::kUptime);
  add(Oid{1, 3, 6, 1, 2, 1, 25, 1, 6, 0}, Value::Gauge32(150));
  // hrStorage: snmpd's memory rows, then the file systems.
  const Oid entry{1, 3, 6, 1, 2, 1, 25, 2, 3, 1};
  const auto type = [](std::uint32_t t) { return Oid{1, 3, 6, 1, 2, 1, 25, 2, 1, t}; };
  struct Row {
    std::uint32_t index;
    std::uint32_t type;
    std::string descr;
    std::int32_t units;
    std::int32_t size;
    std::int32_t used;
    int fs;  // -1: memory row
  };
  std::vector<Row> rows = {
      {1, 2, "Physical memory", 1024, static_cast<std::int32_t>(kRamKb), 7000000, -1},
      {3, 3, "Virtual memory", 1024, static_cast<std::int32_t>(kRamKb + 2097152), 7100000, -1},
      {6, 1, "Memory buffers", 1024, static_cast<std::int32_t>(kRamKb), 120000, -1},
      {7, 1, "Cached memory", 1024, 3500000, 3500000, -1},
      {8, 1, "Shared memory", 1024, 20000, 20000, -1},
      {10, 3, "Swap space", 1024, 2097152, 100000, -1},
      {11, 1, "Available memory", 1024, 5000000, 5000000, -1},
  };
  for (int fs = 0; fs < 4; ++fs) {
    rows.push_back({static_cast<std::uint32_t>(31 + fs), 4, kFsMounts[static_cast<std::size_t>(fs)],
                    kFsUnits, kFsBlocks[static_cast<std::size_t>(fs)], 0, fs});
  }
  for (const Row& row : rows) {
    add(entry.Child({1, row.index}), Value::Integer(static_cast<std::int32_t>(row.index)));
  }
  for (const Row& row : rows) add(entry.Child({2, row.index}), Value::ObjectId(type(row.type)));
  for (const Row& row : rows) add(entry.Child({3, row.index}), Value::OctetString(row.descr));
  for (const Row& row : rows) add(entry.Child({4, row.index}), Value::Integer(row.units));
  for (const Row& row : rows) add(entry.Child({5, row.index}), Value::Integer(row.size));
  for (const Row& row : rows) {
    if (row.fs < 0) {
      add(entry.Child({6, row.index}), Value::Integer(row.used));
    } else {
      add(entry.Child({6, row.index}), Value::Integer(0), Vary::kStorageUsed, row.fs);
    }
  }
  for (const Row& row : rows) add(entry.Child({7, row.index}), Value::Counter32(0));
  // hrProcessorLoad for 4 CPUs (hrDeviceIndex 196608...).
  for (std::uint32_t cpu = 0; cpu < 4; ++cpu) {
    add(Oid{1, 3, 6, 1, 2, 1, 25, 3, 3, 1, 2, 196608 + cpu}, Value::Integer(0),
        Vary::kProcessorLoad);
  }
  // hrSWRunTable: about 150 processes of a RHEL 9 web/app server.
  struct Process {
    std::string name, path, parameters;
    bool httpd = false;
  };
  std::vector<Process> processes = {
      {"systemd", "/usr/lib/systemd/systemd", "--switched-root --system --deserialize 31"},
      {"kthreadd", "kthreadd", ""},
  };
  for (int i = 0; i < 60; ++i) {
    const std::string name = "kworker/" + std::to_string(i % 4) + ":" + std::to_string(i / 4);
    processes.push_back({name, name, ""});
  }
  for (int i = 0; i < 16; ++i) {
    const std::string name = "ksoftirqd/" + std::to_string(i % 4);
    processes.push_back(
        {i < 4 ? name : "rcu_" + std::to_string(i), i < 4 ? name : "rcu_" + std::to_string(i), ""});
  }
  for (const char* daemon : {"systemd-journald", "systemd-udevd", "systemd-logind", "auditd",
                             "dbus-broker-lau",  "dbus-broker",   "NetworkManager", "irqbalance",
                             "chronyd",          "rsyslogd",      "tuned",          "polkitd",
                             "gssproxy",         "rpcbind",       "crond",          "atd",
                             "agetty",           "sssd",          "sssd_be",        "sssd_nss",
                             "firewalld",        "lsmd",          "mcelog",         "snmpd"}) {
    const std::string d = daemon;
    processes.push_back({d, (d == "agetty" ? "/sbin/" : "/usr/sbin/") + d,
                         d == "snmpd" ? "-LS0-6d -f" : (d == "crond" ? "-n" : "")});
  }
  processes.push_back({"sshd", "/usr/sbin/sshd", "-D"});
  for (int i = 0; i < 4; ++i) {
    processes.push_back(
        {"sshd", "sshd: ops" + std::to_string(i) + "@pts/" + std::to_string(i), ""});
    processes.push_back({"bash", "-bash", ""});
  }
  for (int i = 0; i < 9; ++i) {
    processes.push_back({"httpd", "/usr/sbin/httpd", "-DFOREGROUND", true});
  }
  processes.push_back({"java", "/usr/lib/jvm/java-17-openjdk/bin/java",
                       "-Xms2g -Xmx2g -Dlog4j2.formatMsgNoLookups=true -jar /opt/app/app.jar "
                       "--spring.profiles.active=production --server.port=8080"});
  processes.push_back({"postgres", "/usr/bin/postgres", "-D /var/lib/pgsql/data"});
  for (const char* worker : {"checkpointer", "background writer", "walwriter",
                             "autovacuum launcher", "logical replication launcher"}) {
    processes.push_back({"postgres", std::string("postgres: ") + worker, ""});
  }
  while (processes.size() < 150) {
    const std::string n = std::to_string(processes.size());
    processes.push_back({"php-fpm", "/usr/sbin/php-fpm", "--nodaemonize pool www" + n});
  }
  const Oid run{1, 3, 6, 1, 2, 1, 25, 4, 2, 1};
  std::vector<std::uint32_t> pids;
  for (std::size_t i = 0; i < processes.size(); ++i) {
    pids.push_back(i < 2 ? static_cast<std::uint32_t>(i + 1)
                         : static_cast<std::uint32_t>(100 + 37 * i));
  }
  for (std::size_t i = 0; i < processes.size(); ++i) {
    add(run.Child({1, pids[i]}), Value::Integer(static_cast<std::int32_t>(pids[i])));
  }
  for (std::size_t i = 0; i < processes.size(); ++i) {
    add(run.Child({2, pids[i]}), Value::OctetString(processes[i].name.substr(0, 15)));
  }
  for (std::size_t i = 0; i < processes.size(); ++i) {
    add(run.Child({3, pids[i]}), Value::ObjectId(Oid{0, 0}));
  }
  for (std::size_t i = 0; i < processes.size(); ++i) {
    add(run.Child({4, pids[i]}), Value::OctetString(processes[i].path),
        processes[i].httpd ? Vary::kHttpdPath : Vary::kNone);
  }
  for (std::size_t i = 0; i < processes.size(); ++i) {
    add(run.Child({5, pids[i]}), Value::OctetString(processes[i].parameters));
  }
  for (std::size_t i = 0; i < processes.size(); ++i) {
    add(run.Child({6, pids[i]}), Value::Integer(processes[i].path.front() == '/' ? 4 : 2));
  }
  for (std::size_t i = 0; i < processes.size(); ++i) {
    add(run.Child({7, pids[i]}), Value::Integer(i % 7 == 0 ? 1 : 2));
  }
  // UCD memory (.2021.4) and systemStats (.2021.11).
  add(Ucd(4, 1), Value::Integer(0));
  add(Ucd(4, 2), Value::OctetString("swap"));
  add(Ucd(4, 3), Value::Integer(2097152));
  add(Ucd(4, 4), Value::Integer(1997152));
  add(Ucd(4, 5), Value::Integer(static_cast<std::int32_t>(kRamKb)));
  add(Ucd(4, 6), Value::Integer(0), Vary::kMemAvail, 1);
  add(Ucd(4, 11), Value::Integer(3000000));
  add(Ucd(4, 13), Value::Integer(20000));
  add(Ucd(4, 14), Value::Integer(120000));
  add(Ucd(4, 15), Value::Integer(3500000));
  add(Ucd(4, 27), Value::Counter64(0), Vary::kMemAvail, 0);
  const std::array<std::uint32_t, 9> cpu = {50, 51, 52, 53, 54, 55, 56, 61, 64};
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    add(Ucd(11, cpu[i]), Value::Counter32(0), Vary::kCpu, static_cast<int>(i));
  }
  std::sort(mib.begin(), mib.end(), [](const Entry& a, const Entry& b) { return a.oid < b.oid; });
  return mib;
}

using Clock = std::chrono::steady_clock;
const Clock::time_point g_start = Clock::now();

Value ValueFor(const Entry& e, int node) {
  if (e.vary == Vary::kNone) return e.value;
  const Profile p = ProfileOf(node);
  const auto since_start =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - g_start).count();
  const std::uint64_t uptime = p.boot_ticks + static_cast<std::uint64_t>(since_start / 10);
  switch (e.vary) {
    case Vary::kCpu: {
      // 4 CPUs at 100 Hz; busy split user 70 %, system 20 %, irq/softirq 5 %
      // each; idle gives 1 % to iowait.
      const double ticks = 4.0 * static_cast<double>(uptime);
      static constexpr double kShare[9] = {0.70, 0.0, 0.20, 0.0, 0.0, 0.0, 0.05, 0.05, 0.0};
      double share = p.busy * kShare[e.arg];
      if (e.arg == 3) share = (1 - p.busy) * 0.99;
      if (e.arg == 4) share = (1 - p.busy) * 0.01;
      return Value::Counter32(
          static_cast<std::uint32_t>(static_cast<std::uint64_t>(ticks * share)));
    }
    case Vary::kUptime:
      return Value::TimeTicks(static_cast<std::uint32_t>(uptime));
    case Vary::kMemAvail: {
      const auto available = static_cast<std::uint64_t>(kRamKb * (1 - p.memory_used));
      if (e.arg == 0) return Value::Counter64(available);
      return Value::Integer(static_cast<std::int32_t>(available / 4));  // MemFree
    }
    case Vary::kStorageUsed:
      return Value::Integer(static_cast<std::int32_t>(kFsBlocks[static_cast<std::size_t>(e.arg)] *
                                                      p.disk_used[e.arg]));
    case Vary::kProcessorLoad:
      return Value::Integer(static_cast<std::int32_t>(p.busy * 100));
    case Vary::kHttpdPath:
      return Value::OctetString(p.httpd_stopped ? "/usr/sbin/httpd.stopped" : "/usr/sbin/httpd");
    case Vary::kNone:
      break;
  }
  return e.value;
}

// ------------------------------------------------------------------ agent

constexpr std::size_t kMaxMessage = 65507;

struct Counters {
  std::uint64_t requests = 0, varbinds = 0, dropped = 0, bad = 0;
};

void Answer(const std::vector<Entry>& mib, int node, mp::Message& msg) {
  mp::Pdu& pdu = msg.pdu;
  std::vector<mp::VarBind> asked = std::move(pdu.varbinds);
  pdu.varbinds.clear();
  const auto next = [&](const Oid& after) {
    return std::upper_bound(mib.begin(), mib.end(), after,
                            [](const Oid& o, const Entry& e) { return o < e.oid; });
  };
  std::size_t size = 0;
  switch (pdu.type) {
    case mp::PduType::kGetRequest:
      for (auto& vb : asked) {
        auto it = std::lower_bound(mib.begin(), mib.end(), vb.oid,
                                   [](const Entry& e, const Oid& o) { return e.oid < o; });
        Value value =
            (it != mib.end() && it->oid == vb.oid) ? ValueFor(*it, node) : Value::NoSuchObject();
        pdu.varbinds.push_back({std::move(vb.oid), std::move(value)});
      }
      break;
    case mp::PduType::kGetNextRequest:
      for (auto& vb : asked) {
        auto it = next(vb.oid);
        if (it == mib.end()) {
          pdu.varbinds.push_back({std::move(vb.oid), Value::EndOfMibView()});
        } else {
          pdu.varbinds.push_back({it->oid, ValueFor(*it, node)});
        }
      }
      break;
    case mp::PduType::kGetBulkRequest: {
      const auto non_repeaters =
          static_cast<std::size_t>(std::clamp<std::int32_t>(pdu.non_repeaters(), 0, 1 << 20));
      const int repetitions = std::clamp<std::int32_t>(pdu.max_repetitions(), 0, 1000);
      struct Cursor {
        std::vector<Entry>::const_iterator it;
        Oid last;
      };
      std::vector<Cursor> cursors;
      for (std::size_t i = 0; i < asked.size(); ++i) {
        auto it = next(asked[i].oid);
        mp::VarBind vb = it == mib.end() ? mp::VarBind{asked[i].oid, Value::EndOfMibView()}
                                         : mp::VarBind{it->oid, ValueFor(*it, node)};
        size += mp::EncodedSize(vb);
        if (i >= non_repeaters) cursors.push_back({it, vb.oid});
        pdu.varbinds.push_back(std::move(vb));
      }
      for (int r = 1; r < repetitions && !cursors.empty(); ++r) {
        bool any = false;
        bool full = false;
        for (Cursor& cursor : cursors) {
          mp::VarBind vb;
          if (cursor.it == mib.end() || ++cursor.it == mib.end()) {
            cursor.it = mib.end();
            vb = {cursor.last, Value::EndOfMibView()};
          } else {
            vb = {cursor.it->oid, ValueFor(*cursor.it, node)};
            cursor.last = cursor.it->oid;
            any = true;
          }
          const std::size_t vb_size = mp::EncodedSize(vb);
          if (mp::EncodedSizeWithVarbinds(msg, size + vb_size) > kMaxMessage) {
            full = true;
            break;
          }
          size += vb_size;
          pdu.varbinds.push_back(std::move(vb));
        }
        if (!any || full) break;
      }
      break;
    }
    default:
      break;
  }
  pdu.type = mp::PduType::kResponse;
  pdu.error_status = 0;
  pdu.error_index = 0;
}

int Usage() {
  std::fputs("usage: snmp_simulator [--nodes N] [--port P] [--community C]\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int nodes = 10000;
  int port = 0;
  std::string community = "MieKiban";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return Usage();
    if (arg == "--nodes") {
      nodes = std::atoi(argv[++i]);
    } else if (arg == "--port") {
      port = std::atoi(argv[++i]);
    } else if (arg == "--community") {
      community = argv[++i];
    } else {
      return Usage();
    }
  }
  if (nodes < 1 || nodes > kMaxNodes || port < 0 || port > 65535) return Usage();

  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  const int one = 1;
  setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
  const int buffer = 16 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buffer, sizeof buffer);
  // Loopback only; allowed to fail (not root): the filters below still hold.
  setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::fprintf(stderr, "snmp_simulator: bind port %d: %s\n", port, std::strerror(errno));
    return 1;
  }
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  timeval tick{0, 200000};  // wake up to notice signals
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);

  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  const std::vector<Entry> mib = BuildTemplate();
  std::printf("listening on 0.0.0.0:%u nodes=%d first=%s last=%s mib_objects=%zu\n",
              ntohs(address.sin_port), nodes, Dotted(AddressOf(0)).c_str(),
              Dotted(AddressOf(nodes - 1)).c_str(), mib.size());
  std::fflush(stdout);

  Counters counters;
  std::vector<std::uint8_t> in(65536), out;
  mp::Message msg;
  while (!g_stop) {
    sockaddr_in from{};
    iovec iov{in.data(), in.size()};
    alignas(cmsghdr) char control[256];
    msghdr header{};
    header.msg_name = &from;
    header.msg_namelen = sizeof from;
    header.msg_iov = &iov;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd, &header, 0);
    if (n < 0) continue;  // EAGAIN (tick) or EINTR
    in_addr destination{};
    bool have_destination = false;
    for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(&header, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo info;
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        destination = info.ipi_addr;
        have_destination = true;
      }
    }
    const std::uint32_t source = ntohl(from.sin_addr.s_addr);
    const int node = have_destination ? NodeOf(ntohl(destination.s_addr), nodes) : -1;
    if (node < 0 || (source >> 24) != 127) {
      ++counters.dropped;
      continue;
    }
    if (mp::DecodeMessage({in.data(), static_cast<std::size_t>(n)}, msg) !=
            mp::DecodeError::kNone ||
        msg.community != community) {
      ++counters.bad;
      continue;
    }
    ++counters.requests;
    Answer(mib, node, msg);
    counters.varbinds += msg.pdu.varbinds.size();
    out.clear();
    mp::EncodeMessage(msg, out);

    iovec reply{out.data(), out.size()};
    alignas(cmsghdr) char reply_control[CMSG_SPACE(sizeof(in_pktinfo))] = {};
    msghdr response{};
    response.msg_name = &from;
    response.msg_namelen = sizeof from;
    response.msg_iov = &reply;
    response.msg_iovlen = 1;
    response.msg_control = reply_control;
    response.msg_controllen = sizeof reply_control;
    cmsghdr* c = CMSG_FIRSTHDR(&response);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    info.ipi_spec_dst = destination;  // reply from the node's own address
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
    ::sendmsg(fd, &response, 0);
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("requests=%llu varbinds=%llu dropped=%llu bad=%llu cpu_seconds=%.2f\n",
              static_cast<unsigned long long>(counters.requests),
              static_cast<unsigned long long>(counters.varbinds),
              static_cast<unsigned long long>(counters.dropped),
              static_cast<unsigned long long>(counters.bad),
              static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6);
  ::close(fd);
  return 0;
}
