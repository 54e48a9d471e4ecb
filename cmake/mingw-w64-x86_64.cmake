# Cross-compiling mimamori-agent.exe for 64-bit Windows with Debian's MinGW-w64.
#
#   cmake -S . -B build-win -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake
#
# The "posix" compilers: their libstdc++ has std::thread and std::mutex (GCC 12's
# "win32" thread model lacks them, and Asio needs them). Everything, winpthreads
# included, is linked statically (agent/CMakeLists.txt), so the .exe needs no DLL
# beyond those every Windows has.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(MIMAMORI_MINGW_PREFIX x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${MIMAMORI_MINGW_PREFIX}-gcc-posix)
set(CMAKE_CXX_COMPILER ${MIMAMORI_MINGW_PREFIX}-g++-posix)
set(CMAKE_RC_COMPILER ${MIMAMORI_MINGW_PREFIX}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${MIMAMORI_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Only the agent exists for Windows: the collector needs Net-SNMP and friends,
# and the tests run on Linux against the .exe under wine.
set(MIMAMORI_AGENT_ONLY ON CACHE BOOL "" FORCE)
set(MIMAMORI_BUILD_TESTS OFF CACHE BOOL "" FORCE)
set(MIMAMORI_BUILD_BENCH OFF CACHE BOOL "" FORCE)

# -O2, not CMake's -O3: GCC 12 reports false -Wrestrict errors in libstdc++'s
# string concatenation at -O3 (GCC bug 105329). Release builds are stripped.
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "" FORCE)
set(CMAKE_EXE_LINKER_FLAGS_RELEASE "-s" CACHE STRING "" FORCE)
