#pragma once
/// The `.npuasm` text form: one statement per line, `#` comments. Grammar and examples are in
/// traces/README.md. print_program(parse_program(t)) is the canonical form of t, and printing
/// is a fixed point: print(parse(print(p))) == print(p).
#include <string>
#include <string_view>

#include "npu/isa/program.hpp"

namespace npusim::npu {

/// Parses a program. Throws InputError listing every syntax and name error as
/// "SOURCE:LINE:COL: message". Shapes, dtypes and hardware limits are checked later by
/// check_program().
Program parse_program(std::string_view text, std::string source);

/// Prints a program in canonical form.
std::string print_program(const Program& p);

/// Prints one operand as it would appear in the canonical text ("a", "a[3]", "A[2, 0:16]").
std::string format_operand(const Program& p, const Operand& o);

/// Prints one instruction without comments.
std::string format_instruction(const Program& p, const Instruction& in);

/// Sets every statement's line number to the line it has in print_program(p), so that
/// errors in built programs point into the emitted text.
void assign_canonical_lines(Program& p);

}  // namespace npusim::npu
