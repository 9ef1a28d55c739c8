#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace feedback::storage {

// Builds the text form of a PostgreSQL array ('{"a","b",NULL}') to bind as
// one parameter, e.g. for `unnest($1::text[])`. Every element is quoted and
// escaped, so any text is safe.
class PgArrayBuilder {
 public:
  void Add(std::string_view value);
  void AddNull();
  void AddOptional(const std::optional<std::string>& value) {
    value ? Add(*value) : AddNull();
  }
  // Empty text becomes NULL.
  void AddOrNull(std::string_view value) { value.empty() ? AddNull() : Add(value); }

  // The literal; the builder can be reused after Clear().
  std::string Build() const { return out_ + "}"; }
  void Clear() { out_ = "{"; }

 private:
  void Separator() {
    if (out_.size() > 1) out_.push_back(',');
  }
  std::string out_ = "{";
};

// Parses the text form of a one-dimensional integer array ("{1,-2,3}",
// "{}") into `out`; false (and `out` unspecified) for anything else,
// including NULL elements.
bool ParseIntArray(std::string_view text, std::vector<int64_t>& out);

}  // namespace feedback::storage
