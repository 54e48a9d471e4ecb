#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "agent/mib/host_resources.h"
#include "tests/unit/fake_host_data.h"

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

Oid RunCell(std::uint32_t column, std::uint32_t pid) {
  return Oid{1, 3, 6, 1, 2, 1, 25, 4, 2, 1, column, pid};
}
Oid PerfCell(std::uint32_t column, std::uint32_t pid) {
  return Oid{1, 3, 6, 1, 2, 1, 25, 5, 1, 1, column, pid};
}

ProcessInfo Process(std::int32_t pid, std::string name, std::string path, std::string parameters,
                    char state, std::uint64_t cpu_ticks, std::uint64_t rss_kb,
                    bool kernel_thread = false, bool empty_cmdline = false) {
  ProcessInfo p;
  p.pid = pid;
  p.name = std::move(name);
  p.path = std::move(path);
  p.parameters = std::move(parameters);
  p.state = state;
  p.cpu_ticks = cpu_ticks;
  p.rss_kb = rss_kb;
  p.kernel_thread = kernel_thread;
  // Kernel threads never have a command line.
  p.empty_cmdline = empty_cmdline || kernel_thread;
  return p;
}

class HrSWRunTest : public ::testing::Test {
 protected:
  HrSWRunTest() {
    host_.processes = {
        Process(1, "systemd", "/sbin/init", "splash", 'S', 253, 9024),
        Process(2, "kthreadd", "", "", 'S', 0, 0, true),
        Process(441, "kworker/1:2-mm_percpu_wq", "", "", 'I', 0, 0, true),
        Process(1169, "sshd", "sshd: root@pts/0", "", 'R', 12, 10240),
        Process(2123, "java", "/usr/bin/java", "-Xmx2g -jar /opt/app/app.jar --port 8080", 'D',
                987654, 2097152),
        Process(3000, "defunct", "", "", 'Z', 5, 0, false, true),
        Process(3001, "stopped", "/bin/sleep", "1000", 'T', 1, 100),
    };
  }

  std::map<Oid, Value> Collect() { return testing::CollectInstances(*provider_, &objects_); }

  testing::FakeHostData host_;
  SystemSettings system_;
  SnmpCounters counters_;
  ProviderContext context_{host_,
                           system_,
                           counters_,
                           [] { return std::chrono::steady_clock::time_point{}; },
                           [] { return std::chrono::system_clock::time_point{}; },
                           {}};
  std::unique_ptr<MibProvider> provider_ = MakeHrSWRunProvider(context_);
  std::vector<Oid> objects_;
};

TEST_F(HrSWRunTest, TwoRootsAndNoHrSWOSIndex) {
  EXPECT_EQ(provider_->Roots(),
            (std::vector<Oid>{Oid({1, 3, 6, 1, 2, 1, 25, 4}), Oid({1, 3, 6, 1, 2, 1, 25, 5})}));
  const auto v = Collect();
  // snmpd 5.9.3 answers noSuchObject for hrSWOSIndex.0.
  EXPECT_EQ(v.count(Oid({1, 3, 6, 1, 2, 1, 25, 4, 1, 0})), 0u);
  EXPECT_EQ(std::count(objects_.begin(), objects_.end(), Oid({1, 3, 6, 1, 2, 1, 25, 4, 1})), 0);
}

TEST_F(HrSWRunTest, ApplicationWithArguments) {
  const auto v = Collect();
  EXPECT_EQ(v.at(RunCell(1, 2123)), Value::Integer(2123));
  EXPECT_EQ(v.at(RunCell(2, 2123)), Value::OctetString("java"));
  EXPECT_EQ(v.at(RunCell(3, 2123)), Value::ObjectId(Oid{0, 0}));
  EXPECT_EQ(v.at(RunCell(4, 2123)), Value::OctetString("/usr/bin/java"));
  EXPECT_EQ(v.at(RunCell(5, 2123)), Value::OctetString("-Xmx2g -jar /opt/app/app.jar --port 8080"));
  EXPECT_EQ(v.at(RunCell(6, 2123)), Value::Integer(4));  // application
  EXPECT_EQ(v.at(RunCell(7, 2123)), Value::Integer(3));  // D: notRunnable
  EXPECT_EQ(v.at(PerfCell(1, 2123)), Value::Integer(987654));
  EXPECT_EQ(v.at(PerfCell(2, 2123)), Value::Integer(2097152));
}

TEST_F(HrSWRunTest, KernelThreads) {
  const auto v = Collect();
  EXPECT_EQ(v.at(RunCell(2, 441)), Value::OctetString("kworker/1:2-mm_percpu_wq"));
  EXPECT_EQ(v.at(RunCell(4, 441)), Value::OctetString(""));
  EXPECT_EQ(v.at(RunCell(5, 441)), Value::OctetString(""));
  EXPECT_EQ(v.at(RunCell(6, 441)), Value::Integer(2));  // operatingSystem
  EXPECT_EQ(v.at(RunCell(7, 441)), Value::Integer(4));  // I: invalid
  EXPECT_EQ(v.at(RunCell(6, 2)), Value::Integer(2));
  EXPECT_EQ(v.at(RunCell(7, 2)), Value::Integer(2));  // S: runnable
  EXPECT_EQ(v.at(PerfCell(1, 441)), Value::Integer(0));
  EXPECT_EQ(v.at(PerfCell(2, 441)), Value::Integer(0));
}

TEST_F(HrSWRunTest, StatusAndTypeMapping) {
  const auto v = Collect();
  EXPECT_EQ(v.at(RunCell(7, 1)), Value::Integer(2));     // S: runnable
  EXPECT_EQ(v.at(RunCell(7, 1169)), Value::Integer(1));  // R: running
  EXPECT_EQ(v.at(RunCell(7, 3001)), Value::Integer(3));  // T: notRunnable
  EXPECT_EQ(v.at(RunCell(7, 3000)), Value::Integer(4));  // Z: invalid
  // A zombie's cmdline is empty, so snmpd calls it an operating system process.
  EXPECT_EQ(v.at(RunCell(6, 3000)), Value::Integer(2));
  EXPECT_EQ(v.at(RunCell(6, 1169)), Value::Integer(4));
  // A process that rewrote its argv keeps it as one path.
  EXPECT_EQ(v.at(RunCell(4, 1169)), Value::OctetString("sshd: root@pts/0"));
}

TEST_F(HrSWRunTest, TypeFollowsAnEmptyCommandLineNotEmptyStrings) {
  // argv = {""}: /proc/PID/cmdline is one NUL, not empty, so snmpd's fgets
  // reads something and calls it an application, with empty path and
  // parameters.
  host_.processes = {Process(50, "blank", "", "", 'S', 0, 0)};
  const auto v = Collect();
  EXPECT_EQ(v.at(RunCell(4, 50)), Value::OctetString(""));
  EXPECT_EQ(v.at(RunCell(5, 50)), Value::OctetString(""));
  EXPECT_EQ(v.at(RunCell(6, 50)), Value::Integer(4));  // application
}

TEST_F(HrSWRunTest, ParametersAreServedAsTheHostGivesThem) {
  // ProcessInfo carries snmpd's form already (procfs::ParseCmdline): the
  // kept line break is served as is.
  host_.processes = {Process(60, "sh", "sh", "-c sleep 3600; : two\n", 'S', 0, 0)};
  const auto v = Collect();
  EXPECT_EQ(v.at(RunCell(5, 60)), Value::OctetString("-c sleep 3600; : two\n"));
}

TEST_F(HrSWRunTest, BothTablesListTheSameProcesses) {
  const auto v = Collect();
  std::vector<std::uint32_t> run, perf;
  for (const auto& [oid, value] : v) {
    if (oid.StartsWith(Oid{1, 3, 6, 1, 2, 1, 25, 4, 2, 1, 1})) run.push_back(oid[11]);
    if (oid.StartsWith(Oid{1, 3, 6, 1, 2, 1, 25, 5, 1, 1, 1})) perf.push_back(oid[11]);
  }
  EXPECT_EQ(run, (std::vector<std::uint32_t>{1, 2, 441, 1169, 2123, 3000, 3001}));
  EXPECT_EQ(run, perf);
  EXPECT_EQ(v.size(), 9u * 7u);
}

TEST_F(HrSWRunTest, LongValuesAreCutLikeSnmpd) {
  host_.processes = {Process(7, std::string(80, 'n'), "/" + std::string(200, 'p'),
                             std::string(300, 'a'), 'S', 0, 0)};
  const auto v = Collect();
  EXPECT_EQ(v.at(RunCell(2, 7)).bytes.size(), 63u);
  EXPECT_EQ(v.at(RunCell(4, 7)).bytes.size(), 128u);
  EXPECT_EQ(v.at(RunCell(5, 7)).bytes, std::string(128, 'a'));
}

TEST_F(HrSWRunTest, CpuTimeWrapsAsAnInt32) {
  host_.processes = {Process(9, "busy", "/busy", "", 'R', 0x80000005ull, 0)};
  const auto v = Collect();
  EXPECT_EQ(v.at(PerfCell(1, 9)), Value::Integer(static_cast<std::int32_t>(0x80000005u)));
}

TEST_F(HrSWRunTest, EmptyTableStillHasItsColumns) {
  host_.processes.clear();
  const auto v = Collect();
  EXPECT_TRUE(v.empty());
  for (std::uint32_t column = 1; column <= 7; ++column) {
    EXPECT_EQ(
        std::count(objects_.begin(), objects_.end(), Oid({1, 3, 6, 1, 2, 1, 25, 4, 2, 1, column})),
        1);
  }
  EXPECT_EQ(std::count(objects_.begin(), objects_.end(), Oid({1, 3, 6, 1, 2, 1, 25, 5, 1, 1, 2})),
            1);
}

}  // namespace
}  // namespace mimamori::agent
