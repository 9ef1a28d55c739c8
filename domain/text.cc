#include "domain/text.h"

#include <cstdint>
#include <string>

namespace feedback::domain {

std::optional<size_t> CountStorableCodePoints(std::string_view text) {
  size_t count = 0;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const auto b0 = static_cast<uint8_t>(text[i]);
    if (b0 == 0) return std::nullopt;
    size_t len;
    uint32_t cp;
    if (b0 < 0x80) {
      len = 1;
      cp = b0;
    } else if ((b0 & 0xE0) == 0xC0) {
      len = 2;
      cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3;
      cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4;
      cp = b0 & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + len > n) return std::nullopt;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<uint8_t>(text[i + k]);
      if ((b & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (b & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return std::nullopt;
    }
    i += len;
    ++count;
  }
  return count;
}

std::optional<std::string> TextProblem(std::string_view value, size_t max, bool required) {
  const std::optional<size_t> length = CountStorableCodePoints(value);
  if (!length) return "must be valid UTF-8 without NUL characters";
  if (required && *length == 0) return "is required";
  if (*length > max) return "must be at most " + std::to_string(max) + " characters";
  return std::nullopt;
}

absl::Status CheckText(std::string_view field, std::string_view value, size_t max,
                       bool required) {
  std::optional<std::string> problem = TextProblem(value, max, required);
  if (!problem) return absl::OkStatus();
  return absl::InvalidArgumentError(std::string(field) + ": " + *problem);
}

}  // namespace feedback::domain
