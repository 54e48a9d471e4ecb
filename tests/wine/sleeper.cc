// A Windows process with a recognisable command line for the wine tests: it
// waits until its stdin closes (or 10 minutes pass), so the test controls how
// long it appears in hrSWRunTable without any sleeping on the test's side.
#include <windows.h>

int wmain(int, wchar_t**) {
  HANDLE input = GetStdHandle(STD_INPUT_HANDLE);
  char octet = 0;
  DWORD read = 0;
  const ULONGLONG deadline = GetTickCount64() + 600000;
  // ReadFile on a pipe blocks until the writer closes it; on a console or a
  // closed handle it fails at once, and the deadline bounds the rest.
  while (GetTickCount64() < deadline) {
    if (!ReadFile(input, &octet, 1, &read, nullptr) || read == 0) break;
  }
  return 0;
}
