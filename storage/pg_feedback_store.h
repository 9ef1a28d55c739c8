#pragma once

#include "domain/complaint.h"
#include "storage/connection_pool.h"
#include "storage/feedback_store.h"

namespace feedback::storage {

// FeedbackStore on PostgreSQL: the feedback and idempotency_keys tables.
// One batch costs one INSERT statement (UNNEST over array parameters), one
// SELECT only when some request_ids were seen before, and one commit.
class PgFeedbackStore final : public FeedbackStore {
 public:
  // `rule` decides which new scores open a follow-up complaint (in the
  // same transaction; its id is returned and repeated on replays).
  explicit PgFeedbackStore(ConnectionPool& pool, domain::ClosedLoopRule rule = {})
      : pool_(pool), rule_(rule) {}

  absl::StatusOr<std::vector<SubmitOutcome>> WriteBatch(
      std::span<const PendingSubmit> batch) override;

  // Deletes up to `limit` idempotency records received before `before`;
  // returns how many. Requests older than that are then treated as new.
  absl::StatusOr<int64_t> PruneIdempotencyRecords(absl::Time before, int limit);

  // Blanks (sets NULL) the free-text comment of up to `limit` feedback rows
  // received before `before`; returns how many. Scores stay.
  absl::StatusOr<int64_t> BlankCommentsReceivedBefore(absl::Time before, int limit);

 private:
  ConnectionPool& pool_;
  const domain::ClosedLoopRule rule_;
};

}  // namespace feedback::storage
