#pragma once

#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/clock.h"
#include "domain/complaint.h"
#include "storage/batch_queue.h"
#include "storage/complaint_store.h"

namespace feedback::services {

// One agent's ClaimNextComplaint call waiting for its complaint.
struct ClaimJob {
  storage::ClaimRequest request;
  // The call's deadline: a job still queued when it passes claims nothing.
  absl::Time deadline = absl::InfiniteFuture();
  // True once the client has gone (cancelled); such a job claims nothing.
  absl::AnyInvocable<bool() const> cancelled = [] { return false; };
  // The claimed complaint, NOT_FOUND when none is waiting, or the failure;
  // runs on a batcher thread.
  absl::AnyInvocable<void(absl::StatusOr<domain::Complaint>) &&> done;
};

// Serves concurrent claims together, as the batch writer serves submits:
// whatever claims are queued when a thread is free become one transaction
// (ComplaintStore::ClaimBatch), so the agents share its statements, the
// complaint triggers and the commit instead of queueing on them one by
// one. Claims never wait for a timer. Thread-safe.
class ClaimBatcher {
 public:
  ClaimBatcher(storage::ComplaintStore& store, const domain::Clock& clock,
               storage::BatchQueueOptions options);
  ~ClaimBatcher();  // Stop()s
  ClaimBatcher(const ClaimBatcher&) = delete;
  ClaimBatcher& operator=(const ClaimBatcher&) = delete;

  // Queues `job`: RESOURCE_EXHAUSTED when the queue is full, UNAVAILABLE
  // after Stop(); its `done` runs only when this returns OK.
  absl::Status Enqueue(ClaimJob job);

  // Serves everything already queued, then stops the threads.
  void Stop();

 private:
  void ClaimOne(std::vector<ClaimJob>& jobs) const;

  storage::ComplaintStore& store_;
  const domain::Clock& clock_;
  storage::BatchQueue<ClaimJob> queue_;  // last: its threads call ClaimOne
};

}  // namespace feedback::services
