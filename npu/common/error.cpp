#include "npu/common/error.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace npusim {

void internal_error(const char* file, int line, const std::string& what) {
  throw InternalError(fmt::format("internal error at {}:{}: {}", file, line, what));
}

void throw_input_errors(std::vector<std::string> messages, const std::string& source, std::size_t not_kept) {
  if (messages.size() + not_kept > kMaxShownErrors) {
    const std::size_t more = messages.size() + not_kept - std::min(messages.size(), kMaxShownErrors);
    if (messages.size() > kMaxShownErrors) messages.resize(kMaxShownErrors);
    messages.push_back(fmt::format("{}: ... and {} more errors", source, more));
  }
  throw InputError(std::move(messages));
}

}  // namespace npusim
