#include "sim/sweep/expr.hpp"

#include <cctype>
#include <cstdlib>
#include <fmt/format.h>

#include "npu/common/error.hpp"
#include "npu/common/text.hpp"

namespace npusim::sim {

bool split_quantity(const std::string& text, double& number, std::string& unit) {
  if (text.empty()) return false;
  const char* begin = text.c_str();
  char* end = nullptr;
  number = std::strtod(begin, &end);
  if (end == begin || std::isspace(static_cast<unsigned char>(*begin))) return false;
  const std::string rest(end);
  // "inf", "nan" and hex floats are not quantities of a sweep.
  if (!std::isdigit(static_cast<unsigned char>(text[text[0] == '-' || text[0] == '+' ? 1 : 0])) &&
      text[text[0] == '-' || text[0] == '+' ? 1 : 0] != '.') {
    return false;
  }
  if (text.find_first_of("xX") < static_cast<std::size_t>(end - begin)) return false;
  unit = rest;
  return true;
}

struct SkipExpr::Node {
  enum class Kind { name, constant, compare, in, op_and, op_or, op_not } kind;
  std::string text;  ///< name, constant or comparison operator
  std::vector<std::shared_ptr<const Node>> kids;
};

namespace {

using NodePtr = std::shared_ptr<const SkipExpr::Node>;
using Kind = SkipExpr::Node::Kind;

struct Token {
  enum class Type { word, quoted, symbol, end } type;
  std::string text;
  std::size_t column;  ///< 1-based inside the expression
};

class Parser {
 public:
  Parser(const std::string& text, const std::function<bool(const std::string&)>& is_name,
         const std::vector<std::string>& names, const std::string& where)
      : m_text(text), m_is_name(is_name), m_names(names), m_where(where) {
    tokenize();
  }

  NodePtr parse() {
    if (m_tokens.front().type == Token::Type::end) fail(1, "empty expression");
    NodePtr e = expr();
    if (peek().type != Token::Type::end) fail(peek().column, fmt::format("unexpected '{}'", peek().text));
    return e;
  }

 private:
  [[noreturn]] void fail(std::size_t column, const std::string& what) const {
    throw InputError(fmt::format("{}: skip '{}': column {}: {}", m_where, m_text, column, what));
  }

  void tokenize() {
    std::size_t i = 0;
    while (i < m_text.size()) {
      const char c = m_text[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      const std::size_t col = i + 1;
      if (c == '\'' || c == '"') {
        const auto close = m_text.find(c, i + 1);
        if (close == std::string::npos) fail(col, "unterminated quoted text");
        m_tokens.push_back({Token::Type::quoted, m_text.substr(i + 1, close - i - 1), col});
        i = close + 1;
        continue;
      }
      if (c == '(' || c == ')' || c == '[' || c == ']' || c == ',') {
        m_tokens.push_back({Token::Type::symbol, std::string(1, c), col});
        ++i;
        continue;
      }
      if (c == '=' || c == '!' || c == '<' || c == '>') {
        std::string op(1, c);
        if (i + 1 < m_text.size() && m_text[i + 1] == '=') op += '=';
        if (op == "=" || op == "!") fail(col, fmt::format("unknown operator '{}'; comparisons are == != < <= > >=", op));
        m_tokens.push_back({Token::Type::symbol, op, col});
        i += op.size();
        continue;
      }
      std::size_t j = i;
      while (j < m_text.size() && (std::isalnum(static_cast<unsigned char>(m_text[j])) ||
                                   std::string_view("_.+-/").find(m_text[j]) != std::string_view::npos)) {
        ++j;
      }
      if (j == i) fail(col, fmt::format("unexpected character '{}'", c));
      m_tokens.push_back({Token::Type::word, m_text.substr(i, j - i), col});
      i = j;
    }
    m_tokens.push_back({Token::Type::end, "end of expression", m_text.size() + 1});
  }

  const Token& peek() const { return m_tokens[m_pos]; }
  bool is_keyword(const char* k) const { return peek().type == Token::Type::word && peek().text == k; }
  bool is_symbol(const char* s) const { return peek().type == Token::Type::symbol && peek().text == s; }
  void expect(const char* s) {
    if (!is_symbol(s)) fail(peek().column, fmt::format("expected '{}', got '{}'", s, peek().text));
    ++m_pos;
  }

  NodePtr expr() {
    NodePtr left = conjunction();
    while (is_keyword("or")) {
      ++m_pos;
      left = std::make_shared<SkipExpr::Node>(SkipExpr::Node{Kind::op_or, "or", {left, conjunction()}});
    }
    return left;
  }

  NodePtr conjunction() {
    NodePtr left = negation();
    while (is_keyword("and")) {
      ++m_pos;
      left = std::make_shared<SkipExpr::Node>(SkipExpr::Node{Kind::op_and, "and", {left, negation()}});
    }
    return left;
  }

  NodePtr negation() {
    if (is_keyword("not")) {
      ++m_pos;
      return std::make_shared<SkipExpr::Node>(SkipExpr::Node{Kind::op_not, "not", {negation()}});
    }
    if (is_symbol("(")) {
      ++m_pos;
      NodePtr e = expr();
      expect(")");
      return e;
    }
    return comparison();
  }

  NodePtr comparison() {
    const Token& first = peek();
    NodePtr left = value();
    if (is_keyword("in")) {
      ++m_pos;
      expect("[");
      std::vector<NodePtr> kids{left};
      for (;;) {
        kids.push_back(value());
        if (is_symbol("]")) break;
        expect(",");
      }
      ++m_pos;
      check_not_constants(first, kids);
      return std::make_shared<SkipExpr::Node>(SkipExpr::Node{Kind::in, "in", kids});
    }
    const Token& op = peek();
    static const std::vector<std::string> ops = {"==", "!=", "<", "<=", ">", ">="};
    if (op.type != Token::Type::symbol || std::find(ops.begin(), ops.end(), op.text) == ops.end()) {
      fail(op.column, fmt::format("expected a comparison (== != < <= > >= in) after '{}', got '{}'", first.text,
                                  op.text));
    }
    ++m_pos;
    NodePtr right = value();
    check_not_constants(first, {left, right});
    return std::make_shared<SkipExpr::Node>(SkipExpr::Node{Kind::compare, op.text, {left, right}});
  }

  /// A comparison without any parameter is a misspelled name.
  void check_not_constants(const Token& first, const std::vector<NodePtr>& kids) const {
    for (const auto& k : kids) {
      if (k->kind == Kind::name) return;
    }
    std::string msg = fmt::format("compares constants only; '{}' is not a parameter of this sweep", first.text);
    std::vector<std::string_view> names(m_names.begin(), m_names.end());
    const auto near = closest_match(first.text, names);
    if (!near.empty()) msg += fmt::format("; did you mean '{}'?", near);
    std::string all;
    for (const auto& n : m_names) all += (all.empty() ? "" : ", ") + n;
    fail(first.column, msg + fmt::format(" (parameters: {})", all));
  }

  NodePtr value() {
    const Token t = peek();
    if (t.type == Token::Type::quoted) {
      ++m_pos;
      return std::make_shared<SkipExpr::Node>(SkipExpr::Node{Kind::constant, t.text, {}});
    }
    if (t.type != Token::Type::word || t.text == "and" || t.text == "or" || t.text == "not" || t.text == "in") {
      fail(t.column, fmt::format("expected a parameter or a value, got '{}'", t.text));
    }
    ++m_pos;
    return std::make_shared<SkipExpr::Node>(SkipExpr::Node{m_is_name(t.text) ? Kind::name : Kind::constant, t.text, {}});
  }

  const std::string& m_text;
  const std::function<bool(const std::string&)>& m_is_name;
  const std::vector<std::string>& m_names;
  const std::string& m_where;
  std::vector<Token> m_tokens;
  std::size_t m_pos = 0;
};

bool evaluate(const SkipExpr::Node& n, const std::function<std::string(const std::string&)>& value,
              const std::string& where, const std::string& text) {
  auto resolve = [&](const SkipExpr::Node& v) { return v.kind == Kind::name ? value(v.text) : v.text; };
  auto compare = [&](const std::string& a, const std::string& b, const std::string& op) {
    double x = 0, y = 0;
    std::string ux, uy;
    if (split_quantity(a, x, ux) && split_quantity(b, y, uy) && ux == uy) {
      if (op == "==") return x == y;
      if (op == "!=") return x != y;
      if (op == "<") return x < y;
      if (op == "<=") return x <= y;
      if (op == ">") return x > y;
      return x >= y;
    }
    if (op == "==") return a == b;
    if (op == "!=") return a != b;
    throw InputError(fmt::format("{}: skip '{}': cannot order '{}' and '{}' ({} needs two numbers with the same unit)",
                                 where, text, a, b, op));
  };
  switch (n.kind) {
    case Kind::op_or: return evaluate(*n.kids[0], value, where, text) || evaluate(*n.kids[1], value, where, text);
    case Kind::op_and: return evaluate(*n.kids[0], value, where, text) && evaluate(*n.kids[1], value, where, text);
    case Kind::op_not: return !evaluate(*n.kids[0], value, where, text);
    case Kind::compare: return compare(resolve(*n.kids[0]), resolve(*n.kids[1]), n.text);
    case Kind::in: {
      const std::string v = resolve(*n.kids[0]);
      for (std::size_t i = 1; i < n.kids.size(); ++i) {
        if (compare(v, resolve(*n.kids[i]), "==")) return true;
      }
      return false;
    }
    case Kind::name: case Kind::constant: break;
  }
  NPUSIM_ASSERT(false, "skip expression: a value where a condition belongs");
}

}  // namespace

SkipExpr SkipExpr::parse(const std::string& text, const std::function<bool(const std::string&)>& is_name,
                         const std::vector<std::string>& names, const std::string& where) {
  SkipExpr e;
  e.m_text = text;
  e.m_where = where;
  e.m_root = Parser(text, is_name, names, where).parse();
  return e;
}

bool SkipExpr::eval(const std::function<std::string(const std::string&)>& value) const {
  return evaluate(*m_root, value, m_where, m_text);
}

}  // namespace npusim::sim
