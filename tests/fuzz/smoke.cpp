// Replays the committed fuzz corpus (tests/fuzz/corpus/HARNESS/*) through the harnesses in the
// normal build: every input must be handled as it was when the fuzzer kept it.
// usage: fuzz_smoke CORPUS_DIR
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fputs("usage: fuzz_smoke CORPUS_DIR\n", stderr);
    return 2;
  }
  namespace fs = std::filesystem;
  const struct {
    const char* name;
    void (*run)(const std::uint8_t*, std::size_t);
  } harnesses[] = {{"spec", npusim::fuzz::spec}, {"npuasm", npusim::fuzz::npuasm}, {"npy", npusim::fuzz::npy}};
  for (const auto& h : harnesses) {
    const fs::path dir = fs::path(argv[1]) / h.name;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      std::fprintf(stderr, "%s: no corpus\n", dir.c_str());
      return 1;
    }
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      h.run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
    std::printf("%s: %zu inputs\n", h.name, files.size());
  }
  return 0;
}
