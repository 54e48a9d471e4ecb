#include "agent/windows/windows_host_data.h"

// <winsock2.h> before <windows.h>, which would otherwise pull in winsock 1.
// clang-format off
#include <winsock2.h>
#include <ws2ipdef.h>
#include <windows.h>
#include <iphlpapi.h>
#include <psapi.h>
#include <tlhelp32.h>
#include <winternl.h>
// clang-format on

#include <cstring>
#include <memory>
#include <string_view>

#include "agent/windows/win32_results.h"

namespace mimamori::agent {
namespace {

using win32::Utf8;

std::string Narrow(const wchar_t* text, std::size_t length) {
  return Utf8(std::u16string_view(reinterpret_cast<const char16_t*>(text), length));
}
// Wine leaves some optional strings (a service's display name) NULL.
std::string Narrow(const wchar_t* text) {
  return text == nullptr ? std::string() : Narrow(text, std::wcslen(text));
}
std::wstring Widen(std::string_view utf8) {
  const std::u16string wide = win32::Utf16(utf8);
  return std::wstring(wide.begin(), wide.end());
}

// A REG_SZ value under HKLM; "" when absent.
std::string RegistryString(const wchar_t* key, const wchar_t* value) {
  DWORD bytes = 0;
  if (RegGetValueW(HKEY_LOCAL_MACHINE, key, value, RRF_RT_REG_SZ, nullptr, nullptr, &bytes) !=
          ERROR_SUCCESS ||
      bytes == 0) {
    return "";
  }
  std::wstring buffer(bytes / sizeof(wchar_t) + 1, L'\0');
  if (RegGetValueW(HKEY_LOCAL_MACHINE, key, value, RRF_RT_REG_SZ, nullptr, buffer.data(), &bytes) !=
      ERROR_SUCCESS) {
    return "";
  }
  return Narrow(buffer.c_str());
}

std::uint64_t FileTimeCount(const FILETIME& t) {
  return (static_cast<std::uint64_t>(t.dwHighDateTime) << 32) | t.dwLowDateTime;
}

struct HandleCloser {
  void operator()(HANDLE h) const {
    if (h != nullptr && h != INVALID_HANDLE_VALUE) CloseHandle(h);
  }
};
using Handle = std::unique_ptr<void, HandleCloser>;

struct ServiceHandleCloser {
  void operator()(SC_HANDLE h) const {
    if (h != nullptr) CloseServiceHandle(h);
  }
};
using ServiceHandle = std::unique_ptr<std::remove_pointer_t<SC_HANDLE>, ServiceHandleCloser>;

// SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION with the fields winternl.h calls
// Reserved1[2] and Reserved2 named.
struct ProcessorPerformanceInformation {
  LARGE_INTEGER IdleTime;
  LARGE_INTEGER KernelTime;
  LARGE_INTEGER UserTime;
  LARGE_INTEGER DpcTime;
  LARGE_INTEGER InterruptTime;
  ULONG InterruptCount;
};
constexpr SYSTEM_INFORMATION_CLASS kSystemProcessorPerformanceInformation =
    static_cast<SYSTEM_INFORMATION_CLASS>(8);
// Windows 8.1 / Server 2012 R2 and later; needs only
// PROCESS_QUERY_LIMITED_INFORMATION.
constexpr PROCESSINFOCLASS kProcessCommandLineInformation = static_cast<PROCESSINFOCLASS>(60);

std::wstring CommandLineByInformationClass(HANDLE process) {
  ULONG length = 0;
  NtQueryInformationProcess(process, kProcessCommandLineInformation, nullptr, 0, &length);
  if (length < sizeof(UNICODE_STRING) || length > (1u << 20)) return {};
  std::vector<unsigned char> buffer(length);
  if (!NT_SUCCESS(NtQueryInformationProcess(process, kProcessCommandLineInformation, buffer.data(),
                                            length, &length))) {
    return {};
  }
  const auto* text = reinterpret_cast<const UNICODE_STRING*>(buffer.data());
  if (text->Buffer == nullptr) return {};
  return std::wstring(text->Buffer, text->Length / sizeof(wchar_t));
}

// Windows Server 2012 (6.2) has no ProcessCommandLineInformation: read
// PEB->ProcessParameters->CommandLine from the process's memory.
std::wstring CommandLineFromPeb(HANDLE process) {
  PROCESS_BASIC_INFORMATION basic{};
  ULONG length = 0;
  if (!NT_SUCCESS(NtQueryInformationProcess(process, ProcessBasicInformation, &basic, sizeof basic,
                                            &length)) ||
      basic.PebBaseAddress == nullptr) {
    return {};
  }
  PEB peb{};
  RTL_USER_PROCESS_PARAMETERS parameters{};
  SIZE_T read = 0;
  if (!ReadProcessMemory(process, basic.PebBaseAddress, &peb, sizeof peb, &read) ||
      peb.ProcessParameters == nullptr ||
      !ReadProcessMemory(process, peb.ProcessParameters, &parameters, sizeof parameters, &read)) {
    return {};
  }
  const UNICODE_STRING& line = parameters.CommandLine;
  if (line.Buffer == nullptr || line.Length == 0 || line.Length > 65534) return {};
  std::wstring text(line.Length / sizeof(wchar_t), L'\0');
  if (!ReadProcessMemory(process, line.Buffer, text.data(), line.Length, &read)) return {};
  text.resize(read / sizeof(wchar_t));
  return text;
}

std::string ImagePath(HANDLE process) {
  std::wstring buffer(32768, L'\0');
  DWORD size = static_cast<DWORD>(buffer.size());
  if (!QueryFullProcessImageNameW(process, 0, buffer.data(), &size)) return "";
  return Narrow(buffer.data(), size);
}

template <typename Table>
std::unique_ptr<unsigned char[]> ExtendedTable(ULONG family, bool tcp, Table*& table) {
  DWORD size = 0;
  std::unique_ptr<unsigned char[]> buffer;
  // The table can grow between the size query and the read: retry a few times.
  for (int attempt = 0; attempt < 4; ++attempt) {
    const DWORD status =
        tcp ? GetExtendedTcpTable(buffer.get(), &size, FALSE, family, TCP_TABLE_OWNER_PID_LISTENER,
                                  0)
            : GetExtendedUdpTable(buffer.get(), &size, FALSE, family, UDP_TABLE_OWNER_PID, 0);
    if (status == NO_ERROR && buffer) {
      table = reinterpret_cast<Table*>(buffer.get());
      return buffer;
    }
    if (status != ERROR_INSUFFICIENT_BUFFER && status != NO_ERROR) break;
    buffer = std::make_unique<unsigned char[]>(size + 1024);
    size += 1024;
  }
  table = nullptr;
  return nullptr;
}

template <typename Table>
void AppendIpv4(Table* table, std::vector<SocketEndpoint>& out) {
  if (table == nullptr) return;
  for (DWORD i = 0; i < table->dwNumEntries; ++i) {
    out.push_back(win32::EndpointOfRow(
        win32::Ipv4Row{table->table[i].dwLocalAddr, table->table[i].dwLocalPort}));
  }
}

template <typename Table>
void AppendIpv6(Table* table, std::vector<SocketEndpoint>& out) {
  if (table == nullptr) return;
  for (DWORD i = 0; i < table->dwNumEntries; ++i) {
    win32::Ipv6Row row;
    std::memcpy(row.ucLocalAddr, table->table[i].ucLocalAddr, 16);
    row.dwLocalPort = table->table[i].dwLocalPort;
    out.push_back(win32::EndpointOfRow(row));
  }
}

Volume ReadVolume(const std::wstring& root) {
  Volume volume;
  volume.root = Narrow(root.c_str());
  volume.kind = win32::VolumeKind(GetDriveTypeW(root.c_str()));
  wchar_t label[MAX_PATH + 1] = {};
  wchar_t file_system[MAX_PATH + 1] = {};
  DWORD serial = 0, max_component = 0, flags = 0;
  volume.ready = GetVolumeInformationW(root.c_str(), label, MAX_PATH + 1, &serial, &max_component,
                                       &flags, file_system, MAX_PATH + 1) != 0;
  if (!volume.ready) return volume;
  volume.label = Narrow(label);
  volume.serial = serial;
  volume.file_system = Narrow(file_system);
  wchar_t guid_path[MAX_PATH + 1] = {};
  if (GetVolumeNameForVolumeMountPointW(root.c_str(), guid_path, MAX_PATH + 1)) {
    volume.device = Narrow(guid_path);
  }
  DWORD sectors_per_cluster = 0, bytes_per_sector = 0, free_clusters = 0, clusters = 0;
  if (GetDiskFreeSpaceW(root.c_str(), &sectors_per_cluster, &bytes_per_sector, &free_clusters,
                        &clusters)) {
    volume.cluster_bytes = static_cast<std::uint64_t>(sectors_per_cluster) * bytes_per_sector;
  }
  ULARGE_INTEGER available{}, total{}, free{};
  if (GetDiskFreeSpaceExW(root.c_str(), &available, &total, &free)) {
    volume.available_bytes = available.QuadPart;
    volume.total_bytes = total.QuadPart;
    volume.free_bytes = free.QuadPart;
  }
  return volume;
}

}  // namespace

WindowsHostData::WindowsHostData() {
  SYSTEM_INFO info{};
  GetSystemInfo(&info);
  processors_ = info.dwNumberOfProcessors > 0 ? info.dwNumberOfProcessors : 1;
}

SystemIdentity WindowsHostData::Identity() {
  SystemIdentity id;
  id.family = OsFamily::kWindows;
  id.sysname = "Windows";
  wchar_t name[MAX_COMPUTERNAME_LENGTH + 1] = {};
  DWORD size = MAX_COMPUTERNAME_LENGTH + 1;
  if (GetComputerNameW(name, &size)) id.nodename = Narrow(name, size);
  constexpr const wchar_t* kVersionKey = L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion";
  win32::SystemDescriptionSources sources;
  sources.processor_identifier =
      RegistryString(L"HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0", L"Identifier");
  sources.system_identifier = RegistryString(L"HARDWARE\\DESCRIPTION\\System", L"Identifier");
  sources.current_version = RegistryString(kVersionKey, L"CurrentVersion");
  sources.current_build_number = RegistryString(kVersionKey, L"CurrentBuildNumber");
  sources.current_type = RegistryString(kVersionKey, L"CurrentType");
  sources.processors = processors_;
  id.release = sources.current_version;
  id.version = sources.current_build_number;
  id.machine = "x86_64";
  id.description = win32::SystemDescription(sources);
  return id;
}

double WindowsHostData::UptimeSeconds() { return static_cast<double>(GetTickCount64()) / 1000.0; }

CpuStat WindowsHostData::Cpu() {
  FILETIME idle{}, kernel{}, user{};
  win32::SystemTimes times;
  if (GetSystemTimes(&idle, &kernel, &user)) {
    times = {FileTimeCount(idle), FileTimeCount(kernel), FileTimeCount(user)};
  }
  std::vector<ProcessorPerformanceInformation> raw(64);
  ULONG length = 0;
  std::vector<win32::ProcessorPerformance> processors;
  if (NT_SUCCESS(NtQuerySystemInformation(kSystemProcessorPerformanceInformation, raw.data(),
                                          static_cast<ULONG>(raw.size() * sizeof raw[0]),
                                          &length))) {
    raw.resize(length / sizeof raw[0]);
    for (const auto& p : raw) {
      processors.push_back({p.IdleTime.QuadPart, p.KernelTime.QuadPart, p.UserTime.QuadPart,
                            p.DpcTime.QuadPart, p.InterruptTime.QuadPart, p.InterruptCount});
    }
  }
  CpuStat stat = win32::MakeCpuStat(times, processors);
  return stat;
}

std::vector<std::string> WindowsHostData::CpuModels() {
  std::vector<std::string> models;
  for (std::uint32_t i = 0; i < processors_; ++i) {
    const std::wstring key =
        L"HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\" + std::to_wstring(i);
    std::string model = RegistryString(key.c_str(), L"ProcessorNameString");
    // Windows pads the name with blanks on some processors.
    while (!model.empty() && model.back() == ' ') model.pop_back();
    const auto start = model.find_first_not_of(' ');
    models.push_back(start == std::string::npos ? std::string() : model.substr(start));
  }
  return models;
}

MemInfo WindowsHostData::Memory() {
  MEMORYSTATUSEX status{};
  status.dwLength = sizeof status;
  if (!GlobalMemoryStatusEx(&status)) return {};
  return win32::MakeMemInfo(
      {status.ullTotalPhys, status.ullAvailPhys, status.ullTotalPageFile, status.ullAvailPageFile});
}

std::vector<Volume> WindowsHostData::Volumes() {
  // No "There is no disk in the drive" box for an empty drive: this thread
  // only, the agent has no other use for the dialogs.
  DWORD previous_mode = 0;
  SetThreadErrorMode(SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX, &previous_mode);
  std::vector<Volume> volumes;
  wchar_t buffer[26 * 4 + 2] = {};
  const DWORD length = GetLogicalDriveStringsW(static_cast<DWORD>(std::size(buffer)), buffer);
  if (length > 0 && length < std::size(buffer)) {
    for (const wchar_t* root = buffer; *root != L'\0'; root += std::wcslen(root) + 1) {
      const UINT type = GetDriveTypeW(root);
      if (type == DRIVE_NO_ROOT_DIR) continue;
      volumes.push_back(ReadVolume(root));
    }
  }
  SetThreadErrorMode(previous_mode, nullptr);
  return volumes;
}

std::vector<Mount> WindowsHostData::Mounts() {
  std::vector<Mount> mounts;
  for (const Volume& volume : Volumes()) mounts.push_back(win32::MountOfVolume(volume));
  return mounts;
}

std::optional<FsUsage> WindowsHostData::StatFs(const std::string& path) {
  DWORD previous_mode = 0;
  SetThreadErrorMode(SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX, &previous_mode);
  const Volume volume = ReadVolume(Widen(path));
  SetThreadErrorMode(previous_mode, nullptr);
  if (!volume.ready || volume.cluster_bytes == 0) return std::nullopt;
  return win32::UsageOfVolume(volume);
}

std::vector<ProcessInfo> WindowsHostData::Processes() {
  std::vector<ProcessInfo> processes;
  Handle snapshot(CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0));
  if (snapshot.get() == INVALID_HANDLE_VALUE) return processes;
  PROCESSENTRY32W entry{};
  entry.dwSize = sizeof entry;
  for (BOOL more = Process32FirstW(snapshot.get(), &entry); more;
       more = Process32NextW(snapshot.get(), &entry)) {
    ProcessInfo p;
    p.pid = static_cast<std::int32_t>(entry.th32ProcessID);
    p.name = Narrow(entry.szExeFile);
    // Windows reports no run state per process; its own agent says running.
    p.state = 'R';
    // "System" (the kernel's threads) and the idle process.
    p.kernel_thread = entry.th32ProcessID == 0 || entry.th32ProcessID == 4;
    Handle process(OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_VM_READ, FALSE,
                               entry.th32ProcessID));
    if (!process) {
      process.reset(OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, entry.th32ProcessID));
    }
    if (process) {
      std::wstring command_line = CommandLineByInformationClass(process.get());
      if (command_line.empty()) command_line = CommandLineFromPeb(process.get());
      const std::string image = ImagePath(process.get());
      win32::SplitCommandLine(Narrow(command_line.c_str(), command_line.size()), image, p.path,
                              p.parameters);
      FILETIME created{}, exited{}, kernel{}, user{};
      if (GetProcessTimes(process.get(), &created, &exited, &kernel, &user)) {
        p.cpu_ticks =
            win32::HundredNanosecondsToCentiseconds(FileTimeCount(kernel) + FileTimeCount(user));
      }
      PROCESS_MEMORY_COUNTERS memory{};
      memory.cb = sizeof memory;
      if (K32GetProcessMemoryInfo(process.get(), &memory, sizeof memory)) {
        p.rss_kb = memory.WorkingSetSize / 1024;
      }
    }
    processes.push_back(std::move(p));
  }
  return processes;
}

std::string WindowsHostData::KernelCommandLine() {
  std::string options =
      RegistryString(L"SYSTEM\\CurrentControlSet\\Control", L"SystemStartOptions");
  const auto start = options.find_first_not_of(' ');
  return start == std::string::npos ? std::string() : options.substr(start);
}

std::vector<SocketEndpoint> WindowsHostData::TcpListeners() {
  std::vector<SocketEndpoint> out;
  MIB_TCPTABLE_OWNER_PID* v4 = nullptr;
  const auto v4_buffer = ExtendedTable(AF_INET, true, v4);
  AppendIpv4(v4, out);
  MIB_TCP6TABLE_OWNER_PID* v6 = nullptr;
  const auto v6_buffer = ExtendedTable(AF_INET6, true, v6);
  AppendIpv6(v6, out);
  return out;
}

std::vector<SocketEndpoint> WindowsHostData::UdpEndpoints() {
  std::vector<SocketEndpoint> out;
  MIB_UDPTABLE_OWNER_PID* v4 = nullptr;
  const auto v4_buffer = ExtendedTable(AF_INET, false, v4);
  AppendIpv4(v4, out);
  MIB_UDP6TABLE_OWNER_PID* v6 = nullptr;
  const auto v6_buffer = ExtendedTable(AF_INET6, false, v6);
  AppendIpv6(v6, out);
  return out;
}

std::vector<ServiceInfo> WindowsHostData::Services() {
  std::vector<ServiceInfo> services;
  ServiceHandle manager(
      OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT | SC_MANAGER_ENUMERATE_SERVICE));
  if (!manager) return services;
  std::vector<unsigned char> buffer(64 * 1024);
  DWORD needed = 0, count = 0, resume = 0;
  for (;;) {
    const BOOL ok = EnumServicesStatusExW(
        manager.get(), SC_ENUM_PROCESS_INFO, SERVICE_WIN32, SERVICE_STATE_ALL, buffer.data(),
        static_cast<DWORD>(buffer.size()), &needed, &count, &resume, nullptr);
    if (!ok && GetLastError() != ERROR_MORE_DATA) break;
    const auto* entries = reinterpret_cast<const ENUM_SERVICE_STATUS_PROCESSW*>(buffer.data());
    for (DWORD i = 0; i < count; ++i) {
      ServiceInfo service;
      service.name = Narrow(entries[i].lpServiceName);
      service.display_name = Narrow(entries[i].lpDisplayName);
      // The SCM's own rule: without a display name, the key name is shown.
      if (service.display_name.empty()) service.display_name = service.name;
      service.state = entries[i].ServiceStatusProcess.dwCurrentState;
      service.controls_accepted = entries[i].ServiceStatusProcess.dwControlsAccepted;
      ServiceHandle handle(
          OpenServiceW(manager.get(), entries[i].lpServiceName, SERVICE_QUERY_CONFIG));
      if (handle) {
        DWORD config_size = 0;
        QueryServiceConfigW(handle.get(), nullptr, 0, &config_size);
        if (config_size > 0) {
          std::vector<unsigned char> config(config_size);
          auto* c = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(config.data());
          if (QueryServiceConfigW(handle.get(), c, config_size, &config_size)) {
            service.start_type = c->dwStartType;
          }
        }
      }
      services.push_back(std::move(service));
    }
    if (ok) break;
    if (needed > buffer.size()) buffer.resize(needed);
  }
  return services;
}

std::unique_ptr<HostData> MakeLocalHostData() { return std::make_unique<WindowsHostData>(); }

}  // namespace mimamori::agent
