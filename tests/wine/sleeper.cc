// A Windows process with a recognisable command line for the wine tests'
// hrSWRunTable check. It does nothing until the test kills it; the 10-minute
// bound only keeps a crashed test from leaving it behind for long.
#include <windows.h>

int wmain(int, wchar_t**) {
  Sleep(600000);
  return 0;
}
