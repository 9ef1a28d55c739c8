#pragma once

#include <functional>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "storage/feedback_store.h"

namespace feedback::testing {

// A FeedbackStore that records each batch it is given and answers with a
// programmable function (default: every item stored as new). Thread-safe.
class FakeFeedbackStore final : public storage::FeedbackStore {
 public:
  using Answer = std::function<absl::StatusOr<std::vector<storage::SubmitOutcome>>(
      std::span<const storage::PendingSubmit>)>;

  absl::StatusOr<std::vector<storage::SubmitOutcome>> WriteBatch(
      std::span<const storage::PendingSubmit> batch) override {
    Answer answer;
    {
      absl::MutexLock lock(&mu_);
      batch_sizes_.push_back(batch.size());
      answer = answer_;
    }
    if (answer) return answer(batch);
    std::vector<storage::SubmitOutcome> out;
    for (const auto& p : batch) {
      out.push_back(domain::SubmitResult{p.csat_feedback_id, p.nps_feedback_id, p.received_at,
                                         "", false});
    }
    return out;
  }

  void SetAnswer(Answer answer) {
    absl::MutexLock lock(&mu_);
    answer_ = std::move(answer);
  }
  std::vector<size_t> batch_sizes() const {
    absl::MutexLock lock(&mu_);
    return batch_sizes_;
  }

 private:
  mutable absl::Mutex mu_;
  Answer answer_ ABSL_GUARDED_BY(mu_);
  std::vector<size_t> batch_sizes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace feedback::testing
