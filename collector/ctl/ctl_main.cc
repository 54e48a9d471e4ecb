// mimamorictl: the operator's command line for incidents, suppressions and
// reports (docs/mimamorictl.md).
#include <string>
#include <vector>

#include "collector/ctl/commands.h"

int main(int argc, char** argv) {
  return mimamori::collector::ctl::RunCtl(std::vector<std::string>(argv + 1, argv + argc));
}
