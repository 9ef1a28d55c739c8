#include "services/complaints/claim_batcher.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/time/clock.h"
#include "spdlog/spdlog.h"
#include "storage/statement_deadline.h"

namespace feedback::services {

ClaimBatcher::ClaimBatcher(storage::ComplaintStore& store, const domain::Clock& clock,
                           storage::BatchQueueOptions options)
    : store_(store),
      clock_(clock),
      queue_(options, "claim queue", [this](std::vector<ClaimJob>& jobs) { ClaimOne(jobs); }) {}

ClaimBatcher::~ClaimBatcher() { Stop(); }

absl::Status ClaimBatcher::Enqueue(ClaimJob job) {
  std::vector<ClaimJob> jobs;
  jobs.push_back(std::move(job));
  return queue_.Enqueue(jobs);
}

void ClaimBatcher::Stop() { queue_.Stop(); }

void ClaimBatcher::ClaimOne(std::vector<ClaimJob>& jobs) const {
  // Calls whose client is gone claim nothing: a complaint claimed for them
  // would sit assigned to an agent who never heard of it.
  const absl::Time started = absl::Now();
  std::vector<ClaimJob> live;
  live.reserve(jobs.size());
  for (ClaimJob& job : jobs) {
    if (job.cancelled()) {
      std::move(job.done)(absl::CancelledError("call cancelled"));
    } else if (job.deadline <= started) {
      std::move(job.done)(
          absl::DeadlineExceededError("deadline passed before the claim was made"));
    } else {
      live.push_back(std::move(job));
    }
  }
  if (live.empty()) return;
  std::vector<storage::ClaimRequest> requests;
  requests.reserve(live.size());
  absl::Time deadline = absl::InfinitePast();
  for (ClaimJob& job : live) {
    requests.push_back(std::move(job.request));
    deadline = std::max(deadline, job.deadline);
  }
  // The transaction serves every caller: it may run until the last of them
  // gives up. A caller whose own deadline passes first gets
  // DEADLINE_EXCEEDED from gRPC, its claim's outcome unknown (as for any
  // call cut off by its deadline).
  storage::ScopedStatementDeadline statement_deadline(deadline);
  absl::StatusOr<std::vector<std::optional<domain::Complaint>>> claimed =
      store_.ClaimBatch(requests, clock_.Now());
  if (!claimed.ok() && absl::IsAborted(claimed.status())) {
    // A deadlock or serialization failure rolled everything back: nothing
    // was claimed, so one more attempt is safe. (A lost connection is not
    // retried: its commit may have happened.)
    claimed = store_.ClaimBatch(requests, clock_.Now());
  }
  if (!claimed.ok()) {
    spdlog::warn("batch of {} claims failed: {}", live.size(), claimed.status().ToString());
    for (ClaimJob& job : live) std::move(job.done)(claimed.status());
    return;
  }
  for (size_t i = 0; i < live.size(); ++i) {
    std::optional<domain::Complaint>& c = (*claimed)[i];
    std::move(live[i].done)(c ? absl::StatusOr<domain::Complaint>(*std::move(c))
                              : storage::NothingToClaim());
  }
}

}  // namespace feedback::services
