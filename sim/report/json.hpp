#pragma once
/// Deterministic, readable JSON text: two-space indentation, keys in insertion order, numbers in
/// their shortest round-trip form (doubles always with a '.' or exponent), non-finite as null.
#include <boost/json.hpp>
#include <string>
#include <string_view>

namespace npusim::sim {

std::string to_json(const boost::json::value& v);
/// The same on one line (JSON Lines), ending in a newline.
std::string to_json_line(const boost::json::value& v);

/// `s` as a JSON string literal, quotes included, by Boost.JSON's serializer; bytes that are
/// not valid UTF-8 become U+FFFD (valid_utf8()), so the output is valid JSON for any bytes.
std::string json_string(std::string_view s);

/// Parses JSON text; malformed text throws InputError naming `source` and the line and column
/// where it stops being JSON. `allow_invalid_utf8`: strings may hold bytes that are not UTF-8.
boost::json::value parse_json(const std::string& text, const std::string& source, bool allow_invalid_utf8 = false);

/// A JSON number as a double.
inline double json_double(const boost::json::value& v) { return v.to_number<double>(); }

/// A number that may be null (an error figure of a non-finite result) with `spec`, such as
/// "{:.1f}", or "n/a".
std::string json_number_or_na(const boost::json::value& v, const char* spec);

/// A JSON number as an unsigned integer (counters are stored as integers, some as doubles).
inline std::uint64_t json_u64(const boost::json::value& v) {
  return v.is_uint64() ? v.get_uint64() : static_cast<std::uint64_t>(json_double(v));
}

}  // namespace npusim::sim
