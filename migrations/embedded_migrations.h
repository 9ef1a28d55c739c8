#pragma once

#include <string>
#include <vector>

namespace feedback::migrations {

// One forward-only schema migration, from migrations/NNNN_name.sql.
struct Migration {
  int version = 0;
  std::string name;  // file name without ".sql", e.g. "0001_feedback"
  std::string sql;
};

// Every migration compiled into this binary, in version order.
const std::vector<Migration>& Embedded();

}  // namespace feedback::migrations
