#include "npu/common/error.hpp"

#include <fmt/format.h>

namespace npusim {

void internal_error(const char* file, int line, const std::string& what) {
  throw InternalError(fmt::format("internal error at {}:{}: {}", file, line, what));
}

}  // namespace npusim
