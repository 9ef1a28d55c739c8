#include "domain/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace feedback::domain {

TokenBucket::TokenBucket(double rate_per_second, double burst)
    : interval_(absl::Seconds(1) / std::max(rate_per_second, 1e-6)),
      tolerance_(interval_ * (std::max(std::floor(burst), 1.0) - 1.0)) {}

absl::Duration TokenBucket::TryTake(absl::Time now) {
  const absl::Time next = std::max(next_, now);
  const absl::Duration ahead = next - now;
  if (ahead > tolerance_) return ahead - tolerance_;
  next_ = next + interval_;
  return absl::ZeroDuration();
}

}  // namespace feedback::domain
