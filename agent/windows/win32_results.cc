#include "agent/windows/win32_results.h"

#include <algorithm>
#include <cstdio>

namespace mimamori::agent::win32 {
namespace {

std::uint64_t Centiseconds(std::int64_t hundred_ns) {
  return hundred_ns > 0 ? HundredNanosecondsToCentiseconds(static_cast<std::uint64_t>(hundred_ns))
                        : 0;
}

std::uint64_t Less(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; }

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::uint16_t PortOfRow(std::uint32_t dw_local_port) {
  return static_cast<std::uint16_t>(((dw_local_port & 0xff) << 8) | ((dw_local_port >> 8) & 0xff));
}

void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

}  // namespace

std::uint64_t HundredNanosecondsToCentiseconds(std::uint64_t hundred_ns) {
  return hundred_ns / 100000;
}

CpuTimes ProcessorTimes(const ProcessorPerformance& p) {
  CpuTimes t;
  t.user = Centiseconds(p.UserTime);
  t.idle = Centiseconds(p.IdleTime);
  t.irq = Centiseconds(p.InterruptTime);
  t.softirq = Centiseconds(p.DpcTime);
  // Converted after subtracting, so that rounding cannot make the columns
  // add up to more than the kernel time.
  const std::int64_t system = p.KernelTime - p.IdleTime - p.DpcTime - p.InterruptTime;
  t.system = Centiseconds(system);
  return t;
}

CpuStat MakeCpuStat(const SystemTimes& system,
                    const std::vector<ProcessorPerformance>& processors) {
  CpuStat stat;
  std::uint64_t interrupt_time = 0, dpc_time = 0;
  for (const ProcessorPerformance& p : processors) {
    stat.per_cpu.push_back(ProcessorTimes(p));
    interrupt_time += static_cast<std::uint64_t>(std::max<std::int64_t>(p.InterruptTime, 0));
    dpc_time += static_cast<std::uint64_t>(std::max<std::int64_t>(p.DpcTime, 0));
    stat.interrupts += p.InterruptCount;
  }
  stat.total.user = HundredNanosecondsToCentiseconds(system.user);
  stat.total.idle = HundredNanosecondsToCentiseconds(system.idle);
  stat.total.irq = HundredNanosecondsToCentiseconds(interrupt_time);
  stat.total.softirq = HundredNanosecondsToCentiseconds(dpc_time);
  stat.total.system = HundredNanosecondsToCentiseconds(
      Less(Less(Less(system.kernel, system.idle), interrupt_time), dpc_time));
  return stat;
}

MemInfo MakeMemInfo(const MemoryStatus& s) {
  MemInfo m;
  m.total_kb = s.ullTotalPhys / 1024;
  m.free_kb = s.ullAvailPhys / 1024;
  m.available_kb = s.ullAvailPhys / 1024;
  m.swap_total_kb = Less(s.ullTotalPageFile, s.ullTotalPhys) / 1024;
  m.swap_free_kb = Less(s.ullAvailPageFile, s.ullAvailPhys) / 1024;
  return m;
}

Volume::Kind VolumeKind(std::uint32_t drive_type) {
  switch (drive_type) {
    case 2:
      return Volume::Kind::kRemovable;
    case 3:
      return Volume::Kind::kFixed;
    case 4:
      return Volume::Kind::kRemote;
    case 5:
      return Volume::Kind::kCdRom;
    case 6:
      return Volume::Kind::kRamDisk;
    default:
      return Volume::Kind::kUnknown;
  }
}

std::string StorageDescription(const Volume& volume) {
  if (!volume.ready) return volume.root;
  char serial[16];
  std::snprintf(serial, sizeof serial, "%x", static_cast<unsigned>(volume.serial));
  return volume.root + " Label:" + volume.label + "  Serial Number " + serial;
}

Mount MountOfVolume(const Volume& volume) {
  Mount mount;
  mount.path = volume.root;
  mount.device = volume.device.empty() ? volume.root : volume.device;
  const std::string fs = Lower(volume.file_system);
  // Net-SNMP's names for the hrFSTypes Windows has; anything else is listed
  // as hrFSUnknown rather than dropped (Net-SNMP's list drops unknown types,
  // which would hide a ReFS data volume).
  if (fs == "ntfs" || fs == "fat32" || fs == "iso9660") {
    mount.type = fs;
  } else if (fs == "fat") {
    mount.type = "msdos";
  } else if (fs == "cdfs") {
    mount.type = "iso9660";
  }
  mount.read_only = volume.kind == Volume::Kind::kCdRom;
  return mount;
}

FsUsage UsageOfVolume(const Volume& volume) {
  FsUsage usage;
  if (volume.cluster_bytes == 0) return usage;
  usage.fragment_size = volume.cluster_bytes;
  usage.blocks = volume.total_bytes / volume.cluster_bytes;
  usage.blocks_free = volume.free_bytes / volume.cluster_bytes;
  usage.blocks_available = volume.available_bytes / volume.cluster_bytes;
  return usage;
}

void SplitCommandLine(std::string_view line, std::string_view image_path, std::string& path,
                      std::string& parameters) {
  std::string_view program;
  std::string_view rest;
  if (!line.empty() && line.front() == '"') {
    const auto close = line.find('"', 1);
    program = line.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
    rest = close == std::string_view::npos ? std::string_view() : line.substr(close + 1);
  } else {
    const auto blank = line.find_first_of(" \t");
    program = line.substr(0, blank);
    rest = blank == std::string_view::npos ? std::string_view() : line.substr(blank);
  }
  const auto start = rest.find_first_not_of(" \t");
  parameters = start == std::string_view::npos ? std::string() : std::string(rest.substr(start));
  path = image_path.empty() ? std::string(program) : std::string(image_path);
}

std::string SystemDescription(const SystemDescriptionSources& s) {
  std::string type = s.current_type;
  if (type.empty()) type = s.processors > 1 ? "Multiprocessor Free" : "Uniprocessor Free";
  return "Hardware: " + s.processor_identifier + " " + s.system_identifier +
         " - Software: Windows Version " + s.current_version + " (Build " + s.current_build_number +
         " " + type + ")";
}

SocketEndpoint EndpointOfRow(const Ipv4Row& row) {
  SocketEndpoint e;
  e.ipv6 = false;
  for (int shift = 0; shift < 32; shift += 8) {
    e.address += static_cast<char>((row.dwLocalAddr >> shift) & 0xff);
  }
  e.port = PortOfRow(row.dwLocalPort);
  e.remote_address = std::string(4, '\0');
  return e;
}

SocketEndpoint EndpointOfRow(const Ipv6Row& row) {
  SocketEndpoint e;
  e.ipv6 = true;
  e.address.assign(reinterpret_cast<const char*>(row.ucLocalAddr), 16);
  e.port = PortOfRow(row.dwLocalPort);
  e.remote_address = std::string(16, '\0');
  return e;
}

std::string Utf8(std::u16string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char32_t c = text[i];
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.size() && text[i + 1] >= 0xdc00 &&
        text[i + 1] <= 0xdfff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (text[i + 1] - 0xdc00);
      ++i;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd;
    }
    AppendUtf8(out, c);
  }
  return out;
}

std::u16string Utf16(std::string_view utf8) {
  std::u16string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size();) {
    const auto b = static_cast<unsigned char>(utf8[i]);
    char32_t c = 0xfffd;
    std::size_t length = 1;
    if (b < 0x80) {
      c = b;
    } else if ((b >> 5) == 6 && i + 1 < utf8.size()) {
      c = ((b & 0x1fu) << 6) | (utf8[i + 1] & 0x3f);
      length = 2;
    } else if ((b >> 4) == 14 && i + 2 < utf8.size()) {
      c = ((b & 0x0fu) << 12) | ((utf8[i + 1] & 0x3f) << 6) | (utf8[i + 2] & 0x3f);
      length = 3;
    } else if ((b >> 3) == 30 && i + 3 < utf8.size()) {
      c = ((b & 0x07u) << 18) | ((utf8[i + 1] & 0x3f) << 12) | ((utf8[i + 2] & 0x3f) << 6) |
          (utf8[i + 3] & 0x3f);
      length = 4;
    }
    i += length;
    if (c >= 0x10000) {
      c -= 0x10000;
      out += static_cast<char16_t>(0xd800 + (c >> 10));
      out += static_cast<char16_t>(0xdc00 + (c & 0x3ff));
    } else {
      out += static_cast<char16_t>(c);
    }
  }
  return out;
}

}  // namespace mimamori::agent::win32
