#include "storage/batch_writer.h"

#include <utility>

#include "spdlog/spdlog.h"

namespace feedback::storage {

BatchWriter::BatchWriter(FeedbackStore& store, BatchWriterOptions options)
    : store_(store),
      queue_(options, "write queue", [this](std::vector<WriteJob>& jobs) { WriteOne(jobs); }) {}

BatchWriter::~BatchWriter() { Stop(); }

absl::Status BatchWriter::Enqueue(std::vector<WriteJob>& jobs) { return queue_.Enqueue(jobs); }

void BatchWriter::Stop() { queue_.Stop(); }

void BatchWriter::WriteOne(std::vector<WriteJob>& jobs) const {
  std::vector<PendingSubmit> submits;
  submits.reserve(jobs.size());
  for (WriteJob& job : jobs) submits.push_back(std::move(job.submit));
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
      std::move(jobs[i].done)(single.ok() ? std::move((*single)[0])
                                          : SubmitOutcome(single.status()));
    }
    return;
  }
  if (!outcomes.ok()) {
    const absl::Status failure = absl::IsUnavailable(outcomes.status())
                                     ? outcomes.status()
                                     : absl::UnavailableError(outcomes.status().message());
    spdlog::warn("batch of {} not written: {}", submits.size(), failure.ToString());
    for (WriteJob& job : jobs) std::move(job.done)(failure);
    return;
  }
  for (size_t i = 0; i < jobs.size(); ++i) std::move(jobs[i].done)(std::move((*outcomes)[i]));
}

}  // namespace feedback::storage
