#include "helpers.hpp"

#include <unistd.h>

#include "npu/numerics/execute.hpp"

namespace npusim::test {

namespace {

/// This process's temporary directory, made on first use and removed at exit.
const std::filesystem::path& process_dir() {
  struct Dir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("npusim-tests-" + std::to_string(::getpid()));
    Dir() { std::filesystem::create_directories(path); }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

}  // namespace

std::filesystem::path temp_path(const std::string& name) { return process_dir() / name; }

std::filesystem::path fresh_dir(const std::string& name) {
  const std::filesystem::path d = temp_path(name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

double Run::tensor(const std::string& name, std::uint64_t i) const {
  const npu::DramTensor* t = program.find_tensor(name);
  return npu::load_element(dram.data() + t->address, t->dtype, i);
}

Run run_asm(const std::string& text, const npu::NpuConfig& hw, bool numerics) {
  Run r;
  r.program = npu::parse_program(text, "test.npuasm");
  npu::check_program(r.program, hw);
  if (numerics) r.dram = sim::build_dram_image(r.program, ".", {});
  npu::SimOptions o;
  o.numerics = numerics;
  r.result = npu::simulate(hw, r.program, o, numerics ? &r.dram : nullptr);
  return r;
}

std::string source_file(const std::string& relative) {
  return sim::read_text_file(std::string(NPUSIM_SOURCE_DIR) + "/" + relative);
}

}  // namespace npusim::test
