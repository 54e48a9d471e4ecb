#include "agent/core/privileges.h"

#include <grp.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <string_view>

namespace mimamori::agent {
namespace {

bool ParseUnsigned(std::string_view text, unsigned& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

bool LookUpUser(const std::string& user, const std::string& passwd_file, unsigned& uid,
                unsigned& gid) {
  const std::string_view spec = user;
  const auto colon = spec.find(':');
  if (ParseUnsigned(spec.substr(0, colon), uid)) {
    if (colon == std::string_view::npos) {
      gid = uid;
      return true;
    }
    return ParseUnsigned(spec.substr(colon + 1), gid);
  }
  std::ifstream in(passwd_file);
  std::string line;
  while (std::getline(in, line)) {
    // name:password:UID:GID:gecos:home:shell
    std::string_view fields[4];
    std::string_view rest = line;
    std::size_t n = 0;
    for (; n < 4; ++n) {
      const auto sep = rest.find(':');
      fields[n] = rest.substr(0, sep);
      if (sep == std::string_view::npos) break;
      rest.remove_prefix(sep + 1);
    }
    if (n < 3 || fields[0] != user) continue;
    return ParseUnsigned(fields[2], uid) && ParseUnsigned(fields[3], gid);
  }
  return false;
}

std::string ProcessAccount() { return "uid " + std::to_string(::getuid()); }

std::string DropPrivileges(const std::string& user, const std::string& passwd_file) {
  if (::geteuid() != 0) return "";
  if (user == "root" || user == "0") return "";  // explicitly asked for
  unsigned uid = 0, gid = 0;
  if (!LookUpUser(user, passwd_file, uid, gid)) {
    return "user '" + user + "' not found in " + passwd_file +
           " (create it, or set `user:` in agent.yaml; the agent will not keep running as root)";
  }
  if (uid == 0) return "user '" + user + "' has UID 0; refusing to run as root under another name";
  const gid_t group = gid;
  if (::setgroups(1, &group) != 0) return std::string("setgroups: ") + std::strerror(errno);
  if (::setgid(gid) != 0) return std::string("setgid: ") + std::strerror(errno);
  if (::setuid(uid) != 0) return std::string("setuid: ") + std::strerror(errno);
  if (::setuid(0) == 0) return "could regain root after dropping privileges";
  return "";
}

}  // namespace mimamori::agent
