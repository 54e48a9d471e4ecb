#include "agent/linux/linux_host_data.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>

#include "agent/linux/procfs_parsers.h"

namespace mimamori::agent {
namespace {

constexpr std::uint32_t kIffUp = 0x1;
constexpr std::uint32_t kIffRunning = 0x40;
constexpr std::uint32_t kIffPromisc = 0x100;
constexpr std::uint64_t kFixturePageSize = 4096;

std::string_view TrimTrailingNewlines(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string_view TrimBlanks(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// A whole-field number, as /sys single-value files hold ("1500\n").
template <typename T>
bool ParseNumber(std::string_view s, T& out, int base = 10) {
  s = TrimBlanks(s);
  if (base == 16 && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
  }
  if (s.empty()) return false;
  T value{};
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (ec != std::errc() || ptr != s.data() + s.size()) return false;
  out = value;
  return true;
}

// "52:54:00:ab:cd:ef" → 6 raw bytes; empty when malformed or all zero
// (loopback and tunnels print zeros, and snmpd's ifPhysAddress is then empty).
std::string ParseHardwareAddress(std::string_view text) {
  text = TrimBlanks(text);
  std::string bytes;
  bool all_zero = true;
  while (!text.empty()) {
    const std::size_t colon = text.find(':');
    std::uint8_t byte = 0;
    const std::string_view part = text.substr(0, colon);
    if (part.size() > 2 || !ParseNumber(part, byte, 16)) return {};
    bytes.push_back(static_cast<char>(byte));
    all_zero = all_zero && byte == 0;
    if (colon == std::string_view::npos) break;
    text.remove_prefix(colon + 1);
  }
  return all_zero ? std::string() : bytes;
}

bool IsAllDigits(const char* s) {
  if (*s == '\0') return false;
  for (; *s != '\0'; ++s) {
    if (*s < '0' || *s > '9') return false;
  }
  return true;
}

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};

// A socket for interface ioctls, closed on destruction; fd() < 0 when none
// could be made.
class IoctlSocket {
 public:
  IoctlSocket() : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
  ~IoctlSocket() {
    if (fd_ >= 0) close(fd_);
  }
  IoctlSocket(const IoctlSocket&) = delete;
  IoctlSocket& operator=(const IoctlSocket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// The interface flags as SIOCGIFFLAGS gives them (the kernel's
// dev_get_flags()): IFF_PROMISC there is the promiscuity a user asked for
// ("ip link set promisc on"), not the count that packet sockets and bridges
// raise, which /sys/class/net/NAME/flags shows. snmpd's ifPromiscuousMode
// reads this ioctl (if-mib/data_access/interface_ioctl.c). No privilege is
// needed. 0 when the ioctl fails, as snmpd.
std::uint32_t IoctlFlags(const IoctlSocket& sock, const std::string& name) {
  if (sock.fd() < 0 || name.size() >= IFNAMSIZ) return 0;
  ifreq request{};
  std::memcpy(request.ifr_name, name.data(), name.size());
  if (ioctl(sock.fd(), SIOCGIFFLAGS, &request) != 0) return 0;
  return static_cast<std::uint16_t>(request.ifr_flags);
}

// dot3StatsTable's row test and duplex, as snmpd's dot3stats_linux.c: the
// driver must report ethtool statistics and link settings.
NetInterface::Duplex IoctlDuplex(const IoctlSocket& sock, const std::string& name) {
  if (sock.fd() < 0 || name.size() >= IFNAMSIZ) return NetInterface::Duplex::kNotEthernet;
  ifreq request{};
  std::memcpy(request.ifr_name, name.data(), name.size());
  ethtool_drvinfo driver{};
  driver.cmd = ETHTOOL_GDRVINFO;
  request.ifr_data = reinterpret_cast<char*>(&driver);
  if (ioctl(sock.fd(), SIOCETHTOOL, &request) != 0 || driver.n_stats < 1) {
    return NetInterface::Duplex::kNotEthernet;
  }
  ethtool_cmd settings{};
  settings.cmd = ETHTOOL_GSET;
  request.ifr_data = reinterpret_cast<char*>(&settings);
  if (ioctl(sock.fd(), SIOCETHTOOL, &request) != 0) return NetInterface::Duplex::kNotEthernet;
  if (settings.duplex == DUPLEX_FULL) return NetInterface::Duplex::kFull;
  if (settings.duplex == DUPLEX_HALF) return NetInterface::Duplex::kHalf;
  return NetInterface::Duplex::kUnknown;
}

// One RTM_GETADDR dump of the IPv4 addresses, every datagram up to
// NLMSG_DONE concatenated; "" on any failure. Netlink needs no privilege and
// no NSS, so it works in the static, unprivileged agent.
std::string DumpIpv4Addresses() {
  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return {};
  struct {
    nlmsghdr header;
    ifaddrmsg body;
  } request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = RTM_GETADDR;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = 1;
  request.body.ifa_family = AF_INET;
  std::string dump;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof kernel) == static_cast<ssize_t>(sizeof request)) {
    std::array<char, 32768> buffer;
    // A dump is bounded by the number of addresses; the cap guards against a
    // kernel that never sends NLMSG_DONE.
    for (int part = 0; part < 4096; ++part) {
      const ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        dump.clear();
        break;
      }
      dump.append(buffer.data(), static_cast<std::size_t>(n));
      nlmsghdr last{};
      bool done = false;
      for (std::size_t at = 0; static_cast<std::size_t>(n) - at >= sizeof last;) {
        std::memcpy(&last, buffer.data() + at, sizeof last);
        if (last.nlmsg_type == NLMSG_DONE || last.nlmsg_type == NLMSG_ERROR) done = true;
        if (last.nlmsg_len < sizeof last) break;
        at += NLMSG_ALIGN(last.nlmsg_len);
      }
      if (done) break;
    }
  }
  close(fd);
  return dump;
}

}  // namespace

bool ReadFile(const std::string& path, std::string& out, std::size_t max_bytes) {
  out.clear();
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  constexpr std::size_t kChunk = 4096;
  bool ok = true;
  std::size_t size = 0;
  for (;;) {
    if (size + kChunk > out.size()) out.resize(std::max(out.size() * 2, size + kChunk));
    const ssize_t n = read(fd, out.data() + size, kChunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      ok = false;
      break;
    }
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
    if (size > max_bytes) {
      ok = false;
      break;
    }
  }
  close(fd);
  out.resize(ok ? size : 0);
  return ok;
}

LinuxHostData::LinuxHostData(std::string root) : root_(std::move(root)) {
  if (root_.empty() || root_.back() != '/') root_.push_back('/');
  live_ = root_ == "/";
}

std::string LinuxHostData::ReadText(const char* relative) {
  std::string text;
  ReadFile(Path(relative), text);
  return text;
}

SystemIdentity LinuxHostData::Identity() {
  SystemIdentity id;
  if (live_) {
    struct utsname uts {};
    if (uname(&uts) == 0) {
      id.sysname = uts.sysname;
      id.nodename = uts.nodename;
      id.release = uts.release;
      id.version = uts.version;
      id.machine = uts.machine;
    }
    return id;
  }
  const auto read_line = [this](const char* relative) {
    return std::string(TrimTrailingNewlines(ReadText(relative)));
  };
  id.sysname = read_line("proc/sys/kernel/ostype");
  id.nodename = read_line("proc/sys/kernel/hostname");
  id.release = read_line("proc/sys/kernel/osrelease");
  id.version = read_line("proc/sys/kernel/version");
  std::string machine;
  id.machine = ReadFile(Path("uname_machine"), machine) ? std::string(TrimTrailingNewlines(machine))
                                                        : std::string("x86_64");
  return id;
}

double LinuxHostData::UptimeSeconds() {
  return procfs::ParseUptime(ReadText("proc/uptime")).value_or(0.0);
}

CpuStat LinuxHostData::Cpu() {
  CpuStat stat = procfs::ParseCpuStat(ReadText("proc/stat"));
  procfs::ParseVmStat(ReadText("proc/vmstat"), stat);
  return stat;
}

std::vector<std::string> LinuxHostData::CpuModels() {
  return procfs::ParseCpuInfoModels(ReadText("proc/cpuinfo"));
}

MemInfo LinuxHostData::Memory() { return procfs::ParseMemInfo(ReadText("proc/meminfo")); }

LoadAverage LinuxHostData::Load() {
  if (live_) {
    // sysinfo() gives the kernel's fixed-point loads (1/65536 resolution),
    // the precision snmpd reports; /proc/loadavg is rounded to 2 decimals.
    struct sysinfo info {};
    if (::sysinfo(&info) == 0) {
      constexpr double kScale = 65536.0;
      return {static_cast<double>(info.loads[0]) / kScale,
              static_cast<double>(info.loads[1]) / kScale,
              static_cast<double>(info.loads[2]) / kScale};
    }
  }
  return procfs::ParseLoadAvg(ReadText("proc/loadavg")).value_or(LoadAverage{});
}

std::vector<Mount> LinuxHostData::Mounts() { return procfs::ParseMounts(ReadText("proc/mounts")); }

std::optional<FsUsage> LinuxHostData::StatFs(const std::string& path) {
  FsUsage usage;
  if (live_) {
    struct statvfs vfs {};
    if (statvfs(path.c_str(), &vfs) != 0) return std::nullopt;
    // Some file systems leave f_frsize 0; f_bsize is then the unit.
    usage.fragment_size = vfs.f_frsize != 0 ? vfs.f_frsize : vfs.f_bsize;
    usage.blocks = vfs.f_blocks;
    usage.blocks_free = vfs.f_bfree;
    usage.blocks_available = vfs.f_bavail;
    usage.files = vfs.f_files;
    usage.files_free = vfs.f_ffree;
    return usage;
  }
  std::string name = path;
  std::replace(name.begin(), name.end(), '/', '_');
  std::string text;
  if (!ReadFile(root_ + "statvfs/" + name, text)) return std::nullopt;
  std::array<std::uint64_t*, 6> members = {&usage.fragment_size, &usage.blocks,
                                           &usage.blocks_free,   &usage.blocks_available,
                                           &usage.files,         &usage.files_free};
  std::string_view rest = text;
  for (std::uint64_t* member : members) {
    rest = TrimBlanks(rest);
    const std::size_t end = std::min(rest.find_first_of(" \t\n"), rest.size());
    if (!ParseNumber(rest.substr(0, end), *member)) return std::nullopt;
    rest.remove_prefix(end);
  }
  return usage;
}

std::vector<ProcessInfo> LinuxHostData::Processes() {
  std::vector<ProcessInfo> processes;
  const std::string proc_dir = Path("proc");
  std::unique_ptr<DIR, DirCloser> dir(opendir(proc_dir.c_str()));
  if (!dir) return processes;
  std::uint64_t page_size = kFixturePageSize;
  if (live_) {
    const long size = sysconf(_SC_PAGESIZE);
    if (size > 0) page_size = static_cast<std::uint64_t>(size);
  }
  std::string path;
  while (const dirent* entry = readdir(dir.get())) {
    if (!IsAllDigits(entry->d_name)) continue;
    path.assign(proc_dir).append("/").append(entry->d_name).append("/");
    const std::size_t base = path.size();

    // Each read can fail because the process exited since readdir; such a
    // process is simply skipped. stat is read first and is required.
    path.append("stat");
    if (!ReadFile(path, buffer_)) continue;
    std::optional<procfs::ProcessStat> stat = procfs::ParseProcessStat(buffer_);
    if (!stat) continue;

    ProcessInfo info;
    info.pid = stat->pid;
    info.state = stat->state;
    info.cpu_ticks = stat->utime + stat->stime;
    info.rss_kb = stat->rss_pages * page_size / 1024;

    path.resize(base);
    path.append("status");
    if (!ReadFile(path, buffer_)) continue;
    info.name = procfs::ParseProcessStatusName(buffer_);
    if (info.name.empty()) info.name = std::move(stat->comm);

    path.resize(base);
    path.append("cmdline");
    if (!ReadFile(path, buffer_)) continue;
    procfs::CommandLine cmd = procfs::ParseCmdline(buffer_);
    info.path = std::move(cmd.path);
    info.parameters = std::move(cmd.parameters);
    info.empty_cmdline = cmd.empty;

    info.kernel_thread =
        (stat->flags & procfs::kPfKthread) != 0 || stat->pid == 2 || (cmd.empty && stat->ppid == 2);
    processes.push_back(std::move(info));
  }
  return processes;
}

std::uint32_t LinuxHostData::MaxProcesses() {
  std::uint32_t max = 0;
  return ParseNumber(ReadText("proc/sys/kernel/pid_max"), max) ? max : 0;
}

std::uint32_t LinuxHostData::LoggedInUsers() {
  std::string utmp;
  if (!ReadFile(Path("var/run/utmp"), utmp)) return 0;
  std::uint32_t count = 0;
  std::string proc_path;
  for (const std::int32_t pid : procfs::ParseUtmpUserPids(utmp)) {
    if (pid <= 0) continue;
    if (live_) {
      // As snmpd: only ESRCH means gone (EPERM is someone else's process;
      // a /proc lookup would also miss processes hidden by hidepid=).
      if (kill(pid, 0) == 0 || errno != ESRCH) ++count;
    } else {
      proc_path = Path("proc/") + std::to_string(pid);
      if (access(proc_path.c_str(), F_OK) == 0) ++count;
    }
  }
  return count;
}

std::string LinuxHostData::KernelCommandLine() {
  return std::string(TrimTrailingNewlines(ReadText("proc/cmdline")));
}

std::vector<NetInterface> LinuxHostData::Interfaces() {
  std::vector<NetInterface> interfaces = procfs::ParseNetDev(ReadText("proc/net/dev"));
  std::string path;
  std::string text;
  std::optional<IoctlSocket> sock;
  if (live_ && !interfaces.empty()) sock.emplace();
  for (NetInterface& nic : interfaces) {
    path.assign(root_).append("sys/class/net/").append(nic.name).append("/");
    const std::size_t base = path.size();
    const auto read = [&](const char* name) {
      path.resize(base);
      path.append(name);
      return ReadFile(path, text);
    };
    if (read("ifindex")) ParseNumber(text, nic.index);
    if (read("type")) ParseNumber(text, nic.type);
    if (read("mtu")) ParseNumber(text, nic.mtu);
    // Mb/s; -1 or EINVAL when the driver does not know (down, virtual).
    std::int64_t speed_mbps = 0;
    if (read("speed") && ParseNumber(text, speed_mbps) && speed_mbps > 0) {
      nic.speed_bps = static_cast<std::uint64_t>(speed_mbps) * 1'000'000;
    }
    if (read("address")) nic.mac = ParseHardwareAddress(text);
    std::uint32_t flags = 0;
    if (read("flags")) ParseNumber(text, flags, 16);
    nic.admin_up = (flags & kIffUp) != 0;
    // Fixture trees have no ioctl; their flags file stands in for it.
    nic.promiscuous = ((sock ? IoctlFlags(*sock, nic.name) : flags) & kIffPromisc) != 0;
    // The flags file holds dev->flags, where IFF_RUNNING is normally absent:
    // the kernel computes it for ioctl/netlink as "device open and operstate
    // up or unknown". So "unknown" (loopback, many virtual devices) counts as
    // up when the device is administratively up.
    const std::string_view operstate = read("operstate") ? TrimBlanks(text) : std::string_view();
    nic.oper_up =
        operstate == "up" || (operstate == "unknown" && (flags & (kIffUp | kIffRunning)) != 0);
    if (sock) {
      nic.duplex = IoctlDuplex(*sock, nic.name);
    } else if (read("duplex")) {
      const std::string_view duplex = TrimBlanks(text);
      nic.duplex = duplex == "full"   ? NetInterface::Duplex::kFull
                   : duplex == "half" ? NetInterface::Duplex::kHalf
                                      : NetInterface::Duplex::kUnknown;
    }
  }
  std::stable_sort(interfaces.begin(), interfaces.end(),
                   [](const NetInterface& a, const NetInterface& b) { return a.index < b.index; });
  return interfaces;
}

std::vector<DiskStat> LinuxHostData::Disks() {
  return procfs::ParseDiskStats(ReadText("proc/diskstats"));
}

std::vector<SocketEndpoint> LinuxHostData::TcpListeners() {
  std::vector<SocketEndpoint> all = procfs::ParseSocketTable(ReadText("proc/net/tcp"), false, true);
  std::vector<SocketEndpoint> v6 = procfs::ParseSocketTable(ReadText("proc/net/tcp6"), true, true);
  all.insert(all.end(), std::make_move_iterator(v6.begin()), std::make_move_iterator(v6.end()));
  return all;
}

std::vector<SocketEndpoint> LinuxHostData::UdpEndpoints() {
  std::vector<SocketEndpoint> all =
      procfs::ParseSocketTable(ReadText("proc/net/udp"), false, false);
  std::vector<SocketEndpoint> v6 = procfs::ParseSocketTable(ReadText("proc/net/udp6"), true, false);
  all.insert(all.end(), std::make_move_iterator(v6.begin()), std::make_move_iterator(v6.end()));
  return all;
}

std::vector<InterfaceAddress> LinuxHostData::Addresses() {
  std::string dump;
  if (live_) {
    dump = DumpIpv4Addresses();
  } else {
    ReadFile(Path("netlink/getaddr-inet"), dump);
  }
  std::vector<InterfaceAddress> all = procfs::ParseNetlinkAddresses(dump);
  std::vector<InterfaceAddress> v6 = procfs::ParseIfInet6(ReadText("proc/net/if_inet6"));
  all.insert(all.end(), std::make_move_iterator(v6.begin()), std::make_move_iterator(v6.end()));
  return all;
}

std::unique_ptr<HostData> MakeLocalHostData() { return std::make_unique<LinuxHostData>("/"); }

}  // namespace mimamori::agent
