#!/usr/bin/env bash
# Cross-builds mimamori-agent.exe (64-bit Windows, fully static) with Debian's
# MinGW-w64 into build-win/ and prints the path of the .exe:
#   build-win/agent/mimamori-agent.exe
# beside it: build-win/agent/agent.yaml.default (the MSI installs both).
#   BUILD_DIR=DIR   build directory (default build-win)
#   JOBS=N          parallel compilers (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in x86_64-w64-mingw32-g++-posix cmake ninja; do
  if ! command -v "$tool" >/dev/null; then
    echo "build-windows-agent: $tool not found (run scripts/install-deps.sh)" >&2
    exit 1
  fi
done
BUILD_DIR=${BUILD_DIR:-build-win}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/mingw-w64-x86_64.cmake" >/dev/null
cmake --build "$BUILD_DIR" --target mimamori-agent --parallel "${JOBS:-2}" >&2
exe="$BUILD_DIR/agent/mimamori-agent.exe"
# Only Windows' own DLLs: anything else (libstdc++-6.dll, libwinpthread-1.dll)
# would be missing on a server.
dlls=$(x86_64-w64-mingw32-objdump -p "$exe" | sed -n 's/^\s*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u)
for dll in $dlls; do
  case "$dll" in
    kernel32.dll | advapi32.dll | ws2_32.dll | mswsock.dll | iphlpapi.dll | ntdll.dll | msvcrt.dll | \
      user32.dll | api-ms-win-*) ;;
    *)
      echo "build-windows-agent: $exe needs $dll, which Windows does not ship" >&2
      exit 1
      ;;
  esac
done
echo "$exe"
