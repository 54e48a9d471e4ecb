// The conversions from raw Win32 results to HostData structs, on values in
// the shape Windows Server 2012-2022 returns them (what wine cannot show:
// real per-processor times, page-file sizes, registry version values).
#include "agent/windows/win32_results.h"

#include <gtest/gtest.h>

#include <string>

namespace mimamori::agent::win32 {
namespace {

TEST(Win32ResultsTest, FileTimeIntervalsBecomeCentiseconds) {
  EXPECT_EQ(HundredNanosecondsToCentiseconds(0), 0u);
  EXPECT_EQ(HundredNanosecondsToCentiseconds(99999), 0u);  // under 1 cs: truncated
  EXPECT_EQ(HundredNanosecondsToCentiseconds(100000), 1u);
  // 3 days of one processor's time.
  EXPECT_EQ(HundredNanosecondsToCentiseconds(2592000000000ULL), 25920000u);
}

TEST(Win32ResultsTest, ProcessorKernelTimeLosesIdleDpcAndInterruptTime) {
  // KernelTime includes the other three; on Linux system excludes them.
  const ProcessorPerformance p{
      /*Idle*/ 8000000000, /*Kernel*/ 9500000000,  /*User*/ 1200000000,
      /*Dpc*/ 30000000,    /*Interrupt*/ 20000000, /*count*/ 123456};
  const CpuTimes t = ProcessorTimes(p);
  EXPECT_EQ(t.idle, 80000u);
  EXPECT_EQ(t.user, 12000u);
  EXPECT_EQ(t.softirq, 300u);
  EXPECT_EQ(t.irq, 200u);
  EXPECT_EQ(t.system, 14500u);  // (9.5e9 - 8e9 - 3e7 - 2e7) / 1e5
  EXPECT_EQ(t.nice, 0u);
  EXPECT_EQ(t.iowait, 0u);
}

TEST(Win32ResultsTest, ProcessorWithInconsistentTimesHasNoNegativeSystemTime) {
  // Windows samples the fields one after another; idle can pass kernel.
  const ProcessorPerformance p{1000100000, 1000000000, 0, 0, 0, 0};
  EXPECT_EQ(ProcessorTimes(p).system, 0u);
}

TEST(Win32ResultsTest, CpuStatTotalsComeFromGetSystemTimes) {
  const std::vector<ProcessorPerformance> processors = {
      {8000000000, 9500000000, 1200000000, 30000000, 20000000, 1000},
      {7000000000, 8000000000, 2000000000, 10000000, 40000000, 2000},
  };
  // GetSystemTimes: the sums, taken a moment later.
  const SystemTimes system{15000200000, 17500300000, 3200100000};
  const CpuStat stat = MakeCpuStat(system, processors);
  ASSERT_EQ(stat.per_cpu.size(), 2u);
  EXPECT_EQ(stat.per_cpu[1].system, 9500u);  // (8e9 - 7e9 - 1e7 - 4e7) / 1e5
  EXPECT_EQ(stat.total.user, 32001u);
  EXPECT_EQ(stat.total.idle, 150002u);
  EXPECT_EQ(stat.total.irq, 600u);
  EXPECT_EQ(stat.total.softirq, 400u);
  // (17500300000 - 15000200000 - 60000000 - 40000000) / 1e5
  EXPECT_EQ(stat.total.system, 24001u);
  EXPECT_EQ(stat.interrupts, 3000u);
  EXPECT_EQ(stat.context_switches, 0u);
}

TEST(Win32ResultsTest, CpuStatWithoutProcessorInformationStillHasTotals) {
  const CpuStat stat = MakeCpuStat({400000, 500000, 100000}, {});
  EXPECT_TRUE(stat.per_cpu.empty());
  EXPECT_EQ(stat.total.idle, 4u);
  EXPECT_EQ(stat.total.system, 1u);
  EXPECT_EQ(stat.total.user, 1u);
}

TEST(Win32ResultsTest, MemoryStatusBecomesMemInfo) {
  // A Server 2019 VM with 8 GiB of RAM and a 1.5 GiB page file.
  const MemoryStatus status{8589398016ULL, 3221225472ULL, 10200010752ULL, 4294967296ULL};
  const MemInfo m = MakeMemInfo(status);
  EXPECT_EQ(m.total_kb, 8388084u);
  EXPECT_EQ(m.free_kb, 3145728u);
  ASSERT_TRUE(m.available_kb.has_value());
  EXPECT_EQ(*m.available_kb, 3145728u);
  EXPECT_EQ(m.swap_total_kb, (10200010752ULL - 8589398016ULL) / 1024);
  EXPECT_EQ(m.swap_free_kb, 1048576u);
  // RAM + swap is the commit limit, Windows' "Virtual Memory".
  EXPECT_EQ(m.total_kb + m.swap_total_kb, 10200010752ULL / 1024);
  EXPECT_EQ(m.buffers_kb, 0u);
  EXPECT_EQ(m.cached_kb, 0u);
}

TEST(Win32ResultsTest, MemoryWithoutPageFileHasNoSwap) {
  // No page file: the commit limit is (about) RAM, and avail page file can be
  // a little below avail phys.
  const MemInfo m = MakeMemInfo({4294967296ULL, 2147483648ULL, 4294000000ULL, 2147000000ULL});
  EXPECT_EQ(m.swap_total_kb, 0u);
  EXPECT_EQ(m.swap_free_kb, 0u);
}

TEST(Win32ResultsTest, DriveTypes) {
  EXPECT_EQ(VolumeKind(0), Volume::Kind::kUnknown);
  EXPECT_EQ(VolumeKind(2), Volume::Kind::kRemovable);
  EXPECT_EQ(VolumeKind(3), Volume::Kind::kFixed);
  EXPECT_EQ(VolumeKind(4), Volume::Kind::kRemote);
  EXPECT_EQ(VolumeKind(5), Volume::Kind::kCdRom);
  EXPECT_EQ(VolumeKind(6), Volume::Kind::kRamDisk);
}

TEST(Win32ResultsTest, StorageDescriptionIsTheWindowsSnmpServiceText) {
  Volume c;
  c.root = "C:\\";
  c.ready = true;
  c.label = "System";
  c.serial = 0x1a2b3c4d;
  EXPECT_EQ(StorageDescription(c), "C:\\ Label:System  Serial Number 1a2b3c4d");
  Volume e;
  e.root = "E:\\";
  e.ready = true;
  e.serial = 0x000a1b2c;  // no leading zeros, empty label kept
  EXPECT_EQ(StorageDescription(e), "E:\\ Label:  Serial Number a1b2c");
  Volume d;
  d.root = "D:\\";  // a DVD drive without a disc
  d.kind = Volume::Kind::kCdRom;
  EXPECT_EQ(StorageDescription(d), "D:\\");
}

TEST(Win32ResultsTest, VolumesBecomeMountsWithNetSnmpTypeNames) {
  Volume v;
  v.root = "C:\\";
  v.ready = true;
  v.device = "\\\\?\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}\\";
  v.file_system = "NTFS";
  Mount m = MountOfVolume(v);
  EXPECT_EQ(m.path, "C:\\");
  EXPECT_EQ(m.device, v.device);
  EXPECT_EQ(m.type, "ntfs");
  EXPECT_FALSE(m.read_only);
  v.file_system = "FAT32";
  EXPECT_EQ(MountOfVolume(v).type, "fat32");
  v.file_system = "FAT";
  EXPECT_EQ(MountOfVolume(v).type, "msdos");
  v.file_system = "CDFS";
  v.kind = Volume::Kind::kCdRom;
  EXPECT_EQ(MountOfVolume(v).type, "iso9660");
  EXPECT_TRUE(MountOfVolume(v).read_only);
  v.file_system = "ReFS";  // listed as hrFSUnknown, not dropped
  EXPECT_EQ(MountOfVolume(v).type, "");
  Volume empty;
  empty.root = "D:\\";
  EXPECT_EQ(MountOfVolume(empty).device, "D:\\");
}

TEST(Win32ResultsTest, VolumeUsageCountsClusters) {
  Volume v;
  v.cluster_bytes = 4096;
  v.total_bytes = 106847793152ULL;  // a 100 GB system drive
  v.free_bytes = 74711265280ULL;
  v.available_bytes = 74711265280ULL;
  const FsUsage u = UsageOfVolume(v);
  EXPECT_EQ(u.fragment_size, 4096u);
  EXPECT_EQ(u.blocks, 26085887u);
  EXPECT_EQ(u.blocks_free, 18240055u);
  EXPECT_EQ(u.blocks_available, 18240055u);
  EXPECT_EQ(UsageOfVolume(Volume{}).blocks, 0u);  // no cluster size: no usage
}

struct SplitCase {
  const char* command_line;
  const char* image_path;
  const char* path;
  const char* parameters;
};

TEST(Win32ResultsTest, CommandLinesSplitAsTheWindowsSnmpService) {
  const SplitCase cases[] = {
      {"C:\\Windows\\system32\\svchost.exe -k netsvcs -p", "C:\\Windows\\System32\\svchost.exe",
       "C:\\Windows\\System32\\svchost.exe", "-k netsvcs -p"},
      {"\"C:\\Program Files\\Zabbix Agent\\zabbix_agentd.exe\" --config "
       "\"C:\\Program Files\\Zabbix Agent\\zabbix_agentd.conf\"",
       "", "C:\\Program Files\\Zabbix Agent\\zabbix_agentd.exe",
       "--config \"C:\\Program Files\\Zabbix Agent\\zabbix_agentd.conf\""},
      {"svchost.exe -k LocalService", "C:\\Windows\\System32\\svchost.exe",
       "C:\\Windows\\System32\\svchost.exe", "-k LocalService"},
      {"\"C:\\Windows\\explorer.exe\"", "", "C:\\Windows\\explorer.exe", ""},
      {"notepad.exe\t  C:\\a.txt  ", "", "notepad.exe", "C:\\a.txt  "},
      {"\"unterminated quote", "", "unterminated quote", ""},
      {"", "C:\\Windows\\System32\\smss.exe", "C:\\Windows\\System32\\smss.exe", ""},
      {"", "", "", ""},
  };
  for (const SplitCase& c : cases) {
    std::string path, parameters;
    SplitCommandLine(c.command_line, c.image_path, path, parameters);
    EXPECT_EQ(path, c.path) << c.command_line;
    EXPECT_EQ(parameters, c.parameters) << c.command_line;
  }
}

TEST(Win32ResultsTest, SystemDescriptionOfWindowsServer2019) {
  SystemDescriptionSources s;
  s.processor_identifier = "Intel64 Family 6 Model 85 Stepping 7";
  s.system_identifier = "AT/AT COMPATIBLE";
  s.current_version = "6.3";
  s.current_build_number = "17763";
  s.current_type = "Multiprocessor Free";
  s.processors = 4;
  EXPECT_EQ(SystemDescription(s),
            "Hardware: Intel64 Family 6 Model 85 Stepping 7 AT/AT COMPATIBLE - Software: Windows "
            "Version 6.3 (Build 17763 Multiprocessor Free)");
}

TEST(Win32ResultsTest, SystemDescriptionWithoutCurrentTypeCountsProcessors) {
  SystemDescriptionSources s;
  s.processor_identifier = "AMD64 Family 23 Model 49 Stepping 0";
  s.system_identifier = "AT/AT COMPATIBLE";
  s.current_version = "6.2";  // Windows Server 2012
  s.current_build_number = "9200";
  s.processors = 1;
  EXPECT_EQ(SystemDescription(s),
            "Hardware: AMD64 Family 23 Model 49 Stepping 0 AT/AT COMPATIBLE - Software: Windows "
            "Version 6.2 (Build 9200 Uniprocessor Free)");
  s.processors = 2;
  EXPECT_NE(SystemDescription(s).find("(Build 9200 Multiprocessor Free)"), std::string::npos);
}

TEST(Win32ResultsTest, Ipv4RowsHoldNetworkOrderInLittleEndianWords) {
  // 127.0.0.1:161 as GetExtendedTcpTable stores it on x86: the address's
  // first octet is the low byte, the port's high byte the low byte.
  const SocketEndpoint e = EndpointOfRow(Ipv4Row{0x0100007f, 0xa100});
  EXPECT_FALSE(e.ipv6);
  EXPECT_EQ(e.address, std::string("\x7f\x00\x00\x01", 4));
  EXPECT_EQ(e.port, 161);
  EXPECT_EQ(e.remote_address, std::string(4, '\0'));
  EXPECT_EQ(e.remote_port, 0);
  // 0.0.0.0:3389 (RDP); the high 16 bits of dwLocalPort are undefined.
  const SocketEndpoint rdp = EndpointOfRow(Ipv4Row{0, 0xdead3d0d});
  EXPECT_EQ(rdp.address, std::string(4, '\0'));
  EXPECT_EQ(rdp.port, 3389);
}

TEST(Win32ResultsTest, Ipv6Rows) {
  Ipv6Row row;
  row.ucLocalAddr[15] = 1;   // ::1
  row.dwLocalPort = 0x5000;  // 80
  const SocketEndpoint e = EndpointOfRow(row);
  EXPECT_TRUE(e.ipv6);
  EXPECT_EQ(e.address, std::string("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16));
  EXPECT_EQ(e.port, 80);
  EXPECT_EQ(e.remote_address, std::string(16, '\0'));
}

TEST(Win32ResultsTest, Utf16AndUtf8) {
  EXPECT_EQ(Utf8(u"W3SVC"), "W3SVC");
  EXPECT_EQ(Utf8(u"見守り"), "\xe8\xa6\x8b\xe5\xae\x88\xe3\x82\x8a");
  EXPECT_EQ(Utf8(u"\U0001F600"), "\xf0\x9f\x98\x80");                    // a surrogate pair
  EXPECT_EQ(Utf8(std::u16string(1, char16_t(0xd800))), "\xef\xbf\xbd");  // unpaired
  for (const char16_t* text : {u"C:\\ProgramData\\mimamori", u"見守り", u"\U0001F600x"}) {
    EXPECT_EQ(Utf16(Utf8(text)), text);
  }
}

}  // namespace
}  // namespace mimamori::agent::win32
