#include "services/feedback/feedback_ingestor.h"

#include <memory>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "domain/feedback_validation.h"
#include "domain/ids.h"
#include "domain/payload_hash.h"

namespace feedback::services {

absl::StatusOr<storage::PendingSubmit> FeedbackIngestor::Prepare(
    const domain::Caller& caller, domain::Submission submission, absl::Time received_at) const {
  if (absl::Status st = domain::ValidateSubmission(submission, received_at); !st.ok()) {
    return st;
  }
  storage::PendingSubmit pending;
  pending.api_key_id = caller.key_id;
  pending.payload_hash = domain::PayloadHash(submission);
  if (submission.csat_score) pending.csat_feedback_id = domain::NewFeedbackId(received_at);
  if (submission.nps_score) pending.nps_feedback_id = domain::NewFeedbackId(received_at);
  pending.received_at = received_at;
  pending.submission = std::move(submission);
  return pending;
}

void FeedbackIngestor::Submit(const domain::Caller& caller, domain::Submission submission,
                              Done done) {
  // The database keeps microseconds; so does the answer, which a replay
  // then repeats exactly.
  const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
  absl::StatusOr<storage::PendingSubmit> pending = Prepare(caller, std::move(submission), now);
  if (!pending.ok()) {
    std::move(done)(pending.status());
    return;
  }
  std::vector<storage::WriteJob> jobs;
  jobs.push_back(storage::WriteJob{*std::move(pending), std::move(done)});
  if (absl::Status st = writer_.Enqueue(jobs); !st.ok()) {
    std::move(jobs.front().done)(st);
  }
}

namespace {

// Collects the outcomes of one batch; the last one to arrive reports all.
class BatchCollector {
 public:
  BatchCollector(size_t size, FeedbackIngestor::BatchDone done)
      : outcomes_(size, absl::UnknownError("not written")), done_(std::move(done)) {}

  void Expect(size_t count) {
    absl::MutexLock lock(&mu_);
    remaining_ += count;
  }

  // Records outcome `index`; reports when it was the last one expected.
  void Set(size_t index, storage::SubmitOutcome outcome) {
    {
      absl::MutexLock lock(&mu_);
      outcomes_[index] = std::move(outcome);
      if (--remaining_ > 0) return;
    }
    std::move(done_)(std::move(outcomes_));
  }

 private:
  absl::Mutex mu_;
  std::vector<storage::SubmitOutcome> outcomes_ ABSL_GUARDED_BY(mu_);
  size_t remaining_ ABSL_GUARDED_BY(mu_) = 0;
  FeedbackIngestor::BatchDone done_;
};

}  // namespace

void FeedbackIngestor::SubmitBatch(const domain::Caller& caller,
                                   std::vector<absl::StatusOr<domain::Submission>> items,
                                   BatchDone done) {
  const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
  auto collector = std::make_shared<BatchCollector>(items.size(), std::move(done));
  collector->Expect(items.size());
  std::vector<storage::WriteJob> jobs;
  std::vector<std::pair<size_t, absl::Status>> invalid;
  for (size_t i = 0; i < items.size(); ++i) {
    absl::StatusOr<storage::PendingSubmit> pending =
        items[i].ok() ? Prepare(caller, *std::move(items[i]), now)
                      : absl::StatusOr<storage::PendingSubmit>(items[i].status());
    if (!pending.ok()) {
      invalid.emplace_back(i, pending.status());
      continue;
    }
    jobs.push_back(storage::WriteJob{
        *std::move(pending),
        [collector, i](storage::SubmitOutcome outcome) { collector->Set(i, std::move(outcome)); }});
  }
  if (!jobs.empty()) {
    std::vector<storage::WriteJob> attempt = std::move(jobs);
    if (absl::Status st = writer_.Enqueue(attempt); !st.ok()) {
      // Nothing was queued: every valid item gets the queue's answer.
      for (storage::WriteJob& job : attempt) std::move(job.done)(st);
    }
  }
  for (auto& [index, status] : invalid) collector->Set(index, std::move(status));
}

}  // namespace feedback::services
