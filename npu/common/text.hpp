#pragma once
/// Small text helpers for error messages.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace npusim {

/// Levenshtein distance between two strings.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word`, if it is close enough to be a plausible typo; else empty.
std::string_view closest_match(std::string_view word, const std::vector<std::string_view>& candidates);

/// "12,345": an integer with thousands separators.
std::string grouped(std::uint64_t n);

/// "8 MiB", "1.5 KiB", "512 B": a byte count for people.
std::string human_bytes(double bytes);

/// `s` as valid UTF-8 (RFC 3629): each byte that does not belong to a well-formed sequence
/// (a stray continuation, an overlong form, a surrogate, beyond U+10FFFF, a cut sequence)
/// becomes U+FFFD. Names from files and command lines may hold any bytes; JSON, YAML and CSV
/// outputs may not.
std::string valid_utf8(std::string_view s);

}  // namespace npusim
