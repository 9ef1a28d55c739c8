#include "storage/pg_array.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace feedback::storage {

void PgArrayBuilder::Add(std::string_view value) {
  Separator();
  out_.push_back('"');
  for (const char c : value) {
    if (c == '"' || c == '\\') out_.push_back('\\');
    out_.push_back(c);
  }
  out_.push_back('"');
}

void PgArrayBuilder::AddNull() {
  Separator();
  out_.append("NULL");
}

bool ParseIntArray(std::string_view text, std::vector<int64_t>& out) {
  out.clear();
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return false;
  text = text.substr(1, text.size() - 2);
  if (text.empty()) return true;
  for (absl::string_view item : absl::StrSplit(absl::string_view(text.data(), text.size()), ',')) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(item, &v)) return false;
    out.push_back(v);
  }
  return true;
}

}  // namespace feedback::storage
