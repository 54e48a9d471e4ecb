// mimamori-collector: placeholder until the collector issue lands; it only
// answers --version and --help so packaging and CI can already install it.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("mimamori-collector %s\n", MIMAMORI_VERSION);
    return 0;
  }
  std::fprintf(stderr, "mimamori-collector %s: not implemented yet (see docs/)\n",
               MIMAMORI_VERSION);
  return 2;
}
