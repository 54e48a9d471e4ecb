// What the agent knows about the machine it runs on, independent of the OS.
//
// This is the seam between the operating system and the MIB: the Linux
// implementation (agent/linux/) reads /proc, /sys and statvfs under a root
// directory so tests can point it at fixture trees; a Windows implementation
// fills the same structs from Win32 APIs. MIB providers (agent/mib/) only see
// these structs, so they are tested with hand-made values.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mimamori::agent {

/// Cumulative CPU time in USER_HZ ticks (1/100 s on every Linux we support),
/// the columns of a /proc/stat "cpu" line.
struct CpuTimes {
  std::uint64_t user = 0;
  std::uint64_t nice = 0;
  std::uint64_t system = 0;
  std::uint64_t idle = 0;
  std::uint64_t iowait = 0;
  std::uint64_t irq = 0;
  std::uint64_t softirq = 0;
  std::uint64_t steal = 0;
  std::uint64_t guest = 0;
  std::uint64_t guest_nice = 0;
};

struct CpuStat {
  CpuTimes total;                      ///< the "cpu" line
  std::vector<CpuTimes> per_cpu;       ///< "cpu0", "cpu1", ... in order
  std::uint64_t interrupts = 0;        ///< first number of the "intr" line
  std::uint64_t context_switches = 0;  ///< "ctxt"
  std::uint64_t boot_time = 0;         ///< "btime", seconds since the epoch
  std::uint64_t processes_forked = 0;  ///< "processes"
  std::uint64_t pages_in = 0;          ///< /proc/vmstat pgpgin (or "page" line on old kernels)
  std::uint64_t pages_out = 0;         ///< pgpgout
  std::uint64_t swap_in = 0;           ///< pswpin
  std::uint64_t swap_out = 0;          ///< pswpout
};

/// /proc/meminfo, in KiB.
struct MemInfo {
  std::uint64_t total_kb = 0;
  std::uint64_t free_kb = 0;
  std::optional<std::uint64_t> available_kb;  ///< MemAvailable: absent before Linux 3.14
  std::uint64_t buffers_kb = 0;
  std::uint64_t cached_kb = 0;
  std::uint64_t shared_kb = 0;        ///< Shmem
  std::uint64_t sreclaimable_kb = 0;  ///< SReclaimable
  std::uint64_t swap_total_kb = 0;
  std::uint64_t swap_free_kb = 0;
};

struct Mount {
  std::string device;  ///< first field of /proc/mounts ("/dev/vda1", "tmpfs", ...)
  std::string path;    ///< mount point, octal escapes (\040) decoded
  std::string type;    ///< "xfs", "ext4", "nfs4", ...
  bool read_only = false;
};

/// statvfs() of a mount point.
struct FsUsage {
  std::uint64_t fragment_size = 0;     ///< f_frsize, the unit of the block counts
  std::uint64_t blocks = 0;            ///< f_blocks
  std::uint64_t blocks_free = 0;       ///< f_bfree
  std::uint64_t blocks_available = 0;  ///< f_bavail (for unprivileged users)
  std::uint64_t files = 0;             ///< f_files
  std::uint64_t files_free = 0;        ///< f_ffree
};

/// A process. path and parameters are the command line as snmpd shows it in
/// hrSWRunPath and hrSWRunParameters (not cut to the MIB's 128 bytes here):
/// only the command line's first line counts, and the arguments end at the
/// first empty one. See procfs::ParseCmdline for the exact rule.
struct ProcessInfo {
  std::int32_t pid = 0;
  std::string name;             ///< command name: /proc/PID/status "Name:" (the kernel's comm)
  std::string path;             ///< argv[0]; empty for kernel threads
  std::string parameters;       ///< argv[1..] joined by single spaces, up to an empty argument
  char state = '?';             ///< the state letter of /proc/PID/stat (R, S, D, Z, T, I, ...)
  std::uint64_t cpu_ticks = 0;  ///< utime + stime, USER_HZ ticks
  std::uint64_t rss_kb = 0;     ///< resident set size, KiB
  bool kernel_thread = false;   ///< no cmdline and parent kthreadd (or PF_KTHREAD)
  /// The command line is empty (kernel threads; zombies, whose memory is
  /// gone). snmpd's hrSWRunType is operatingSystem exactly then; an empty
  /// path and parameters alone do not imply it (argv = {""} is not empty).
  bool empty_cmdline = false;
};

struct LoadAverage {
  double one = 0, five = 0, fifteen = 0;
};

struct NetInterface {
  std::uint32_t index = 0;  ///< kernel ifindex (/sys/class/net/NAME/ifindex)
  std::string name;
  std::uint32_t type = 0;  ///< ARPHRD_* from /sys/class/net/NAME/type (1 = ether, 772 = loopback)
  std::uint32_t mtu = 0;
  std::uint64_t speed_bps = 0;  ///< 0 when unknown (/sys speed is Mb/s, or -1)
  std::string mac;              ///< 6 raw bytes, empty when none
  bool admin_up = false;        ///< IFF_UP in /sys/class/net/NAME/flags
  /// IFF_PROMISC as SIOCGIFFLAGS reports it, which is what snmpd reads: set by
  /// "ip link set NAME promisc on", but not by packet sockets (tcpdump) or
  /// bridge ports, which /sys/class/net/NAME/flags would also show.
  bool promiscuous = false;
  bool oper_up = false;  ///< operstate "up" (or "unknown" with IFF_RUNNING, as loopback)
  /// EtherLike-MIB dot3StatsTable: snmpd has a row for an interface whose
  /// driver reports ethtool statistics (ETHTOOL_GDRVINFO n_stats > 0) and link
  /// settings (ETHTOOL_GSET), with the duplex of the latter.
  enum class Duplex : std::uint8_t { kNotEthernet, kUnknown, kHalf, kFull };
  Duplex duplex = Duplex::kNotEthernet;
  std::uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_dropped = 0, rx_multicast = 0;
  std::uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_dropped = 0;
};

/// One line of /proc/diskstats.
struct DiskStat {
  std::uint32_t major = 0, minor = 0;
  std::string name;
  std::uint64_t reads_completed = 0, sectors_read = 0;
  std::uint64_t writes_completed = 0, sectors_written = 0;
  /// Milliseconds during which the device had I/O in flight ("time spent
  /// doing I/Os", field 13). The kernel prints it as a 32-bit number, so it
  /// wraps after ~49.7 days of busy time. 0 for the old 4-number lines.
  std::uint64_t io_ticks_ms = 0;
};

/// A listening TCP socket or any UDP socket (/proc/net/{tcp,tcp6,udp,udp6}).
struct SocketEndpoint {
  bool ipv6 = false;
  std::string address;  ///< 4 or 16 raw bytes in network order
  std::uint16_t port = 0;
  /// The remote end, of the same width as address: all zero (or empty) and
  /// port 0 unless the socket is connected.
  std::string remote_address;
  std::uint16_t remote_port = 0;
  /// UDP: the socket is connect()ed (Linux state 01, ESTABLISHED, rather than
  /// 07, CLOSE). snmpd's udpTable lists only the others.
  bool connected = false;
  std::uint64_t inode = 0;
};

/// An address of an interface, as snmpd's IP-MIB reads it: IPv4 from the
/// kernel's address list (one entry per address, secondaries included),
/// IPv6 from /proc/net/if_inet6.
struct InterfaceAddress {
  bool ipv6 = false;
  std::string address;  ///< 4 or 16 raw bytes in network order
  std::uint32_t if_index = 0;
  std::uint8_t prefix_length = 0;
  /// IPv4: the address's broadcast address (4 bytes), empty when it has none.
  std::string broadcast;
  /// IPv6: the IFA_F_* flags byte of /proc/net/if_inet6 (0x80 permanent,
  /// 0x40 tentative, 0x20 deprecated, 0x01 temporary, ...).
  std::uint32_t flags = 0;
  friend bool operator==(const InterfaceAddress&, const InterfaceAddress&) = default;
};

enum class OsFamily { kLinux, kWindows };

struct SystemIdentity {
  std::string sysname;   ///< uname -s, "Linux"; "Windows"
  std::string nodename;  ///< uname -n; the computer name on Windows
  std::string release;   ///< uname -r; Windows: "6.3" (CurrentVersion)
  std::string version;   ///< uname -v; Windows: the build number
  std::string machine;   ///< uname -m
  /// Decides the OS-specific parts of the MIB (sysObjectID, the hrStorage
  /// layout, the service tables).
  OsFamily family = OsFamily::kLinux;
  /// sysDescr as the OS's own agent words it; empty: uname's five fields
  /// joined by spaces, as snmpd.
  std::string description;
};

/// A drive letter (Windows): GetDriveType, GetVolumeInformation and
/// GetDiskFreeSpaceEx of its root.
struct Volume {
  enum class Kind { kUnknown, kRemovable, kFixed, kRemote, kCdRom, kRamDisk };
  std::string root;  ///< "C:\"
  Kind kind = Kind::kUnknown;
  /// GetVolumeInformation succeeded: false for a drive without a medium (an
  /// empty DVD drive), whose other fields are then empty or zero.
  bool ready = false;
  std::string label;                ///< volume label, UTF-8, may be empty
  std::uint32_t serial = 0;         ///< volume serial number
  std::string file_system;          ///< "NTFS", "ReFS", "FAT32", "CDFS", ...
  std::string device;               ///< volume GUID path "\\?\Volume{...}\", or the root
  std::uint64_t cluster_bytes = 0;  ///< sectors per cluster * bytes per sector
  std::uint64_t total_bytes = 0;
  std::uint64_t free_bytes = 0;       ///< free on the volume
  std::uint64_t available_bytes = 0;  ///< free for the agent's account (quotas)
};

/// A Win32 service: EnumServicesStatusEx and QueryServiceConfig.
struct ServiceInfo {
  std::string name;          ///< the key name ("W3SVC"), UTF-8
  std::string display_name;  ///< "World Wide Web Publishing Service", UTF-8
  /// dwCurrentState: SERVICE_STOPPED (1), START_PENDING (2), STOP_PENDING (3),
  /// RUNNING (4), CONTINUE_PENDING (5), PAUSE_PENDING (6), PAUSED (7).
  std::uint32_t state = 0;
  /// dwStartType: SERVICE_BOOT_START (0), SYSTEM (1), AUTO (2), DEMAND (3),
  /// DISABLED (4); nullopt when the configuration could not be read.
  std::optional<std::uint32_t> start_type;
  /// dwControlsAccepted (SERVICE_ACCEPT_STOP = 1, PAUSE_CONTINUE = 2, ...).
  std::uint32_t controls_accepted = 0;
};

/// The OS seam. Each call reads the current state; callers cache. Methods may
/// be called from the agent's single event-loop thread only. Failures to read
/// a source yield empty/zero data, never exceptions: a monitoring agent keeps
/// answering with what it has.
class HostData {
 public:
  virtual ~HostData() = default;

  virtual SystemIdentity Identity() = 0;
  virtual double UptimeSeconds() = 0;  ///< /proc/uptime first field
  virtual CpuStat Cpu() = 0;
  virtual std::vector<std::string> CpuModels() = 0;  ///< one per logical CPU (/proc/cpuinfo)
  virtual MemInfo Memory() = 0;
  virtual LoadAverage Load() = 0;
  virtual std::vector<Mount> Mounts() = 0;
  virtual std::optional<FsUsage> StatFs(const std::string& path) = 0;
  virtual std::vector<ProcessInfo> Processes() = 0;
  virtual std::uint32_t MaxProcesses() = 0;     ///< /proc/sys/kernel/pid_max
  virtual std::uint32_t LoggedInUsers() = 0;    ///< USER_PROCESS entries in utmp
  virtual std::string KernelCommandLine() = 0;  ///< /proc/cmdline
  virtual std::vector<NetInterface> Interfaces() = 0;
  virtual std::vector<DiskStat> Disks() = 0;
  virtual std::vector<SocketEndpoint> TcpListeners() = 0;  ///< LISTEN sockets only
  /// Every UDP socket, connected or not, one entry per socket (SO_REUSEPORT
  /// groups give several entries with the same address and port).
  virtual std::vector<SocketEndpoint> UdpEndpoints() = 0;
  /// Every IPv4 address, then every IPv6 address, in the kernel's order.
  /// Default: none (an OS whose HostData does not provide them yet).
  virtual std::vector<InterfaceAddress> Addresses() { return {}; }

  /// Drive letters (Windows only; the file systems of Mounts() describe them
  /// the OS-neutral way).
  virtual std::vector<Volume> Volumes() { return {}; }
  /// Every Win32 service, whatever its state (Windows only).
  virtual std::vector<ServiceInfo> Services() { return {}; }
};

/// The running machine's HostData: LinuxHostData("/") or WindowsHostData,
/// whichever OS library the agent is linked with.
std::unique_ptr<HostData> MakeLocalHostData();

}  // namespace mimamori::agent
