#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace feedback::domain {

// Number of Unicode code points in `text` when it is well-formed UTF-8 with
// no NUL characters (text the database can store); nullopt otherwise.
std::optional<size_t> CountStorableCodePoints(std::string_view text);

// What is wrong with `value` as text of at most `max` code points ("must be
// at most 64 characters", ...), or nullopt when nothing is.
std::optional<std::string> TextProblem(std::string_view value, size_t max, bool required);

// OK when `value` is storable text of at most `max` code points (and not
// empty when `required`); INVALID_ARGUMENT "<field>: <problem>" otherwise.
absl::Status CheckText(std::string_view field, std::string_view value, size_t max,
                       bool required = false);

}  // namespace feedback::domain
