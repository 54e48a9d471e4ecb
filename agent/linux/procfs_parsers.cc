#include "agent/linux/procfs_parsers.h"

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <utmp.h>

#include <array>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <system_error>

namespace mimamori::agent::procfs {
namespace {

// Blanks separate fields; '\n' is handled by LineReader, '\r' tolerated for
// fixtures edited on other systems.
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

class LineReader {
 public:
  explicit LineReader(std::string_view text) : rest_(text) {}

  bool Next(std::string_view& line) {
    if (rest_.empty()) return false;
    const std::size_t nl = rest_.find('\n');
    if (nl == std::string_view::npos) {
      line = rest_;
      rest_ = {};
    } else {
      line = rest_.substr(0, nl);
      rest_.remove_prefix(nl + 1);
    }
    return true;
  }

 private:
  std::string_view rest_;
};

class FieldReader {
 public:
  explicit FieldReader(std::string_view line) : rest_(line) {}

  bool Next(std::string_view& field) {
    SkipBlanks();
    if (rest_.empty()) return false;
    std::size_t end = 0;
    while (end < rest_.size() && !IsBlank(rest_[end])) ++end;
    field = rest_.substr(0, end);
    rest_.remove_prefix(end);
    return true;
  }

  // Splits up to N fields; returns how many were found.
  template <std::size_t N>
  std::size_t Split(std::array<std::string_view, N>& fields) {
    std::size_t n = 0;
    while (n < N && Next(fields[n])) ++n;
    return n;
  }

  bool AtEnd() {
    SkipBlanks();
    return rest_.empty();
  }

 private:
  void SkipBlanks() {
    while (!rest_.empty() && IsBlank(rest_.front())) rest_.remove_prefix(1);
  }

  std::string_view rest_;
};

// The whole field must be the number: "12abc" and "" are malformed.
template <typename T>
bool ParseInt(std::string_view s, T& out, int base = 10) {
  if (s.empty()) return false;
  T value{};
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (ec != std::errc() || ptr != s.data() + s.size()) return false;
  out = value;
  return true;
}

bool ParseDouble(std::string_view s, double& out) {
  if (s.empty()) return false;
  double value = 0;
  // from_chars is locale-independent, unlike strtod: /proc always uses '.'.
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return false;
  out = value;
  return true;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The number fields of a "cpu" line, in CpuTimes member order. Kernels before
// 2.6.33 print fewer columns; the missing ones stay 0.
bool ParseCpuTimes(FieldReader& fields, CpuTimes& out) {
  std::array<std::uint64_t*, 10> members = {&out.user,   &out.nice,      &out.system,  &out.idle,
                                            &out.iowait, &out.irq,       &out.softirq, &out.steal,
                                            &out.guest,  &out.guest_nice};
  std::size_t n = 0;
  std::string_view field;
  while (n < members.size() && fields.Next(field)) {
    if (!ParseInt(field, *members[n])) return false;
    ++n;
  }
  return n >= 4;  // user nice system idle: present on every kernel
}

bool ParseFirstNumber(FieldReader& fields, std::uint64_t& out) {
  std::string_view field;
  return fields.Next(field) && ParseInt(field, out);
}

}  // namespace

CpuStat ParseCpuStat(std::string_view text) {
  CpuStat stat;
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    FieldReader fields(line);
    std::string_view key;
    if (!fields.Next(key)) continue;
    if (key == "cpu") {
      CpuTimes times;
      if (ParseCpuTimes(fields, times)) stat.total = times;
    } else if (StartsWith(key, "cpu")) {
      std::uint32_t index = 0;
      CpuTimes times;
      if (ParseInt(key.substr(3), index) && ParseCpuTimes(fields, times)) {
        stat.per_cpu.push_back(times);
      }
    } else if (key == "intr") {
      ParseFirstNumber(fields, stat.interrupts);
    } else if (key == "ctxt") {
      ParseFirstNumber(fields, stat.context_switches);
    } else if (key == "btime") {
      ParseFirstNumber(fields, stat.boot_time);
    } else if (key == "processes") {
      ParseFirstNumber(fields, stat.processes_forked);
    } else if (key == "page" || key == "swap") {
      std::uint64_t in = 0, out = 0;
      if (ParseFirstNumber(fields, in) && ParseFirstNumber(fields, out)) {
        (key == "page" ? stat.pages_in : stat.swap_in) = in;
        (key == "page" ? stat.pages_out : stat.swap_out) = out;
      }
    }
  }
  return stat;
}

void ParseVmStat(std::string_view text, CpuStat& stat) {
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    FieldReader fields(line);
    std::string_view key;
    std::uint64_t value = 0;
    if (!fields.Next(key) || !ParseFirstNumber(fields, value)) continue;
    if (key == "pgpgin") {
      stat.pages_in = value;
    } else if (key == "pgpgout") {
      stat.pages_out = value;
    } else if (key == "pswpin") {
      stat.swap_in = value;
    } else if (key == "pswpout") {
      stat.swap_out = value;
    }
  }
}

MemInfo ParseMemInfo(std::string_view text) {
  MemInfo info;
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    FieldReader fields(line.substr(colon + 1));
    std::uint64_t value = 0;
    if (!ParseFirstNumber(fields, value)) continue;
    if (key == "MemTotal") {
      info.total_kb = value;
    } else if (key == "MemFree") {
      info.free_kb = value;
    } else if (key == "MemAvailable") {
      info.available_kb = value;
    } else if (key == "Buffers") {
      info.buffers_kb = value;
    } else if (key == "Cached") {
      info.cached_kb = value;
    } else if (key == "Shmem") {
      info.shared_kb = value;
    } else if (key == "SReclaimable") {
      info.sreclaimable_kb = value;
    } else if (key == "SwapTotal") {
      info.swap_total_kb = value;
    } else if (key == "SwapFree") {
      info.swap_free_kb = value;
    }
  }
  return info;
}

std::string DecodeOctalEscapes(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && field.size() - i > 3) {
      const auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
      const char a = field[i + 1], b = field[i + 2], c = field[i + 3];
      // Above \377 would not be a byte; the kernel never writes that.
      if (is_octal(a) && is_octal(b) && is_octal(c) && a <= '3') {
        out.push_back(static_cast<char>(((a - '0') << 6) | ((b - '0') << 3) | (c - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

std::vector<Mount> ParseMounts(std::string_view text) {
  std::vector<Mount> mounts;
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    FieldReader fields(line);
    std::array<std::string_view, 4> f;
    if (fields.Split(f) < f.size()) continue;
    Mount mount;
    mount.device = DecodeOctalEscapes(f[0]);
    mount.path = DecodeOctalEscapes(f[1]);
    mount.type = DecodeOctalEscapes(f[2]);
    std::string_view options = f[3];
    while (!options.empty()) {
      const std::size_t comma = options.find(',');
      const std::string_view option = options.substr(0, comma);
      if (option == "ro") mount.read_only = true;
      if (comma == std::string_view::npos) break;
      options.remove_prefix(comma + 1);
    }
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

std::optional<LoadAverage> ParseLoadAvg(std::string_view text) {
  FieldReader fields(text);
  std::array<std::string_view, 3> f;
  LoadAverage load;
  if (fields.Split(f) < f.size() || !ParseDouble(f[0], load.one) || !ParseDouble(f[1], load.five) ||
      !ParseDouble(f[2], load.fifteen)) {
    return std::nullopt;
  }
  return load;
}

std::optional<double> ParseUptime(std::string_view text) {
  FieldReader fields(text);
  std::string_view first;
  double seconds = 0;
  if (!fields.Next(first) || !ParseDouble(first, seconds)) return std::nullopt;
  return seconds;
}

std::vector<std::string> ParseCpuInfoModels(std::string_view text) {
  std::vector<std::string> models;
  bool in_block = false;
  std::string_view vendor, model;
  const auto finish_block = [&] {
    if (!in_block) return;
    std::string description(vendor);
    if (!vendor.empty() && !model.empty()) description += ": ";
    description += model;
    models.push_back(std::move(description));
  };
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = TrimBlanks(line.substr(0, colon));
    const std::string_view value = TrimBlanks(line.substr(colon + 1));
    if (key == "processor") {
      // Each logical CPU's block starts with its "processor" line; blank
      // separator lines are not relied on.
      finish_block();
      in_block = true;
      vendor = {};
      model = {};
    } else if (key == "vendor_id") {
      vendor = value;
    } else if (key == "model name") {
      model = value;
    }
  }
  finish_block();
  return models;
}

std::optional<ProcessStat> ParseProcessStat(std::string_view text) {
  const std::size_t open = text.find('(');
  const std::size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  ProcessStat stat;
  if (!ParseInt(TrimBlanks(text.substr(0, open)), stat.pid)) return std::nullopt;
  stat.comm = std::string(text.substr(open + 1, close - open - 1));

  // Fields after the comm, numbered from 0 = state (field 3 of proc(5)).
  enum : std::size_t {
    kState = 0,
    kPpid = 1,
    kFlags = 6,
    kUtime = 11,
    kStime = 12,
    kStartTime = 19,
    kRss = 21,
    kCount = 22
  };
  FieldReader fields(text.substr(close + 1));
  std::array<std::string_view, kCount> f;
  if (fields.Split(f) < f.size()) return std::nullopt;
  std::int64_t rss = 0;
  if (f[kState].size() != 1 || !ParseInt(f[kPpid], stat.ppid) || !ParseInt(f[kFlags], stat.flags) ||
      !ParseInt(f[kUtime], stat.utime) || !ParseInt(f[kStime], stat.stime) ||
      !ParseInt(f[kStartTime], stat.start_time) || !ParseInt(f[kRss], rss)) {
    return std::nullopt;
  }
  stat.state = f[kState][0];
  stat.rss_pages = rss > 0 ? static_cast<std::uint64_t>(rss) : 0;
  return stat;
}

std::string ParseProcessStatusName(std::string_view text) {
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    if (!StartsWith(line, "Name:")) continue;
    std::string_view value = line.substr(5);
    while (!value.empty() && IsBlank(value.front())) value.remove_prefix(1);
    return std::string(value);
  }
  return {};
}

CommandLine ParseCmdline(std::string_view bytes) {
  CommandLine cmd;
  cmd.empty = bytes.empty();
  // snmpd: memset(buf, 0, BUFSIZ); fgets(buf, BUFSIZ - 1, fp), with glibc's
  // BUFSIZ of 8192. fgets stops after the first '\n' (keeping it) and reads
  // at most BUFSIZ - 2 bytes; the NULs of argv do not stop it.
  constexpr std::size_t kSnmpdLineMax = 8192 - 2;
  std::string_view line = bytes.substr(0, kSnmpdLineMax);
  if (const std::size_t newline = line.find('\n'); newline != std::string_view::npos) {
    line = line.substr(0, newline + 1);
  }
  const std::size_t nul = line.find('\0');
  cmd.path = std::string(line.substr(0, nul));
  if (nul == std::string_view::npos) return cmd;
  // snmpd turns each NUL after argv[0] into a space until it finds a NUL
  // followed by another NUL (the end of the line reads as NULs, from the
  // memset), then prints from after argv[0]'s NUL: the arguments joined by
  // spaces up to the first empty one.
  std::string_view rest = line.substr(nul + 1);
  while (!rest.empty()) {
    const std::size_t end = rest.find('\0');
    const std::string_view argument = rest.substr(0, end);
    if (argument.empty()) break;
    if (!cmd.parameters.empty()) cmd.parameters.push_back(' ');
    cmd.parameters.append(argument);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return cmd;
}

std::vector<NetInterface> ParseNetDev(std::string_view text) {
  std::vector<NetInterface> interfaces;
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    // Interface names cannot contain ':' (dev_valid_name), and the two
    // header lines have none; old kernels glue the first counter to it.
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = TrimBlanks(line.substr(0, colon));
    if (name.empty() || name.find('|') != std::string_view::npos) continue;
    FieldReader fields(line.substr(colon + 1));
    std::array<std::string_view, 16> f;
    std::array<std::uint64_t, 16> v{};
    if (fields.Split(f) < f.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; i < f.size() && ok; ++i) ok = ParseInt(f[i], v[i]);
    if (!ok) continue;
    NetInterface nic;
    nic.name = std::string(name);
    // rx: bytes packets errs drop fifo frame compressed multicast
    // tx: bytes packets errs drop fifo colls carrier compressed
    nic.rx_bytes = v[0];
    nic.rx_packets = v[1];
    nic.rx_errors = v[2];
    nic.rx_dropped = v[3];
    nic.rx_multicast = v[7];
    nic.tx_bytes = v[8];
    nic.tx_packets = v[9];
    nic.tx_errors = v[10];
    nic.tx_dropped = v[11];
    interfaces.push_back(std::move(nic));
  }
  return interfaces;
}

std::vector<DiskStat> ParseDiskStats(std::string_view text) {
  std::vector<DiskStat> disks;
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    FieldReader fields(line);
    std::array<std::string_view, 3> head;
    if (fields.Split(head) < head.size()) continue;
    DiskStat disk;
    if (!ParseInt(head[0], disk.major) || !ParseInt(head[1], disk.minor)) continue;
    disk.name = std::string(head[2]);
    std::array<std::uint64_t, 17> v{};
    std::size_t n = 0;
    std::string_view field;
    bool ok = true;
    while (ok && fields.Next(field)) {
      ok = n < v.size() && ParseInt(field, v[n]);
      ++n;
    }
    if (!ok) continue;
    if (n >= 11) {
      // reads merged sectors ms | writes merged sectors ms | in_flight
      // io_ticks time_in_queue | (4.18+) discards... | (5.5+) flushes...
      disk.reads_completed = v[0];
      disk.sectors_read = v[2];
      disk.writes_completed = v[4];
      disk.sectors_written = v[6];
      disk.io_ticks_ms = v[9];
    } else if (n == 4) {
      // 2.6.0-2.6.24 partitions: reads sectors writes sectors
      disk.reads_completed = v[0];
      disk.sectors_read = v[1];
      disk.writes_completed = v[2];
      disk.sectors_written = v[3];
    } else {
      continue;
    }
    disks.push_back(std::move(disk));
  }
  return disks;
}

namespace {

// "0100007F:0016" → address bytes and port. The kernel prints each 32-bit
// word of the (network-order) address as a native integer with %08X, so
// storing the parsed word natively restores the original bytes.
bool ParseSocketAddress(std::string_view text, bool ipv6, std::string& address,
                        std::uint16_t& port) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view hex = text.substr(0, colon);
  const std::size_t words = ipv6 ? 4 : 1;
  if (hex.size() != words * 8) return false;
  std::array<char, 16> bytes{};
  for (std::size_t w = 0; w < words; ++w) {
    std::uint32_t word = 0;
    if (!ParseInt(hex.substr(w * 8, 8), word, 16)) return false;
    std::memcpy(bytes.data() + w * 4, &word, sizeof word);
  }
  const std::string_view port_hex = text.substr(colon + 1);
  if (port_hex.size() > 4 || !ParseInt(port_hex, port, 16)) return false;
  address.assign(bytes.data(), words * 4);
  return true;
}

}  // namespace

std::vector<SocketEndpoint> ParseSocketTable(std::string_view text, bool ipv6, bool tcp) {
  constexpr std::uint32_t kTcpListen = 0x0A;
  constexpr std::uint32_t kUdpClose = 0x07;  // bound (or not even that), not connected

  std::vector<SocketEndpoint> endpoints;
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    FieldReader fields(line);
    std::array<std::string_view, 10> f;
    const std::size_t n = fields.Split(f);
    if (n < 4 || f[0].empty() || f[0].back() != ':') continue;  // also the header
    std::uint32_t state = 0;
    if (f[3].size() != 2 || !ParseInt(f[3], state, 16)) continue;
    if (tcp && state != kTcpListen) continue;
    SocketEndpoint endpoint;
    endpoint.ipv6 = ipv6;
    // snmpd skips a line whose remote address does not parse either.
    if (!ParseSocketAddress(f[1], ipv6, endpoint.address, endpoint.port) ||
        !ParseSocketAddress(f[2], ipv6, endpoint.remote_address, endpoint.remote_port)) {
      continue;
    }
    endpoint.connected = !tcp && state != kUdpClose;
    if (n == f.size()) ParseInt(f[9], endpoint.inode);
    endpoints.push_back(std::move(endpoint));
  }
  return endpoints;
}

std::vector<std::int32_t> ParseUtmpUserPids(std::string_view bytes) {
  // The agent only runs on x86_64 Linux; there a record is 384 bytes and the
  // layout is fixed (32-bit time fields even on 64-bit, for compatibility).
#if defined(__x86_64__)
  static_assert(sizeof(struct utmp) == 384, "unexpected struct utmp layout");
#endif
  constexpr std::size_t kRecord = sizeof(struct utmp);
  std::vector<std::int32_t> pids;
  for (std::size_t offset = 0; bytes.size() - offset >= kRecord; offset += kRecord) {
    // memcpy of single members: the buffer has no alignment guarantee.
    short type = 0;
    std::memcpy(&type, bytes.data() + offset + offsetof(struct utmp, ut_type), sizeof type);
    if (type != USER_PROCESS) continue;
    std::int32_t pid = 0;
    static_assert(sizeof(pid) == sizeof(utmp::ut_pid));
    std::memcpy(&pid, bytes.data() + offset + offsetof(struct utmp, ut_pid), sizeof pid);
    pids.push_back(pid);
  }
  return pids;
}

std::uint32_t ParseUtmpUserCount(std::string_view bytes) {
  return static_cast<std::uint32_t>(ParseUtmpUserPids(bytes).size());
}

std::vector<InterfaceAddress> ParseNetlinkAddresses(std::string_view dump) {
  std::vector<InterfaceAddress> addresses;
  std::size_t offset = 0;
  // memcpy of each header: recv() buffers carry no alignment guarantee.
  while (dump.size() - offset >= sizeof(nlmsghdr)) {
    nlmsghdr header{};
    std::memcpy(&header, dump.data() + offset, sizeof header);
    if (header.nlmsg_len < sizeof header || header.nlmsg_len > dump.size() - offset) break;
    if (header.nlmsg_type == NLMSG_DONE || header.nlmsg_type == NLMSG_ERROR) break;
    const std::string_view message = dump.substr(offset, header.nlmsg_len);
    offset += NLMSG_ALIGN(header.nlmsg_len);
    if (header.nlmsg_type != RTM_NEWADDR) continue;
    const std::size_t body = NLMSG_HDRLEN;
    if (message.size() < body + sizeof(ifaddrmsg)) continue;
    ifaddrmsg info{};
    std::memcpy(&info, message.data() + body, sizeof info);
    if (info.ifa_family != AF_INET) continue;
    InterfaceAddress entry;
    entry.if_index = info.ifa_index;
    entry.prefix_length = info.ifa_prefixlen;
    std::string address, local;
    for (std::size_t at = body + NLMSG_ALIGN(sizeof(ifaddrmsg));
         message.size() - at >= RTA_LENGTH(0);) {
      rtattr attribute{};
      std::memcpy(&attribute, message.data() + at, sizeof attribute);
      if (attribute.rta_len < RTA_LENGTH(0) || attribute.rta_len > message.size() - at) break;
      const std::string_view payload =
          message.substr(at + RTA_LENGTH(0), attribute.rta_len - RTA_LENGTH(0));
      if (payload.size() == 4) {
        if (attribute.rta_type == IFA_ADDRESS) address.assign(payload);
        if (attribute.rta_type == IFA_LOCAL) local.assign(payload);
        if (attribute.rta_type == IFA_BROADCAST) entry.broadcast.assign(payload);
      }
      at += RTA_ALIGN(attribute.rta_len);
    }
    // On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours.
    entry.address = !local.empty() ? local : address;
    if (entry.address.size() != 4) continue;
    addresses.push_back(std::move(entry));
  }
  return addresses;
}

std::vector<InterfaceAddress> ParseIfInet6(std::string_view text) {
  std::vector<InterfaceAddress> addresses;
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    FieldReader fields(line);
    std::array<std::string_view, 6> f;
    if (fields.Split(f) != f.size() || f[0].size() != 32) continue;
    InterfaceAddress entry;
    entry.ipv6 = true;
    bool ok = true;
    for (std::size_t i = 0; i < 16 && ok; ++i) {
      std::uint32_t byte = 0;
      ok = ParseInt(f[0].substr(2 * i, 2), byte, 16);
      entry.address.push_back(static_cast<char>(byte));
    }
    std::uint32_t prefix = 0;
    ok = ok && ParseInt(f[1], entry.if_index, 16) && ParseInt(f[2], prefix, 16) && prefix <= 128 &&
         ParseInt(f[4], entry.flags, 16);
    if (!ok) continue;
    entry.prefix_length = static_cast<std::uint8_t>(prefix);
    addresses.push_back(std::move(entry));
  }
  return addresses;
}

}  // namespace mimamori::agent::procfs
