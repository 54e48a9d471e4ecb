// privileges.h on Windows. There is no root to give up: the service control
// manager starts the agent under the account the service is configured with
// (docs/agent-windows.md says which), and binding UDP port 161 needs no
// privilege there.
#include "agent/core/privileges.h"

// clang-format off
#include <windows.h>
// clang-format on

#include <memory>
#include <vector>

#include "agent/windows/win32_results.h"

namespace mimamori::agent {
namespace {

std::string Narrow(const wchar_t* text) {
  return win32::Utf8(reinterpret_cast<const char16_t*>(text));
}

}  // namespace

std::string DropPrivileges(const std::string& /*user*/, const std::string& /*passwd_file*/) {
  return "";
}

bool LookUpUser(const std::string& /*user*/, const std::string& /*passwd_file*/, unsigned& /*uid*/,
                unsigned& /*gid*/) {
  return false;  // no /etc/passwd, no UIDs
}

std::string ProcessAccount() {
  HANDLE token = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return "account unknown";
  DWORD size = 0;
  GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::vector<unsigned char> buffer(size > 0 ? size : 1);
  std::string account = "account unknown";
  if (GetTokenInformation(token, TokenUser, buffer.data(), size, &size)) {
    const auto* user = reinterpret_cast<const TOKEN_USER*>(buffer.data());
    wchar_t name[256] = {}, domain[256] = {};
    DWORD name_size = 256, domain_size = 256;
    SID_NAME_USE use{};
    if (LookupAccountSidW(nullptr, user->User.Sid, name, &name_size, domain, &domain_size, &use)) {
      account = "account " + Narrow(domain) + "\\" + Narrow(name);
    }
  }
  CloseHandle(token);
  return account;
}

}  // namespace mimamori::agent
