#include "agent/windows/service.h"

// clang-format off
#include <windows.h>
// clang-format on

#include <mutex>
#include <string_view>

#include "agent/core/log.h"
#include "agent/windows/win32_results.h"

namespace mimamori::agent {
namespace {

std::string Narrow(std::wstring_view text) {
  return win32::Utf8(
      std::u16string_view(reinterpret_cast<const char16_t*>(text.data()), text.size()));
}
std::wstring Widen(std::string_view utf8) {
  const std::u16string wide = win32::Utf16(utf8);
  return std::wstring(wide.begin(), wide.end());
}

std::string ErrorText(DWORD error) {
  wchar_t* text = nullptr;
  const DWORD length = FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, error, 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::string out = length > 0 ? Narrow(std::wstring_view(text, length)) : std::string();
  if (text != nullptr) LocalFree(text);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == '.')) {
    out.pop_back();
  }
  return out + " (error " + std::to_string(error) + ")";
}

std::wstring ExecutableDirectory() {
  std::wstring path(32768, L'\0');
  const DWORD length = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
  path.resize(length);
  const auto slash = path.find_last_of(L"\\/");
  return slash == std::wstring::npos ? std::wstring(L".") : path.substr(0, slash);
}

bool FileExists(const std::wstring& path) {
  const DWORD attributes = GetFileAttributesW(path.c_str());
  return attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY) == 0;
}

// CreateDirectory of every missing level.
bool MakeDirectories(const std::wstring& path) {
  if (path.empty()) return false;
  const DWORD attributes = GetFileAttributesW(path.c_str());
  if (attributes != INVALID_FILE_ATTRIBUTES) return (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  const auto slash = path.find_last_of(L"\\/");
  if (slash != std::wstring::npos && slash > 2) MakeDirectories(path.substr(0, slash));
  return CreateDirectoryW(path.c_str(), nullptr) || GetLastError() == ERROR_ALREADY_EXISTS;
}

// Without --config: %ProgramData%\mimamori\agent.yaml, created from the
// shipped default when missing. Returns false (with the reason logged) only
// when the agent must not start.
bool ChooseConfiguration(CommandLine& command_line) {
  if (!command_line.config_path.empty()) return true;
  const std::wstring directory = Widen(DataDirectory());
  const std::wstring config = directory + L"\\agent.yaml";
  if (!FileExists(config)) {
    const std::wstring shipped = ExecutableDirectory() + L"\\agent.yaml.default";
    if (!FileExists(shipped)) {
      Log(LogLevel::kWarning, "neither " + Narrow(config) + " nor " + Narrow(shipped) +
                                  " exists: running with the built-in defaults");
      return true;
    }
    if (!MakeDirectories(directory)) {
      Log(LogLevel::kError,
          "cannot create " + Narrow(directory) + ": " + ErrorText(GetLastError()));
      return false;
    }
    // FALSE would overwrite: a file another instance created meanwhile wins.
    if (!CopyFileW(shipped.c_str(), config.c_str(), TRUE) && GetLastError() != ERROR_FILE_EXISTS) {
      Log(LogLevel::kError, "cannot create " + Narrow(config) + " from " + Narrow(shipped) + ": " +
                                ErrorText(GetLastError()));
      return false;
    }
    Log(LogLevel::kInfo, "created " + Narrow(config) + " from " + Narrow(shipped));
  }
  command_line.config_path = Narrow(config);
  return true;
}

// The service's state, shared by ServiceMain (the SCM's thread for us), the
// control handler (another SCM thread) and the agent's event loop.
struct Service {
  std::mutex mutex;
  SERVICE_STATUS_HANDLE handle = nullptr;
  SERVICE_STATUS status{};
  AgentControl control;  // set once the agent serves
  bool stop_requested = false;
  CommandLine command_line;
  int exit_code = 0;

  void Report(DWORD state, DWORD wait_hint_ms = 0) {
    status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    status.dwCurrentState = state;
    status.dwControlsAccepted =
        state == SERVICE_RUNNING
            ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PARAMCHANGE
            : 0;
    status.dwWaitHint = wait_hint_ms;
    if (state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING) {
      ++status.dwCheckPoint;
    } else {
      status.dwCheckPoint = 0;
    }
    SetServiceStatus(handle, &status);
  }
};

Service g_service;

DWORD WINAPI ControlHandler(DWORD control, DWORD /*event_type*/, void* /*event_data*/,
                            void* /*context*/) {
  std::lock_guard lock(g_service.mutex);
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
      Log(LogLevel::kInfo, control == SERVICE_CONTROL_STOP ? "stopping: service stop requested"
                                                           : "stopping: system shutdown");
      g_service.stop_requested = true;
      g_service.Report(SERVICE_STOP_PENDING, 5000);
      if (g_service.control.stop) g_service.control.stop();
      return NO_ERROR;
    case SERVICE_CONTROL_PARAMCHANGE:
      if (g_service.control.reload) g_service.control.reload();
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

void WINAPI ServiceMain(DWORD /*argc*/, wchar_t** /*argv*/) {
  g_service.handle = RegisterServiceCtrlHandlerExW(kServiceName, ControlHandler, nullptr);
  if (g_service.handle == nullptr) return;
  {
    std::lock_guard lock(g_service.mutex);
    g_service.Report(SERVICE_START_PENDING, 10000);
  }
  // A service has no stderr: the log file is all an operator has.
  const std::wstring logs = Widen(DataDirectory()) + L"\\logs";
  const std::string log_file = Narrow(logs) + "\\mimamori-agent.log";
  if (!MakeDirectories(logs) || !SetLogFile(log_file)) {
    // Nowhere to say it but the exit code, which the SCM records (event 7024).
    std::lock_guard lock(g_service.mutex);
    g_service.status.dwWin32ExitCode = ERROR_CANNOT_MAKE;
    g_service.Report(SERVICE_STOPPED);
    return;
  }
  Log(LogLevel::kInfo, "starting as the Windows service " + Narrow(kServiceName));
  int code = 1;
  if (ChooseConfiguration(g_service.command_line)) {
    RunHooks hooks;
    hooks.serving = [](const AgentControl& control) {
      std::lock_guard lock(g_service.mutex);
      g_service.control = control;
      if (g_service.stop_requested) {
        control.stop();
      } else {
        g_service.Report(SERVICE_RUNNING);
      }
    };
    code = Run(g_service.command_line, hooks);
  }
  Log(LogLevel::kInfo, "service stopped (exit code " + std::to_string(code) + ")");
  std::lock_guard lock(g_service.mutex);
  g_service.control = {};
  if (code != 0) {
    g_service.status.dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR;
    g_service.status.dwServiceSpecificExitCode = static_cast<DWORD>(code);
  }
  g_service.exit_code = code;
  g_service.Report(SERVICE_STOPPED);
}

}  // namespace

std::string DataDirectory() {
  std::wstring value(32768, L'\0');
  const DWORD length =
      GetEnvironmentVariableW(L"ProgramData", value.data(), static_cast<DWORD>(value.size()));
  if (length == 0 || length >= value.size()) return "C:\\ProgramData\\mimamori";
  value.resize(length);
  return Narrow(value) + "\\mimamori";
}

int RunWindowsAgent(CommandLine command_line) {
  if (!command_line.console && !command_line.check_config) {
    g_service.command_line = command_line;
    wchar_t name[] = L"mimamori-agent";
    const SERVICE_TABLE_ENTRYW table[] = {{name, ServiceMain}, {nullptr, nullptr}};
    if (StartServiceCtrlDispatcherW(table)) return g_service.exit_code;
    const DWORD error = GetLastError();
    if (error != ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
      Log(LogLevel::kError, "service control manager: " + ErrorText(error));
      return 1;
    }
    // Not started by the service control manager: a console program.
  }
  if (!ChooseConfiguration(command_line)) return 1;
  return Run(command_line);
}

}  // namespace mimamori::agent
