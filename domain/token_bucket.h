#pragma once

#include "absl/time/time.h"

namespace feedback::domain {

// A token bucket: `rate_per_second` tokens refill a bucket holding at most
// `burst` (at least 1); it starts full. Kept as the time at which the bucket
// will next be full minus its burst (the generic cell rate algorithm), so
// the arithmetic is exact in absl::Duration. Not thread-safe.
class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double burst);

  // Takes one token at `now` and returns zero, or takes nothing and returns
  // how long until a token will be there (waiting that long is enough).
  absl::Duration TryTake(absl::Time now);

 private:
  absl::Duration interval_;   // time one token takes to refill
  absl::Duration tolerance_;  // (burst - 1) intervals
  absl::Time next_ = absl::InfinitePast();
};

}  // namespace feedback::domain
