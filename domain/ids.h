#pragma once

#include <string>

#include "absl/time/time.h"

namespace feedback::domain {

// A new feedback id: a UUID version 7 (48-bit Unix milliseconds followed by
// random bits) in canonical lower-case text form. Ids generated later sort
// later, which keeps the primary-key index append-mostly. Thread-safe.
std::string NewFeedbackId(absl::Time now);

}  // namespace feedback::domain
