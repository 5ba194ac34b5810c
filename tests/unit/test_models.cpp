// The shipped GDN models read strictly and carry the public configurations' numbers.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "sim/config/model_config.hpp"

using namespace npusim;

TEST_CASE("shipped models: Qwen3-Next and Qwen3.5 GDN layer shapes", "[models]") {
  struct Want {
    const char* file;
    std::uint32_t hidden, value_heads;
    kernels::ProjectionLayout projections;
  };
  for (const Want& w : {Want{"qwen3-next-80b-a3b", 2048, 32, kernels::ProjectionLayout::fused},
                        Want{"qwen3.5-27b", 5120, 48, kernels::ProjectionLayout::split},
                        Want{"qwen3.5-397b-a17b", 4096, 64, kernels::ProjectionLayout::split}}) {
    DYNAMIC_SECTION(w.file) {
      const auto m = sim::read_model_config(std::string(NPUSIM_SOURCE_DIR) + "/configs/models/" + w.file + ".yaml");
      CHECK(m.name == w.file);
      CHECK(m.hidden_size == w.hidden);
      CHECK(m.key_heads == 16);
      CHECK(m.value_heads == w.value_heads);
      CHECK(m.key_head_dim == 128);
      CHECK(m.value_head_dim == 128);
      CHECK(m.conv_kernel == 4);
      CHECK(m.rms_norm_eps == 1e-6);
      CHECK(m.projections == w.projections);
      CHECK(m.conv_dim() == 2 * 16 * 128 + w.value_heads * 128);
      // The resolved model reads back as the same model.
      const auto again = sim::parse_model_config(sim::write_model_config(m), "resolved.yaml");
      CHECK(again.hidden_size == m.hidden_size);
      CHECK(again.value_heads == m.value_heads);
      CHECK(again.rms_norm_eps == m.rms_norm_eps);
      CHECK(again.projections == m.projections);
      CHECK(again.description == m.description);
    }
  }
}
