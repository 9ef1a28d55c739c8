#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace feedback::domain {

// Number of Unicode code points in `text` when it is well-formed UTF-8 with
// no NUL characters (text the database can store); nullopt otherwise.
std::optional<size_t> CountStorableCodePoints(std::string_view text);

}  // namespace feedback::domain
