// HostData for Linux: /proc, /sys, statvfs(2), utmp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/host/host_data.h"

namespace mimamori::agent {

/// Reads a whole file with plain open/read (no iostreams: the process table
/// reads three files per process). /proc files report size 0, so it reads
/// until EOF. Returns false, with out emptied, when the file cannot be opened
/// or read, or exceeds max_bytes.
bool ReadFile(const std::string& path, std::string& out, std::size_t max_bytes = 64 << 20);

/// Every source is read below a root directory, so tests point the class at
/// a fixture tree such as tests/fixtures/linux/rhel9/. With root "/", the live
/// system is read; with any other root the system calls are replaced by files:
///
///   - Identity(): uname(2) for "/"; otherwise
///     proc/sys/kernel/{ostype,hostname,osrelease,version} give sysname,
///     nodename, release and version, and the file "uname_machine" (if
///     present, else "x86_64") the machine.
///   - StatFs(path): statvfs(2) for "/"; otherwise the file
///     "statvfs/<path with every '/' replaced by '_'>" (so "/" is
///     "statvfs/_", "/boot" is "statvfs/_boot") holding six decimal numbers
///     "frsize blocks bfree bavail files ffree"; a missing file is a failure.
///   - Process rss: page size sysconf(_SC_PAGESIZE) for "/", 4096 otherwise.
///   - NetInterface::promiscuous: IFF_PROMISC of ioctl(SIOCGIFFLAGS) for "/"
///     (what snmpd reads; see NetInterface); otherwise of
///     sys/class/net/NAME/flags.
///   - NetInterface::duplex: for "/", the ETHTOOL_GDRVINFO (n_stats > 0) and
///     ETHTOOL_GSET ioctls snmpd's dot3StatsTable uses (unprivileged, and they
///     work on an interface that is down, where /sys/class/net/NAME/duplex
///     fails); otherwise sys/class/net/NAME/duplex ("full", "half",
///     "unknown"; absent: not an EtherLike interface).
///   - Addresses(), IPv4: an RTM_GETADDR dump over NETLINK_ROUTE for "/";
///     otherwise the file netlink/getaddr-inet holding such a dump
///     (tests/fixtures/linux/capture_addresses.sh records one).
///
/// Other sources: proc/{stat,vmstat,meminfo,mounts,loadavg,uptime,cpuinfo,
/// cmdline,diskstats}, proc/sys/kernel/pid_max, proc/net/{dev,tcp,tcp6,udp,
/// udp6,if_inet6}, proc/PID/{stat,status,cmdline}, sys/class/net/NAME/{ifindex,type,
/// mtu,speed,address,flags,operstate}, var/run/utmp.
///
/// Nothing throws (allocation failure aside); unreadable sources give
/// empty/zero data. No NSS-using call is made: the agent is linked
/// statically with glibc.
class LinuxHostData final : public HostData {
 public:
  /// root must name a directory; a missing trailing '/' is added.
  explicit LinuxHostData(std::string root = "/");

  SystemIdentity Identity() override;
  double UptimeSeconds() override;
  CpuStat Cpu() override;
  std::vector<std::string> CpuModels() override;
  MemInfo Memory() override;
  LoadAverage Load() override;
  std::vector<Mount> Mounts() override;
  std::optional<FsUsage> StatFs(const std::string& path) override;
  /// Processes that exit while being read are left out. name falls back to
  /// the stat comm when status has no Name line. kernel_thread is set
  /// for PF_KTHREAD, for pid 2 (kthreadd), and for an empty cmdline with
  /// parent 2 (kernels whose flags lack PF_KTHREAD on some threads).
  std::vector<ProcessInfo> Processes() override;
  std::uint32_t MaxProcesses() override;
  /// USER_PROCESS records of var/run/utmp whose process still exists: a
  /// session that died without logout leaves a stale record, which snmpd also
  /// skips. Live: kill(pid, 0) does not fail with ESRCH; fixture roots: a
  /// proc/PID directory exists. 0 without utmp.
  std::uint32_t LoggedInUsers() override;
  std::string KernelCommandLine() override;  ///< trailing newline removed
  /// Interfaces of proc/net/dev, sorted by ifindex.
  std::vector<NetInterface> Interfaces() override;
  std::vector<DiskStat> Disks() override;
  std::vector<SocketEndpoint> TcpListeners() override;  ///< tcp then tcp6
  std::vector<SocketEndpoint> UdpEndpoints() override;  ///< udp then udp6
  std::vector<InterfaceAddress> Addresses() override;

 private:
  std::string Path(const char* relative) const { return root_ + relative; }
  std::string ReadText(const char* relative);

  std::string root_;    // ends with '/'
  bool live_;           // root_ == "/": use system calls
  std::string buffer_;  // reused by the per-process loop
};

}  // namespace mimamori::agent
