#include "sim/cli/options.hpp"

#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <limits>

#include "sim/config/units.hpp"

namespace npusim::sim {
namespace po = boost::program_options;

std::string integer_range(std::uint64_t min, std::uint64_t max) {
  return max == std::numeric_limits<std::uint64_t>::max() ? fmt::format("an integer >= {}", min)
                                                          : fmt::format("an integer in [{}, {}]", min, max);
}

std::uint64_t parse_integer(const std::string& name, const std::string& text, std::uint64_t min, std::uint64_t max) {
  // Digits only: no sign (a negative count never wraps), no spaces, no exponent, no hex.
  bool ok = !text.empty() && text.size() <= 20 && text.find_first_not_of("0123456789") == std::string::npos;
  std::uint64_t v = 0;
  if (ok) {
    errno = 0;
    v = std::strtoull(text.c_str(), nullptr, 10);
    ok = errno != ERANGE && v >= min && v <= max;
  }
  if (!ok) throw UsageError{fmt::format("--{} {}: expected {}", name, text, integer_range(min, max))};
  return v;
}

double parse_number(const std::string& name, const std::string& text, double min, double max) {
  char* end = nullptr;
  const double v = text.empty() ? NAN : std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v) || v < min || v > max) {
    throw UsageError{fmt::format("--{} {}: expected a number in [{}, {}]", name, text, min, max)};
  }
  return v;
}

std::uint64_t parse_size(const std::string& name, const std::string& text, std::uint64_t min) {
  const auto v = parse_bytes(text);
  if (!v || *v < min) {
    throw UsageError{fmt::format("--{} {}: expected a size of at least {} such as 512MiB or 8GiB", name, text,
                                 format_bytes(min))};
  }
  return *v;
}

std::vector<std::string> parse_list(const std::string& name, const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.empty()) throw UsageError{fmt::format("--{} {}: expected names separated by commas", name, text)};
    out.push_back(std::move(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

void add_option(po::options_description& d, const IntegerOption& o, std::optional<std::uint64_t> default_value) {
  std::string help = fmt::format("{} ({}", o.help, integer_range(o.min, o.max));
  help += default_value ? fmt::format("; default {})", *default_value) : ")";
  auto* value = po::value<std::string>();
  if (default_value) value->default_value(std::to_string(*default_value));
  d.add_options()(o.name, value, help.c_str());
}

void add_option(po::options_description& d, const NumberOption& o, std::optional<double> default_value) {
  std::string help = fmt::format("{} (a number in [{}, {}]", o.help, o.min, o.max);
  help += default_value ? fmt::format("; default {})", *default_value) : ")";
  auto* value = po::value<std::string>();
  if (default_value) value->default_value(fmt::format("{}", *default_value));
  d.add_options()(o.name, value, help.c_str());
}

std::optional<std::string> text_option(const po::variables_map& vm, const std::string& name) {
  if (!vm.count(name)) return std::nullopt;
  return vm[name].as<std::string>();
}

bool given(const po::variables_map& vm, const std::string& name) { return vm.count(name) && !vm[name].defaulted(); }

std::optional<std::uint64_t> integer_option(const po::variables_map& vm, const IntegerOption& o) {
  const auto text = text_option(vm, o.name);
  if (!text) return std::nullopt;
  return parse_integer(o.name, *text, o.min, o.max);
}

std::optional<double> number_option(const po::variables_map& vm, const NumberOption& o) {
  const auto text = text_option(vm, o.name);
  if (!text) return std::nullopt;
  return parse_number(o.name, *text, o.min, o.max);
}

}  // namespace npusim::sim
