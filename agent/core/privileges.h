// Giving up root after the privileged port is bound.
#pragma once

#include <string>

namespace mimamori::agent {

/// If the process runs as root, switches to `user` (its uid and primary gid
/// from `passwd_file`, supplementary groups dropped) and checks that root
/// cannot be regained. `user` may also be "UID" or "UID:GID". When not root,
/// does nothing (systemd already started us unprivileged with
/// CAP_NET_BIND_SERVICE). Returns "" on success, else why it failed; the agent
/// refuses to keep running as root by accident.
///
/// /etc/passwd is read directly instead of through getpwnam(): the agent is a
/// static binary and glibc's NSS cannot be used from one.
std::string DropPrivileges(const std::string& user, const std::string& passwd_file = "/etc/passwd");

/// Who the agent runs as, for its start-up log line: "uid 998" (POSIX),
/// "account NT AUTHORITY\\LOCAL SERVICE" (Windows).
std::string ProcessAccount();

/// Looks `user` up in `passwd_file` (or parses "UID[:GID]"). Tests use this.
bool LookUpUser(const std::string& user, const std::string& passwd_file, unsigned& uid,
                unsigned& gid);

}  // namespace mimamori::agent
