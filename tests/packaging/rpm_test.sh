#!/usr/bin/env bash
# The RPMs as rpm sees them: files, requirements, scriptlets and config
# flags from the package headers; an install into a throwaway root; the
# scriptlets run with recording stand-ins for systemctl and the account
# tools; an upgrade from release N to N+1 keeping edited configuration.
#   rpm_test.sh SOURCE_DIR BUILD_DIR
source "$(dirname "$0")/lib.sh"
src=$1
build=$2
command -v rpmbuild >/dev/null || skip "rpmbuild is missing (apt-get install rpm)"
arch=$(rpm --eval '%{_arch}')
version=$(sed -nE 's/^project\(mimamori VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")
rpmq() { rpm "$@" 2>/dev/null; }

"$src/packaging/rpm/build-rpms.sh" --build-dir "$build" --out "$work/n" --release 1 >/dev/null
agent=$work/n/mimamori-agent-$version-1.$arch.rpm
collector=$work/n/mimamori-collector-$version-1.$arch.rpm
check "agent rpm built" test -f "$agent"
check "collector rpm built" test -f "$collector"

# --- files ---------------------------------------------------------------
expected_agent="/etc/mimamori
/etc/mimamori/agent.yaml
/usr/lib/systemd/system-preset/80-mimamori-agent.preset
/usr/lib/systemd/system/mimamori-agent.service
/usr/sbin/mimamori-agent
/usr/share/doc/mimamori
/usr/share/doc/mimamori/agent.md"
check "agent files are exactly the expected ones" \
  test "$(rpmq -qpl "$agent")" = "$expected_agent"
files=$(rpmq -qpl "$collector")
for f in /usr/sbin/mimamori-collector /usr/bin/mimamorictl \
  /usr/lib/systemd/system/mimamori-collector.service /etc/mimamori/inventory.yaml \
  /etc/mimamori/templates/first-report.txt /var/lib/mimamori \
  /usr/share/doc/mimamori/operator-guide.md /usr/share/doc/mimamori/troubleshooting.md \
  /usr/share/doc/mimamori/packaging.md /usr/share/doc/mimamori/inventory.md \
  /usr/share/doc/mimamori/monitoring/mimamori-rules.yml \
  /usr/share/doc/mimamori/monitoring/mimamori-dashboard.json; do
  check "collector rpm has $f" grep -qxF "$f" <<<"$files"
done
check "collector rpm has no agent file" bash -c '! grep -q "agent.service\|sbin/mimamori-agent" <<<"$1"' _ "$files"

# noreplace config files: FILEFLAGS has c (config) and n (noreplace).
flags() { rpmq -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags} %{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME}\n]' "$1"; }
check "agent.yaml is %config(noreplace), 0640 root:mimamori" \
  grep -qxF "/etc/mimamori/agent.yaml cn -rw-r----- root:mimamori" <<<"$(flags "$agent")"
check "inventory.yaml is %config(noreplace), 0640 root:mimamori" \
  grep -qxF "/etc/mimamori/inventory.yaml cn -rw-r----- root:mimamori" <<<"$(flags "$collector")"
check "templates are %config(noreplace)" \
  grep -qE "^/etc/mimamori/templates/first-report.txt cn " <<<"$(flags "$collector")"
check "state directory belongs to mimamori, 0750" \
  grep -qxF "/var/lib/mimamori  drwxr-x--- mimamori:mimamori" <<<"$(flags "$collector")"

# --- requirements ----------------------------------------------------------
agent_requires=$(rpmq -qpR "$agent")
check "agent requires no shared library" bash -c '! grep -q "\.so" <<<"$1"' _ "$agent_requires"
check "agent provides nothing automatic" \
  test "$(rpmq -qp --provides "$agent" | sort)" = "$(printf 'mimamori-agent = %s-1\nmimamori-agent(x86-64) = %s-1' "$version" "$version")"
check "agent requires the account tools and systemd" \
  bash -c 'grep -qx shadow-utils <<<"$1" && grep -qx systemd <<<"$1"' _ "$agent_requires"
check "the agent binary is static" bash -c "file -L '$build/agent/mimamori-agent' | grep -q 'statically linked'"
collector_requires=$(rpmq -qpR "$collector")
for binary in collector/mimamori-collector collector/mimamorictl; do
  for soname in $(readelf -d "$build/$binary" | sed -nE 's/.*NEEDED.*\[(.*)\]/\1/p'); do
    check "collector requires $soname (NEEDED by $(basename $binary))" \
      grep -qxF "$soname()(64bit)" <<<"$collector_requires"
  done
done

# --- scriptlets ------------------------------------------------------------
for package in agent collector; do
  rpm_file=$work/n/mimamori-$package-$version-1.$arch.rpm
  scripts=$(rpmq -qp --scripts "$rpm_file")
  unit=mimamori-$package.service
  check "$package %pre creates the system user" grep -q "useradd -r -g mimamori" <<<"$scripts"
  check "$package %post presets $unit" grep -q "preset $unit" <<<"$scripts"
  check "$package %preun disables and stops $unit" grep -q "disable --now $unit" <<<"$scripts"
  check "$package %postun try-restarts $unit" grep -q "try-restart $unit" <<<"$scripts"

  # Run them as rpm would ($1 = instances left after the step) with the
  # system tools replaced by recorders: what would happen on a real host.
  shims=$work/shims-$package
  mkdir -p "$shims"
  for tool in systemctl groupadd useradd; do
    printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$tool" "$shims" >"$shims/$tool"
  done
  # getent: no such account yet.
  printf '#!/bin/sh\nexit 2\n' >"$shims/getent"
  chmod +x "$shims"/*
  run() { # TAG ARG: runs the scriptlet TAG with $1=ARG, prints the calls
    : >"$shims/calls"
    rpmq -qp --qf "%{$1}" "$rpm_file" >"$shims/script"
    PATH=$shims:$PATH sh "$shims/script" "$2" >/dev/null 2>&1
    cat "$shims/calls"
  }
  check "$package %pre on a fresh host adds group and user" \
    test "$(run PREIN 1)" = "groupadd -r mimamori
useradd -r -g mimamori -d /var/lib/mimamori -s /sbin/nologin -c mimamori monitoring mimamori"
  check "$package %post on first install presets only" \
    test "$(run POSTIN 1)" = "systemctl --no-reload preset $unit"
  check "$package %post on upgrade does nothing" test -z "$(run POSTIN 2)"
  check "$package %preun on removal disables and stops" \
    test "$(run PREUN 0)" = "systemctl --no-reload disable --now $unit"
  check "$package %preun on upgrade does nothing" test -z "$(run PREUN 1)"
  check "$package %postun on upgrade restarts a running service" \
    test "$(run POSTUN 1)" = "systemctl daemon-reload
systemctl try-restart $unit"
  check "$package %postun on removal only reloads systemd" \
    test "$(run POSTUN 0)" = "systemctl daemon-reload"
done

# --- install into a throwaway root ------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP (not root): rpm --root install and upgrade"
  finish
  exit
fi
root=$work/root
mkdir -p "$root/etc"
# What %pre would have created (scriptlets cannot run: no /bin/sh in root).
echo "root:x:0:0:root:/root:/bin/sh
mimamori:x:990:990:mimamori monitoring:/var/lib/mimamori:/sbin/nologin" >"$root/etc/passwd"
echo "root:x:0:
mimamori:x:990:" >"$root/etc/group"
rpm_root() { rpm --root "$root" --dbpath /var/lib/rpm "$@" 2>&1 | grep -v "Alien\|you know what\|rpmnew\|rpmsave" >&2 || true; }
rpm_root -i --nodeps --noscripts "$agent" "$collector"
check "both installed in the root" \
  test "$(rpm --root "$root" --dbpath /var/lib/rpm -q mimamori-agent mimamori-collector 2>/dev/null)" = "mimamori-agent-$version-1.$arch
mimamori-collector-$version-1.$arch"
check "agent binary installed and runs" \
  bash -c "'$root/usr/sbin/mimamori-agent' --version | grep -qx 'mimamori-agent $version'"
check "agent.yaml mode 640, group mimamori" test "$(stat -c '%a %u:%g' "$root/etc/mimamori/agent.yaml")" = "640 0:990"
check "/var/lib/mimamori mode 750, owner mimamori" test "$(stat -c '%a %u:%g' "$root/var/lib/mimamori")" = "750 990:990"
check "units installed" test -f "$root/usr/lib/systemd/system/mimamori-collector.service" -a \
  -f "$root/usr/lib/systemd/system/mimamori-agent.service"
check "installed agent.yaml passes the agent's own check" \
  "$root/usr/sbin/mimamori-agent" --config "$root/etc/mimamori/agent.yaml" --check-config
check "rpm -V finds the installed tree intact" \
  bash -c "! rpm --root '$root' --dbpath /var/lib/rpm -V --nodeps mimamori-agent mimamori-collector 2>/dev/null | grep ."

# --- upgrade N -> N+1 keeps the operator's edits -------------------------------
echo "# edited by the operator" >>"$root/etc/mimamori/agent.yaml"
echo "# edited by the operator" >>"$root/etc/mimamori/inventory.yaml"
edited_agent=$(cat "$root/etc/mimamori/agent.yaml")
edited_inventory=$(cat "$root/etc/mimamori/inventory.yaml")
# N+1 ships changed defaults, so rpm must choose between them and the edit.
for c in agent collector; do
  DESTDIR=$work/stage-$c cmake --install "$build" --prefix /usr --component "$c" >/dev/null
done
echo "# new default in N+1" >>"$work/stage-agent/etc/mimamori/agent.yaml"
echo "# new default in N+1" >>"$work/stage-collector/etc/mimamori/inventory.yaml"
"$src/packaging/rpm/build-rpms.sh" --build-dir "$build" --out "$work/n1" --release 2 \
  --stage agent="$work/stage-agent" --stage collector="$work/stage-collector" >/dev/null
rpm_root -U --nodeps --noscripts "$work/n1/mimamori-agent-$version-2.$arch.rpm" \
  "$work/n1/mimamori-collector-$version-2.$arch.rpm"
check "upgraded to release 2" \
  test "$(rpm --root "$root" --dbpath /var/lib/rpm -q mimamori-agent 2>/dev/null)" = "mimamori-agent-$version-2.$arch"
check "edited agent.yaml kept" test "$(cat "$root/etc/mimamori/agent.yaml")" = "$edited_agent"
check "edited inventory.yaml kept" test "$(cat "$root/etc/mimamori/inventory.yaml")" = "$edited_inventory"
check "new default agent.yaml beside it as .rpmnew" grep -q "new default in N+1" "$root/etc/mimamori/agent.yaml.rpmnew"
check "new default inventory.yaml beside it as .rpmnew" grep -q "new default in N+1" "$root/etc/mimamori/inventory.yaml.rpmnew"
rpm_root -e --nodeps --noscripts mimamori-agent mimamori-collector
check "erase removes the binaries" test ! -e "$root/usr/sbin/mimamori-agent" -a ! -e "$root/usr/bin/mimamorictl"
check "erase keeps edited configuration as .rpmsave" test -f "$root/etc/mimamori/agent.yaml.rpmsave"
finish
