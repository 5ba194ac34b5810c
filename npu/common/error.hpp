#pragma once
/// Error taxonomy shared by every layer (gem5's fatal/panic split):
/// - InputError: the user's mistake (config, program, tensor file). One clean message, exit 2.
/// - SimError: the simulation could not complete (for example a deadlocked program). Exit 3.
/// - NPUSIM_ASSERT: a simulator bug; reports file:line and is never the user's fault.
#include <stdexcept>
#include <string>
#include <vector>

namespace npusim {

/// A user-input error. `messages` holds every problem found, one per line when printed.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : InputError(std::vector<std::string>{message}) {}
  explicit InputError(std::vector<std::string> messages)
      : std::runtime_error(join(messages)), m_messages(std::move(messages)) {}
  const std::vector<std::string>& messages() const { return m_messages; }

 private:
  static std::string join(const std::vector<std::string>& messages) {
    std::string out;
    for (const auto& m : messages) {
      if (!out.empty()) out += '\n';
      out += m;
    }
    return out;
  }
  std::vector<std::string> m_messages;
};

/// The simulation itself failed (deadlock, a program that can never finish).
class SimError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A broken internal invariant: a bug in npusim, not in the user's input.
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] void internal_error(const char* file, int line, const std::string& what);

/// The most messages an input error shows; readers may stop keeping messages past it and count them.
inline constexpr std::size_t kMaxShownErrors = 50;

/// Throws InputError with the first 50 of `messages` and, when there are more (the rest of
/// `messages`, and `not_kept` messages the reader counted without keeping), a last line
/// "SOURCE: ... and N more errors": a broken file gives a readable report, not 100 000 lines.
[[noreturn]] void throw_input_errors(std::vector<std::string> messages, const std::string& source,
                                     std::size_t not_kept = 0);

}  // namespace npusim

#define NPUSIM_ASSERT(cond, what)                                 \
  do {                                                            \
    if (!(cond)) ::npusim::internal_error(__FILE__, __LINE__, what); \
  } while (0)
