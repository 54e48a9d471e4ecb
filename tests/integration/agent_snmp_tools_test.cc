// mimamori-agent as the Net-SNMP command-line tools see it: what Hinemos,
// Zabbix or an operator's snmpwalk will do to it on a VM.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/agent_process.h"

namespace mimamori::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSysDescr = ".1.3.6.1.2.1.1.1.0";
constexpr const char* kSysName = ".1.3.6.1.2.1.1.5.0";
constexpr const char* kSnmpInBadVersions = ".1.3.6.1.2.1.11.3.0";
constexpr const char* kSnmpInBadCommunityNames = ".1.3.6.1.2.1.11.4.0";
constexpr const char* kSnmpInAsnParseErrs = ".1.3.6.1.2.1.11.6.0";
constexpr const char* kDeniedSources = ".1.3.6.1.4.1.8072.9999.9999.3863.2.1.0";
constexpr const char* kHrSWRunEntry = ".1.3.6.1.2.1.25.4.2.1";
constexpr const char* kHrStorageEntry = ".1.3.6.1.2.1.25.2.3.1";

class AgentSnmpToolsTest : public ::testing::Test {
 protected:
  void StartAgent(const AgentOptions& options = {}) {
    std::string error;
    agent_ = AgentProcess::Start(options, error);
    ASSERT_NE(agent_, nullptr) << error;
  }

  CommandResult Tool(const std::string& tool, const std::vector<std::string>& options,
                     const std::vector<std::string>& oids) {
    return SnmpTool(tool, agent_->endpoint(), options, oids);
  }

  // One value with snmpget; fails the test when there is none.
  VarBind Get(const std::string& oid, const std::vector<std::string>& options = {}) {
    const CommandResult get = Tool("snmpget", options, {oid});
    EXPECT_EQ(get.exit_code, 0) << oid << ": " << get.Describe();
    const std::vector<VarBind> binds = ParseVarBinds(get.out);
    EXPECT_EQ(binds.size(), 1u) << get.out;
    if (binds.size() != 1) return {};
    EXPECT_FALSE(binds[0].exception) << oid << ": " << binds[0].type;
    return binds[0];
  }

  // A counter of the agent, read through an allowed source. nullopt when it
  // cannot be read.
  std::optional<double> Counter(const char* oid, const std::vector<std::string>& options = {}) {
    return GetNumber(agent_->endpoint(), oid, options);
  }

  // Waits (bounded) until `oid` reaches at least `target`: the agent counts
  // a datagram when it has handled it, which the sender cannot observe.
  void ExpectCounterReaches(const char* oid, double target,
                            const std::vector<std::string>& options = {}) {
    std::optional<double> last;
    WaitFor(
        [&] {
          last = Counter(oid, options);
          return last && *last >= target;
        },
        10s, 50ms);
    ASSERT_TRUE(last.has_value()) << oid << " unreadable";
    EXPECT_GE(*last, target) << oid;
  }

  // A request that must go unanswered: snmpget times out (one try, 1 s).
  void ExpectNoAnswer(const std::vector<std::string>& options, const std::string& what) {
    std::vector<std::string> all = {"-t", "1"};
    all.insert(all.end(), options.begin(), options.end());
    const CommandResult get = Tool("snmpget", all, {kSysDescr});
    EXPECT_NE(get.exit_code, 0) << what << " was answered: " << get.out;
    EXPECT_NE(get.err.find("Timeout"), std::string::npos) << what << ": " << get.Describe();
  }

  std::unique_ptr<AgentProcess> agent_;
};

// The groups every full walk must pass through (all are non-empty on any
// Linux host: the agent's own UDP socket is in udpEndpointTable).
constexpr const char* kGroupsOfAFullWalk[] = {
    ".1.3.6.1.2.1.1",             // system
    ".1.3.6.1.2.1.2",             // interfaces
    ".1.3.6.1.2.1.7.7",           // udpEndpointTable
    ".1.3.6.1.2.1.11",            // snmp
    ".1.3.6.1.2.1.25.1",          // hrSystem
    ".1.3.6.1.2.1.25.2",          // hrStorage
    ".1.3.6.1.2.1.25.3.2",        // hrDeviceTable
    ".1.3.6.1.2.1.25.4",          // hrSWRun
    ".1.3.6.1.2.1.25.5",          // hrSWRunPerf
    ".1.3.6.1.2.1.31.1.1",        // ifXTable
    ".1.3.6.1.4.1.2021.4",        // UCD memory
    ".1.3.6.1.4.1.2021.9",        // dskTable
    ".1.3.6.1.4.1.2021.10",       // laTable
    ".1.3.6.1.4.1.2021.11",       // systemStats
    ".1.3.6.1.4.1.2021.13.15.1",  // diskIOTable
};

// A walk that ran to the end of the MIB: exit 0, no "OID not increasing"
// complaint, every OID strictly greater than the one before, a final
// endOfMibView, and every group of kGroupsOfAFullWalk on the way (a walk
// that skipped a subtree would also "end normally").
void ExpectCompleteIncreasingWalk(const CommandResult& walk, const std::string& what) {
  EXPECT_EQ(walk.exit_code, 0) << what << ": " << walk.Describe();
  EXPECT_FALSE(walk.timed_out) << what;
  EXPECT_EQ(walk.out.find("OID not increasing"), std::string::npos) << what;
  EXPECT_EQ(walk.err.find("OID not increasing"), std::string::npos) << what << ": " << walk.err;
  const std::vector<VarBind> binds = ParseVarBinds(walk.out);
  ASSERT_FALSE(binds.empty()) << what << " returned nothing";
  for (const char* group : kGroupsOfAFullWalk) {
    const Oid root = *ParseOid(group);
    EXPECT_TRUE(std::any_of(binds.begin(), binds.end(),
                            [&](const VarBind& bind) { return OidStartsWith(bind.oid, root); }))
        << what << " has nothing under " << group;
  }
  // snmpwalk prints the endOfMibView it stops at, on the last OID it got.
  EXPECT_TRUE(binds.back().exception)
      << what << " did not end at endOfMibView; last line: " << OidToString(binds.back().oid)
      << " = " << binds.back().Text();
  if (binds.back().exception) {
    EXPECT_NE(binds.back().type.find("No more variables"), std::string::npos) << what;
  }
  int reported = 0;
  for (std::size_t i = 0; i + 1 < binds.size(); ++i) {
    EXPECT_FALSE(binds[i].exception)
        << what << ": " << OidToString(binds[i].oid) << " = " << binds[i].type;
    if (i > 0 && !(binds[i - 1].oid < binds[i].oid) && reported++ < 10) {
      ADD_FAILURE() << what << ": OID not increasing: " << OidToString(binds[i - 1].oid) << " then "
                    << OidToString(binds[i].oid);
    }
  }
}

TEST_F(AgentSnmpToolsTest, WalkOfTheWholeTreeEndsNormallyInIncreasingOrder) {
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  ExpectCompleteIncreasingWalk(Tool("snmpwalk", {}, {".1"}), "snmpwalk .1");
}

TEST_F(AgentSnmpToolsTest, BulkWalkOfTheWholeTreeEndsNormallyInIncreasingOrder) {
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  ExpectCompleteIncreasingWalk(Tool("snmpbulkwalk", {"-Cr25"}, {".1"}), "snmpbulkwalk -Cr25 .1");
}

// With the standard MIBs loaded the tools check every value's type against
// the object's syntax and print "Wrong Type (should be ...)" otherwise; a
// manager with MIBs (Hinemos, Zabbix templates) would misread such a value.
TEST_F(AgentSnmpToolsTest, WalkWithStandardMibsShowsNoWrongTypes) {
  const std::optional<std::filesystem::path> mibs = SharedMibDir();
  if (!mibs)
    GTEST_SKIP() << "no standard MIB files at " << (SourceDir() / ".." / "shared" / "mibs")
                 << " (they are not packaged by Debian); the numeric tests still run";
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  // -m ALL after the base options' -m "" loads every MIB of the directory.
  const std::vector<std::string> with_mibs = {"-M", "+" + mibs->string(), "-m", "ALL"};
  const CommandResult walk = Tool("snmpwalk", with_mibs, {".1"});
  EXPECT_EQ(walk.exit_code, 0) << walk.Describe();
  std::size_t reported = 0;
  std::size_t line_start = 0;
  while (line_start < walk.out.size()) {
    std::size_t end = walk.out.find('\n', line_start);
    if (end == std::string::npos) end = walk.out.size();
    const std::string line = walk.out.substr(line_start, end - line_start);
    if (line.find(" = Wrong Type (should be") != std::string::npos && reported++ < 20)
      ADD_FAILURE() << "type differs from the MIB: " << line;
    line_start = end + 1;
  }
  // The names monitoring templates use resolve and answer.
  for (const char* name :
       {"SNMPv2-MIB::sysDescr.0", "SNMPv2-MIB::sysUpTime.0", "HOST-RESOURCES-MIB::hrSystemUptime.0",
        "HOST-RESOURCES-MIB::hrMemorySize.0", "UCD-SNMP-MIB::memTotalReal.0",
        "UCD-SNMP-MIB::ssCpuRawIdle.0", "IF-MIB::ifNumber.0"}) {
    const CommandResult get = Tool("snmpget", with_mibs, {name});
    EXPECT_EQ(get.exit_code, 0) << name << ": " << get.Describe();
    EXPECT_EQ(get.out.find("No Such"), std::string::npos) << name << ": " << get.out;
  }
}

TEST_F(AgentSnmpToolsTest, SysDescrNamesLinux) {
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  const VarBind descr = Get(kSysDescr);
  EXPECT_EQ(descr.type, "STRING");
  // Hinemos picks its Linux collection method by matching ".*inux.*" here.
  EXPECT_NE(descr.value.find("Linux"), std::string::npos) << descr.value;
}

TEST_F(AgentSnmpToolsTest, HrSWRunListsAProcessWithItsArguments) {
  // A marker argument no other process has; started before the agent so its
  // first hrSWRun snapshot (cached for cache_lifetime) has it.
  const std::string argument = "3600." + std::to_string(10000 + ::getpid() % 90000);
  std::string error;
  std::optional<ChildProcess> sleeper =
      ChildProcess::Spawn({.argv = {"/bin/sleep", argument}}, error);
  ASSERT_TRUE(sleeper.has_value()) << error;
  const std::string pid = std::to_string(sleeper->pid());
  // Wait for the exec to be visible, or the agent could catch the forked test
  // binary's name.
  ASSERT_TRUE(WaitFor([&] { return ReadFile("/proc/" + pid + "/comm") == "sleep\n"; }, 5s, 5ms));
  ASSERT_NO_FATAL_FAILURE(StartAgent());

  const std::string entry = kHrSWRunEntry;
  EXPECT_EQ(Get(entry + ".1." + pid).Number(), sleeper->pid()) << "hrSWRunIndex";
  EXPECT_EQ(Get(entry + ".2." + pid).Octets(), "sleep") << "hrSWRunName";
  EXPECT_EQ(Get(entry + ".4." + pid).Octets(), "/bin/sleep") << "hrSWRunPath";
  EXPECT_EQ(Get(entry + ".5." + pid).Octets(), argument) << "hrSWRunParameters";
  EXPECT_EQ(Get(entry + ".6." + pid).Number(), 4) << "hrSWRunType: application(4)";
  const std::optional<double> status = Get(entry + ".7." + pid).Number();
  ASSERT_TRUE(status.has_value());
  EXPECT_GE(*status, 1) << "hrSWRunStatus";
  EXPECT_LE(*status, 4) << "hrSWRunStatus";
}

// A GetBulk response: no error, at least `min_vars` values in increasing
// order, the first inside `column`.
void ExpectBulkResponse(const CommandResult& bulk, const std::string& column,
                        std::size_t min_vars) {
  EXPECT_EQ(bulk.exit_code, 0) << bulk.Describe();
  EXPECT_EQ(bulk.out.find("tooBig"), std::string::npos) << bulk.out.substr(0, 500);
  EXPECT_EQ(bulk.err.find("tooBig"), std::string::npos) << bulk.err;
  const std::vector<VarBind> binds = ParseVarBinds(bulk.out);
  ASSERT_GE(binds.size(), min_vars) << bulk.out.substr(0, 500);
  EXPECT_LE(binds.size(), 1000u);
  EXPECT_TRUE(OidStartsWith(binds[0].oid, *ParseOid(column)))
      << "first value not in " << column << ": " << OidToString(binds[0].oid);
  // Past the end of the MIB the remaining repetitions are endOfMibView.
  for (std::size_t i = 1; i < binds.size() && !binds[i].exception; ++i)
    ASSERT_LT(binds[i - 1].oid, binds[i].oid) << "at " << i;
}

TEST_F(AgentSnmpToolsTest, GetBulkWithHugeRepetitionsIsTruncatedNotTooBig) {
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  // 1000 repetitions from hrSWRunName: the agent must send what fits in its
  // message size (RFC 3416 4.2.3), never tooBig.
  const std::string column = std::string(kHrSWRunEntry) + ".2";
  ExpectBulkResponse(Tool("snmpbulkget", {"-Cn0", "-Cr1000"}, {column}), column, 10);
}

TEST_F(AgentSnmpToolsTest, TinyMaxMessageSizeStillServesWalks) {
  // 484 octets is the smallest message size every SNMP entity must accept.
  ASSERT_NO_FATAL_FAILURE(StartAgent({.config_yaml = "max_message_size: 484\n"}));
  ExpectCompleteIncreasingWalk(Tool("snmpwalk", {}, {".1"}), "snmpwalk .1 (484 octets)");
  ExpectCompleteIncreasingWalk(Tool("snmpbulkwalk", {"-Cr25"}, {".1"}),
                               "snmpbulkwalk -Cr25 .1 (484 octets)");
  // 484 octets hold only a few hrSWRunName values: a truncated response.
  const std::string column = std::string(kHrSWRunEntry) + ".2";
  const CommandResult bulk = Tool("snmpbulkget", {"-Cn0", "-Cr1000"}, {column});
  ExpectBulkResponse(bulk, column, 1);
  EXPECT_LT(ParseVarBinds(bulk.out).size(), 50u) << "more than 484 octets can hold";
}

// The index form is confirmed against Debian's snmpd, which must find the
// same socket under the same OID.
TEST_F(AgentSnmpToolsTest, TcpListenerTableHasOurListeningSocket) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);
  ASSERT_NO_FATAL_FAILURE(StartAgent());

  // tcpListenerProcess.ipv4(1).4.127.0.0.1.PORT
  const std::string oid = ".1.3.6.1.2.1.6.20.1.4.1.4.127.0.0.1." + std::to_string(port);
  const VarBind ours = Get(oid);
  EXPECT_EQ(ours.type, "Gauge32") << ours.Text();

  if (!SnmpdProcess::Available()) GTEST_SKIP() << "snmpd not installed: index not cross-checked";
  std::string error;
  const std::unique_ptr<SnmpdProcess> snmpd = SnmpdProcess::Start(error);
  ASSERT_NE(snmpd, nullptr) << error;
  const CommandResult theirs = SnmpTool("snmpget", snmpd->endpoint(), {}, {oid});
  const std::vector<VarBind> binds = ParseVarBinds(theirs.out);
  ASSERT_EQ(binds.size(), 1u) << theirs.Describe();
  EXPECT_FALSE(binds[0].exception) << "snmpd has no " << oid << ": " << binds[0].type;
  EXPECT_EQ(binds[0].type, "Gauge32");
}

TEST_F(AgentSnmpToolsTest, MemorySizesEqualMemTotal) {
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  const std::uint64_t mem_total_kb = MemTotalKb();
  ASSERT_GT(mem_total_kb, 0u);
  EXPECT_EQ(Get(".1.3.6.1.4.1.2021.4.5.0").Number(), static_cast<double>(mem_total_kb))
      << "memTotalReal";
  EXPECT_EQ(Get(".1.3.6.1.2.1.25.2.2.0").Number(), static_cast<double>(mem_total_kb))
      << "hrMemorySize";
}

struct FsBytes {
  double size = 0;
  double used = 0;
};

std::optional<FsBytes> StatFs(const std::string& path) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) return std::nullopt;
  const double unit = static_cast<double>(fs.f_frsize);
  // df's "used" (and snmpd's hrStorageUsed): blocks minus free blocks,
  // including those reserved for root.
  return FsBytes{static_cast<double>(fs.f_blocks) * unit,
                 static_cast<double>(fs.f_blocks - fs.f_bfree) * unit};
}

// /proc/mounts writes a space in a path as "\040" (and tab, newline,
// backslash likewise in octal); hrStorageDescr has the real path.
std::string UnescapeMountPath(const std::string& escaped) {
  std::string path;
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] == '\\' && i + 3 < escaped.size()) {
      const std::string digits = escaped.substr(i + 1, 3);
      if (digits.find_first_not_of("01234567") == std::string::npos) {
        path.push_back(static_cast<char>(std::stoi(digits, nullptr, 8)));
        i += 3;
        continue;
      }
    }
    path.push_back(escaped[i]);
  }
  return path;
}

TEST_F(AgentSnmpToolsTest, HrStorageFileSystemsMatchStatvfs) {
  // No cache: each answer is read while the test brackets it with statvfs,
  // so that a file written meanwhile by another process is within the range.
  ASSERT_NO_FATAL_FAILURE(StartAgent({.config_yaml = "cache_lifetime: 0s\n"}));

  // Every mount point, as the agent should see it, before and after the walk.
  std::map<std::string, FsBytes> before;
  for (const std::string& line : [] {
         std::vector<std::string> lines;
         std::istringstream in(ReadFile("/proc/self/mounts"));
         for (std::string l; std::getline(in, l);) lines.push_back(l);
         return lines;
       }()) {
    std::istringstream fields(line);
    std::string device, escaped;
    fields >> device >> escaped;
    const std::string mount_point = UnescapeMountPath(escaped);
    if (auto bytes = StatFs(mount_point)) before[mount_point] = *bytes;
  }
  const CommandResult walk = Tool("snmpwalk", {}, {kHrStorageEntry});
  ASSERT_EQ(walk.exit_code, 0) << walk.Describe();

  std::map<std::uint32_t, std::map<std::uint32_t, VarBind>> rows;  // index -> column -> value
  const Oid entry = *ParseOid(kHrStorageEntry);
  for (const VarBind& bind : ParseVarBinds(walk.out)) {
    if (bind.exception || bind.oid.size() != entry.size() + 2 || !OidStartsWith(bind.oid, entry))
      continue;
    rows[bind.oid.back()][bind.oid[entry.size()]] = bind;
  }
  int file_systems = 0;
  for (auto& [index, columns] : rows) {
    const std::string type = columns[2].value;
    // hrStorageFixedDisk and hrStorageNetworkDisk: real file systems.
    if (type != ".1.3.6.1.2.1.25.2.1.4" && type != ".1.3.6.1.2.1.25.2.1.10") continue;
    ++file_systems;
    const std::string mount_point = columns[3].Octets().value_or("?");
    SCOPED_TRACE("hrStorage row " + std::to_string(index) + " " + mount_point);
    const std::optional<FsBytes> after = StatFs(mount_point);
    ASSERT_TRUE(after.has_value()) << "hrStorageDescr is not a mount point";
    ASSERT_TRUE(before.count(mount_point)) << "not in /proc/self/mounts";
    const double units = columns[4].Number().value_or(0);
    const double size = columns[5].Number().value_or(-1) * units;
    const double used = columns[6].Number().value_or(-1) * units;
    ASSERT_GT(units, 0);
    // Sizes are exact, but for a file system too large for Integer32 blocks
    // snmpd doubles the unit until it fits, rounding the size down.
    EXPECT_LE(std::abs(size - after->size), units) << "size " << size << " vs " << after->size;
    // Used space moves with whatever the machine writes; it must lie in the
    // range seen around the walk, give or take what a build writes meanwhile.
    const double slack = std::max(2 * units, 64.0 * 1024 * 1024);
    const double low = std::min(before[mount_point].used, after->used) - slack;
    const double high = std::max(before[mount_point].used, after->used) + slack;
    EXPECT_GE(used, low) << "used " << used;
    EXPECT_LE(used, high) << "used " << used;
  }
  EXPECT_GT(file_systems, 0) << "no FixedDisk/NetworkDisk row in hrStorageTable:\n" << walk.out;
}

TEST_F(AgentSnmpToolsTest, WrongCommunityIsNotAnsweredAndIsCounted) {
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  const std::optional<double> before = Counter(kSnmpInBadCommunityNames);
  ASSERT_TRUE(before.has_value());
  ExpectNoAnswer({"-c", "NotTheCommunity"}, "a wrong community");
  ExpectCounterReaches(kSnmpInBadCommunityNames, *before + 1);
}

TEST_F(AgentSnmpToolsTest, ManagerOutsideAllowedNetworksIsNotAnswered) {
  ASSERT_NO_FATAL_FAILURE(StartAgent({.config_yaml = "allowed_managers: [127.0.0.2/32]\n"}));
  ExpectNoAnswer({}, "a request from 127.0.0.1");
  const std::vector<std::string> from_allowed = {"--clientaddr=127.0.0.2"};
  const VarBind descr = Get(kSysDescr, from_allowed);
  EXPECT_NE(descr.value.find("Linux"), std::string::npos) << descr.Text();
  ExpectCounterReaches(kDeniedSources, 1, from_allowed);
}

TEST_F(AgentSnmpToolsTest, SnmpV3IsNotAnsweredAndIsCounted) {
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  const std::optional<double> before = Counter(kSnmpInBadVersions);
  ASSERT_TRUE(before.has_value());
  // The tool's first v3 message is its engine ID discovery probe.
  ExpectNoAnswer({"-v3", "-l", "noAuthNoPriv", "-u", "monitor"}, "an SNMPv3 request");
  ExpectCounterReaches(kSnmpInBadVersions, *before + 1);
}

TEST_F(AgentSnmpToolsTest, SnmpV1IsAnswered) {
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  const CommandResult get = Tool("snmpget", {"-v1"}, {kSysDescr});
  EXPECT_EQ(get.exit_code, 0) << get.Describe();
  EXPECT_NE(get.out.find("Linux"), std::string::npos) << get.out;
}

TEST_F(AgentSnmpToolsTest, GarbageDatagramsAreCountedAsParseErrors) {
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  const std::optional<double> before = Counter(kSnmpInAsnParseErrs);
  ASSERT_TRUE(before.has_value());

  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(agent_->port());
  // Not BER at all; a SEQUENCE whose length runs past the datagram; a
  // SEQUENCE holding a truncated INTEGER.
  const std::vector<std::string> garbage = {"hello, agent", std::string("\x30\x82\xff\xff\x02", 5),
                                            std::string("\x30\x03\x02\x05\x01", 5)};
  for (const std::string& datagram : garbage) {
    EXPECT_EQ(::sendto(fd, datagram.data(), datagram.size(), 0,
                       reinterpret_cast<const sockaddr*>(&to), sizeof to),
              static_cast<ssize_t>(datagram.size()));
  }
  ::close(fd);
  ExpectCounterReaches(kSnmpInAsnParseErrs, *before + static_cast<double>(garbage.size()));
  EXPECT_TRUE(agent_->Running());
}

// The agent is read-only: a set gets the error snmpd gives a read-only
// community, so scripts that probe for write access conclude the same.
TEST_F(AgentSnmpToolsTest, SetIsRefusedWithNoAccess) {
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  const CommandResult ours = Tool("snmpset", {}, {kSysName, "s", "changed"});
  EXPECT_NE(ours.exit_code, 0) << ours.out;
  EXPECT_NE((ours.out + ours.err).find("Reason: noAccess"), std::string::npos) << ours.Describe();
  EXPECT_NE(Get(kSysName).value, "\"changed\"");

  if (!SnmpdProcess::Available()) GTEST_SKIP() << "snmpd not installed: not cross-checked";
  std::string error;
  const std::unique_ptr<SnmpdProcess> snmpd = SnmpdProcess::Start(error);
  ASSERT_NE(snmpd, nullptr) << error;
  const CommandResult theirs = SnmpTool("snmpset", snmpd->endpoint(), {}, {kSysName, "s", "x"});
  EXPECT_EQ(ours.exit_code, theirs.exit_code);
  // "Error in packet. Reason: noAccess Failed object: ..." word for word.
  EXPECT_EQ(ours.err, theirs.err);
}

TEST_F(AgentSnmpToolsTest, BinaryIsFullyStatic) {
  const std::string binary = AgentBinary();
  const CommandResult file = RunCommand({"file", "-L", binary}, 30s);
  ASSERT_EQ(file.exit_code, 0) << file.Describe();
  if (file.out.find("dynamically linked") != std::string::npos &&
      std::getenv("MIMAMORI_EXPECT_DYNAMIC_AGENT") != nullptr)
    GTEST_SKIP() << "built with MIMAMORI_STATIC_AGENT=OFF (MIMAMORI_EXPECT_DYNAMIC_AGENT is set)";
  // "static-pie linked" is fully static as well (a static PIE).
  EXPECT_TRUE(file.out.find("statically linked") != std::string::npos ||
              file.out.find("static-pie linked") != std::string::npos)
      << file.out
      << "(configure with -DMIMAMORI_STATIC_AGENT=ON, or set MIMAMORI_EXPECT_DYNAMIC_AGENT "
         "for a dynamic build)";
  const CommandResult ldd = RunCommand({"ldd", binary}, 30s);
  EXPECT_NE((ldd.out + ldd.err).find("not a dynamic executable"), std::string::npos)
      << ldd.out << ldd.err;
}

}  // namespace
}  // namespace mimamori::testing
