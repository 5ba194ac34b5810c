#include "sim/report/figures.hpp"

#include <cmath>

#include "npu/common/text.hpp"

#include "sim/report/json.hpp"

namespace npusim::sim {
namespace json = boost::json;
namespace {

void flatten_into(const json::object& o, const std::string& prefix, json::object& out) {
  for (const auto& kv : o) {
    const std::string key = prefix + std::string(kv.key());
    if (kv.value().is_object()) {
      flatten_into(kv.value().as_object(), key + ".", out);
    } else if (!kv.value().is_null() && !kv.value().is_array()) {
      out[key] = kv.value();
    }
  }
}

}  // namespace

json::object flatten_figures(const json::object& stats) {
  json::object out;
  flatten_into(stats, "", out);
  return out;
}

double fig_number(const json::object& fig, const std::string& key) {
  const auto* v = fig.if_contains(key);
  return v && v->is_number() ? json_double(*v) : NAN;
}

std::string fig_text(const json::object& fig, const std::string& key) {
  const auto* v = fig.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

std::string cycles_text(double c) {
  return c >= 0 && c < 0x1p64 ? grouped(static_cast<std::uint64_t>(c)) : "n/a";
}

}  // namespace npusim::sim
