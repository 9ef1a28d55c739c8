#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/feedback.h"

namespace feedback::storage {

// A validated submission ready to be written, with its ids chosen up front
// so the idempotency record can hold the result.
struct PendingSubmit {
  int64_t api_key_id = 0;
  domain::Submission submission;
  std::string payload_hash;      // domain::PayloadHash(submission)
  std::string csat_feedback_id;  // set iff submission.csat_score
  std::string nps_feedback_id;   // set iff submission.nps_score
  absl::Time received_at;        // whole microseconds
};

using SubmitOutcome = absl::StatusOr<domain::SubmitResult>;

// Durable storage of feedback. Implementations are thread-safe.
class FeedbackStore {
 public:
  virtual ~FeedbackStore() = default;

  // Writes `batch` in one transaction and returns one outcome per item, in
  // order: the stored result (duplicate = true for a replay of an earlier
  // submit with the same payload, including an earlier item of this batch)
  // or ALREADY_EXISTS when the request_id was used with a different payload.
  // A batch-wide error means nothing of the batch was committed: UNAVAILABLE
  // (database lost, or commit outcome unknown) is safe to retry as is.
  virtual absl::StatusOr<std::vector<SubmitOutcome>> WriteBatch(
      std::span<const PendingSubmit> batch) = 0;
};

}  // namespace feedback::storage
