#pragma once

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace feedback::domain {

// Source of the current time, so tests can control it. Implementations are
// thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The wall clock.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace feedback::domain
