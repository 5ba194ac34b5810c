#pragma once
/// The `skip:` expressions of sweep files: a small boolean language over a point's parameters.
///
///   expr   := and ("or" and)*
///   and    := not ("and" not)*
///   not    := "not" not | "(" expr ")" | compare
///   compare:= value ("==" | "!=" | "<" | "<=" | ">" | ">=") value | value "in" "[" value ("," value)* "]"
///   value  := NAME | NUMBER | WORD | 'text' | "text"
///
/// A NAME is a parameter of the sweep (an axis or a fixed key such as `order` or
/// `hw.matrix.cube.k`); any other bare word is a constant (`int16`, `100GB/s`). Values compare as
/// numbers when both are numbers with the same unit suffix (`64`, `2.5`, `100GB/s`), else as text
/// (only == and != then). A comparison of two constants is an error: it is almost always a
/// misspelled parameter.
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace npusim::sim {

class SkipExpr {
 public:
  /// Parses `text`; `is_name` tells which bare words are parameters. Throws InputError with
  /// `where` (FILE:LINE:COL) and the column of the problem inside the expression.
  static SkipExpr parse(const std::string& text, const std::function<bool(const std::string&)>& is_name,
                        const std::vector<std::string>& names, const std::string& where);

  /// True when the point is skipped. `value` gives a parameter's value as text. Throws
  /// InputError (naming `where` and the values) when an ordering compares non-numbers.
  bool eval(const std::function<std::string(const std::string&)>& value) const;

  const std::string& text() const { return m_text; }
  struct Node;

 private:
  std::string m_text, m_where;
  std::shared_ptr<const Node> m_root;
};

/// Splits "100GB/s" into 100 and "GB/s"; false when the text does not start with a number.
bool split_quantity(const std::string& text, double& number, std::string& unit);

}  // namespace npusim::sim
