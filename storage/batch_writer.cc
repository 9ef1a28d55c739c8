#include "storage/batch_writer.h"

#include <utility>

#include "spdlog/spdlog.h"

namespace feedback::storage {

BatchWriter::BatchWriter(FeedbackStore& store, BatchWriterOptions options)
    : store_(store), options_(options) {
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { Run(); });
}

BatchWriter::~BatchWriter() { Stop(); }

absl::Status BatchWriter::Enqueue(std::vector<WriteJob>& jobs) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("server is shutting down");
  if (queue_.size() + jobs.size() > options_.queue_capacity) {
    return absl::ResourceExhaustedError("server overloaded: write queue full, retry later");
  }
  for (WriteJob& job : jobs) queue_.push_back(std::move(job));
  jobs.clear();
  return absl::OkStatus();
}

void BatchWriter::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void BatchWriter::Run() {
  std::vector<PendingSubmit> submits;
  std::vector<Done> dones;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || stopping_;
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping and drained
      const size_t n = std::min(queue_.size(), options_.max_batch);
      for (size_t i = 0; i < n; ++i) {
        submits.push_back(std::move(queue_.front().submit));
        dones.push_back(std::move(queue_.front().done));
        queue_.pop_front();
      }
    }
    WriteOne(submits, dones);
    submits.clear();
    dones.clear();
  }
}

void BatchWriter::WriteOne(const std::vector<PendingSubmit>& submits, std::vector<Done>& dones) {
  absl::StatusOr<std::vector<SubmitOutcome>> outcomes = store_.WriteBatch(submits);
  if (!outcomes.ok() &&
      (absl::IsAborted(outcomes.status()) || absl::IsUnavailable(outcomes.status()))) {
    // One more attempt after a transaction conflict or a lost connection
    // (the pool replaces it, e.g. after a database restart). The write is
    // idempotent: if the first attempt did commit, the store recognizes its
    // own ids.
    outcomes = store_.WriteBatch(submits);
  }
  if (!outcomes.ok() && !absl::IsUnavailable(outcomes.status()) && submits.size() > 1) {
    // Not a lost database: something in one submission upsets the database.
    // Write each alone so the others still succeed and the culprit fails alone.
    spdlog::error("batch of {} failed ({}); retrying one by one", submits.size(),
                  outcomes.status().ToString());
    for (size_t i = 0; i < submits.size(); ++i) {
      absl::StatusOr<std::vector<SubmitOutcome>> single =
          store_.WriteBatch(std::span<const PendingSubmit>(&submits[i], 1));
      std::move(dones[i])(single.ok() ? std::move((*single)[0]) : SubmitOutcome(single.status()));
    }
    return;
  }
  if (!outcomes.ok()) {
    const absl::Status failure = absl::IsUnavailable(outcomes.status())
                                     ? outcomes.status()
                                     : absl::UnavailableError(outcomes.status().message());
    spdlog::warn("batch of {} not written: {}", submits.size(), failure.ToString());
    for (Done& done : dones) std::move(done)(failure);
    return;
  }
  for (size_t i = 0; i < dones.size(); ++i) std::move(dones[i])(std::move((*outcomes)[i]));
}

}  // namespace feedback::storage
