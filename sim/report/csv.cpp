#include "sim/report/csv.hpp"

#include <csv.h>

#include "npu/common/text.hpp"

namespace npusim::sim {

std::string csv_record(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    const std::string f = valid_utf8(fields[i]);
    if (f.find_first_of(",\"\r\n") == std::string::npos) {
      out += f;
      continue;
    }
    std::string quoted(2 * f.size() + 2, '\0');  // libcsv encloses the field and doubles its quotes
    quoted.resize(csv_write(quoted.data(), quoted.size(), f.data(), f.size()));
    out += quoted;
  }
  return out + "\r\n";
}

}  // namespace npusim::sim
