#include "domain/ids.h"

#include <array>
#include <cstdint>
#include <random>

namespace feedback::domain {

std::string NewFeedbackId(absl::Time now) {
  thread_local std::mt19937_64 rng{[] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }()};
  std::array<uint8_t, 16> b{};
  const auto millis = static_cast<uint64_t>(absl::ToUnixMillis(now));
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(millis >> (40 - 8 * i));
  const uint64_t r1 = rng();
  const uint64_t r2 = rng();
  for (int i = 6; i < 16; ++i) {
    b[i] = static_cast<uint8_t>(i < 8 ? r1 >> (8 * i) : r2 >> (8 * (i - 8)));
  }
  b[6] = static_cast<uint8_t>(0x70 | (b[6] & 0x0F));  // version 7
  b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3F));  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0F]);
  }
  return out;
}

}  // namespace feedback::domain
