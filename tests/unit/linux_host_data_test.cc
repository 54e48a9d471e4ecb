// LinuxHostData over the RHEL fixture trees, over throwaway trees for the
// races and odd cases, and a sanity pass over the live system.
#include "agent/linux/linux_host_data.h"

#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mimamori::agent {
namespace {

using namespace std::string_literals;

std::string FixtureRoot(const std::string& distro) {
  return std::string(MIMAMORI_FIXTURES) + "/linux/" + distro + "/";
}

const ProcessInfo* FindPid(const std::vector<ProcessInfo>& processes, std::int32_t pid) {
  const auto it = std::find_if(processes.begin(), processes.end(),
                               [pid](const ProcessInfo& p) { return p.pid == pid; });
  return it == processes.end() ? nullptr : &*it;
}

std::string Bytes(std::initializer_list<unsigned char> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// A scratch directory removed at the end of the test.
class TempTree {
 public:
  TempTree() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mimamori-h1-XXXXXX").string();
    root_ = mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
    EXPECT_FALSE(root_.empty());
  }
  ~TempTree() {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  const std::string& root() const { return root_; }

  void Write(const std::string& relative, const std::string& content) const {
    const std::filesystem::path path = std::filesystem::path(root_) / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
  }
  void MakeDir(const std::string& relative) const {
    std::filesystem::create_directories(std::filesystem::path(root_) / relative);
  }

 private:
  std::string root_;
};

// ------------------------------------------------------------------ ReadFile

TEST(ReadFile, WholeFileBeyondOneChunk) {
  TempTree tree;
  std::string content(10000, 'x');
  content[0] = '\0';
  content[9999] = 'y';
  tree.Write("big", content);
  std::string out = "stale";
  ASSERT_TRUE(ReadFile(tree.root() + "/big", out));
  EXPECT_EQ(out, content);
  EXPECT_FALSE(ReadFile(tree.root() + "/big", out, 9999));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(ReadFile(tree.root() + "/big", out, 10000));
}

TEST(ReadFile, MissingAndEmpty) {
  TempTree tree;
  std::string out = "stale";
  EXPECT_FALSE(ReadFile(tree.root() + "/missing", out));
  EXPECT_TRUE(out.empty());
  tree.Write("empty", "");
  out = "stale";
  EXPECT_TRUE(ReadFile(tree.root() + "/empty", out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(ReadFile(tree.root(), out));  // a directory: read() fails
}

// -------------------------------------------------------------- RHEL fixtures

TEST(LinuxHostDataFixture, Identity) {
  LinuxHostData h7(FixtureRoot("rhel7"));
  const SystemIdentity id7 = h7.Identity();
  EXPECT_EQ(id7.sysname, "Linux");
  EXPECT_EQ(id7.nodename, "rhel7-db01");
  EXPECT_EQ(id7.release, "3.10.0-1160.119.1.el7.x86_64");
  EXPECT_EQ(id7.version, "#1 SMP Tue Jun 4 14:43:51 UTC 2024");
  EXPECT_EQ(id7.machine, "x86_64");

  // Without the trailing '/' on the root.
  std::string root9 = FixtureRoot("rhel9");
  root9.pop_back();
  LinuxHostData h9(root9);
  const SystemIdentity id9 = h9.Identity();
  EXPECT_EQ(id9.nodename, "web01");
  EXPECT_EQ(id9.release, "5.14.0-503.11.1.el9_5.x86_64");
  EXPECT_EQ(id9.version, "#1 SMP PREEMPT_DYNAMIC Mon Sep 30 11:54:45 EDT 2024");

  EXPECT_EQ(LinuxHostData(FixtureRoot("rhel8")).Identity().nodename, "rhel8-app02.example.com");
}

TEST(LinuxHostDataFixture, UptimeCpuMemoryLoad) {
  LinuxHostData h(FixtureRoot("rhel8"));
  EXPECT_DOUBLE_EQ(h.UptimeSeconds(), 529004.87);
  const CpuStat cpu = h.Cpu();
  EXPECT_EQ(cpu.total.user, 501794u);
  EXPECT_EQ(cpu.total.idle, 104255031u);
  EXPECT_EQ(cpu.per_cpu.size(), 2u);
  EXPECT_EQ(cpu.context_switches, 187654321u);
  EXPECT_EQ(cpu.boot_time, 1719820800u);
  EXPECT_EQ(cpu.pages_in, 4382917u);  // merged from vmstat
  EXPECT_EQ(cpu.pages_out, 18820311u);
  EXPECT_EQ(cpu.swap_in, 2171u);
  EXPECT_EQ(cpu.swap_out, 4398u);
  EXPECT_EQ(h.CpuModels(), std::vector<std::string>(
                               2, "GenuineIntel: Intel(R) Xeon(R) Platinum 8280 CPU @ 2.70GHz"));
  const MemInfo mem = h.Memory();
  EXPECT_EQ(mem.total_kb, 3861292u);
  EXPECT_EQ(mem.available_kb, std::optional<std::uint64_t>(2913412));
  EXPECT_EQ(mem.swap_free_kb, 2088444u);
  const LoadAverage load = h.Load();
  EXPECT_DOUBLE_EQ(load.one, 0.21);
  EXPECT_DOUBLE_EQ(load.five, 0.17);
  EXPECT_DOUBLE_EQ(load.fifteen, 0.11);
  EXPECT_EQ(h.MaxProcesses(), 32768u);
  EXPECT_EQ(LinuxHostData(FixtureRoot("rhel9")).MaxProcesses(), 4194304u);
  EXPECT_EQ(h.KernelCommandLine(),
            "BOOT_IMAGE=(hd0,msdos1)/vmlinuz-4.18.0-553.16.1.el8_10.x86_64 "
            "root=/dev/mapper/rhel-root ro crashkernel=auto resume=/dev/mapper/rhel-swap "
            "rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet");
}

TEST(LinuxHostDataFixture, MountsAndStatFs) {
  LinuxHostData h7(FixtureRoot("rhel7"));
  const std::vector<Mount> mounts = h7.Mounts();
  ASSERT_EQ(mounts.size(), 20u);
  EXPECT_EQ(mounts[18].path, "/srv/ftp share");

  const std::optional<FsUsage> root = h7.StatFs("/");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->fragment_size, 4096u);
  EXPECT_EQ(root->blocks, 4452864u);
  EXPECT_EQ(root->blocks_free, 3345152u);
  EXPECT_EQ(root->blocks_available, 3345152u);
  EXPECT_EQ(root->files, 8910848u);
  EXPECT_EQ(root->files_free, 8847396u);
  const std::optional<FsUsage> share = h7.StatFs("/srv/ftp share");
  ASSERT_TRUE(share.has_value());
  EXPECT_EQ(share->blocks, 4452864u);
  const std::optional<FsUsage> boot = h7.StatFs("/boot");
  ASSERT_TRUE(boot.has_value());
  EXPECT_EQ(boot->blocks_free, 194213u);
  EXPECT_FALSE(h7.StatFs("/proc").has_value());  // no file: like a failing statvfs

  LinuxHostData h8(FixtureRoot("rhel8"));
  const std::optional<FsUsage> home = h8.StatFs("/home");
  ASSERT_TRUE(home.has_value());
  EXPECT_EQ(home->fragment_size, 1048576u);
  EXPECT_EQ(home->blocks_available, 37501u);

  // Every real file system of every fixture has its statvfs file.
  for (const char* distro : {"rhel7", "rhel8", "rhel9"}) {
    LinuxHostData h(FixtureRoot(distro));
    for (const Mount& m : h.Mounts()) {
      if (m.type == "xfs" || m.type == "tmpfs" || m.type == "nfs4" || m.type == "iso9660" ||
          m.type == "devtmpfs") {
        EXPECT_TRUE(h.StatFs(m.path).has_value()) << distro << " " << m.path;
      }
    }
  }
  const std::optional<FsUsage> iso =
      LinuxHostData(FixtureRoot("rhel9")).StatFs("/media/RHEL-9.5 BaseOS\tx86_64");
  ASSERT_TRUE(iso.has_value());
  EXPECT_EQ(iso->fragment_size, 2048u);
  EXPECT_EQ(iso->blocks_free, 0u);
}

TEST(LinuxHostDataFixture, ProcessesRhel7) {
  LinuxHostData h(FixtureRoot("rhel7"));
  const std::vector<ProcessInfo> p = h.Processes();
  ASSERT_EQ(p.size(), 7u);

  const ProcessInfo* init = FindPid(p, 1);
  ASSERT_NE(init, nullptr);
  EXPECT_EQ(init->name, "systemd");
  EXPECT_EQ(init->path, "/usr/lib/systemd/systemd");
  EXPECT_EQ(init->parameters, "--switched-root --system --deserialize 22");
  EXPECT_EQ(init->state, 'S');
  EXPECT_EQ(init->cpu_ticks, 312u + 1745u);
  EXPECT_EQ(init->rss_kb, 1690u * 4);
  EXPECT_FALSE(init->kernel_thread);

  const ProcessInfo* kthreadd = FindPid(p, 2);
  ASSERT_NE(kthreadd, nullptr);
  EXPECT_EQ(kthreadd->name, "kthreadd");
  EXPECT_EQ(kthreadd->path, "");
  EXPECT_TRUE(kthreadd->kernel_thread);

  const ProcessInfo* rcu = FindPid(p, 9);
  ASSERT_NE(rcu, nullptr);
  EXPECT_EQ(rcu->name, "rcu_sched");
  EXPECT_TRUE(rcu->kernel_thread);
  EXPECT_EQ(rcu->cpu_ticks, 8712u);

  const ProcessInfo* sshd = FindPid(p, 1123);
  ASSERT_NE(sshd, nullptr);
  EXPECT_EQ(sshd->name, "sshd");
  EXPECT_EQ(sshd->path, "/usr/sbin/sshd");
  EXPECT_EQ(sshd->parameters, "-D");
  EXPECT_EQ(sshd->rss_kb, 4368u);
  EXPECT_FALSE(sshd->kernel_thread);

  const ProcessInfo* weird = FindPid(p, 2345);
  ASSERT_NE(weird, nullptr);
  EXPECT_EQ(weird->name, "my) (app");
  EXPECT_EQ(weird->path, "./my) (app");
  EXPECT_EQ(weird->parameters, "--serve 8080");
  EXPECT_EQ(weird->cpu_ticks, 15021u + 3210u);
  EXPECT_EQ(weird->rss_kb, 102400u);

  const ProcessInfo* zombie = FindPid(p, 3456);
  ASSERT_NE(zombie, nullptr);
  EXPECT_EQ(zombie->name, "worker");
  EXPECT_EQ(zombie->state, 'Z');
  EXPECT_EQ(zombie->path, "");
  EXPECT_EQ(zombie->rss_kb, 0u);
  EXPECT_FALSE(zombie->kernel_thread);  // empty cmdline, but its parent is not kthreadd
  EXPECT_TRUE(zombie->empty_cmdline);
  EXPECT_TRUE(kthreadd->empty_cmdline);
  EXPECT_FALSE(sshd->empty_cmdline);
}

TEST(LinuxHostDataFixture, ProcessesRhel8And9) {
  const std::vector<ProcessInfo> p8 = LinuxHostData(FixtureRoot("rhel8")).Processes();
  ASSERT_EQ(p8.size(), 8u);
  const ProcessInfo* sshd8 = FindPid(p8, 1034);
  ASSERT_NE(sshd8, nullptr);
  EXPECT_EQ(sshd8->path, "/usr/sbin/sshd");
  EXPECT_EQ(sshd8->parameters.rfind("-D -oCiphers=", 0), 0u);
  EXPECT_NE(sshd8->parameters.find(" -oCASignatureAlgorithms="), std::string::npos);
  const ProcessInfo* rcu8 = FindPid(p8, 3);
  ASSERT_NE(rcu8, nullptr);
  EXPECT_EQ(rcu8->state, 'I');
  EXPECT_TRUE(rcu8->kernel_thread);
  const ProcessInfo* weird8 = FindPid(p8, 2345);
  ASSERT_NE(weird8, nullptr);
  EXPECT_EQ(weird8->state, 'R');
  EXPECT_EQ(weird8->rss_kb, 1048576u);

  const std::vector<ProcessInfo> p9 = LinuxHostData(FixtureRoot("rhel9")).Processes();
  ASSERT_EQ(p9.size(), 10u);
  const ProcessInfo* sshd9 = FindPid(p9, 1021);
  ASSERT_NE(sshd9, nullptr);
  EXPECT_EQ(sshd9->name, "sshd");
  EXPECT_EQ(sshd9->path, "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups");
  EXPECT_EQ(sshd9->parameters, "");
  EXPECT_EQ(sshd9->rss_kb, 9216u);
  const ProcessInfo* chronyd = FindPid(p9, 812);
  ASSERT_NE(chronyd, nullptr);
  EXPECT_EQ(chronyd->path, "/usr/sbin/chronyd");
  EXPECT_EQ(chronyd->parameters, "-F 2");
  const ProcessInfo* bash = FindPid(p9, 1805);
  ASSERT_NE(bash, nullptr);
  EXPECT_EQ(bash->name, "bash");
  EXPECT_EQ(bash->path, "-bash");
  const int kernel_threads = static_cast<int>(
      std::count_if(p9.begin(), p9.end(), [](const ProcessInfo& p) { return p.kernel_thread; }));
  EXPECT_EQ(kernel_threads, 2);  // kthreadd and rcu_gp
}

TEST(LinuxHostDataFixture, LoggedInUsers) {
  EXPECT_EQ(LinuxHostData(FixtureRoot("rhel7")).LoggedInUsers(), 0u);  // no utmp
  // carol's session is alive; dave's record points at a pid that is gone.
  EXPECT_EQ(LinuxHostData(FixtureRoot("rhel8")).LoggedInUsers(), 1u);
  EXPECT_EQ(LinuxHostData(FixtureRoot("rhel9")).LoggedInUsers(), 2u);
}

TEST(LinuxHostDataFixture, InterfacesSortedByIndex) {
  // /proc/net/dev of 3.10 lists eth0 first; the result follows ifindex.
  const std::vector<NetInterface> n = LinuxHostData(FixtureRoot("rhel7")).Interfaces();
  ASSERT_EQ(n.size(), 2u);
  const NetInterface& lo = n[0];
  EXPECT_EQ(lo.name, "lo");
  EXPECT_EQ(lo.index, 1u);
  EXPECT_EQ(lo.type, 772u);
  EXPECT_EQ(lo.mtu, 65536u);
  EXPECT_EQ(lo.speed_bps, 0u);  // no speed file
  EXPECT_EQ(lo.mac, "");        // all zero
  EXPECT_TRUE(lo.admin_up);
  EXPECT_TRUE(lo.oper_up);  // "unknown" while up
  EXPECT_EQ(lo.rx_bytes, 5123456u);
  EXPECT_EQ(lo.tx_packets, 41234u);

  const NetInterface& eth = n[1];
  EXPECT_EQ(eth.name, "eth0");
  EXPECT_EQ(eth.index, 2u);
  EXPECT_EQ(eth.type, 1u);
  EXPECT_EQ(eth.mtu, 1500u);
  EXPECT_EQ(eth.speed_bps, 10'000'000'000u);
  EXPECT_EQ(eth.mac, Bytes({0x00, 0x50, 0x56, 0x8a, 0x3c, 0x1f}));
  EXPECT_TRUE(eth.admin_up);
  EXPECT_TRUE(eth.oper_up);
  EXPECT_EQ(eth.rx_bytes, 987654321u);
  EXPECT_EQ(eth.rx_dropped, 12u);
  EXPECT_EQ(eth.rx_multicast, 4321u);
  EXPECT_EQ(eth.tx_bytes, 123456789u);

  const std::vector<NetInterface> n8 = LinuxHostData(FixtureRoot("rhel8")).Interfaces();
  ASSERT_EQ(n8.size(), 2u);
  EXPECT_EQ(n8[1].name, "eth0");
  EXPECT_EQ(n8[1].mtu, 9000u);
  EXPECT_EQ(n8[1].speed_bps, 0u);  // "-1"
  EXPECT_EQ(n8[1].mac, Bytes({0x52, 0x54, 0x00, 0x6b, 0x1e, 0xa4}));

  const std::vector<NetInterface> n9 = LinuxHostData(FixtureRoot("rhel9")).Interfaces();
  ASSERT_EQ(n9.size(), 2u);
  EXPECT_EQ(n9[1].speed_bps, 25'000'000'000u);
}

TEST(LinuxHostDataFixture, DisksAndSockets) {
  LinuxHostData h(FixtureRoot("rhel9"));
  const std::vector<DiskStat> disks = h.Disks();
  ASSERT_EQ(disks.size(), 6u);
  EXPECT_EQ(disks[4].name, "dm-0");
  EXPECT_EQ(disks[4].sectors_written, 1203764u);

  const std::vector<SocketEndpoint> tcp = h.TcpListeners();
  ASSERT_EQ(tcp.size(), 3u);
  EXPECT_FALSE(tcp[0].ipv6);
  EXPECT_EQ(tcp[0].address, Bytes({0, 0, 0, 0}));
  EXPECT_EQ(tcp[0].port, 22);
  EXPECT_TRUE(tcp[1].ipv6);
  EXPECT_EQ(tcp[1].address, std::string(16, '\0'));
  EXPECT_EQ(tcp[1].port, 22);
  EXPECT_EQ(tcp[2].port, 9100);

  const std::vector<SocketEndpoint> udp = h.UdpEndpoints();
  ASSERT_EQ(udp.size(), 2u);
  EXPECT_EQ(udp[0].address, Bytes({127, 0, 0, 1}));
  EXPECT_EQ(udp[0].port, 323);
  EXPECT_TRUE(udp[1].ipv6);
  EXPECT_EQ(udp[1].port, 323);

  EXPECT_EQ(disks[0].io_ticks_ms, 20133u);

  LinuxHostData h7(FixtureRoot("rhel7"));
  EXPECT_EQ(h7.TcpListeners().size(), 6u);
  // Every UDP socket, the connected DNS client's too (this used to be 7:
  // unconnected sockets only).
  const std::vector<SocketEndpoint> udp7 = h7.UdpEndpoints();
  ASSERT_EQ(udp7.size(), 8u);
  EXPECT_TRUE(udp7[3].connected);
  EXPECT_EQ(udp7[3].remote_address, Bytes({10, 0, 7, 1}));
  EXPECT_EQ(udp7[3].remote_port, 53);
  EXPECT_TRUE(udp7[5].ipv6);  // udp6 follows udp
}

// ------------------------------------------------------------ odd trees

TEST(LinuxHostDataTree, MissingRootGivesEmptyData) {
  LinuxHostData h("/nonexistent/mimamori/root");
  const SystemIdentity id = h.Identity();
  EXPECT_EQ(id.sysname, "");
  EXPECT_EQ(id.machine, "x86_64");
  EXPECT_EQ(h.UptimeSeconds(), 0.0);
  EXPECT_TRUE(h.Cpu().per_cpu.empty());
  EXPECT_TRUE(h.CpuModels().empty());
  EXPECT_EQ(h.Memory().total_kb, 0u);
  EXPECT_EQ(h.Load().one, 0.0);
  EXPECT_TRUE(h.Mounts().empty());
  EXPECT_FALSE(h.StatFs("/").has_value());
  EXPECT_TRUE(h.Processes().empty());
  EXPECT_EQ(h.MaxProcesses(), 0u);
  EXPECT_EQ(h.LoggedInUsers(), 0u);
  EXPECT_EQ(h.KernelCommandLine(), "");
  EXPECT_TRUE(h.Interfaces().empty());
  EXPECT_TRUE(h.Disks().empty());
  EXPECT_TRUE(h.TcpListeners().empty());
  EXPECT_TRUE(h.UdpEndpoints().empty());
}

TEST(LinuxHostDataTree, VanishedAndOddProcesses) {
  TempTree tree;
  const std::string stat_tail = " 0 0 -1 64 0 0 0 0 5 6 0 0 20 0 1 0 10 0 3 0\n";
  // A process that exited between readdir and reading its files.
  tree.MakeDir("proc/100");
  // One whose stat is there but status vanished.
  tree.Write("proc/101/stat", "101 (gone) S 1 101" + stat_tail);
  // A kernel thread without PF_KTHREAD in its flags: empty cmdline, parent 2.
  tree.Write("proc/102/stat", "102 (kworker/u4:0) I 2 0" + stat_tail);
  tree.Write("proc/102/status", "Name:\tkworker/u4:0\n");
  tree.Write("proc/102/cmdline", "");
  // status without Name: falls back to the stat comm.
  tree.Write("proc/103/stat", "103 (a b) R 1 103" + stat_tail);
  tree.Write("proc/103/status", "State:\tR (running)\n");
  tree.Write("proc/103/cmdline", "/bin/a b\0-x\0"s);
  // A command line with an empty argument and a line break: snmpd's form.
  tree.Write("proc/105/stat", "105 (sh) S 1 105" + stat_tail);
  tree.Write("proc/105/status", "Name:\tsh\n");
  tree.Write("proc/105/cmdline", "sh\0-c\0a\nb\0\0after\0"s);
  // Garbage stat.
  tree.Write("proc/104/stat", "garbage\n");
  tree.Write("proc/104/status", "Name:\tx\n");
  tree.Write("proc/104/cmdline", "");
  // Not processes.
  tree.Write("proc/self/stat", "1 (x) S 0 1" + stat_tail);
  tree.Write("proc/12a/stat", "1 (x) S 0 1" + stat_tail);
  tree.Write("proc/uptime", "5.5 1.0\n");

  const std::vector<ProcessInfo> p = LinuxHostData(tree.root()).Processes();
  ASSERT_EQ(p.size(), 3u);
  const ProcessInfo* kworker = FindPid(p, 102);
  ASSERT_NE(kworker, nullptr);
  EXPECT_TRUE(kworker->kernel_thread);
  EXPECT_EQ(kworker->name, "kworker/u4:0");
  EXPECT_EQ(kworker->cpu_ticks, 11u);
  EXPECT_EQ(kworker->rss_kb, 12u);  // 3 pages of 4096 bytes
  const ProcessInfo* ab = FindPid(p, 103);
  ASSERT_NE(ab, nullptr);
  EXPECT_EQ(ab->name, "a b");
  EXPECT_EQ(ab->path, "/bin/a b");
  EXPECT_EQ(ab->parameters, "-x");
  EXPECT_FALSE(ab->kernel_thread);
  EXPECT_FALSE(ab->empty_cmdline);
  EXPECT_TRUE(kworker->empty_cmdline);
  const ProcessInfo* sh = FindPid(p, 105);
  ASSERT_NE(sh, nullptr);
  EXPECT_EQ(sh->path, "sh");
  EXPECT_EQ(sh->parameters, "-c a\n");

  EXPECT_DOUBLE_EQ(LinuxHostData(tree.root()).UptimeSeconds(), 5.5);
}

TEST(LinuxHostDataTree, MachineFileStatFsAndSysEdgeCases) {
  TempTree tree;
  tree.Write("uname_machine", "aarch64\n");
  tree.Write("statvfs/_data", "4096 10 5\n");  // cut: a failure
  tree.Write("statvfs/_x", "4096 10 5 4 100 90 \n");
  tree.Write("proc/net/dev",
             "Inter-|\n face |\n"
             "  tun0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
             " bond0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
  // A tunnel: no MAC, operstate unknown while down, unreadable sysfs bits.
  tree.Write("sys/class/net/tun0/ifindex", "7\n");
  tree.Write("sys/class/net/tun0/address", "\n");
  tree.Write("sys/class/net/tun0/flags", "0x1090\n");
  tree.Write("sys/class/net/tun0/operstate", "unknown\n");
  tree.Write("sys/class/net/tun0/speed", "garbage\n");
  // A bond that is administratively up but without carrier.
  tree.Write("sys/class/net/bond0/ifindex", "5\n");
  tree.Write("sys/class/net/bond0/address", "0a:1b:2c:3d:4e:5f\n");
  tree.Write("sys/class/net/bond0/flags", "0x1403\n");
  tree.Write("sys/class/net/bond0/operstate", "down\n");
  tree.Write("sys/class/net/bond0/speed", "-1\n");
  tree.Write("proc/sys/kernel/pid_max", "not a number\n");

  LinuxHostData h(tree.root());
  EXPECT_EQ(h.Identity().machine, "aarch64");
  EXPECT_FALSE(h.StatFs("/data").has_value());
  const std::optional<FsUsage> x = h.StatFs("/x");
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->files_free, 90u);
  EXPECT_EQ(h.MaxProcesses(), 0u);

  const std::vector<NetInterface> n = h.Interfaces();
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].name, "bond0");
  EXPECT_EQ(n[0].index, 5u);
  EXPECT_EQ(n[0].mac, Bytes({0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f}));
  EXPECT_TRUE(n[0].admin_up);
  EXPECT_FALSE(n[0].oper_up);
  EXPECT_EQ(n[0].speed_bps, 0u);
  EXPECT_EQ(n[1].name, "tun0");
  EXPECT_EQ(n[1].mac, "");
  EXPECT_FALSE(n[1].admin_up);
  EXPECT_FALSE(n[1].oper_up);
  EXPECT_EQ(n[1].speed_bps, 0u);
  EXPECT_EQ(n[1].type, 0u);  // unreadable
  EXPECT_EQ(n[1].rx_bytes, 1u);
  EXPECT_FALSE(n[0].promiscuous);
  EXPECT_FALSE(n[1].promiscuous);
}

TEST(LinuxHostDataTree, PromiscuousFromTheFlagsFileInFixtureTrees) {
  TempTree tree;
  tree.Write("proc/net/dev",
             "Inter-|\n face |\n"
             "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
             "  eth1: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
  tree.Write("sys/class/net/eth0/ifindex", "2\n");
  tree.Write("sys/class/net/eth0/flags", "0x1103\n");  // IFF_PROMISC (0x100)
  tree.Write("sys/class/net/eth1/ifindex", "3\n");
  tree.Write("sys/class/net/eth1/flags", "0x1003\n");
  const std::vector<NetInterface> n = LinuxHostData(tree.root()).Interfaces();
  ASSERT_EQ(n.size(), 2u);
  EXPECT_TRUE(n[0].promiscuous);
  EXPECT_TRUE(n[0].admin_up);
  EXPECT_FALSE(n[1].promiscuous);
}

// -------------------------------------------------------------- live system

TEST(LinuxHostDataLive, SanityAgainstOurOwnProcess) {
  LinuxHostData h;
  const std::vector<ProcessInfo> processes = h.Processes();
  ASSERT_FALSE(processes.empty());
  const ProcessInfo* self = FindPid(processes, static_cast<std::int32_t>(getpid()));
  ASSERT_NE(self, nullptr);

  std::string cmdline;
  ASSERT_TRUE(ReadFile("/proc/self/cmdline", cmdline));
  const std::string argv0 = cmdline.substr(0, cmdline.find('\0'));
  EXPECT_EQ(self->path, argv0);
  std::string comm;
  ASSERT_TRUE(ReadFile("/proc/self/comm", comm));
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  EXPECT_EQ(self->name, comm);
  EXPECT_FALSE(self->kernel_thread);
  EXPECT_GT(self->rss_kb, 0u);

  EXPECT_GT(h.Memory().total_kb, 0u);
  EXPECT_GT(h.UptimeSeconds(), 0.0);
  const CpuStat cpu = h.Cpu();
  EXPECT_GT(cpu.total.user + cpu.total.system + cpu.total.idle, 0u);
  EXPECT_FALSE(cpu.per_cpu.empty());
  EXPECT_EQ(h.Identity().sysname, "Linux");
  EXPECT_GT(h.MaxProcesses(), 0u);
  EXPECT_FALSE(h.Mounts().empty());
  const std::optional<FsUsage> root = h.StatFs("/");
  ASSERT_TRUE(root.has_value());
  EXPECT_GT(root->blocks, 0u);
  EXPECT_GT(root->fragment_size, 0u);
  EXPECT_FALSE(h.StatFs("/nonexistent/mimamori").has_value());
  for (const NetInterface& nic : h.Interfaces()) {
    EXPECT_GT(nic.index, 0u) << nic.name;
    if (nic.name == "lo") {
      EXPECT_EQ(nic.type, 772u);
    }
  }
}

const NetInterface* FindInterface(const std::vector<NetInterface>& interfaces,
                                  const std::string& name) {
  const auto it = std::find_if(interfaces.begin(), interfaces.end(),
                               [&](const NetInterface& nic) { return nic.name == name; });
  return it == interfaces.end() ? nullptr : &*it;
}

std::string SysFlags(const std::string& name) {
  std::string text;
  ReadFile("/sys/class/net/" + name + "/flags", text);
  return text;
}

// A packet socket asking for promiscuous mode (what tcpdump does) raises the
// interface's promiscuity, which /sys/class/net/NAME/flags shows, but not
// the flag SIOCGIFFLAGS reports, which is what snmpd's ifPromiscuousMode
// reads: the live agent must say false, as snmpd does.
TEST(LinuxHostDataLive, PacketSocketPromiscuityIsNotPromiscuousMode) {
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) GTEST_SKIP() << "no packet socket (needs CAP_NET_RAW): " << std::strerror(errno);
  packet_mreq request{};
  request.mr_ifindex = static_cast<int>(if_nametoindex("lo"));
  request.mr_type = PACKET_MR_PROMISC;
  const bool added =
      setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &request, sizeof request) == 0;
  std::string flags = SysFlags("lo");
  const std::vector<NetInterface> interfaces = LinuxHostData().Interfaces();
  close(fd);
  ASSERT_TRUE(added) << std::strerror(errno);
  ASSERT_NE(std::stoul(flags, nullptr, 16) & IFF_PROMISC, 0u) << "/sys flags " << flags;
  const NetInterface* lo = FindInterface(interfaces, "lo");
  ASSERT_NE(lo, nullptr);
  EXPECT_FALSE(lo->promiscuous);
}

// "ip link set lo promisc on" sets the flag SIOCGIFFLAGS reports. Done in a
// child in a network namespace of its own, so the machine's interfaces are
// left alone; the child's /proc/net/dev is its namespace's.
TEST(LinuxHostDataLive, PromiscuousModeSetByTheUserIsReported) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Exit codes: 0 pass, 1 fail, 2 cannot test here (no privilege).
    if (unshare(CLONE_NEWNET) != 0) _exit(2);
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq request{};
    std::strcpy(request.ifr_name, "lo");
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &request) != 0) _exit(1);
    const auto lo_promiscuous = [] {
      const std::vector<NetInterface> interfaces = LinuxHostData().Interfaces();
      const auto it = std::find_if(interfaces.begin(), interfaces.end(),
                                   [](const NetInterface& nic) { return nic.name == "lo"; });
      return it != interfaces.end() && it->promiscuous;
    };
    if (lo_promiscuous()) _exit(1);
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_PROMISC);
    if (ioctl(fd, SIOCSIFFLAGS, &request) != 0) _exit(2);
    _exit(lo_promiscuous() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 2) GTEST_SKIP() << "cannot make a network namespace here";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace mimamori::agent
