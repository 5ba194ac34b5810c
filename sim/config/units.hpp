#pragma once
/// Quantities with units in config values: "8MiB", "64B/cycle", "1.5TB/s", "1.2GHz".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace npusim::sim {

/// Bytes: an integer, or a number with B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB
/// (powers of 1024). Must come out as a whole number of bytes.
std::optional<std::uint64_t> parse_bytes(std::string_view text);

/// Frequency: a number with Hz, kHz, MHz or GHz.
std::optional<double> parse_hertz(std::string_view text);

/// Bandwidth in bytes per cycle: a plain number, "N B/cycle" (also KiB/cycle...), or a rate per
/// second ("N GB/s", "N GiB/s", ...) converted with `clock_hz`. `needs_clock` is set when a
/// per-second rate is given without a clock.
std::optional<double> parse_bytes_per_cycle(std::string_view text, std::optional<double> clock_hz, bool* needs_clock);

/// A rate "2", "1/4" or "0.5" as a fraction num/den (decimals are turned into fractions).
std::optional<std::pair<std::uint32_t, std::uint32_t>> parse_ratio(std::string_view text);

/// Formats values the way the resolved config writes them.
std::string format_bytes(std::uint64_t bytes);
std::string format_hertz(double hz);
std::string format_bytes_per_cycle(double v);

}  // namespace npusim::sim
