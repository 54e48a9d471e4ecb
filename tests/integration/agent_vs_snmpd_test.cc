// mimamori-agent side by side with Debian's snmpd on the same machine: one
// test per MIB group, walking both agents numerically and comparing
//   (a) the objects (columns and scalars) each serves,
//   (b) the row indexes of each table,
//   (c) the values: exact for sizes, names and other static data, within a
//       justified tolerance for values that move between the two walks.
// A group our agent does not serve yet fails here on purpose: these tests
// are the definition of "serves the standard MIBs exactly like snmpd".
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/agent_process.h"

namespace mimamori::testing {
namespace {

using namespace std::chrono_literals;

using Walk = std::map<Oid, VarBind>;

// ------------------------------------------------------------ host state
//
// Tables whose rows come and go (processes, sockets) are compared only on
// rows that existed, unchanged, from before the first walk until after the
// second: a row that appeared or vanished in between is legitimately in one
// walk only (the snmpwalk processes themselves, other tests' sockets).

struct ProcessState {
  std::string stat_identity;  // comm and start time: a reused PID differs
  std::string cmdline;        // an exec keeps the PID but changes this
  std::uint64_t cpu_ticks = 0;
  std::uint64_t rss_pages = 0;
};

std::map<std::uint32_t, ProcessState> ReadProcesses() {
  std::map<std::uint32_t, ProcessState> processes;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    const std::optional<Oid> pid = ParseOid(name);
    if (!pid || pid->size() != 1) continue;
    const std::string stat = ReadFile(entry.path() / "stat");
    const std::size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;  // exited meanwhile
    // Fields after "(comm)": state ppid ... utime(14) stime(15) ...
    // starttime(22) vsize(23) rss(24), numbered from 1 as in proc(5).
    std::istringstream fields(stat.substr(close + 2));
    std::vector<std::string> f;
    for (std::string field; fields >> field;) f.push_back(field);
    if (f.size() < 22) continue;
    ProcessState state;
    state.stat_identity = stat.substr(0, close + 1) + " " + f[19];
    state.cmdline = ReadFile(entry.path() / "cmdline");
    state.cpu_ticks = std::stoull(f[11]) + std::stoull(f[12]);
    state.rss_pages = std::stoull(f[21]);
    processes[(*pid)[0]] = state;
  }
  return processes;
}

// An address of /proc/net/{tcp,udp}[6] ("0100007F:1F90") as the arcs of an
// InetAddressType, InetAddress, port index: 1.4.127.0.0.1.8080.
std::optional<Oid> ProcNetAddress(const std::string& text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  const std::string hex = text.substr(0, colon);
  if (hex.size() != 8 && hex.size() != 32) return std::nullopt;
  Oid arcs = {hex.size() == 8 ? 1u : 2u, static_cast<std::uint32_t>(hex.size() / 2)};
  // Each 32-bit word is printed in host (little-endian) order.
  for (std::size_t word = 0; word < hex.size(); word += 8) {
    const std::uint32_t value = static_cast<std::uint32_t>(std::stoul(hex.substr(word, 8), 0, 16));
    for (int byte = 0; byte < 4; ++byte) arcs.push_back((value >> (8 * byte)) & 0xff);
  }
  arcs.push_back(static_cast<std::uint32_t>(std::stoul(text.substr(colon + 1), 0, 16)));
  return arcs;
}

enum class Rows {
  kStatic,        // the same rows in both walks
  kProcesses,     // index = PID
  kTcpListeners,  // index = address type, address, port
  kUdpEndpoints,  // index = local, remote, instance
  kUdpTable,      // index = IPv4 address (4 arcs), port
};

// Rows of /proc/net/<file> as row indexes: tcpListenerTable's
// (address, port) for listening TCP sockets; udpEndpointTable's (local,
// remote, instance = inode, as snmpd's udp_endpoint_linux.c) for UDP ones;
// for udpTable, (address, port, connected) of every IPv4 UDP socket: snmpd's
// mibII/udpTable.c lists the unconnected (state 07) ones, and a socket that
// stays connected throughout must be in neither walk, so it is a stable row
// too. The last arc keeps a socket that changed state between the readings
// out of the stable rows; it is dropped after the intersection.
std::set<Oid> ReadSockets(Rows kind) {
  const bool tcp = kind == Rows::kTcpListeners;
  std::set<Oid> rows;
  for (const char* file : tcp ? std::vector<const char*>{"/proc/net/tcp", "/proc/net/tcp6"}
                              : std::vector<const char*>{"/proc/net/udp", "/proc/net/udp6"}) {
    std::istringstream in(ReadFile(file));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
            timeout >> inode))
        continue;
      const std::optional<Oid> local_arcs = ProcNetAddress(local);
      const std::optional<Oid> remote_arcs = ProcNetAddress(remote);
      if (!local_arcs || !remote_arcs) continue;
      if (tcp) {
        if (state == "0A") rows.insert(*local_arcs);  // TCP_LISTEN
        continue;
      }
      if (kind == Rows::kUdpTable) {
        if ((*local_arcs)[0] != 1) continue;  // IPv4 only
        // Without the address type and length arcs.
        Oid row(local_arcs->begin() + 2, local_arcs->end());
        row.push_back(state == "07" ? 0 : 1);
        rows.insert(row);
        continue;
      }
      Oid row = *local_arcs;
      row.insert(row.end(), remote_arcs->begin(), remote_arcs->end());
      row.push_back(static_cast<std::uint32_t>(std::stoull(inode)));
      rows.insert(row);
    }
  }
  return rows;
}

// A socket on 127.0.0.1 (ephemeral port) while it lives: SOCK_STREAM
// listening, or SOCK_DGRAM connected to the discard port (connect() on UDP
// sends nothing; it only fixes the remote address).
class TestSocket {
 public:
  explicit TestSocket(int type) : fd_(::socket(AF_INET, type | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return;
    if (type == SOCK_STREAM) {
      if (::listen(fd_, 1) != 0) return;
    } else {
      sockaddr_in remote = address;
      remote.sin_port = htons(9);
      if (::connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) return;
    }
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0)
      port_ = ntohs(address.sin_port);
  }
  ~TestSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  TestSocket(const TestSocket&) = delete;
  TestSocket& operator=(const TestSocket&) = delete;
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// --------------------------------------------------------------- checks

// What a value check sees besides the two values.
struct Context {
  const Walk* ours = nullptr;
  const Walk* theirs = nullptr;
  Oid table;                 // the table entry OID, or empty for a scalar
  std::set<Oid> quiet_rows;  // processes whose CPU time and RSS did not move
  double cpus = 1;           // online CPUs
  double mem_total_kb = 0;   // /proc/meminfo MemTotal
  // Another column of the same row, from snmpd's walk (units, sizes).
  std::optional<double> TheirColumn(std::uint32_t column, const Oid& index) const {
    Oid oid = table;
    oid.push_back(column);
    oid.insert(oid.end(), index.begin(), index.end());
    const auto it = theirs->find(oid);
    return it == theirs->end() ? std::nullopt : it->second.Number();
  }
};

// Returns "" when the values agree, else why not.
using Check = std::function<std::string(const VarBind& ours, const VarBind& theirs,
                                        const Oid& index, const Context& context)>;

// The tools print the same octets as STRING or Hex-STRING depending on
// whether they are printable; the SNMP type is the same.
std::string SyntaxOf(const VarBind& bind) {
  if (bind.type == "STRING" || bind.type == "Hex-STRING") return "OCTET STRING";
  return bind.type;
}

std::string TypeProblem(const VarBind& ours, const VarBind& theirs) {
  if (SyntaxOf(ours) == SyntaxOf(theirs)) return "";
  return "type " + ours.type + " vs snmpd's " + theirs.type;
}

Check Exact() {
  return [](const VarBind& ours, const VarBind& theirs, const Oid&, const Context&) {
    if (std::string problem = TypeProblem(ours, theirs); !problem.empty()) return problem;
    return ours.value == theirs.value ? std::string() : std::string("differs (exact)");
  };
}

// Only the type is compared; the value is excluded for the reason given
// where the check is used.
Check TypeOnly() {
  return [](const VarBind& ours, const VarBind& theirs, const Oid&, const Context&) {
    return TypeProblem(ours, theirs);
  };
}

// |ours - snmpd| <= max(absolute, relative * larger magnitude), where the
// absolute slack may depend on the row and the machine.
Check NearWith(double relative, std::function<double(const Oid& index, const Context&)> absolute,
               std::string what) {
  return [=](const VarBind& ours, const VarBind& theirs, const Oid& index, const Context& context) {
    if (std::string problem = TypeProblem(ours, theirs); !problem.empty()) return problem;
    const std::optional<double> a = ours.Number();
    const std::optional<double> b = theirs.Number();
    if (!a || !b) return ours.value == theirs.value ? std::string() : "not a number";
    const double slack =
        std::max(absolute(index, context), relative * std::max(std::abs(*a), std::abs(*b)));
    if (std::abs(*a - *b) <= slack) return std::string();
    std::ostringstream why;
    why << "differs by " << std::abs(*a - *b) << " > " << slack << " (" << what << ")";
    return why.str();
  };
}

Check Near(double relative, double absolute) {
  std::ostringstream what;
  what << "tolerance " << relative * 100 << " % or " << absolute;
  return NearWith(
      relative, [absolute](const Oid&, const Context&) { return absolute; }, what.str());
}

// The time between the moments the two agents sample a moving value: the
// walks of one group take a few seconds on a busy machine and each agent
// answers from a cache up to ~5 s old. Rates below are generous upper bounds
// for a busy 2-core CI VM; the tolerance they give still catches wrong units
// (kB vs pages vs bytes), wrong fields and 32/64-bit mix-ups.
constexpr double kWindowSeconds = 10;

// CPU time in USER_HZ (100/s) ticks: at most every CPU busy for the window.
Check CpuTicksNear() {
  return NearWith(
      0.05, [](const Oid&, const Context& c) { return 100 * c.cpus * kWindowSeconds; },
      "5 % or 100 ticks/s per CPU over the window");
}

// Memory in kB that moves with the rest of the machine (a compiler allocates
// hundreds of MB in a second): 5 % of physical memory.
Check MemoryKbNear() {
  return NearWith(
      0, [](const Oid&, const Context& c) { return 0.05 * c.mem_total_kb; }, "5 % of MemTotal");
}

// hrStorageSize/Used in the row's allocation units. Memory rows (types
// Other, RAM, VirtualMemory) move like memory; file systems by what is
// written meanwhile: 1 % of the size or 64 MiB.
Check StorageUnitsNear() {
  return NearWith(
      0,
      [](const Oid& index, const Context& c) {
        const double units = c.TheirColumn(4, index).value_or(1);
        const std::optional<double> size = c.TheirColumn(5, index);
        const auto type = [&]() -> std::string {
          Oid oid = c.table;
          oid.push_back(2);
          oid.insert(oid.end(), index.begin(), index.end());
          const auto it = c.theirs->find(oid);
          return it == c.theirs->end() ? "" : it->second.value;
        }();
        const bool memory = type == ".1.3.6.1.2.1.25.2.1.1" || type == ".1.3.6.1.2.1.25.2.1.2" ||
                            type == ".1.3.6.1.2.1.25.2.1.3";
        if (memory) return 0.05 * c.mem_total_kb * 1024 / units;
        return std::max(64.0 * 1024 * 1024 / units, 0.01 * size.value_or(0));
      },
      "memory: 5 % of MemTotal; file systems: 1 % of the size or 64 MiB");
}

// dskTable kB values: 1 % of the disk or 64 MiB, as hrStorageUsed.
Check DiskKbNear() {
  return NearWith(
      0,
      [](const Oid& index, const Context& c) {
        return std::max(64.0 * 1024, 0.01 * c.TheirColumn(6, index).value_or(0));  // dskTotal
      },
      "1 % of dskTotal or 64 MiB");
}

// hrSWRunPerf: exact for processes that used no CPU and kept their RSS
// from before the first walk to after the second; type only for the others,
// whose values legitimately moved between the walks.
Check ExactIfQuiet() {
  return [](const VarBind& ours, const VarBind& theirs, const Oid& index, const Context& c) {
    if (std::string problem = TypeProblem(ours, theirs); !problem.empty()) return problem;
    if (!c.quiet_rows.count(index) || ours.value == theirs.value) return std::string();
    return std::string("differs for a process that did not run between the walks (exact)");
  };
}

// DateAndTime (8 or 11 octets) within `seconds`.
std::optional<double> DateSeconds(const VarBind& bind) {
  const std::optional<std::string> octets = bind.Octets();
  if (!octets || (octets->size() != 8 && octets->size() != 11)) return std::nullopt;
  const auto u = [&](std::size_t i) { return static_cast<unsigned char>((*octets)[i]); };
  std::tm tm{};
  tm.tm_year = (u(0) << 8 | u(1)) - 1900;
  tm.tm_mon = u(2) - 1;
  tm.tm_mday = u(3);
  tm.tm_hour = u(4);
  tm.tm_min = u(5);
  tm.tm_sec = u(6);
  double seconds = static_cast<double>(timegm(&tm)) + u(7) / 10.0;
  if (octets->size() == 11) {
    const double offset = (u(9) * 3600 + u(10) * 60) * ((*octets)[8] == '-' ? -1 : 1);
    seconds -= offset;
  }
  return seconds;
}

Check DateNear(double seconds) {
  return [=](const VarBind& ours, const VarBind& theirs, const Oid&, const Context&) {
    if (std::string problem = TypeProblem(ours, theirs); !problem.empty()) return problem;
    const std::optional<std::string> a = ours.Octets();
    const std::optional<std::string> b = theirs.Octets();
    if (!a || !b || a->size() != b->size()) return std::string("not the same DateAndTime form");
    const std::optional<double> ta = DateSeconds(ours);
    const std::optional<double> tb = DateSeconds(theirs);
    if (!ta || !tb) return std::string("not a DateAndTime");
    return std::abs(*ta - *tb) <= seconds ? std::string() : std::string("dates differ");
  };
}

// ---------------------------------------------------------------- groups

// Something snmpd gets right only some time after it started.
struct WarmUp {
  std::string oid;        // a column, or a scalar instance
  bool non_zero = false;  // wait for a non-zero value, not just for a value
};

struct GroupSpec {
  std::string name = {};                     // the test's name
  std::string root = {};                     // the subtree walked
  std::vector<std::string> tables = {};      // entry OIDs (…Entry); everything else is a scalar
  std::map<std::string, Check> checks = {};  // by object (column or scalar without .0)
  Check default_check = Exact();
  std::vector<std::string> excluded = {};  // subtrees left out, each with its reason at its use
  Rows rows = Rows::kStatic;
  // Conditions to wait for (bounded) before walking, on snmpd first, then on
  // our agent: see WarmUp.
  std::vector<WarmUp> warm_up = {};
  // Extra options of every snmpwalk of the group ("-v1" walks in SNMPv1).
  std::vector<std::string> tool_options = {};
  // The machine may legitimately have nothing here (no Ethernet interface
  // with ethtool statistics): then both must serve nothing.
  bool may_be_empty = false;
};

void PrintTo(const GroupSpec& group, std::ostream* os) { *os << group.name; }

std::vector<GroupSpec> Groups() {
  std::vector<GroupSpec> groups;

  groups.push_back({
      .name = "System",
      .root = ".1.3.6.1.2.1.1",
      .checks =
          {
              // sysObjectID identifies the agent: ours is mimamori's
              // enterprise OID, snmpd's NET-SNMP-MIB::linux.
              {".1.3.6.1.2.1.1.2", TypeOnly()},
              // sysUpTime is each agent's own uptime; they started apart.
              {".1.3.6.1.2.1.1.3", TypeOnly()},
              // sysORLastChange belongs to sysORTable (excluded below).
              {".1.3.6.1.2.1.1.8", TypeOnly()},
              // sysContact, sysName, sysLocation: neither agent is configured,
              // so both give Debian's defaults ("root", the host name,
              // "Unknown") and are compared exactly.
          },
      // sysORTable lists each agent's own implemented modules.
      .excluded = {".1.3.6.1.2.1.1.9"},
  });

  groups.push_back({
      .name = "Snmp",
      .root = ".1.3.6.1.2.1.11",
      .checks = {{".1.3.6.1.2.1.11.30", Exact()}},  // snmpEnableAuthenTraps
      // The counters count each agent's own traffic, and the two agents
      // receive different requests (readiness probes, waits).
      .default_check = TypeOnly(),
  });

  groups.push_back({
      .name = "HrSystem",
      .root = ".1.3.6.1.2.1.25.1",
      .checks =
          {
              // hrSystemUptime: both read /proc/uptime, moments apart (ticks).
              {".1.3.6.1.2.1.25.1.1", Near(0, 100 * kWindowSeconds)},
              {".1.3.6.1.2.1.25.1.2",
               DateNear(
                   kWindowSeconds)},  // hrSystemDate
                                      // hrSystemNumUsers: someone may log in or out between walks.
              {".1.3.6.1.2.1.25.1.5", Near(0, 1)},
              // hrSystemProcesses: processes start and exit between the walks
              // (the snmpwalk processes themselves, a concurrent build).
              {".1.3.6.1.2.1.25.1.6", Near(0.1, 20)},
          },
  });

  groups.push_back({
      .name = "HrStorage",
      .root = ".1.3.6.1.2.1.25.2",
      .tables = {".1.3.6.1.2.1.25.2.3.1"},
      .checks =
          {
              // hrStorageSize: exact for RAM, swap and file systems; the
              // "Cached/Shared/Available memory" rows have the moving
              // quantity itself as their size (snmpd's memory_linux.c).
              {".1.3.6.1.2.1.25.2.3.1.5",
               [](const VarBind& ours, const VarBind& theirs, const Oid& index, const Context& c) {
                 Oid type_oid = c.table;
                 type_oid.push_back(2);
                 type_oid.insert(type_oid.end(), index.begin(), index.end());
                 const auto type = c.theirs->find(type_oid);
                 const bool other =
                     type != c.theirs->end() && type->second.value == ".1.3.6.1.2.1.25.2.1.1";
                 return other ? StorageUnitsNear()(ours, theirs, index, c)
                              : Exact()(ours, theirs, index, c);
               }},
              {".1.3.6.1.2.1.25.2.3.1.6", StorageUnitsNear()},  // hrStorageUsed
          },
  });

  groups.push_back({
      .name = "HrDevice",
      .root = ".1.3.6.1.2.1.25.3.2",
      .tables = {".1.3.6.1.2.1.25.3.2.1"},
      // hrDeviceErrors: interface error counters may tick between walks.
      .checks = {{".1.3.6.1.2.1.25.3.2.1.6", Near(0.05, 100)}},
  });

  groups.push_back({
      .name = "HrProcessor",
      .root = ".1.3.6.1.2.1.25.3.3",
      .tables = {".1.3.6.1.2.1.25.3.3.1"},
      // hrProcessorLoad: each agent averages the last minute of its own 5 s
      // samples, taken at different phases; on a busy machine a 5-10 s shift
      // of a one-minute window moves the average by up to ~20 points.
      .checks = {{".1.3.6.1.2.1.25.3.3.1.2", Near(0, 20)}},
      // snmpd has no hrProcessorLoad until it holds a minute of samples.
      .warm_up = {{".1.3.6.1.2.1.25.3.3.1.2"}},
  });

  groups.push_back({
      .name = "HrFileSystem",
      .root = ".1.3.6.1.2.1.25.3.8",
      .tables = {".1.3.6.1.2.1.25.3.8.1"},
  });

  groups.push_back({
      .name = "HrSWRun",
      .root = ".1.3.6.1.2.1.25.4",
      .tables = {".1.3.6.1.2.1.25.4.2.1"},
      // hrSWRunStatus follows the scheduler (running/runnable) from one
      // moment to the next.
      .checks = {{".1.3.6.1.2.1.25.4.2.1.7", TypeOnly()}},
      .rows = Rows::kProcesses,
  });

  groups.push_back({
      .name = "HrSWRunPerf",
      .root = ".1.3.6.1.2.1.25.5",
      .tables = {".1.3.6.1.2.1.25.5.1.1"},
      .checks = {{".1.3.6.1.2.1.25.5.1.1.1", ExactIfQuiet()},   // hrSWRunPerfCPU
                 {".1.3.6.1.2.1.25.5.1.1.2", ExactIfQuiet()}},  // hrSWRunPerfMem
      .rows = Rows::kProcesses,
  });

  {
    // UCD-SNMP-MIB memory: totals and the swap error are exact; the rest
    // is free/used memory, which moves.
    GroupSpec memory{.name = "UcdMemory", .root = ".1.3.6.1.4.1.2021.4"};
    for (const int moving : {4, 6, 11, 13, 14, 15, 19, 21, 22, 24, 25, 26, 27})
      memory.checks[".1.3.6.1.4.1.2021.4." + std::to_string(moving)] = MemoryKbNear();
    groups.push_back(memory);
  }

  {
    GroupSpec disk{
        .name = "UcdDisk", .root = ".1.3.6.1.4.1.2021.9", .tables = {".1.3.6.1.4.1.2021.9.1"}};
    // dskAvail, dskUsed and their Low/High halves move with what is written.
    for (const int moving : {7, 8, 13, 14, 15, 16})
      disk.checks[".1.3.6.1.4.1.2021.9.1." + std::to_string(moving)] = DiskKbNear();
    disk.checks[".1.3.6.1.4.1.2021.9.1.9"] = Near(0, 1);   // dskPercent
    disk.checks[".1.3.6.1.4.1.2021.9.1.10"] = Near(0, 1);  // dskPercentNode
    groups.push_back(disk);
  }

  // laLoad/laLoadInt/laLoadFloat: the kernel recomputes the averages every
  // 5 s, L' = L e^(-5/60) + n (1 - e^(-5/60)), so a sample or two apart the
  // 1-minute value moves by up to ~16 % of |n - L|; 30 % or 1.0 (100 for the
  // integer form) covers a busy machine.
  groups.push_back({
      .name = "UcdLoad",
      .root = ".1.3.6.1.4.1.2021.10",
      .tables = {".1.3.6.1.4.1.2021.10.1"},
      .checks = {{".1.3.6.1.4.1.2021.10.1.3", Near(0.3, 1.0)},
                 {".1.3.6.1.4.1.2021.10.1.5", Near(0.3, 100)},
                 {".1.3.6.1.4.1.2021.10.1.6", Near(0.3, 1.0)}},
  });

  {
    GroupSpec stats{.name = "UcdSystemStats", .root = ".1.3.6.1.4.1.2021.11"};
    const std::string s = ".1.3.6.1.4.1.2021.11.";
    // Per-second rates and percentages over the last minute, from each
    // agent's own samples (5 s apart, different phases): a shifted window
    // changes them by up to ~40 % on a bursty machine; a factor-2 error (e.g.
    // pages vs kB, pgpgin vs sectors) or a per-minute value still fails.
    stats.checks[s + "3"] = Near(0.4, 10);   // ssSwapIn
    stats.checks[s + "4"] = Near(0.4, 10);   // ssSwapOut
    stats.checks[s + "5"] = Near(0.4, 200);  // ssIOSent
    stats.checks[s + "6"] = Near(0.4, 200);  // ssIOReceive
    stats.checks[s + "7"] = Near(0.4, 200);  // ssSysInterrupts
    stats.checks[s + "8"] = Near(0.4, 200);  // ssSysContext
    stats.checks[s + "9"] = Near(0, 20);     // ssCpuUser (percent)
    stats.checks[s + "10"] = Near(0, 20);    // ssCpuSystem
    stats.checks[s + "11"] = Near(0, 20);    // ssCpuIdle
    for (const int raw : {50, 51, 52, 53, 54, 55, 56, 61, 64, 65, 66})
      stats.checks[s + std::to_string(raw)] = CpuTicksNear();  // ssCpuRaw*
    // ssIORawSent/Received in sectors: 200 MB/s of disk traffic.
    stats.checks[s + "57"] = Near(0.05, 200e6 / 512 * kWindowSeconds);
    stats.checks[s + "58"] = Near(0.05, 200e6 / 512 * kWindowSeconds);
    // ssRawInterrupts, ssRawContexts: 50 000/s per CPU.
    stats.checks[s + "59"] = NearWith(
        0.05, [](const Oid&, const Context& c) { return 50e3 * c.cpus * kWindowSeconds; },
        "5 % or 50 000/s per CPU");
    stats.checks[s + "60"] = stats.checks[s + "59"];
    // ssRawSwapIn/Out in pages: 10 000 pages/s.
    stats.checks[s + "62"] = Near(0.05, 1e4 * kWindowSeconds);
    stats.checks[s + "63"] = Near(0.05, 1e4 * kWindowSeconds);
    // snmpd has no ssCpuUser..ssCpuIdle until it holds a minute of samples,
    // and answers 0 for the raw counters until its first 5 s sample.
    stats.warm_up = {{s + "11.0"}};
    groups.push_back(stats);
  }

  {
    GroupSpec diskio{.name = "UcdDiskIO",
                     .root = ".1.3.6.1.4.1.2021.13.15.1",
                     .tables = {".1.3.6.1.4.1.2021.13.15.1.1"}};
    const std::string c = ".1.3.6.1.4.1.2021.13.15.1.1.";
    const Check bytes = Near(0.05, 200e6 * kWindowSeconds);      // 200 MB/s per device
    const Check operations = Near(0.05, 50e3 * kWindowSeconds);  // 50 000 IO/s
    diskio.checks[c + "3"] = bytes;                              // diskIONRead
    diskio.checks[c + "4"] = bytes;                              // diskIONWritten
    diskio.checks[c + "5"] = operations;                         // diskIOReads
    diskio.checks[c + "6"] = operations;                         // diskIOWrites
    // diskIOLA1/5/15: load averages each agent builds from its own samples
    // since it started; the two started at different times.
    diskio.checks[c + "9"] = TypeOnly();
    diskio.checks[c + "10"] = TypeOnly();
    diskio.checks[c + "11"] = TypeOnly();
    diskio.checks[c + "12"] = bytes;                             // diskIONReadX
    diskio.checks[c + "13"] = bytes;                             // diskIONWrittenX
    diskio.checks[c + "14"] = Near(0.05, 1e6 * kWindowSeconds);  // diskIOBusyTime (µs)
    groups.push_back(diskio);
  }

  // Interface counters: 50 MB/s and 100 000 packets/s per interface (the
  // loopback carries both agents' walks and whatever else runs).
  const Check octets = Near(0.05, 50e6 * kWindowSeconds);
  const Check packets = Near(0.05, 100e3 * kWindowSeconds);
  const Check errors = Near(0.05, 1e3 * kWindowSeconds);
  {
    GroupSpec interfaces{.name = "IfTable",
                         .root = ".1.3.6.1.2.1.2",  // ifNumber and ifTable
                         .tables = {".1.3.6.1.2.1.2.2.1"}};
    const std::string c = ".1.3.6.1.2.1.2.2.1.";
    for (const int column : {10, 16}) interfaces.checks[c + std::to_string(column)] = octets;
    for (const int column : {11, 12, 17, 18})
      interfaces.checks[c + std::to_string(column)] = packets;
    for (const int column : {13, 14, 15, 19, 20})
      interfaces.checks[c + std::to_string(column)] = errors;
    // snmpd derives ifInUcastPkts (packets minus multicast) only when it
    // refreshes its interface data, ~3 s after the first load, and answers 0
    // until then (if-mib/data_access/interface.c, CALCULATE_UCAST). The
    // loopback always carries our own requests, so some row is non-zero.
    interfaces.warm_up = {{c + "11", true}};
    groups.push_back(interfaces);
  }
  {
    GroupSpec x{
        .name = "IfXTable", .root = ".1.3.6.1.2.1.31.1.1", .tables = {".1.3.6.1.2.1.31.1.1.1"}};
    const std::string c = ".1.3.6.1.2.1.31.1.1.1.";
    for (const int column : {6, 10}) x.checks[c + std::to_string(column)] = octets;
    for (const int column : {2, 3, 4, 5, 7, 8, 9, 11, 12, 13})
      x.checks[c + std::to_string(column)] = packets;
    x.warm_up = {{c + "7", true}};  // ifHCInUcastPkts, as ifInUcastPkts above
    groups.push_back(x);
  }

  // tcpListenerProcess and udpEndpointProcess: compared as objects, rows and
  // types, not values. Our agent answers 0 by decision: finding a socket's
  // owner needs reading every process's /proc/PID/fd, which our unprivileged
  // agent cannot (it runs as a dedicated user with only
  // CAP_NET_BIND_SERVICE); snmpd, running as root, finds the PID.
  groups.push_back({
      .name = "TcpListener",
      .root = ".1.3.6.1.2.1.6.20",
      .tables = {".1.3.6.1.2.1.6.20.1"},
      .checks = {{".1.3.6.1.2.1.6.20.1.4", TypeOnly()}},  // tcpListenerProcess
      .rows = Rows::kTcpListeners,
  });
  groups.push_back({
      .name = "UdpEndpoint",
      .root = ".1.3.6.1.2.1.7.7",
      .tables = {".1.3.6.1.2.1.7.7.1"},
      .checks = {{".1.3.6.1.2.1.7.7.1.8", TypeOnly()}},  // udpEndpointProcess
      .rows = Rows::kUdpEndpoints,
  });
  groups.push_back({
      .name = "UdpTable",
      .root = ".1.3.6.1.2.1.7.5",
      .tables = {".1.3.6.1.2.1.7.5.1"},
      .rows = Rows::kUdpTable,
  });

  // EtherLike-MIB dot3StatsTable: the rows (interfaces whose driver gives
  // ethtool statistics and link settings), dot3StatsIndex and
  // dot3StatsDuplexStatus. snmpd's error counters (columns 2-18), read from
  // driver-specific ethtool statistics, are not served and not walked.
  for (const std::uint32_t column : {1u, 19u}) {
    groups.push_back({
        .name = column == 1 ? "Dot3StatsIndex" : "Dot3StatsDuplexStatus",
        .root = ".1.3.6.1.2.1.10.7.2.1." + std::to_string(column),
        .tables = {".1.3.6.1.2.1.10.7.2.1"},
        .may_be_empty = true,
    });
  }
  // IP-MIB address tables, all columns exact: addresses, masks, prefixes,
  // origins and the creation times (0 for the addresses both agents found at
  // their first reading).
  groups.push_back({
      .name = "IpAddrTable",
      .root = ".1.3.6.1.2.1.4.20",
      .tables = {".1.3.6.1.2.1.4.20.1"},
  });
  groups.push_back({
      .name = "IpAddressTable",
      .root = ".1.3.6.1.2.1.4.34",
      .tables = {".1.3.6.1.2.1.4.34.1"},
  });

  // SNMPv1 walks of groups with Counter64 columns or exceptions at their
  // ends: snmpd leaves Counter64 out of v1 GetNext (in_a_view rejects it
  // and the walk moves on), so both agents must serve the same objects,
  // rows and values as in v2c minus the 64-bit columns.
  for (const char* name : {"System", "IfTable", "IfXTable", "UcdDiskIO", "HrStorage"}) {
    for (const GroupSpec& group : std::vector<GroupSpec>(groups)) {
      if (group.name != name) continue;
      GroupSpec v1 = group;
      v1.name = "V1" + group.name;
      v1.tool_options = {"-v1"};
      // ifXTable waits for ifHCInUcastPkts, a Counter64 a v1 walk never sees.
      if (v1.name == "V1IfXTable") v1.warm_up.clear();
      groups.push_back(std::move(v1));
    }
  }
  return groups;
}

// ------------------------------------------------------------ comparison

// Collects problems by kind and prints at most a screenful of each.
class Report {
 public:
  void Add(const std::string& kind, const std::string& line) { problems_[kind].push_back(line); }
  bool empty() const { return problems_.empty(); }
  std::string Text() const {
    std::ostringstream text;
    for (const auto& [kind, lines] : problems_) {
      text << "  " << kind << " (" << lines.size() << "):\n";
      for (std::size_t i = 0; i < lines.size() && i < 25; ++i) text << "    " << lines[i] << "\n";
      if (lines.size() > 25) text << "    ... and " << lines.size() - 25 << " more\n";
    }
    return text.str();
  }

 private:
  std::map<std::string, std::vector<std::string>> problems_;
};

// An OID split into the object (column, or scalar without its .0) and the
// row index.
struct Split {
  Oid table;  // empty for a scalar
  Oid object;
  Oid index;
};

Split SplitOid(const Oid& oid, const std::vector<Oid>& tables) {
  for (const Oid& table : tables) {
    if (oid.size() > table.size() + 1 && OidStartsWith(oid, table)) {
      Oid object(oid.begin(), oid.begin() + static_cast<std::ptrdiff_t>(table.size() + 1));
      Oid index(oid.begin() + static_cast<std::ptrdiff_t>(table.size() + 1), oid.end());
      return {table, object, index};
    }
  }
  return {{}, Oid(oid.begin(), oid.end() - 1), Oid(oid.end() - 1, oid.end())};
}

std::string IndexText(const Oid& index) {
  const std::string text = OidToString(index);
  return text.empty() ? text : text.substr(1);
}

class AgentVsSnmpdTest : public ::testing::TestWithParam<GroupSpec> {
 protected:
  void SetUp() override {
    if (!SnmpdProcess::Available())
      GTEST_SKIP() << "snmpd is not installed (apt-get install snmpd): nothing to compare with";
    std::string error;
    agent_ = AgentProcess::Start({}, error);
    ASSERT_NE(agent_, nullptr) << error;
    snmpd_ = SnmpdProcess::Start(error);
    ASSERT_NE(snmpd_, nullptr) << error;
  }

  // snmpwalk of `root`, parsed, exceptions dropped, excluded subtrees removed.
  Walk WalkOf(const std::string& endpoint, const GroupSpec& group, const char* who) {
    const CommandResult walk =
        SnmpTool("snmpwalk", endpoint, group.tool_options, {group.root}, 300s);
    EXPECT_EQ(walk.exit_code, 0) << who << ": " << walk.Describe();
    Walk result;
    const Oid root = *ParseOid(group.root);
    std::vector<Oid> excluded;
    for (const std::string& e : group.excluded) excluded.push_back(*ParseOid(e));
    for (VarBind& bind : ParseVarBinds(walk.out)) {
      if (bind.exception || !OidStartsWith(bind.oid, root)) continue;
      if (std::any_of(excluded.begin(), excluded.end(),
                      [&](const Oid& e) { return OidStartsWith(bind.oid, e); }))
        continue;
      Oid oid = bind.oid;
      result.emplace(std::move(oid), std::move(bind));
    }
    return result;
  }

  // True when `endpoint` serves `warm_up.oid` (a column or a scalar
  // instance; snmpwalk falls back to a get for the latter), non-zero if
  // asked.
  static bool Ready(const std::string& endpoint, const WarmUp& warm_up,
                    const std::vector<std::string>& options) {
    const CommandResult walk = SnmpTool("snmpwalk", endpoint, options, {warm_up.oid}, 10s);
    const Oid object = *ParseOid(warm_up.oid);
    for (const VarBind& bind : ParseVarBinds(walk.out)) {
      if (bind.exception || !OidStartsWith(bind.oid, object)) continue;
      if (!warm_up.non_zero || bind.Number().value_or(0) != 0) return true;
    }
    return false;
  }

  void WaitForWarmUp(const GroupSpec& group) {
    for (const WarmUp& warm_up : group.warm_up) {
      // snmpd has a minute's values after 12 samples, 5 s apart; ours should
      // follow within a few samples (and fails the comparison if not).
      const bool theirs =
          WaitFor([&] { return Ready(snmpd_->endpoint(), warm_up, group.tool_options); }, 100s, 1s);
      EXPECT_TRUE(theirs) << "snmpd did not serve " << warm_up.oid << " within 100 s";
      if (theirs)
        WaitFor([&] { return Ready(agent_->endpoint(), warm_up, group.tool_options); }, 30s, 1s);
    }
  }

  std::unique_ptr<AgentProcess> agent_;
  std::unique_ptr<SnmpdProcess> snmpd_;
};

TEST_P(AgentVsSnmpdTest, ServesTheSameAsSnmpd) {
  const GroupSpec& group = GetParam();
  WaitForWarmUp(group);

  std::vector<Oid> tables;
  for (const std::string& t : group.tables) tables.push_back(*ParseOid(t));

  // A machine (a CI container) may have no TCP listener at all: one of ours
  // gives tcpListenerTable a row that stays for the whole comparison. A
  // connected UDP socket (as resolvers and NTP clients use) gives
  // udpEndpointTable a row with a remote address, and must not be in
  // udpTable (the agents' own unconnected sockets are).
  std::optional<TestSocket> socket;
  if (group.rows == Rows::kTcpListeners) socket.emplace(SOCK_STREAM);
  if (group.rows == Rows::kUdpEndpoints || group.rows == Rows::kUdpTable)
    socket.emplace(SOCK_DGRAM);
  if (socket) {
    ASSERT_GT(socket->port(), 0) << "cannot open a socket on 127.0.0.1";
  }
  // Processes whose command lines exercise snmpd's way of building
  // hrSWRunParameters (swrun_procfs_status.c): it stops at an empty
  // argument and at a line break, and keeps 128 characters.
  std::vector<ChildProcess> processes;
  if (group.rows == Rows::kProcesses) {
    for (const std::string& argument :
         {std::string(), std::string("two\nlines"), std::string(200, 'x')}) {
      std::string error;
      // "; :" keeps the shell from exec'ing sleep: it stays, with its argv.
      std::optional<ChildProcess> child =
          ChildProcess::Spawn({.argv = {"sh", "-c", "sleep 3600; :", argument, "after-it"}}, error);
      ASSERT_TRUE(child.has_value()) << error;
      const std::string cmdline = "/proc/" + std::to_string(child->pid()) + "/cmdline";
      ASSERT_TRUE(WaitFor([&] { return ReadFile(cmdline).starts_with(std::string("sh\0-c", 5)); },
                          5s, 5ms));
      processes.push_back(std::move(*child));
    }
  }

  // Host state around the walks, for tables whose rows come and go.
  std::map<std::uint32_t, ProcessState> processes_before;
  std::set<Oid> sockets_before;
  if (group.rows == Rows::kProcesses) processes_before = ReadProcesses();
  if (group.rows != Rows::kStatic && group.rows != Rows::kProcesses)
    sockets_before = ReadSockets(group.rows);

  const Walk ours = WalkOf(agent_->endpoint(), group, "mimamori-agent");
  const Walk theirs = WalkOf(snmpd_->endpoint(), group, "snmpd");

  Context context;
  context.ours = &ours;
  context.theirs = &theirs;
  context.cpus = static_cast<double>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  context.mem_total_kb = static_cast<double>(MemTotalKb());

  // Rows that must be in both walks: all, or those alive and unchanged
  // throughout.
  std::function<bool(const Oid& index)> stable = [](const Oid&) { return true; };
  std::set<Oid> stable_rows;
  if (group.rows == Rows::kProcesses) {
    const std::map<std::uint32_t, ProcessState> after = ReadProcesses();
    for (const auto& [pid, state] : processes_before) {
      const auto it = after.find(pid);
      if (it == after.end() || it->second.stat_identity != state.stat_identity ||
          it->second.cmdline != state.cmdline)
        continue;
      stable_rows.insert({pid});
      if (it->second.cpu_ticks == state.cpu_ticks && it->second.rss_pages == state.rss_pages)
        context.quiet_rows.insert({pid});
    }
  } else if (group.rows != Rows::kStatic) {
    const std::set<Oid> after = ReadSockets(group.rows);
    std::set_intersection(sockets_before.begin(), sockets_before.end(), after.begin(), after.end(),
                          std::inserter(stable_rows, stable_rows.end()));
    if (group.rows == Rows::kUdpTable) {
      std::set<Oid> indexes;  // without the "connected" arc
      for (const Oid& row : stable_rows) indexes.insert(Oid(row.begin(), row.end() - 1));
      stable_rows = std::move(indexes);
    }
  }
  if (group.rows != Rows::kStatic) {
    stable = [&](const Oid& index) { return stable_rows.count(index) > 0; };
    // The agents' own rows (processes, UDP sockets) are always there.
    EXPECT_FALSE(stable_rows.empty()) << "no row stayed for the whole comparison";
  }

  Report report;
  // (a) objects
  std::map<Oid, std::set<Oid>> our_rows;    // table -> indexes
  std::map<Oid, std::set<Oid>> their_rows;  // table -> indexes
  std::set<Oid> our_objects, their_objects;
  for (const auto& [oid, bind] : ours) {
    const Split split = SplitOid(oid, tables);
    our_objects.insert(split.object);
    if (!split.table.empty()) our_rows[split.table].insert(split.index);
  }
  for (const auto& [oid, bind] : theirs) {
    const Split split = SplitOid(oid, tables);
    their_objects.insert(split.object);
    if (!split.table.empty()) their_rows[split.table].insert(split.index);
  }
  for (const Oid& object : their_objects)
    if (!our_objects.count(object))
      report.Add("objects missing from mimamori-agent", OidToString(object));
  for (const Oid& object : our_objects)
    if (!their_objects.count(object))
      report.Add("objects snmpd does not serve", OidToString(object));

  // (b) row indexes
  for (const Oid& table : tables) {
    const std::set<Oid>& a = our_rows[table];
    const std::set<Oid>& b = their_rows[table];
    for (const Oid& index : b)
      if (!a.count(index) && stable(index))
        report.Add("rows missing from mimamori-agent", OidToString(table) + " " + IndexText(index));
    for (const Oid& index : a)
      if (!b.count(index) && stable(index))
        report.Add("rows snmpd does not have", OidToString(table) + " " + IndexText(index));
  }

  // (c) values, for cells whose object and row both agents serve
  std::size_t compared = 0;
  for (const auto& [oid, theirs_bind] : theirs) {
    const Split split = SplitOid(oid, tables);
    if (!our_objects.count(split.object)) continue;
    if (!split.table.empty() && (!stable(split.index) || !our_rows[split.table].count(split.index)))
      continue;
    const auto our_bind = ours.find(oid);
    if (our_bind == ours.end()) {
      report.Add("cells missing from mimamori-agent",
                 OidToString(oid) + " (snmpd: " + theirs_bind.Text() + ")");
      continue;
    }
    const auto check = group.checks.find(OidToString(split.object));
    context.table = split.table;
    const std::string problem = (check == group.checks.end() ? group.default_check : check->second)(
        our_bind->second, theirs_bind, split.index, context);
    ++compared;
    if (!problem.empty())
      report.Add("values differing", OidToString(oid) + ": ours " + our_bind->second.Text() +
                                         " | snmpd " + theirs_bind.Text() + " — " + problem);
  }
  for (const auto& [oid, bind] : ours) {
    const Split split = SplitOid(oid, tables);
    if (!their_objects.count(split.object) || theirs.count(oid)) continue;
    if (!split.table.empty() &&
        (!stable(split.index) || !their_rows[split.table].count(split.index)))
      continue;
    report.Add("cells snmpd does not have", OidToString(oid) + " (ours: " + bind.Text() + ")");
  }

  RecordProperty("values_compared", static_cast<int>(compared));
  RecordProperty("stable_rows", static_cast<int>(stable_rows.size()));
  RecordProperty("quiet_rows", static_cast<int>(context.quiet_rows.size()));
  if (!group.may_be_empty) {
    EXPECT_FALSE(their_objects.empty()) << "snmpd serves nothing under " << group.root;
  }
  EXPECT_TRUE(report.empty()) << "[" << group.name << " " << group.root << "] mimamori-agent ("
                              << ours.size() << " values) vs snmpd (" << theirs.size()
                              << " values), " << compared << " values compared:\n"
                              << report.Text();
}

INSTANTIATE_TEST_SUITE_P(Groups, AgentVsSnmpdTest, ::testing::ValuesIn(Groups()),
                         [](const ::testing::TestParamInfo<GroupSpec>& param) {
                           return param.param.name;
                         });

}  // namespace
}  // namespace mimamori::testing
