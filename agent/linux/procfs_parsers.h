// Parsers for the text (and a few binary) formats of /proc, kept free of I/O
// so that every kernel's format can be tested from fixture strings.
//
// Common contract of every function here: the input is the whole content of
// the source as read; nothing throws; malformed lines are skipped and whatever
// did parse is returned. Numbers that do not fit their field make the line
// malformed. Formats covered are those of the RHEL 7 (3.10), RHEL 8 (4.18)
// and RHEL 9 (5.14) kernels and later.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/host/host_data.h"

namespace mimamori::agent::procfs {

/// Task flag of kernel threads in the "flags" field of /proc/PID/stat.
inline constexpr std::uint32_t kPfKthread = 0x00200000;

/// /proc/stat: the "cpu" and "cpuN" lines (per_cpu in the order the lines
/// appear: offline CPUs have no line), "intr" (first number), "ctxt", "btime"
/// and "processes". The "page" and "swap" lines of pre-2.6 kernels, if
/// present, fill pages_in/out and swap_in/out; ParseVmStat overrides them.
CpuStat ParseCpuStat(std::string_view text);

/// /proc/vmstat: sets stat.pages_in/out (pgpgin, pgpgout) and
/// stat.swap_in/out (pswpin, pswpout) for the keys present; other members are
/// left untouched.
void ParseVmStat(std::string_view text, CpuStat& stat);

/// /proc/meminfo. available_kb stays empty when there is no MemAvailable line.
MemInfo ParseMemInfo(std::string_view text);

/// Decodes the kernel's octal escapes of /proc/mounts fields ("\040" for a
/// space, "\011" tab, "\012" newline, "\134" backslash; any "\ooo" is
/// accepted). A backslash not followed by three octal digits is kept as is.
std::string DecodeOctalEscapes(std::string_view field);

/// /proc/mounts or /proc/self/mounts, in file order. device, path and type are
/// unescaped; read_only is true when the options contain "ro".
std::vector<Mount> ParseMounts(std::string_view text);

/// /proc/loadavg ("0.15 0.10 0.05 1/234 5678"); nullopt when the first three
/// fields are not numbers.
std::optional<LoadAverage> ParseLoadAvg(std::string_view text);

/// /proc/uptime first field, seconds; nullopt when malformed.
std::optional<double> ParseUptime(std::string_view text);

/// /proc/cpuinfo: one string per "processor" block, in the form snmpd uses for
/// hrDeviceDescr: "<vendor_id>: <model name>". When one of the two is missing
/// the other alone is returned; when both are missing, an empty string (the
/// entry still counts a logical CPU).
std::vector<std::string> ParseCpuInfoModels(std::string_view text);

/// The fields of /proc/PID/stat the agent uses.
struct ProcessStat {
  std::int32_t pid = 0;
  std::string comm;  ///< between the first '(' and the last ')', raw
  char state = '?';
  std::int32_t ppid = 0;
  std::uint32_t flags = 0;       ///< task flags (kPfKthread, ...)
  std::uint64_t utime = 0;       ///< USER_HZ ticks
  std::uint64_t stime = 0;       ///< USER_HZ ticks
  std::uint64_t start_time = 0;  ///< USER_HZ ticks after boot
  std::uint64_t rss_pages = 0;   ///< negative values read as 0
};

/// /proc/PID/stat. comm may contain spaces and parentheses, so the fields
/// after it are located from the LAST ')'. nullopt when the line is cut
/// before the rss field or a field is not a number.
std::optional<ProcessStat> ParseProcessStat(std::string_view text);

/// The value of the "Name:" line of /proc/PID/status, whitespace after the
/// colon skipped and the newline removed (as snmpd's hrSWRunName). The kernel
/// escapes '\n' and '\\' in it; the escapes are kept, so the name is one
/// printable line. Empty when there is no such line.
std::string ParseProcessStatusName(std::string_view text);

struct CommandLine {
  std::string path;        ///< hrSWRunPath: argv[0]
  std::string parameters;  ///< hrSWRunParameters: argv[1..] up to an empty one, space-separated
  bool empty = true;       ///< the input had no bytes at all (kernel threads, zombies)
};

/// /proc/PID/cmdline (NUL-separated argv), read the way snmpd 5.9.3 reads it
/// (host/data_access/swrun_procfs_status.c), so that hrSWRunPath and
/// hrSWRunParameters are the same bytes from either agent:
///   - snmpd reads the file with one fgets() into an 8 KiB buffer, so only
///     its first line counts: everything after the first '\n' is ignored,
///     the '\n' itself is kept, and at most 8190 bytes are read;
///   - path is that line up to its first NUL;
///   - parameters are the following arguments joined by single spaces,
///     ending before the first EMPTY argument (snmpd joins until it meets
///     two NULs in a row), so {"sh", "-c", "x", "", "y"} gives "-c x".
/// Neither member is cut to the MIB's 128 bytes here. A process that rewrote
/// its argv area as one string (setproctitle) has it all in path.
CommandLine ParseCmdline(std::string_view bytes);

/// /proc/net/dev: one NetInterface per interface line, in file order, with
/// only name and the rx_/tx_ counters filled (the rest comes from /sys).
std::vector<NetInterface> ParseNetDev(std::string_view text);

/// /proc/diskstats, any of the 14-field (3.10), 18-field (4.18, discards) and
/// 20-field (5.5+, flushes) formats, plus the 7-field partition lines of
/// 2.6.0-2.6.24 (which have no io_ticks: it stays 0). In file order.
std::vector<DiskStat> ParseDiskStats(std::string_view text);

/// /proc/net/{tcp,tcp6,udp,udp6}. With tcp, only LISTEN (state 0A) sockets;
/// otherwise every socket, as snmpd's udpEndpointTable
/// (udp-mib/data_access/udp_endpoint_linux.c), with connected set for any
/// state but 07 (CLOSE: bound, not connected). Local and remote addresses
/// are converted from the kernel's per-32-bit-word host order to
/// network-order raw bytes (4 bytes, or 16 with ipv6; lines of the other
/// width are skipped). Every line is an entry, in file order: sockets sharing
/// an address and port (SO_REUSEPORT) are kept apart by their inode, and the
/// MIB providers decide what a row is.
std::vector<SocketEndpoint> ParseSocketTable(std::string_view text, bool ipv6, bool tcp);

/// The ut_pid of every USER_PROCESS record of a utmp file (x86_64 glibc
/// layout, 384-byte records); a trailing partial record is ignored.
std::vector<std::int32_t> ParseUtmpUserPids(std::string_view bytes);

/// Number of USER_PROCESS records of a utmp file (see ParseUtmpUserPids).
std::uint32_t ParseUtmpUserCount(std::string_view bytes);

/// A whole RTM_GETADDR dump from NETLINK_ROUTE (the bytes of every recv()
/// up to and including NLMSG_DONE), IPv4 entries only: address = IFA_LOCAL
/// (IFA_ADDRESS when absent), broadcast = IFA_BROADCAST, if_index and
/// prefix_length from struct ifaddrmsg. Stops at NLMSG_DONE, NLMSG_ERROR or
/// the first malformed header; attributes that overrun their message are
/// ignored.
std::vector<InterfaceAddress> ParseNetlinkAddresses(std::string_view dump);

/// /proc/net/if_inet6: "ADDRESS32HEX IFINDEX PREFIXLEN SCOPE FLAGS NAME",
/// the numbers in hex.
std::vector<InterfaceAddress> ParseIfInet6(std::string_view text);

}  // namespace mimamori::agent::procfs
