# The Windows agent as a sub-build of the Linux build: `cmake --build build`
# also cross-compiles mimamori-agent.exe (and the helper the wine tests start)
# into build/windows/, so scripts/test.sh and CI run the wine tests.
# scripts/build-windows-agent.sh makes the same build on its own in build-win/.
find_program(MIMAMORI_MINGW_CXX x86_64-w64-mingw32-g++-posix)
if(MIMAMORI_MINGW_CXX)
  set(windows_agent_default ON)
else()
  set(windows_agent_default OFF)
endif()
option(MIMAMORI_WINDOWS_AGENT "Cross-build mimamori-agent.exe with MinGW-w64 (needs mingw-w64)"
       ${windows_agent_default})
if(NOT MIMAMORI_WINDOWS_AGENT)
  return()
endif()

include(ExternalProject)
set(MIMAMORI_WINDOWS_BINARY_DIR ${CMAKE_BINARY_DIR}/windows)
set(MIMAMORI_WINDOWS_AGENT_EXE ${MIMAMORI_WINDOWS_BINARY_DIR}/agent/mimamori-agent.exe)
set(MIMAMORI_WINDOWS_HELPER_EXE ${MIMAMORI_WINDOWS_BINARY_DIR}/agent/mimamori-test-sleeper.exe)
ExternalProject_Add(mimamori_windows_agent
  SOURCE_DIR ${PROJECT_SOURCE_DIR}
  BINARY_DIR ${MIMAMORI_WINDOWS_BINARY_DIR}
  CMAKE_GENERATOR ${CMAKE_GENERATOR}
  CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/mingw-w64-x86_64.cmake
             -DCMAKE_BUILD_TYPE=Release
             -DMIMAMORI_WERROR=${MIMAMORI_WERROR}
             -DMIMAMORI_WINDOWS_TEST_HELPER=ON
  # At most two compilers at a time (the outer build waits meanwhile).
  BUILD_COMMAND ${CMAKE_COMMAND} --build ${MIMAMORI_WINDOWS_BINARY_DIR} --parallel 2
  # The sources are the Linux build's own, so every build must look at them.
  BUILD_ALWAYS ON
  INSTALL_COMMAND ""
  BUILD_BYPRODUCTS ${MIMAMORI_WINDOWS_AGENT_EXE} ${MIMAMORI_WINDOWS_HELPER_EXE}
  USES_TERMINAL_BUILD ON)
