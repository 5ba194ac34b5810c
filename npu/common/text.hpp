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

}  // namespace npusim
