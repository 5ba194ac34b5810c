#pragma once
/// Command-line values checked where they enter. Every option has a documented range; a value
/// out of range, or not a number at all, is a usage error naming the option, the range and the
/// value as typed (`--batch -1: expected an integer in [1, 1048576]`). Numbers are declared to
/// Boost.program_options as text and converted here, so that "-1" never wraps to 4294967295
/// and 0 is never taken for "the default". Every command (run, compare, experiment, and the
/// commands to come) declares and reads its options through these helpers.
#include <boost/program_options.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace npusim::sim {

/// A command-line mistake: reported with the command's usage, exit code 2.
struct UsageError {
  std::string message;
};

/// A whole-number option and its documented range.
struct IntegerOption {
  const char* name;  ///< without the dashes: "batch"
  std::uint64_t min;
  std::uint64_t max;
  const char* help;  ///< what it means; the range and the default are appended
};

/// A number option and its documented range (closed).
struct NumberOption {
  const char* name;
  double min;
  double max;
  const char* help;
};

/// Declares `o` on `d` (as text), with its range and default in the help.
void add_option(boost::program_options::options_description& d, const IntegerOption& o,
                std::optional<std::uint64_t> default_value = std::nullopt);
void add_option(boost::program_options::options_description& d, const NumberOption& o,
                std::optional<double> default_value = std::nullopt);

/// The value of `o`, checked against its range; nullopt when it was not given and has no default.
std::optional<std::uint64_t> integer_option(const boost::program_options::variables_map& vm, const IntegerOption& o);
std::optional<double> number_option(const boost::program_options::variables_map& vm, const NumberOption& o);
/// The value of a text option, nullopt when absent.
std::optional<std::string> text_option(const boost::program_options::variables_map& vm, const std::string& name);
/// True when the option was given on the command line (not just defaulted).
bool given(const boost::program_options::variables_map& vm, const std::string& name);

/// `text` as a whole number in [min, max] for option `name`; UsageError otherwise.
std::uint64_t parse_integer(const std::string& name, const std::string& text, std::uint64_t min, std::uint64_t max);
/// `text` as a finite number in [min, max] for option `name`; UsageError otherwise.
double parse_number(const std::string& name, const std::string& text, double min, double max);
/// `text` as a size in bytes ("8GiB", "512MB", "1000000"), at least `min`.
std::uint64_t parse_size(const std::string& name, const std::string& text, std::uint64_t min);
/// A comma-separated list ("fla_blocked, neumann"): items trimmed of spaces; an empty item is
/// a UsageError naming the option.
std::vector<std::string> parse_list(const std::string& name, const std::string& text);

/// "an integer in [1, 1048576]", "an integer >= 0", as the messages and the help say it.
std::string integer_range(std::uint64_t min, std::uint64_t max);

}  // namespace npusim::sim
