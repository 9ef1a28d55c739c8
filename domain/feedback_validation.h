#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "domain/feedback.h"

namespace feedback::domain {

// Size limits of a submission (code points unless noted).
struct FeedbackLimits {
  static constexpr size_t kRequestId = 128;
  static constexpr size_t kCustomerId = 128;
  static constexpr size_t kPhone = 32;
  static constexpr size_t kEmail = 254;
  static constexpr size_t kDisplayName = 200;
  static constexpr size_t kInteractionId = 128;
  static constexpr size_t kAgentId = 128;
  static constexpr size_t kQueue = 64;
  static constexpr size_t kComplaintId = 128;
  static constexpr size_t kComment = 4000;
  static constexpr size_t kAttributes = 20;  // entries
  static constexpr size_t kAttributeKey = 64;
  static constexpr size_t kAttributeValue = 256;
  static constexpr size_t kBatchItems = 1000;
};

// How far in the future occurred_at may lie (clock skew of the caller), and
// the earliest accepted occurred_at.
inline constexpr absl::Duration kMaxFutureSkew = absl::Minutes(5);
absl::Time EarliestOccurredAt();

// OK when `submission` obeys every rule of the contract; otherwise
// INVALID_ARGUMENT whose message starts with the offending field's name
// (e.g. "score: must be between 1 and 5"). `now` is the receive time.
absl::Status ValidateSubmission(const Submission& submission, absl::Time now);

// OK when a batch of `item_count` items is acceptable (1 to kBatchItems).
absl::Status ValidateBatchSize(size_t item_count);

}  // namespace feedback::domain
