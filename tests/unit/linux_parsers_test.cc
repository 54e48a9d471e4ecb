// The /proc parsers against the RHEL 7/8/9 fixture files and hand-made
// malformed input.
#include "agent/linux/procfs_parsers.h"

#include <utmp.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mimamori::agent::procfs {
namespace {

using namespace std::string_literals;

std::string Fixture(const std::string& distro, const std::string& relative) {
  const std::string path = std::string(MIMAMORI_FIXTURES) + "/linux/" + distro + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Bytes(std::initializer_list<unsigned char> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

void ExpectTimes(const CpuTimes& t, std::vector<std::uint64_t> expected) {
  ASSERT_EQ(expected.size(), 10u);
  EXPECT_EQ(t.user, expected[0]);
  EXPECT_EQ(t.nice, expected[1]);
  EXPECT_EQ(t.system, expected[2]);
  EXPECT_EQ(t.idle, expected[3]);
  EXPECT_EQ(t.iowait, expected[4]);
  EXPECT_EQ(t.irq, expected[5]);
  EXPECT_EQ(t.softirq, expected[6]);
  EXPECT_EQ(t.steal, expected[7]);
  EXPECT_EQ(t.guest, expected[8]);
  EXPECT_EQ(t.guest_nice, expected[9]);
}

// ------------------------------------------------------------------ /proc/stat

TEST(ParseCpuStat, Rhel7) {
  const CpuStat s = ParseCpuStat(Fixture("rhel7", "proc/stat"));
  ExpectTimes(s.total, {183542, 412, 96473, 27741851, 9875, 0, 2210, 1843, 0, 0});
  ASSERT_EQ(s.per_cpu.size(), 2u);
  ExpectTimes(s.per_cpu[0], {91234, 201, 48561, 13868902, 4950, 0, 1501, 921, 0, 0});
  ExpectTimes(s.per_cpu[1], {92308, 211, 47912, 13872949, 4925, 0, 709, 922, 0, 0});
  EXPECT_EQ(s.interrupts, 31314715u);
  EXPECT_EQ(s.context_switches, 98765432u);
  EXPECT_EQ(s.boot_time, 1717400000u);
  EXPECT_EQ(s.processes_forked, 123456u);
  EXPECT_EQ(s.pages_in, 0u);  // only /proc/vmstat has them on these kernels
}

TEST(ParseCpuStat, Rhel8) {
  const CpuStat s = ParseCpuStat(Fixture("rhel8", "proc/stat"));
  ExpectTimes(s.total, {501794, 2220, 195315, 104255031, 23904, 37889, 13533, 3042, 0, 0});
  ASSERT_EQ(s.per_cpu.size(), 2u);
  ExpectTimes(s.per_cpu[1], {249921, 1093, 97104, 52141127, 11870, 18012, 5521, 1498, 0, 0});
  EXPECT_EQ(s.interrupts, 41043740u);
  EXPECT_EQ(s.context_switches, 187654321u);
  EXPECT_EQ(s.boot_time, 1719820800u);
  EXPECT_EQ(s.processes_forked, 287001u);
}

TEST(ParseCpuStat, Rhel9) {
  const CpuStat s = ParseCpuStat(Fixture("rhel9", "proc/stat"));
  ExpectTimes(s.total, {36203, 115, 18421, 2441814, 1789, 8002, 2046, 589, 0, 0});
  ASSERT_EQ(s.per_cpu.size(), 2u);
  ExpectTimes(s.per_cpu[0], {18211, 54, 9120, 1220811, 913, 4112, 1201, 301, 0, 0});
  EXPECT_EQ(s.interrupts, 3206793u);
  EXPECT_EQ(s.context_switches, 6623012u);
  EXPECT_EQ(s.boot_time, 1730100000u);
  EXPECT_EQ(s.processes_forked, 5311u);
}

TEST(ParseCpuStat, OldKernelShortCpuLinesAndPageLines) {
  const CpuStat s =
      ParseCpuStat("cpu  10 20 30 40\ncpu0 10 20 30 40\npage 111 222\nswap 3 4\nintr 9\n");
  ExpectTimes(s.total, {10, 20, 30, 40, 0, 0, 0, 0, 0, 0});
  ASSERT_EQ(s.per_cpu.size(), 1u);
  EXPECT_EQ(s.pages_in, 111u);
  EXPECT_EQ(s.pages_out, 222u);
  EXPECT_EQ(s.swap_in, 3u);
  EXPECT_EQ(s.swap_out, 4u);
  EXPECT_EQ(s.interrupts, 9u);
}

TEST(ParseCpuStat, MalformedLinesAreSkipped) {
  const CpuStat s = ParseCpuStat(
      "cpu  1 2 x 4 5\n"                   // not a number: whole line dropped
      "cpu0 1 2 3\n"                       // too short
      "cpu1 5 6 7 8 9 10 11 12\n"          // good
      "cpuX 1 2 3 4\n"                     // not a cpu index
      "cpu2 1 2 3 4 5 6 7 8 9 10 11 12\n"  // extra columns are ignored
      "ctxt\n"
      "btime -5\n"
      "processes 18446744073709551616\n"  // overflows
      "garbage line here\n"
      "\n"
      "intr 77 1 2");  // no final newline
  ExpectTimes(s.total, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  ASSERT_EQ(s.per_cpu.size(), 2u);
  ExpectTimes(s.per_cpu[0], {5, 6, 7, 8, 9, 10, 11, 12, 0, 0});
  ExpectTimes(s.per_cpu[1], {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  EXPECT_EQ(s.context_switches, 0u);
  EXPECT_EQ(s.boot_time, 0u);
  EXPECT_EQ(s.processes_forked, 0u);
  EXPECT_EQ(s.interrupts, 77u);
}

TEST(ParseCpuStat, Empty) {
  const CpuStat s = ParseCpuStat("");
  EXPECT_TRUE(s.per_cpu.empty());
  EXPECT_EQ(s.total.idle, 0u);
}

// --------------------------------------------------------------- /proc/vmstat

TEST(ParseVmStat, AllFixtures) {
  struct Case {
    const char* distro;
    std::uint64_t in, out, swap_in, swap_out;
  };
  for (const Case& c :
       {Case{"rhel7", 1187283, 3267491, 0, 0}, Case{"rhel8", 4382917, 18820311, 2171, 4398},
        Case{"rhel9", 1012877, 402211, 0, 0}}) {
    SCOPED_TRACE(c.distro);
    CpuStat s;
    s.context_switches = 42;
    ParseVmStat(Fixture(c.distro, "proc/vmstat"), s);
    EXPECT_EQ(s.pages_in, c.in);
    EXPECT_EQ(s.pages_out, c.out);
    EXPECT_EQ(s.swap_in, c.swap_in);
    EXPECT_EQ(s.swap_out, c.swap_out);
    EXPECT_EQ(s.context_switches, 42u);  // untouched
  }
}

TEST(ParseVmStat, MalformedAndOverridesPageLine) {
  CpuStat s = ParseCpuStat("page 1 2\n");
  ParseVmStat("pgpgin\npgpgout abc\npswpin 5\npgpgin 7 8\nnr_free_pages 1\n", s);
  EXPECT_EQ(s.pages_in, 7u);
  EXPECT_EQ(s.pages_out, 2u);  // the malformed pgpgout left the old value
  EXPECT_EQ(s.swap_in, 5u);
  ParseVmStat("", s);
  EXPECT_EQ(s.pages_in, 7u);
}

// -------------------------------------------------------------- /proc/meminfo

TEST(ParseMemInfo, Rhel7) {
  const MemInfo m = ParseMemInfo(Fixture("rhel7", "proc/meminfo"));
  EXPECT_EQ(m.total_kb, 3880164u);
  EXPECT_EQ(m.free_kb, 260488u);
  EXPECT_EQ(m.available_kb, std::optional<std::uint64_t>(2952792));
  EXPECT_EQ(m.buffers_kb, 2108u);
  EXPECT_EQ(m.cached_kb, 2823164u);
  EXPECT_EQ(m.shared_kb, 23828u);
  EXPECT_EQ(m.sreclaimable_kb, 240388u);
  EXPECT_EQ(m.swap_total_kb, 2097148u);
  EXPECT_EQ(m.swap_free_kb, 2097148u);
}

TEST(ParseMemInfo, Rhel8) {
  const MemInfo m = ParseMemInfo(Fixture("rhel8", "proc/meminfo"));
  EXPECT_EQ(m.total_kb, 3861292u);
  EXPECT_EQ(m.free_kb, 727608u);
  EXPECT_EQ(m.available_kb, std::optional<std::uint64_t>(2913412));
  EXPECT_EQ(m.buffers_kb, 4204u);
  EXPECT_EQ(m.cached_kb, 2265348u);  // not SwapCached
  EXPECT_EQ(m.shared_kb, 25664u);    // not ShmemHugePages / ShmemPmdMapped
  EXPECT_EQ(m.sreclaimable_kb, 205572u);
  EXPECT_EQ(m.swap_total_kb, 2097148u);
  EXPECT_EQ(m.swap_free_kb, 2088444u);
}

TEST(ParseMemInfo, Rhel9) {
  const MemInfo m = ParseMemInfo(Fixture("rhel9", "proc/meminfo"));
  EXPECT_EQ(m.total_kb, 7834648u);
  EXPECT_EQ(m.free_kb, 5093952u);
  EXPECT_EQ(m.available_kb, std::optional<std::uint64_t>(6991220));
  EXPECT_EQ(m.buffers_kb, 5236u);
  EXPECT_EQ(m.cached_kb, 2045824u);
  EXPECT_EQ(m.shared_kb, 36568u);
  EXPECT_EQ(m.sreclaimable_kb, 93452u);
  EXPECT_EQ(m.swap_total_kb, 4116476u);
  EXPECT_EQ(m.swap_free_kb, 4116476u);
}

TEST(ParseMemInfo, WithoutMemAvailableAsOnEarly3_10) {
  const MemInfo m = ParseMemInfo(
      "MemTotal:        1012345 kB\nMemFree:          500000 kB\nBuffers:            1000 kB\n");
  EXPECT_EQ(m.total_kb, 1012345u);
  EXPECT_EQ(m.free_kb, 500000u);
  EXPECT_FALSE(m.available_kb.has_value());
}

TEST(ParseMemInfo, Malformed) {
  const MemInfo m = ParseMemInfo(
      "MemTotal 123 kB\n"      // no colon
      "MemFree:\n"             // no value
      "Cached: lots kB\n"      // not a number
      "SwapTotal:  -1 kB\n"    // negative
      "Buffers:      77 kB\n"  // good
      "MemAvailable:   12");   // cut before the unit, still a number
  EXPECT_EQ(m.total_kb, 0u);
  EXPECT_EQ(m.free_kb, 0u);
  EXPECT_EQ(m.cached_kb, 0u);
  EXPECT_EQ(m.swap_total_kb, 0u);
  EXPECT_EQ(m.buffers_kb, 77u);
  EXPECT_EQ(m.available_kb, std::optional<std::uint64_t>(12));
  EXPECT_FALSE(ParseMemInfo("").available_kb.has_value());
}

// --------------------------------------------------------------- /proc/mounts

TEST(DecodeOctalEscapes, KernelEscapes) {
  EXPECT_EQ(DecodeOctalEscapes("/srv/ftp\\040share"), "/srv/ftp share");
  EXPECT_EQ(DecodeOctalEscapes("a\\011b\\012c\\134d"), "a\tb\nc\\d");
  EXPECT_EQ(DecodeOctalEscapes("\\040\\040"), "  ");
  EXPECT_EQ(DecodeOctalEscapes("plain"), "plain");
  EXPECT_EQ(DecodeOctalEscapes(""), "");
}

TEST(DecodeOctalEscapes, IncompleteEscapesAreKept) {
  EXPECT_EQ(DecodeOctalEscapes("end\\"), "end\\");
  EXPECT_EQ(DecodeOctalEscapes("end\\04"), "end\\04");
  EXPECT_EQ(DecodeOctalEscapes("x\\08y"), "x\\08y");
  EXPECT_EQ(DecodeOctalEscapes("x\\400"), "x\\400");  // not a byte
  EXPECT_EQ(DecodeOctalEscapes("\\\\040"), "\\ ");    // first backslash kept
}

TEST(ParseMounts, Rhel7) {
  const std::vector<Mount> m = ParseMounts(Fixture("rhel7", "proc/mounts"));
  ASSERT_EQ(m.size(), 20u);
  EXPECT_EQ(m[0].device, "rootfs");  // 3.10 still lists the initial rootfs
  EXPECT_EQ(m[0].path, "/");
  EXPECT_EQ(m[0].type, "rootfs");
  EXPECT_EQ(m[8].path, "/sys/fs/cgroup");
  EXPECT_EQ(m[8].type, "tmpfs");
  EXPECT_TRUE(m[8].read_only);
  EXPECT_EQ(m[12].path, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(m[12].type, "cgroup");
  EXPECT_FALSE(m[12].read_only);
  EXPECT_EQ(m[14].device, "/dev/mapper/rhel-root");
  EXPECT_EQ(m[14].path, "/");
  EXPECT_EQ(m[14].type, "xfs");
  EXPECT_FALSE(m[14].read_only);
  EXPECT_EQ(m[17].device, "/dev/vda1");
  EXPECT_EQ(m[17].path, "/boot");
  EXPECT_EQ(m[18].path, "/srv/ftp share");
  EXPECT_EQ(m[18].device, "/dev/mapper/rhel-root");
}

TEST(ParseMounts, Rhel8Nfs) {
  const std::vector<Mount> m = ParseMounts(Fixture("rhel8", "proc/mounts"));
  ASSERT_EQ(m.size(), 22u);
  EXPECT_EQ(m[0].device, "sysfs");
  EXPECT_EQ(m[20].device, "nfs01.example.com:/export/home");
  EXPECT_EQ(m[20].path, "/home");
  EXPECT_EQ(m[20].type, "nfs4");
  EXPECT_FALSE(m[20].read_only);
}

TEST(ParseMounts, Rhel9Cgroup2AndReadOnlyIsoWithEscapes) {
  const std::vector<Mount> m = ParseMounts(Fixture("rhel9", "proc/mounts"));
  ASSERT_EQ(m.size(), 22u);
  EXPECT_EQ(m[7].device, "cgroup2");
  EXPECT_EQ(m[7].path, "/sys/fs/cgroup");
  EXPECT_EQ(m[7].type, "cgroup2");
  EXPECT_EQ(m[10].path, "/");
  EXPECT_EQ(m[10].type, "xfs");
  EXPECT_EQ(m[21].device, "/dev/sr0");
  EXPECT_EQ(m[21].path, "/media/RHEL-9.5 BaseOS\tx86_64");
  EXPECT_EQ(m[21].type, "iso9660");
  EXPECT_TRUE(m[21].read_only);
}

TEST(ParseMounts, ReadOnlyOnlyAsAWholeOption) {
  const std::vector<Mount> m = ParseMounts(
      "a /a ext4 rw,errors=remount-ro 0 0\n"
      "b /b ext4 ro 0 0\n"
      "c /c ext4 rw,ro 0 0\n"
      "d /d ext4 rw,rootcontext=x 0 0\n");
  ASSERT_EQ(m.size(), 4u);
  EXPECT_FALSE(m[0].read_only);
  EXPECT_TRUE(m[1].read_only);
  EXPECT_TRUE(m[2].read_only);
  EXPECT_FALSE(m[3].read_only);
}

TEST(ParseMounts, Malformed) {
  const std::vector<Mount> m = ParseMounts(
      "\n"
      "onlydevice\n"
      "dev /path type\n"   // no options: skipped
      "dev /ok type rw\n"  // no dump/pass: fine
      "   \t  \n"
      "tmpfs /x\\040y tmpfs rw 0 0");  // no final newline
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].path, "/ok");
  EXPECT_EQ(m[1].path, "/x y");
  EXPECT_TRUE(ParseMounts("").empty());
}

// ---------------------------------------------------- loadavg, uptime, cpuinfo

TEST(ParseLoadAvg, Fixtures) {
  const auto l7 = ParseLoadAvg(Fixture("rhel7", "proc/loadavg"));
  ASSERT_TRUE(l7.has_value());
  EXPECT_DOUBLE_EQ(l7->one, 0.08);
  EXPECT_DOUBLE_EQ(l7->five, 0.03);
  EXPECT_DOUBLE_EQ(l7->fifteen, 0.05);
  const auto l8 = ParseLoadAvg(Fixture("rhel8", "proc/loadavg"));
  ASSERT_TRUE(l8.has_value());
  EXPECT_DOUBLE_EQ(l8->one, 0.21);
  EXPECT_DOUBLE_EQ(l8->fifteen, 0.11);
  const auto l9 = ParseLoadAvg(Fixture("rhel9", "proc/loadavg"));
  ASSERT_TRUE(l9.has_value());
  EXPECT_DOUBLE_EQ(l9->five, 0.01);
}

TEST(ParseLoadAvg, Malformed) {
  EXPECT_FALSE(ParseLoadAvg("").has_value());
  EXPECT_FALSE(ParseLoadAvg("0.1 0.2").has_value());
  EXPECT_FALSE(ParseLoadAvg("0,1 0,2 0,3 1/2 3").has_value());
  EXPECT_FALSE(ParseLoadAvg("a b c").has_value());
  const auto l = ParseLoadAvg("12.50 3.00 1.25");  // the rest is optional
  ASSERT_TRUE(l.has_value());
  EXPECT_DOUBLE_EQ(l->one, 12.5);
}

TEST(ParseUptime, FixturesAndMalformed) {
  EXPECT_DOUBLE_EQ(ParseUptime(Fixture("rhel7", "proc/uptime")).value_or(-1), 140181.52);
  EXPECT_DOUBLE_EQ(ParseUptime(Fixture("rhel8", "proc/uptime")).value_or(-1), 529004.87);
  EXPECT_DOUBLE_EQ(ParseUptime(Fixture("rhel9", "proc/uptime")).value_or(-1), 12549.87);
  EXPECT_DOUBLE_EQ(ParseUptime("42").value_or(-1), 42.0);
  EXPECT_FALSE(ParseUptime("").has_value());
  EXPECT_FALSE(ParseUptime("12a.3 4").has_value());
  EXPECT_FALSE(ParseUptime("\n").has_value());
}

TEST(ParseCpuInfoModels, Fixtures) {
  EXPECT_EQ(ParseCpuInfoModels(Fixture("rhel7", "proc/cpuinfo")),
            (std::vector<std::string>{"GenuineIntel: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz",
                                      "GenuineIntel: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz"}));
  EXPECT_EQ(
      ParseCpuInfoModels(Fixture("rhel8", "proc/cpuinfo")),
      (std::vector<std::string>{"GenuineIntel: Intel(R) Xeon(R) Platinum 8280 CPU @ 2.70GHz",
                                "GenuineIntel: Intel(R) Xeon(R) Platinum 8280 CPU @ 2.70GHz"}));
  EXPECT_EQ(ParseCpuInfoModels(Fixture("rhel9", "proc/cpuinfo")),
            (std::vector<std::string>{"AuthenticAMD: AMD EPYC 7763 64-Core Processor",
                                      "AuthenticAMD: AMD EPYC 7763 64-Core Processor"}));
}

TEST(ParseCpuInfoModels, MissingFields) {
  EXPECT_EQ(ParseCpuInfoModels("processor\t: 0\nvendor_id\t: GenuineIntel\n"
                               "processor\t: 1\nmodel name\t: Some CPU\n"
                               "processor\t: 2\nBogoMIPS\t: 50.00\n"),
            (std::vector<std::string>{"GenuineIntel", "Some CPU", ""}));
  EXPECT_TRUE(ParseCpuInfoModels("").empty());
  EXPECT_TRUE(ParseCpuInfoModels("model name\t: orphan before any processor line\n").empty());
  // A colon inside the value is kept.
  EXPECT_EQ(ParseCpuInfoModels("processor : 0\nvendor_id : V\nmodel name : A:B  \n"),
            (std::vector<std::string>{"V: A:B"}));
}

// ------------------------------------------------------------- /proc/PID/stat

TEST(ParseProcessStat, FixtureProcesses) {
  const auto sshd = ParseProcessStat(Fixture("rhel7", "proc/1123/stat"));
  ASSERT_TRUE(sshd.has_value());
  EXPECT_EQ(sshd->pid, 1123);
  EXPECT_EQ(sshd->comm, "sshd");
  EXPECT_EQ(sshd->state, 'S');
  EXPECT_EQ(sshd->ppid, 1);
  EXPECT_EQ(sshd->flags, 0x00402100u);
  EXPECT_EQ(sshd->utime, 87u);
  EXPECT_EQ(sshd->stime, 312u);
  EXPECT_EQ(sshd->start_time, 1401u);
  EXPECT_EQ(sshd->rss_pages, 1092u);

  const auto kthreadd = ParseProcessStat(Fixture("rhel7", "proc/2/stat"));
  ASSERT_TRUE(kthreadd.has_value());
  EXPECT_EQ(kthreadd->comm, "kthreadd");
  EXPECT_EQ(kthreadd->ppid, 0);
  EXPECT_EQ(kthreadd->flags, 0x80208040u);
  EXPECT_NE(kthreadd->flags & kPfKthread, 0u);
  EXPECT_EQ(kthreadd->rss_pages, 0u);

  const auto idle = ParseProcessStat(Fixture("rhel9", "proc/3/stat"));
  ASSERT_TRUE(idle.has_value());
  EXPECT_EQ(idle->comm, "rcu_gp");
  EXPECT_EQ(idle->state, 'I');
  EXPECT_EQ(idle->ppid, 2);

  const auto zombie = ParseProcessStat(Fixture("rhel8", "proc/3456/stat"));
  ASSERT_TRUE(zombie.has_value());
  EXPECT_EQ(zombie->state, 'Z');
  EXPECT_EQ(zombie->ppid, 2345);
  EXPECT_EQ(zombie->utime + zombie->stime, 14u);
  EXPECT_EQ(zombie->flags & kPfKthread, 0u);
}

TEST(ParseProcessStat, CommWithParenthesesAndSpaces) {
  for (const char* distro : {"rhel7", "rhel8", "rhel9"}) {
    SCOPED_TRACE(distro);
    const auto s = ParseProcessStat(Fixture(distro, "proc/2345/stat"));
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->pid, 2345);
    EXPECT_EQ(s->comm, "my) (app");
    EXPECT_EQ(s->ppid, 1);
  }
  const auto s = ParseProcessStat(
      "77 ()) S (x) ) R 5 77 77 0 -1 4194304 0 0 0 0 3 4 0 0 20 0 1 0 99 1000 12 "
      "18446744073709551615");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->comm, ")) S (x) ");
  EXPECT_EQ(s->state, 'R');
  EXPECT_EQ(s->ppid, 5);
  EXPECT_EQ(s->utime, 3u);
  EXPECT_EQ(s->stime, 4u);
  EXPECT_EQ(s->start_time, 99u);
  EXPECT_EQ(s->rss_pages, 12u);
  const auto empty_comm = ParseProcessStat("8 () S 1 8 8 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0");
  ASSERT_TRUE(empty_comm.has_value());
  EXPECT_EQ(empty_comm->comm, "");
}

TEST(ParseProcessStat, Malformed) {
  const std::string good = "42 (x) S 1 42 42 0 -1 64 0 0 0 0 10 20 0 0 20 0 1 0 7 100 -3 0\n";
  ASSERT_TRUE(ParseProcessStat(good).has_value());
  EXPECT_EQ(ParseProcessStat(good)->rss_pages, 0u);  // negative rss
  EXPECT_FALSE(ParseProcessStat("").has_value());
  EXPECT_FALSE(ParseProcessStat("garbage").has_value());
  EXPECT_FALSE(ParseProcessStat("42 (x S 1 42").has_value());
  EXPECT_FALSE(ParseProcessStat("42 x) S 1 42").has_value());  // no '('
  EXPECT_FALSE(ParseProcessStat("42 )x( S 1").has_value());
  EXPECT_FALSE(
      ParseProcessStat("abc (x) S 1 42 42 0 -1 64 0 0 0 0 10 20 0 0 20 0 1 0 7 1 2").has_value());
  EXPECT_FALSE(
      ParseProcessStat("42 (x) SS 1 42 42 0 -1 64 0 0 0 0 10 20 0 0 20 0 1 0 7 1 2").has_value());
  EXPECT_FALSE(
      ParseProcessStat("42 (x) S 1 42 42 0 -1 64 0 0 0 0 1x 20 0 0 20 0 1 0 7 1 2").has_value());
  // Cut just before rss.
  EXPECT_FALSE(
      ParseProcessStat("42 (x) S 1 42 42 0 -1 64 0 0 0 0 10 20 0 0 20 0 1 0 7 100").has_value());
  // Every prefix of a valid line either fails or parses, and never crashes.
  for (std::size_t n = 0; n < good.size(); ++n) ParseProcessStat(good.substr(0, n));
}

TEST(ParseProcessStatusName, FixturesAndEdgeCases) {
  EXPECT_EQ(ParseProcessStatusName(Fixture("rhel7", "proc/1123/status")), "sshd");
  EXPECT_EQ(ParseProcessStatusName(Fixture("rhel9", "proc/2345/status")), "my) (app");
  EXPECT_EQ(ParseProcessStatusName(Fixture("rhel9", "proc/1805/status")), "bash");
  EXPECT_EQ(ParseProcessStatusName("Umask:\t0022\nName:\tkworker/0:1-events\n"),
            "kworker/0:1-events");
  EXPECT_EQ(ParseProcessStatusName("Name:\tweird\\nname\n"), "weird\\nname");  // kept escaped
  EXPECT_EQ(ParseProcessStatusName("Name:\t\n"), "");
  EXPECT_EQ(ParseProcessStatusName("State:\tS\n"), "");
  EXPECT_EQ(ParseProcessStatusName(""), "");
  EXPECT_EQ(ParseProcessStatusName("Name:\tcut"), "cut");
}

TEST(ParseCmdline, FixturesAndEdgeCases) {
  CommandLine c = ParseCmdline(Fixture("rhel7", "proc/1/cmdline"));
  EXPECT_EQ(c.path, "/usr/lib/systemd/systemd");
  EXPECT_EQ(c.parameters, "--switched-root --system --deserialize 22");

  c = ParseCmdline(Fixture("rhel8", "proc/1034/cmdline"));
  EXPECT_EQ(c.path, "/usr/sbin/sshd");
  EXPECT_EQ(c.parameters.rfind("-D -oCiphers=aes256-gcm@openssh.com,", 0), 0u);
  EXPECT_EQ(c.parameters.find('\0'), std::string::npos);

  // setproctitle: one string followed by NUL padding.
  c = ParseCmdline(Fixture("rhel9", "proc/1021/cmdline"));
  EXPECT_EQ(c.path, "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups");
  EXPECT_EQ(c.parameters, "");

  c = ParseCmdline(Fixture("rhel9", "proc/2345/cmdline"));
  EXPECT_EQ(c.path, "./my) (app");
  EXPECT_EQ(c.parameters, "--serve 8080");

  c = ParseCmdline(Fixture("rhel9", "proc/2/cmdline"));
  EXPECT_EQ(c.path, "");
  EXPECT_EQ(c.parameters, "");

  EXPECT_TRUE(c.empty);

  c = ParseCmdline("/bin/true");  // no terminating NUL
  EXPECT_EQ(c.path, "/bin/true");
  EXPECT_EQ(c.parameters, "");
  EXPECT_FALSE(c.empty);

  // An empty argv[1] ends the parameters, as in snmpd (this used to expect
  // " b": the old parser joined every argument, which snmpd does not).
  c = ParseCmdline("a\0\0b\0\0\0"s);
  EXPECT_EQ(c.path, "a");
  EXPECT_EQ(c.parameters, "");

  c = ParseCmdline("\0\0"s);
  EXPECT_EQ(c.path, "");
  EXPECT_EQ(c.parameters, "");
  EXPECT_FALSE(c.empty);  // argv = {"", ""}: not a kernel thread
}

// The rules of snmpd 5.9.3's swrun_procfs_status.c (fgets of the file, then
// NULs turned into spaces until two NULs in a row); each expectation is what
// snmpd answers for a process started with that argv.
TEST(ParseCmdline, AsSnmpdReadsIt) {
  // The processes of the side-by-side integration test.
  CommandLine c = ParseCmdline("sh\0-c\0sleep 3600; :\0\0after-it\0"s);
  EXPECT_EQ(c.path, "sh");
  EXPECT_EQ(c.parameters, "-c sleep 3600; :");  // the empty argument ends them
  c = ParseCmdline("sh\0-c\0sleep 3600; :\0two\nlines\0after-it\0"s);
  EXPECT_EQ(c.path, "sh");
  EXPECT_EQ(c.parameters, "-c sleep 3600; : two\n");  // cut after the line break, which stays
  c = ParseCmdline("sh\0-c\0sleep 3600; :\0"s + std::string(200, 'x') + "\0after-it\0"s);
  EXPECT_EQ(c.parameters, "-c sleep 3600; : " + std::string(200, 'x') + " after-it");  // uncut here

  // A line break in argv[0] ends the path there, and nothing follows it.
  c = ParseCmdline("two\nlines\0-x\0"s);
  EXPECT_EQ(c.path, "two\n");
  EXPECT_EQ(c.parameters, "");
  // A line break without any NUL.
  c = ParseCmdline("sshd: user [priv]\nrest"s);
  EXPECT_EQ(c.path, "sshd: user [priv]\n");
  EXPECT_EQ(c.parameters, "");
  // An empty argv[0] still has parameters.
  c = ParseCmdline("\0-x\0-y\0"s);
  EXPECT_EQ(c.path, "");
  EXPECT_EQ(c.parameters, "-x -y");
  // Only argv[0], with or without its NUL.
  c = ParseCmdline("a\0"s);
  EXPECT_EQ(c.path, "a");
  EXPECT_EQ(c.parameters, "");
  // The last argument need not end with a NUL; spaces inside arguments stay.
  c = ParseCmdline("a\0b c\0d"s);
  EXPECT_EQ(c.parameters, "b c d");
  // setproctitle padding: one string and NULs.
  c = ParseCmdline("nginx: worker process\0\0\0\0"s);
  EXPECT_EQ(c.path, "nginx: worker process");
  EXPECT_EQ(c.parameters, "");
}

TEST(ParseCmdline, OnlyTheFirst8190BytesAreRead) {
  // snmpd's fgets(buf, BUFSIZ - 1) reads BUFSIZ - 2 = 8190 bytes at most.
  CommandLine c = ParseCmdline("p\0"s + std::string(9000, 'x'));
  EXPECT_EQ(c.parameters, std::string(8188, 'x'));
  // argv[0] filling the buffer up to its NUL leaves no parameters.
  c = ParseCmdline(std::string(8189, 'p') + "\0abc\0"s);
  EXPECT_EQ(c.path.size(), 8189u);
  EXPECT_EQ(c.parameters, "");
  c = ParseCmdline(std::string(8188, 'p') + "\0abc\0"s);
  EXPECT_EQ(c.parameters, "a");
}

// ------------------------------------------------------------------ net/dev

TEST(ParseNetDev, Rhel7EthFirst) {
  const std::vector<NetInterface> n = ParseNetDev(Fixture("rhel7", "proc/net/dev"));
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].name, "eth0");
  EXPECT_EQ(n[0].rx_bytes, 987654321u);
  EXPECT_EQ(n[0].rx_packets, 876543u);
  EXPECT_EQ(n[0].rx_errors, 0u);
  EXPECT_EQ(n[0].rx_dropped, 12u);
  EXPECT_EQ(n[0].rx_multicast, 4321u);
  EXPECT_EQ(n[0].tx_bytes, 123456789u);
  EXPECT_EQ(n[0].tx_packets, 234567u);
  EXPECT_EQ(n[0].tx_errors, 0u);
  EXPECT_EQ(n[0].tx_dropped, 0u);
  EXPECT_EQ(n[1].name, "lo");
  EXPECT_EQ(n[1].rx_bytes, 5123456u);
  EXPECT_EQ(n[1].tx_packets, 41234u);
  EXPECT_EQ(n[1].index, 0u);  // not known from /proc/net/dev
}

TEST(ParseNetDev, Rhel8And9) {
  const std::vector<NetInterface> n8 = ParseNetDev(Fixture("rhel8", "proc/net/dev"));
  ASSERT_EQ(n8.size(), 2u);
  EXPECT_EQ(n8[0].name, "lo");
  EXPECT_EQ(n8[1].name, "eth0");
  EXPECT_EQ(n8[1].rx_bytes, 8123456789u);  // beyond 32 bits
  EXPECT_EQ(n8[1].rx_dropped, 301u);
  EXPECT_EQ(n8[1].rx_multicast, 20931u);
  EXPECT_EQ(n8[1].tx_bytes, 4987654321u);
  EXPECT_EQ(n8[1].tx_packets, 7012399u);

  // "eth0:402988123": the counter is glued to the colon.
  const std::vector<NetInterface> n9 = ParseNetDev(Fixture("rhel9", "proc/net/dev"));
  ASSERT_EQ(n9.size(), 2u);
  EXPECT_EQ(n9[1].name, "eth0");
  EXPECT_EQ(n9[1].rx_bytes, 402988123u);
  EXPECT_EQ(n9[1].rx_packets, 331092u);
  EXPECT_EQ(n9[1].tx_bytes, 30192873u);
}

TEST(ParseNetDev, Malformed) {
  const std::vector<NetInterface> n = ParseNetDev(
      "Inter-|   Receive\n"
      " face |bytes packets\n"
      "  bad: 1 2 3\n"                                     // too few counters
      "  bad2: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n"    // not a number
      "     : 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"    // no name
      "  ok: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n"  // extra field ignored
      "garbage\n");
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].name, "ok");
  EXPECT_EQ(n[0].rx_multicast, 8u);
  EXPECT_EQ(n[0].tx_bytes, 9u);
  EXPECT_EQ(n[0].tx_dropped, 12u);
  EXPECT_TRUE(ParseNetDev("").empty());
}

// ---------------------------------------------------------------- diskstats

void ExpectDisk(const DiskStat& d, std::uint32_t major, std::uint32_t minor, const char* name,
                std::uint64_t reads, std::uint64_t sectors_read, std::uint64_t writes,
                std::uint64_t sectors_written) {
  SCOPED_TRACE(name);
  EXPECT_EQ(d.major, major);
  EXPECT_EQ(d.minor, minor);
  EXPECT_EQ(d.name, name);
  EXPECT_EQ(d.reads_completed, reads);
  EXPECT_EQ(d.sectors_read, sectors_read);
  EXPECT_EQ(d.writes_completed, writes);
  EXPECT_EQ(d.sectors_written, sectors_written);
}

TEST(ParseDiskStats, Rhel7FourteenFields) {
  const std::vector<DiskStat> d = ParseDiskStats(Fixture("rhel7", "proc/diskstats"));
  ASSERT_EQ(d.size(), 6u);
  ExpectDisk(d[0], 252, 0, "vda", 34715, 2374566, 402857, 6534982);
  ExpectDisk(d[1], 252, 1, "vda1", 1929, 96406, 2058, 4192);
  ExpectDisk(d[2], 252, 2, "vda2", 32744, 2274016, 400799, 6530790);
  ExpectDisk(d[3], 11, 0, "sr0", 0, 0, 0, 0);
  ExpectDisk(d[4], 253, 0, "dm-0", 31903, 2232130, 413193, 6510595);
  ExpectDisk(d[5], 253, 1, "dm-1", 88, 4408, 0, 0);
  // Field 13, "time spent doing I/Os (ms)".
  EXPECT_EQ(d[0].io_ticks_ms, 187634u);
  EXPECT_EQ(d[1].io_ticks_ms, 1407u);
  EXPECT_EQ(d[3].io_ticks_ms, 0u);
  EXPECT_EQ(d[5].io_ticks_ms, 24u);
}

TEST(ParseDiskStats, Rhel8EighteenFields) {
  const std::vector<DiskStat> d = ParseDiskStats(Fixture("rhel8", "proc/diskstats"));
  ASSERT_EQ(d.size(), 6u);
  ExpectDisk(d[0], 252, 0, "vda", 91052, 8765634, 2099210, 37641622);
  ExpectDisk(d[4], 253, 0, "dm-0", 87012, 8585578, 2200431, 37596140);
  ExpectDisk(d[5], 253, 1, "dm-1", 1977, 73014, 8798, 70384);
  EXPECT_EQ(d[0].io_ticks_ms, 698221u);  // the discard fields follow it
  EXPECT_EQ(d[5].io_ticks_ms, 1901u);
}

TEST(ParseDiskStats, Rhel9TwentyFields) {
  const std::vector<DiskStat> d = ParseDiskStats(Fixture("rhel9", "proc/diskstats"));
  ASSERT_EQ(d.size(), 6u);
  ExpectDisk(d[0], 252, 0, "vda", 20388, 1891230, 14321, 1209884);
  ExpectDisk(d[3], 11, 0, "sr0", 912, 116408, 0, 0);
  ExpectDisk(d[5], 253, 1, "dm-1", 97, 4490, 0, 0);
  EXPECT_EQ(d[0].io_ticks_ms, 20133u);  // the discard and flush fields follow it
  EXPECT_EQ(d[3].io_ticks_ms, 1130u);
  EXPECT_EQ(d[5].io_ticks_ms, 40u);
}

TEST(ParseDiskStats, OldPartitionFormatAndMalformed) {
  const std::vector<DiskStat> d = ParseDiskStats(
      "   3    1 hda1 11 22 33 44\n"              // 2.6.0-2.6.24 partition
      "   8    0 sda 1 2 3 4 5 6 7 8 9 10\n"      // 13 fields: unknown
      "   8    1 sda1 1 2 3 4 5 6 7 8 9 10 x\n"   // not a number
      "   x    2 sda2 1 2 3 4 5 6 7 8 9 10 11\n"  // bad major
      "   8   16 sdb\n"
      "   8   32 sdc 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n"  // too many
      "garbage\n"
      "\n"
      "   8   48 sdd 5 0 6 0 7 0 8 0 0 9 0");
  ASSERT_EQ(d.size(), 2u);
  ExpectDisk(d[0], 3, 1, "hda1", 11, 22, 33, 44);
  EXPECT_EQ(d[0].io_ticks_ms, 0u);  // the old partition lines have none
  ExpectDisk(d[1], 8, 48, "sdd", 5, 6, 7, 8);
  EXPECT_EQ(d[1].io_ticks_ms, 9u);
  EXPECT_TRUE(ParseDiskStats("").empty());
}

// ------------------------------------------------------------ socket tables

const std::string kLoopback4 = Bytes({127, 0, 0, 1});
const std::string kAny4 = Bytes({0, 0, 0, 0});
const std::string kAny6(16, '\0');
const std::string kLoopback6 = Bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});

TEST(ParseSocketTable, AddressByteOrder) {
  const char* tcp =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode\n"
      "   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
      "0 1234 1 0000000000000000 100 0 0 10 0\n"
      "   1: 1509000A:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
      "0 1235 1 0000000000000000 100 0 0 10 0\n";
  const std::vector<SocketEndpoint> v4 = ParseSocketTable(tcp, false, true);
  ASSERT_EQ(v4.size(), 2u);
  EXPECT_FALSE(v4[0].ipv6);
  EXPECT_EQ(v4[0].address, kLoopback4);
  EXPECT_EQ(v4[0].port, 22);
  EXPECT_EQ(v4[0].inode, 1234u);
  EXPECT_EQ(v4[1].address, Bytes({10, 0, 9, 21}));
  EXPECT_EQ(v4[1].port, 8080);
  EXPECT_EQ(v4[1].remote_address, kAny4);
  EXPECT_EQ(v4[1].remote_port, 0);
  EXPECT_FALSE(v4[1].connected);

  const char* tcp6 =
      "  sl  local_address                         remote_address                        st "
      "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000 100 0 0 10 0\n"
      "   1: B80D0120000010000000000021000000:238C 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000   996        0 78 1 0000000000000000 100 0 0 10 0\n"
      "   2: 000080FE00000000FF005452D1C90AFE:0016 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000     0        0 79 1 0000000000000000 100 0 0 10 0\n";
  const std::vector<SocketEndpoint> v6 = ParseSocketTable(tcp6, true, true);
  ASSERT_EQ(v6.size(), 3u);
  EXPECT_TRUE(v6[0].ipv6);
  EXPECT_EQ(v6[0].address, kLoopback6);
  EXPECT_EQ(v6[0].port, 631);
  // 2001:db8:10::21
  EXPECT_EQ(v6[1].address,
            Bytes({0x20, 0x01, 0x0d, 0xb8, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x21}));
  EXPECT_EQ(v6[1].port, 9100);
  // fe80::5254:ff:fe0a:c9d1
  EXPECT_EQ(v6[2].address,
            Bytes({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x52, 0x54, 0x00, 0xff, 0xfe, 0x0a, 0xc9, 0xd1}));
  EXPECT_EQ(v6[2].inode, 79u);
}

TEST(ParseSocketTable, TcpFixturesKeepOnlyListeners) {
  const std::vector<SocketEndpoint> t7 =
      ParseSocketTable(Fixture("rhel7", "proc/net/tcp"), false, true);
  ASSERT_EQ(t7.size(), 3u);  // the ESTABLISHED ssh connection is not a listener
  EXPECT_EQ(t7[0].address, kAny4);
  EXPECT_EQ(t7[0].port, 111);
  EXPECT_EQ(t7[1].address, kAny4);
  EXPECT_EQ(t7[1].port, 22);
  EXPECT_EQ(t7[1].inode, 19876u);
  EXPECT_EQ(t7[2].address, kLoopback4);
  EXPECT_EQ(t7[2].port, 25);

  const std::vector<SocketEndpoint> t6 =
      ParseSocketTable(Fixture("rhel7", "proc/net/tcp6"), true, true);
  ASSERT_EQ(t6.size(), 3u);
  EXPECT_EQ(t6[1].address, kAny6);
  EXPECT_EQ(t6[1].port, 22);
  EXPECT_EQ(t6[2].address, kLoopback6);
  EXPECT_EQ(t6[2].port, 25);

  // RHEL 8: an NFS client connection (inode 0) and a TIME_WAIT line (short).
  const std::vector<SocketEndpoint> t8 =
      ParseSocketTable(Fixture("rhel8", "proc/net/tcp"), false, true);
  ASSERT_EQ(t8.size(), 2u);
  EXPECT_EQ(t8[1].port, 22);

  const std::vector<SocketEndpoint> t9 =
      ParseSocketTable(Fixture("rhel9", "proc/net/tcp6"), true, true);
  ASSERT_EQ(t9.size(), 2u);
  EXPECT_EQ(t9[0].address, kAny6);
  EXPECT_EQ(t9[0].port, 22);
  EXPECT_EQ(t9[1].address,
            Bytes({0x20, 0x01, 0x0d, 0xb8, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x21}));
  EXPECT_EQ(t9[1].port, 9100);
  EXPECT_EQ(t9[1].inode, 24107u);
}

TEST(ParseSocketTable, UdpFixturesKeepEverySocket) {
  // snmpd's udpEndpointTable lists connected sockets too (this used to
  // expect 4: the parser kept only state 07, as snmpd's udpTable).
  const std::vector<SocketEndpoint> u7 =
      ParseSocketTable(Fixture("rhel7", "proc/net/udp"), false, false);
  ASSERT_EQ(u7.size(), 5u);
  EXPECT_EQ(u7[0].port, 68);
  EXPECT_EQ(u7[0].remote_address, kAny4);
  EXPECT_EQ(u7[0].remote_port, 0);
  EXPECT_FALSE(u7[0].connected);
  EXPECT_EQ(u7[1].port, 111);
  EXPECT_EQ(u7[2].address, kLoopback4);
  EXPECT_EQ(u7[2].port, 323);
  EXPECT_EQ(u7[2].inode, 15990u);
  // The DNS client socket, connected (state 01) to 10.0.7.1:53.
  EXPECT_EQ(u7[3].address, Bytes({10, 0, 7, 21}));
  EXPECT_EQ(u7[3].port, 45812);
  EXPECT_EQ(u7[3].remote_address, Bytes({10, 0, 7, 1}));
  EXPECT_EQ(u7[3].remote_port, 53);
  EXPECT_TRUE(u7[3].connected);
  EXPECT_EQ(u7[3].inode, 52011u);
  EXPECT_EQ(u7[4].port, 789);
  EXPECT_FALSE(u7[4].connected);

  const std::vector<SocketEndpoint> u9 =
      ParseSocketTable(Fixture("rhel9", "proc/net/udp6"), true, false);
  ASSERT_EQ(u9.size(), 1u);
  EXPECT_EQ(u9[0].address, kLoopback6);
  EXPECT_EQ(u9[0].port, 323);
  EXPECT_EQ(u9[0].remote_address, kAny6);

  // UDP's states are not TCP's LISTEN. (The other direction is not checked
  // any more: UDP parsing keeps every state, so it would take a TCP file's
  // lines too.)
  EXPECT_TRUE(ParseSocketTable(Fixture("rhel9", "proc/net/udp"), false, true).empty());
}

TEST(ParseSocketTable, ConnectedIpv6UdpSocket) {
  const char* udp6 =
      "  sl  local_address                         remote_address                        st "
      "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
      // [2001:db8:10::21]:40000 -> [2001:db8:10::1]:123
      "  12: B80D0120000010000000000021000000:9C40 B80D0120000010000000000001000000:007B 01 "
      "00000000:00000000 00:00000000 00000000   996        0 4242 2 0000000000000000 0\n";
  const std::vector<SocketEndpoint> u = ParseSocketTable(udp6, true, false);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].address,
            Bytes({0x20, 0x01, 0x0d, 0xb8, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x21}));
  EXPECT_EQ(u[0].port, 40000);
  EXPECT_EQ(u[0].remote_address,
            Bytes({0x20, 0x01, 0x0d, 0xb8, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}));
  EXPECT_EQ(u[0].remote_port, 123);
  EXPECT_TRUE(u[0].connected);
  EXPECT_EQ(u[0].inode, 4242u);
}

TEST(ParseSocketTable, ReusePortSocketsAreKeptApart) {
  // SO_REUSEPORT: several sockets on one address and port. snmpd's
  // udpEndpointTable has a row for each (the inode is in the index), so the
  // parser keeps them all (this used to expect 3: the first one only).
  const char* udp =
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode ref pointer drops\n"
      "  100: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        "
      "0 501 2 0000000000000000 0\n"
      "  100: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        "
      "0 502 2 0000000000000000 0\n"
      "  101: 0100007F:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        "
      "0 503 2 0000000000000000 0\n"
      "  102: 00000000:14EA 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        "
      "0 504 2 0000000000000000 0\n";
  const std::vector<SocketEndpoint> u = ParseSocketTable(udp, false, false);
  ASSERT_EQ(u.size(), 4u);
  EXPECT_EQ(u[0].port, 5353);
  EXPECT_EQ(u[0].inode, 501u);
  EXPECT_EQ(u[1].port, 5353);
  EXPECT_EQ(u[1].inode, 502u);
  EXPECT_EQ(u[2].address, kLoopback4);
  EXPECT_EQ(u[2].port, 5353);
  EXPECT_EQ(u[3].port, 5354);
}

TEST(ParseSocketTable, Malformed) {
  const char* text =
      "   0: 0100007F:0016 00000000:0000 0A\n"   // cut after state: kept, inode 0
      "   1: 0100007F 00000000:0000 0A\n"        // no port
      "   2: 100007F:0016 00000000:0000 0A\n"    // 7 hex digits
      "   3: 0100007G:0016 00000000:0000 0A\n"   // not hex
      "   4: 0100007F:10016 00000000:0000 0A\n"  // port too wide
      "   5: 0100007F:0017 00000000:0000 A\n"    // state one digit
      "   6: 0100007F:0018\n"                    // cut before state
      "   7: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A\n"
      "   8: 0100007F:0019 0000000:0000 0A\n"  // remote address of 7 hex digits
      "   9: 0100007F:001A 00000000 0A\n"      // remote without port
      "garbage\n"
      "\n";
  const std::vector<SocketEndpoint> v4 = ParseSocketTable(text, false, true);
  ASSERT_EQ(v4.size(), 1u);
  EXPECT_EQ(v4[0].port, 22);
  EXPECT_EQ(v4[0].inode, 0u);
  // Only the IPv6-width line is accepted as IPv6.
  const std::vector<SocketEndpoint> v6 = ParseSocketTable(text, true, true);
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0].address, kLoopback6);
  EXPECT_TRUE(ParseSocketTable("", false, false).empty());
}

// --------------------------------------------------------------------- utmp

std::string UtmpRecord(short type, std::int32_t pid, const char* user) {
  struct utmp u;
  std::memset(&u, 0, sizeof u);
  u.ut_type = type;
  u.ut_pid = pid;
  std::strncpy(u.ut_user, user, sizeof u.ut_user - 1);
  return std::string(reinterpret_cast<const char*>(&u), sizeof u);
}

TEST(ParseUtmp, Fixtures) {
  const std::string u8 = Fixture("rhel8", "var/run/utmp");
  EXPECT_EQ(u8.size(), 4u * 384u);
  EXPECT_EQ(ParseUtmpUserCount(u8), 2u);
  EXPECT_EQ(ParseUtmpUserPids(u8), (std::vector<std::int32_t>{1900, 4242}));
  const std::string u9 = Fixture("rhel9", "var/run/utmp");
  EXPECT_EQ(ParseUtmpUserCount(u9), 2u);  // BOOT_TIME, RUN_LVL, DEAD_PROCESS not counted
  EXPECT_EQ(ParseUtmpUserPids(u9), (std::vector<std::int32_t>{1805, 1800}));
}

TEST(ParseUtmp, HandMadeAndTruncated) {
  EXPECT_EQ(sizeof(struct utmp), 384u);
  const std::string three = UtmpRecord(USER_PROCESS, 10, "a") + UtmpRecord(LOGIN_PROCESS, 11, "") +
                            UtmpRecord(USER_PROCESS, 12, "b");
  EXPECT_EQ(ParseUtmpUserCount(three), 2u);
  EXPECT_EQ(ParseUtmpUserPids(three), (std::vector<std::int32_t>{10, 12}));
  // A record being written (partial) at the end is ignored.
  EXPECT_EQ(ParseUtmpUserCount(three.substr(0, three.size() - 1)), 1u);
  EXPECT_LE(ParseUtmpUserCount(three.substr(1)), 2u);  // misaligned: no crash
  EXPECT_EQ(ParseUtmpUserCount(""), 0u);
  EXPECT_EQ(ParseUtmpUserCount(std::string(383, '\7')), 0u);
}

}  // namespace
}  // namespace mimamori::agent::procfs
