#include "helpers.hpp"

#include "npu/numerics/execute.hpp"

namespace npusim::test {

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
