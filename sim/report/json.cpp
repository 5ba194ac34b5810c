#include "sim/report/json.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"

namespace npusim::sim {

std::string json_string(std::string_view s) { return boost::json::serialize(boost::json::string_view(valid_utf8(s))); }

namespace {

/// `compact`: on one line, no spaces (JSON Lines).
void write(std::string& out, const boost::json::value& v, int depth, bool compact) {
  const std::string pad(compact ? 0 : 2 * (depth + 1), ' '), close(compact ? 0 : 2 * depth, ' ');
  const char* open_nl = compact ? "" : "\n";
  const char* sep = compact ? "," : ",\n";
  switch (v.kind()) {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64: out += std::to_string(v.get_int64()); break;
    case boost::json::kind::uint64: out += std::to_string(v.get_uint64()); break;
    case boost::json::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d)) {
        out += "null";
        break;
      }
      std::string s = fmt::format("{}", d);
      if (s.find_first_of(".e") == std::string::npos) s += ".0";
      out += s;
      break;
    }
    case boost::json::kind::string: out += json_string(v.get_string()); break;
    case boost::json::kind::array: {
      const auto& a = v.get_array();
      if (a.empty()) {
        out += "[]";
        break;
      }
      out += "[";
      out += open_nl;
      for (std::size_t i = 0; i < a.size(); ++i) {
        out += pad;
        write(out, a[i], depth + 1, compact);
        out += i + 1 < a.size() ? sep : open_nl;
      }
      out += close + "]";
      break;
    }
    case boost::json::kind::object: {
      const auto& o = v.get_object();
      if (o.empty()) {
        out += "{}";
        break;
      }
      out += "{";
      out += open_nl;
      std::size_t i = 0;
      for (const auto& kv : o) {
        out += pad;
        out += json_string(kv.key());
        out += compact ? ":" : ": ";
        write(out, kv.value(), depth + 1, compact);
        out += ++i < o.size() ? sep : open_nl;
      }
      out += close + "}";
      break;
    }
  }
}

}  // namespace

std::string to_json(const boost::json::value& v) {
  std::string out;
  write(out, v, 0, false);
  out += '\n';
  return out;
}

std::string to_json_line(const boost::json::value& v) {
  std::string out;
  write(out, v, 0, true);
  out += '\n';
  return out;
}

boost::json::value parse_json(const std::string& text, const std::string& source, bool allow_invalid_utf8) {
  boost::json::parse_options opt;
  opt.allow_invalid_utf8 = allow_invalid_utf8;
  boost::json::stream_parser p({}, opt);
  boost::json::error_code ec;
  const std::size_t used = p.write(text.data(), text.size(), ec);
  if (!ec) p.finish(ec);
  if (ec) {
    // Where the parser stopped: the byte it rejected, or the end of a text cut short.
    const std::size_t at = std::min(used, text.size());
    const std::size_t line = 1 + std::count(text.begin(), text.begin() + at, '\n');
    const std::size_t line_start = text.rfind('\n', at == 0 ? 0 : at - 1);
    const std::size_t column = at - (line_start == std::string::npos || at == 0 ? 0 : line_start + 1) + 1;
    throw InputError(fmt::format("{}: invalid JSON at line {}, column {}: {}{}", source, line, column, ec.message(),
                                 at == text.size() ? " (the text ends there: cut short?)" : ""));
  }
  return p.release();
}

std::string json_number_or_na(const boost::json::value& v, const char* spec) {
  return v.is_null() ? std::string("n/a") : fmt::format(fmt::runtime(spec), json_double(v));
}

}  // namespace npusim::sim
