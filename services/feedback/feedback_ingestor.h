#pragma once

#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "domain/api_keys.h"
#include "domain/clock.h"
#include "domain/feedback.h"
#include "storage/batch_writer.h"

namespace feedback::services {

// The ingest use case behind FeedbackService: validates a submission,
// fingerprints its payload, chooses its ids and hands it to the batch
// writer. Never blocks. Thread-safe.
class FeedbackIngestor {
 public:
  using Done = absl::AnyInvocable<void(storage::SubmitOutcome) &&>;
  using BatchDone = absl::AnyInvocable<void(std::vector<storage::SubmitOutcome>) &&>;

  FeedbackIngestor(storage::BatchWriter& writer, const domain::Clock& clock)
      : writer_(writer), clock_(clock) {}

  // Calls `done` exactly once: at once with INVALID_ARGUMENT or
  // RESOURCE_EXHAUSTED/UNAVAILABLE (queue full, shutting down), otherwise on
  // a writer thread once the outcome is committed.
  void Submit(const domain::Caller& caller, domain::Submission submission, Done done);

  // The batch form: each item that arrives as an error, or fails validation,
  // fails alone; the valid items are queued together (all or none). `done`
  // gets one outcome per item, in order, once all are known.
  void SubmitBatch(const domain::Caller& caller,
                   std::vector<absl::StatusOr<domain::Submission>> items, BatchDone done);

 private:
  // Validates and prepares one submission for writing.
  absl::StatusOr<storage::PendingSubmit> Prepare(const domain::Caller& caller,
                                                 domain::Submission submission,
                                                 absl::Time received_at) const;

  storage::BatchWriter& writer_;
  const domain::Clock& clock_;
};

}  // namespace feedback::services
