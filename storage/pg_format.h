#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace feedback::storage {

// `t` as PostgreSQL timestamptz text in UTC with microseconds.
std::string PgTime(absl::Time t);
// The same, or "" for nullopt (bind with NULLIF($n, '')::timestamptz).
std::string PgTimeOrEmpty(const std::optional<absl::Time>& t);

// A JSON object of string values, for jsonb parameters.
std::string JsonObject(const std::map<std::string, std::string>& values);

}  // namespace feedback::storage
