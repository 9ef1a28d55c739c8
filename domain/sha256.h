#pragma once

#include <string>
#include <string_view>

namespace feedback::domain {

// SHA-256 of `data` as 32 raw bytes.
std::string Sha256(std::string_view data);

// Lower-case hexadecimal form of `bytes`.
std::string HexEncode(std::string_view bytes);

}  // namespace feedback::domain
