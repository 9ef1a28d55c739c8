#include "storage/batch_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "absl/synchronization/notification.h"
#include "tests/fakes/fake_feedback_store.h"

namespace feedback::storage {
namespace {

using testing::FakeFeedbackStore;

// A job whose outcome lands in `outcomes[index]`; `count` counts arrivals.
WriteJob Job(int index, std::vector<SubmitOutcome>& outcomes, std::atomic<int>& count) {
  PendingSubmit p;
  p.api_key_id = 1;
  p.submission.request_id = "r" + std::to_string(index);
  p.csat_feedback_id = "id-" + std::to_string(index);
  return WriteJob{p, [&outcomes, &count, index](SubmitOutcome o) {
                    outcomes[index] = std::move(o);
                    ++count;
                  }};
}

void WaitFor(const std::atomic<int>& count, int expected) {
  for (int i = 0; i < 2000 && count.load() < expected; ++i) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(count.load(), expected);
}

TEST(BatchWriter, WritesALoneSubmissionWithoutWaitingForMore) {
  FakeFeedbackStore store;
  BatchWriter writer(store, {.capacity = 100, .max_batch = 10, .threads = 1});
  std::vector<SubmitOutcome> outcomes(1, absl::UnknownError("unset"));
  std::atomic<int> count{0};
  std::vector<WriteJob> jobs;
  jobs.push_back(Job(0, outcomes, count));
  ASSERT_TRUE(writer.Enqueue(jobs).ok());
  WaitFor(count, 1);
  ASSERT_TRUE(outcomes[0].ok());
  EXPECT_EQ(outcomes[0]->csat_feedback_id, "id-0");
}

TEST(BatchWriter, DrainsWhatQueuedUpInBatchesCappedAtMaxBatch) {
  FakeFeedbackStore store;
  absl::Notification gate;
  std::atomic<int> calls{0};
  store.SetAnswer([&](std::span<const PendingSubmit> batch)
                      -> absl::StatusOr<std::vector<SubmitOutcome>> {
    if (calls++ == 0) gate.WaitForNotification();  // hold the writer so work piles up
    std::vector<SubmitOutcome> out;
    for (const auto& p : batch) {
      domain::SubmitResult result;
      result.csat_feedback_id = p.csat_feedback_id;
      out.push_back(result);
    }
    return out;
  });
  BatchWriter writer(store, {.capacity = 1000, .max_batch = 10, .threads = 1});
  std::vector<SubmitOutcome> outcomes(36, absl::UnknownError("unset"));
  std::atomic<int> count{0};
  std::vector<WriteJob> first;
  first.push_back(Job(0, outcomes, count));
  ASSERT_TRUE(writer.Enqueue(first).ok());
  while (calls.load() == 0) absl::SleepFor(absl::Milliseconds(1));
  for (int i = 1; i < 36; ++i) {
    std::vector<WriteJob> jobs;
    jobs.push_back(Job(i, outcomes, count));
    ASSERT_TRUE(writer.Enqueue(jobs).ok());
  }
  gate.Notify();
  WaitFor(count, 36);
  EXPECT_EQ(store.batch_sizes(), (std::vector<size_t>{1, 10, 10, 10, 5}));
  for (int i = 0; i < 36; ++i) {
    ASSERT_TRUE(outcomes[i].ok()) << i;
    EXPECT_EQ(outcomes[i]->csat_feedback_id, "id-" + std::to_string(i));  // order kept
  }
}

TEST(BatchWriter, RefusesAtOnceWhenTheQueueIsFull) {
  FakeFeedbackStore store;
  absl::Notification gate;
  store.SetAnswer([&](std::span<const PendingSubmit> batch)
                      -> absl::StatusOr<std::vector<SubmitOutcome>> {
    gate.WaitForNotification();
    return std::vector<SubmitOutcome>(batch.size(), domain::SubmitResult{});
  });
  BatchWriter writer(store, {.capacity = 3, .max_batch = 1, .threads = 1});
  std::vector<SubmitOutcome> outcomes(10, absl::UnknownError("unset"));
  std::atomic<int> count{0};
  std::vector<WriteJob> one;
  one.push_back(Job(0, outcomes, count));
  ASSERT_TRUE(writer.Enqueue(one).ok());
  while (store.batch_sizes().empty()) absl::SleepFor(absl::Milliseconds(1));
  std::vector<WriteJob> three;
  for (int i = 1; i <= 3; ++i) three.push_back(Job(i, outcomes, count));
  ASSERT_TRUE(writer.Enqueue(three).ok());
  std::vector<WriteJob> more;
  more.push_back(Job(4, outcomes, count));
  const absl::Status full = writer.Enqueue(more);
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(more.size(), 1u);  // not taken: the caller still owns it
  gate.Notify();
  WaitFor(count, 4);
}

TEST(BatchWriter, AFailedBatchFailsEveryCallWithUnavailable) {
  FakeFeedbackStore store;
  store.SetAnswer([](std::span<const PendingSubmit>) -> absl::StatusOr<std::vector<SubmitOutcome>> {
    return absl::UnavailableError("database connection lost");
  });
  BatchWriter writer(store, {.capacity = 100, .max_batch = 100, .threads = 1});
  std::vector<SubmitOutcome> outcomes(5, domain::SubmitResult{});
  std::atomic<int> count{0};
  std::vector<WriteJob> jobs;
  for (int i = 0; i < 5; ++i) jobs.push_back(Job(i, outcomes, count));
  ASSERT_TRUE(writer.Enqueue(jobs).ok());
  WaitFor(count, 5);
  for (const auto& o : outcomes) EXPECT_EQ(o.status().code(), absl::StatusCode::kUnavailable);
}

TEST(BatchWriter, RetriesABatchOnceAfterALostConnection) {
  FakeFeedbackStore store;
  std::atomic<int> calls{0};
  store.SetAnswer([&](std::span<const PendingSubmit> batch)
                      -> absl::StatusOr<std::vector<SubmitOutcome>> {
    if (calls++ == 0) return absl::UnavailableError("database connection lost");
    return std::vector<SubmitOutcome>(batch.size(), domain::SubmitResult{});
  });
  BatchWriter writer(store, {.capacity = 100, .max_batch = 100, .threads = 1});
  std::vector<SubmitOutcome> outcomes(3, absl::UnknownError("unset"));
  std::atomic<int> count{0};
  std::vector<WriteJob> jobs;
  for (int i = 0; i < 3; ++i) jobs.push_back(Job(i, outcomes, count));
  ASSERT_TRUE(writer.Enqueue(jobs).ok());
  WaitFor(count, 3);
  for (const auto& o : outcomes) EXPECT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(calls.load(), 2);
}

TEST(BatchWriter, IsolatesASubmissionTheDatabaseRejects) {
  FakeFeedbackStore store;
  store.SetAnswer([](std::span<const PendingSubmit> batch)
                      -> absl::StatusOr<std::vector<SubmitOutcome>> {
    for (const auto& p : batch) {
      if (p.submission.request_id == "r2") return absl::InternalError("database error 22021");
    }
    return std::vector<SubmitOutcome>(batch.size(), domain::SubmitResult{});
  });
  BatchWriter writer(store, {.capacity = 100, .max_batch = 100, .threads = 1});
  std::vector<SubmitOutcome> outcomes(4, absl::UnknownError("unset"));
  std::atomic<int> count{0};
  std::vector<WriteJob> jobs;
  for (int i = 0; i < 4; ++i) jobs.push_back(Job(i, outcomes, count));
  ASSERT_TRUE(writer.Enqueue(jobs).ok());
  WaitFor(count, 4);
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_TRUE(outcomes[1].ok());
  EXPECT_EQ(outcomes[2].status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(outcomes[3].ok());
}

TEST(BatchWriter, StopWritesEverythingQueuedThenRefuses) {
  FakeFeedbackStore store;
  BatchWriter writer(store, {.capacity = 1000, .max_batch = 7, .threads = 2});
  std::vector<SubmitOutcome> outcomes(100, absl::UnknownError("unset"));
  std::atomic<int> count{0};
  std::vector<WriteJob> jobs;
  for (int i = 0; i < 100; ++i) jobs.push_back(Job(i, outcomes, count));
  ASSERT_TRUE(writer.Enqueue(jobs).ok());
  writer.Stop();
  EXPECT_EQ(count.load(), 100);
  for (const auto& o : outcomes) EXPECT_TRUE(o.ok());
  std::vector<WriteJob> late;
  late.push_back(Job(0, outcomes, count));
  EXPECT_EQ(writer.Enqueue(late).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace feedback::storage
