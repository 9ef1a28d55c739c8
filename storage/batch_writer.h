#pragma once

#include <cstddef>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "storage/batch_queue.h"
#include "storage/feedback_store.h"

namespace feedback::storage {

// capacity: most submissions waiting; max_batch: most in one transaction;
// threads: writer threads (each holds one connection while writing).
using BatchWriterOptions = BatchQueueOptions;

// One submission and what to do once its outcome is known.
struct WriteJob {
  PendingSubmit submit;
  // Runs on a writer thread after the transaction committed (or failed).
  absl::AnyInvocable<void(SubmitOutcome) &&> done;
};

// Groups concurrent submissions into one transaction each. Writer threads
// take whatever is queued (up to max_batch; no timer, so a lone submission is
// written at once), write it with FeedbackStore::WriteBatch and only then
// report each outcome. When a batch fails, every job in it fails with
// UNAVAILABLE — never an OK for an unwritten row. Thread-safe.
class BatchWriter {
 public:
  BatchWriter(FeedbackStore& store, BatchWriterOptions options);
  ~BatchWriter();  // Stop()s
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Queues all of `jobs` or none: RESOURCE_EXHAUSTED when they do not fit,
  // UNAVAILABLE after Stop(). On error no `done` runs.
  absl::Status Enqueue(std::vector<WriteJob>& jobs);

  // Writes everything already queued, then stops the threads.
  void Stop();

 private:
  // Writes one batch and reports each job's outcome.
  void WriteOne(std::vector<WriteJob>& jobs) const;

  FeedbackStore& store_;
  BatchQueue<WriteJob> queue_;  // last: its threads call WriteOne
};

}  // namespace feedback::storage
