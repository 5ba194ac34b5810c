#include "npu/common/error.hpp"

#include <fmt/format.h>

namespace npusim {

void internal_error(const char* file, int line, const std::string& what) {
  throw InternalError(fmt::format("internal error at {}:{}: {}", file, line, what));
}

void throw_input_errors(std::vector<std::string> messages, const std::string& source) {
  constexpr std::size_t kMaxShown = 50;
  if (messages.size() > kMaxShown) {
    const std::size_t more = messages.size() - kMaxShown;
    messages.resize(kMaxShown);
    messages.push_back(fmt::format("{}: ... and {} more errors", source, more));
  }
  throw InputError(std::move(messages));
}

}  // namespace npusim
