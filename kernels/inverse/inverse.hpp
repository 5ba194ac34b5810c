#pragma once
/// Kernels that compute T = (I + A)^-1 for a batch of strictly lower-triangular C x C matrices
/// (the chunk-wise Gated DeltaNet inverse, ../shared/PAPER.md section 2):
///   fwdsub         row-by-row forward substitution on the vector unit (the reference algorithm)
///   fla_blocked    16x16 diagonal blocks by substitution (fp32, all blocks at once), merged by
///                  small matmuls: the flash-linear-attention scheme, the publication's baseline
///   neumann        truncated series of order N, band mask, residual correction with S terms
///   doubling       the exact product (I - A)(I + A^2)(I + A^4)...
///   newton_schulz  T_{m+1} = T_m + T_m R_m, R_m = I - (I + A) T_m
/// Each builder reads tile sizes, lanes and the scratchpad size from the config, so the same
/// kernel adapts to any preset. Builders are SystemC-free and data-independent: they only need
/// the shapes, and for integer dtypes the power-of-two scales (calibrate_int_scales()).
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kernels/gdn_inputs.hpp"
#include "npu/config.hpp"
#include "npu/isa/program.hpp"

namespace npusim::kernels {

enum class SumMethod : std::uint8_t { automatic, doubling, horner };

/// Power-of-two scales of the integer variants: a value v is stored as round(v * 2^s).
/// One scale per matrix role, fixed for the batch (README.md, "Integer scaling").
struct IntScales {
  int a = 14;  ///< A and -A
  int t = 11;  ///< T and its pieces: the series H, the band T0, the corrected products R
  int e = 11;  ///< the residual E = I - (I + A) T0 and its powers
  int p = 11;  ///< the residual sum P = sum E^s (Horner)
};

/// The most neumann residual terms S and newton_schulz iterations a kernel takes.
inline constexpr std::uint32_t kMaxSteps = 64;

struct InverseParams {
  std::uint32_t chunk = 64;  ///< C: 16, 32, 64 or 128
  npu::DType dtype = npu::DType::fp16;
  std::uint32_t batch = 1;   ///< matrices (heads x chunks)
  std::optional<std::uint32_t> order;  ///< neumann N, 1 to the block size - 1 (absent: the default for C)
  std::optional<std::uint32_t> steps;  ///< neumann S (1 to 64), newton_schulz iterations (0 to 64); absent: the default
  SumMethod sum = SumMethod::automatic;  ///< neumann residual sum
  bool band_mask = true;  ///< neumann: false is the publication's unmasked ablation (--mask none)
  std::uint32_t interleave = 2;  ///< chunks computed together per core (hides latencies)
  IntScales scales;              ///< integer dtypes only
};

/// A built inverse program and how to feed and read it.
struct InverseProgram {
  npu::Program program;
  std::string input = "A";   ///< DRAM tensor [batch, C, C]: A (stored as round(A * 2^input_scale))
  std::string output = "T";  ///< DRAM tensor [batch, C, C]: T (stored as T * 2^output_scale)
  int input_scale = 0;
  int output_scale = 0;
  std::string summary;       ///< e.g. "neumann C=64 N=3 S=8 (doubling), fp16"
  std::uint32_t order = 0;   ///< resolved parameters (0 where they do not apply)
  std::uint32_t steps = 0;
  std::string sum;
  std::string mask;              ///< neumann: "band" or "none" ("" where it does not apply)
  std::uint32_t interleave = 0;  ///< chunks in flight per core after fitting the scratchpad
};

/// One kernel of the registry.
struct InverseKernel {
  std::string name;
  std::string summary;
  std::vector<npu::DType> dtypes;   ///< dtypes it is built for
  std::string parameters;           ///< its options, for `npusim kernels`
  /// Which of the kernel-specific parameters it reads ("order", "steps", "sum"); the others
  /// leave its program and results unchanged (sweeps reuse its runs across them).
  std::vector<std::string> options;
  std::function<InverseProgram(const npu::NpuConfig&, const InverseParams&)> build;
};

const std::vector<InverseKernel>& inverse_kernels();
/// The kernel called `name`, or nullptr.
const InverseKernel* lookup_inverse_kernel(const std::string& name);
/// "unknown kernel 'x'; did you mean 'y'? (kernels: ...)".
std::string unknown_kernel(const std::string& name);
/// The kernel called `name`; throws InputError(unknown_kernel(name)).
const InverseKernel& find_inverse_kernel(const std::string& name);
/// Why `k` cannot run in `dtype` ("fwdsub is built for fp32, fp16, bf16, not int16"), if it cannot.
std::optional<std::string> dtype_problem(const InverseKernel& k, npu::DType dtype);

/// Builds `name` for `hw`; checks the parameters (InputError on bad ones).
InverseProgram build_inverse(const std::string& name, const npu::NpuConfig& hw, const InverseParams& params);

/// Neumann defaults by chunk size (PAPER s.2.4d): 32 -> (4, 3), 64 -> (3, 8), 128 -> (3, 8)
/// per 64x64 block; 16 -> (3, 4), exact since S(N + 1) >= C.
std::pair<std::uint32_t, std::uint32_t> neumann_defaults(std::uint32_t chunk);

/// The largest power-of-two scale s with m 2^s headroom <= qmax, kept in [0, 30] (14 when m is 0).
int scale_for(double m, double qmax, double headroom);

/// Chooses the integer scales for `a` from the batch's own ranges (calibration): A from max|A|,
/// T from max|T|, E from max|E| with E = I - (I + A) band_N(T), P from 1 + max|E|; one bit of
/// headroom for computed roles. `order` is the neumann N.
IntScales calibrate_int_scales(const MatrixBatch& a, const MatrixBatch& exact, npu::DType dtype, std::uint32_t order);

}  // namespace npusim::kernels
