#include "storage/pg_array.h"

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

}  // namespace feedback::storage
