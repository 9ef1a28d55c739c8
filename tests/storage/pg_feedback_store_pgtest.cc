#include "storage/pg_feedback_store.h"

#include <gtest/gtest.h>

#include <pqxx/transaction>

#include <atomic>
#include <thread>

#include "domain/ids.h"
#include "domain/payload_hash.h"
#include "absl/synchronization/notification.h"
#include "storage/batch_writer.h"
#include "storage/fold/folder.h"
#include "storage/pg_array.h"
#include "tests/support/test_database.h"

namespace feedback::storage {
namespace {

const absl::Time kReceived = absl::FromUnixMicros(1790000000123456);

PendingSubmit Rating(const std::string& request_id, int score, int64_t key = 1) {
  PendingSubmit p;
  p.api_key_id = key;
  p.submission.kind = domain::SubmitKind::kRating;
  p.submission.request_id = request_id;
  p.submission.channel = 1;
  p.submission.csat_score = score;
  p.payload_hash = domain::PayloadHash(p.submission);
  p.csat_feedback_id = domain::NewFeedbackId(kReceived);
  p.received_at = kReceived;
  return p;
}

// A fresh copy of `p` as a client's retry produces it: same payload, new ids.
PendingSubmit Retry(PendingSubmit p) {
  if (!p.csat_feedback_id.empty()) p.csat_feedback_id = domain::NewFeedbackId(kReceived);
  if (!p.nps_feedback_id.empty()) p.nps_feedback_id = domain::NewFeedbackId(kReceived);
  p.received_at = kReceived + absl::Seconds(3);
  return p;
}

class PgFeedbackStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FEEDBACK_REQUIRE_TEST_DATABASE(db_);
    pool_ = std::make_unique<ConnectionPool>(PoolOptions{db_->url(), 4});
    store_ = std::make_unique<PgFeedbackStore>(*pool_);
  }
  std::vector<SubmitOutcome> Write(std::vector<PendingSubmit> batch) {
    auto out = store_->WriteBatch(batch);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : std::vector<SubmitOutcome>{};
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<ConnectionPool> pool_;
  std::unique_ptr<PgFeedbackStore> store_;
};

TEST_F(PgFeedbackStoreTest, StoresEveryFieldOfASubmission) {
  PendingSubmit p;
  p.api_key_id = 7;
  domain::Submission& s = p.submission;
  s.kind = domain::SubmitKind::kSurvey;
  s.request_id = "order-9 \"quoted\" \\ back{slash},";
  s.channel = 2;
  s.customer = {"cust-1", "+49 30 1234", "ann@example.com", "Ann \"A\" O'Neil"};
  s.interaction_id = "order-9";
  s.agent_id = "agent-3";
  s.queue = "checkout";
  s.csat_score = 2;
  s.nps_score = 9;
  s.comment = "multi\nline, {braces} \"quotes\" \\ NULL é €";
  s.occurred_at = absl::FromUnixMicros(1789999000000001);
  s.attributes = {{"sku", "A-1"}, {"tab\tkey", "quote\"value\\"}};
  p.payload_hash = domain::PayloadHash(s);
  p.csat_feedback_id = domain::NewFeedbackId(kReceived);
  p.nps_feedback_id = domain::NewFeedbackId(kReceived);
  p.received_at = kReceived;

  std::vector<SubmitOutcome> out = Write({p});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].ok()) << out[0].status();
  EXPECT_FALSE(out[0]->duplicate);
  EXPECT_EQ(out[0]->csat_feedback_id, p.csat_feedback_id);
  EXPECT_EQ(out[0]->nps_feedback_id, p.nps_feedback_id);

  pqxx::result rows = db_->Query(
      "SELECT id::text, kind, score, channel, customer_id, customer_phone, customer_email, "
      "customer_name, interaction_id, agent_id, queue, comment, attributes::text, "
      "coalesce(complaint_id, '<null>'), api_key_id, "
      "(extract(epoch FROM occurred_at) * 1000000)::bigint, "
      "(extract(epoch FROM received_at) * 1000000)::bigint FROM feedback ORDER BY kind");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0].as<std::string>(), p.csat_feedback_id);
  EXPECT_EQ(rows[0][1].as<int>(), 1);
  EXPECT_EQ(rows[0][2].as<int>(), 2);
  EXPECT_EQ(rows[1][0].as<std::string>(), p.nps_feedback_id);
  EXPECT_EQ(rows[1][1].as<int>(), 2);
  EXPECT_EQ(rows[1][2].as<int>(), 9);
  for (const auto& row : rows) {
    EXPECT_EQ(row[3].as<int>(), 2);
    EXPECT_EQ(row[4].as<std::string>(), "cust-1");
    EXPECT_EQ(row[5].as<std::string>(), "+49 30 1234");
    EXPECT_EQ(row[6].as<std::string>(), "ann@example.com");
    EXPECT_EQ(row[7].as<std::string>(), "Ann \"A\" O'Neil");
    EXPECT_EQ(row[8].as<std::string>(), "order-9");
    EXPECT_EQ(row[9].as<std::string>(), "agent-3");
    EXPECT_EQ(row[10].as<std::string>(), "checkout");
    EXPECT_EQ(row[11].as<std::string>(), s.comment);
    EXPECT_EQ(row[12].as<std::string>(), R"({"sku": "A-1", "tab\tkey": "quote\"value\\"})");
    EXPECT_EQ(row[13].as<std::string>(), "<null>");
    EXPECT_EQ(row[14].as<int64_t>(), 7);
    EXPECT_EQ(row[15].as<int64_t>(), 1789999000000001);
    EXPECT_EQ(row[16].as<int64_t>(), 1790000000123456);
  }
  EXPECT_EQ(db_->Count("SELECT count(*) FROM idempotency_keys WHERE request_id = "
                       "'order-9 \"quoted\" \\ back{slash},'"),
            1);
}

TEST_F(PgFeedbackStoreTest, OccurredAtDefaultsToTheReceiveTime) {
  Write({Rating("r1", 5)});
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback WHERE occurred_at = received_at"), 1);
}

TEST_F(PgFeedbackStoreTest, AReplayReturnsTheOriginalResultAndStoresNothing) {
  const PendingSubmit first = Rating("r1", 4);
  std::vector<SubmitOutcome> a = Write({first});
  std::vector<SubmitOutcome> b = Write({Retry(first)});
  ASSERT_TRUE(a[0].ok());
  ASSERT_TRUE(b[0].ok()) << b[0].status();
  EXPECT_TRUE(b[0]->duplicate);
  EXPECT_EQ(b[0]->csat_feedback_id, first.csat_feedback_id);
  EXPECT_EQ(b[0]->received_at, kReceived);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 1);
}

TEST_F(PgFeedbackStoreTest, ARetryOfItsOwnCommittedWriteIsNotADuplicate) {
  const PendingSubmit p = Rating("r1", 4);
  Write({p});
  std::vector<SubmitOutcome> again = Write({p});  // same ids: the writer's own retry
  ASSERT_TRUE(again[0].ok());
  EXPECT_FALSE(again[0]->duplicate);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 1);
}

TEST_F(PgFeedbackStoreTest, TheSameRequestIdWithAnotherPayloadIsRejected) {
  Write({Rating("r1", 4)});
  std::vector<SubmitOutcome> out = Write({Rating("r1", 5)});
  EXPECT_EQ(out[0].status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(out[0].status().message().substr(0, 11), "request_id:");
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback WHERE score = 5"), 0);
}

TEST_F(PgFeedbackStoreTest, RequestIdsAreScopedByApiKey) {
  std::vector<SubmitOutcome> out = Write({Rating("r1", 4, 1), Rating("r1", 5, 2)});
  ASSERT_TRUE(out[0].ok());
  ASSERT_TRUE(out[1].ok());
  EXPECT_FALSE(out[1]->duplicate);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 2);
}

TEST_F(PgFeedbackStoreTest, DuplicatesInsideOneBatchAreAnsweredFromTheFirst) {
  const PendingSubmit p = Rating("r1", 4);
  std::vector<SubmitOutcome> out =
      Write({p, Rating("r2", 3), Retry(p), Rating("r1", 1), Rating("r3", 5)});
  ASSERT_EQ(out.size(), 5u);
  ASSERT_TRUE(out[0].ok());
  EXPECT_FALSE(out[0]->duplicate);
  ASSERT_TRUE(out[2].ok());
  EXPECT_TRUE(out[2]->duplicate);
  EXPECT_EQ(out[2]->csat_feedback_id, p.csat_feedback_id);
  EXPECT_EQ(out[3].status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(out[1].ok());
  EXPECT_TRUE(out[4].ok());
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 3);
}

TEST_F(PgFeedbackStoreTest, ParallelDuplicatesProduceOneRow) {
  const PendingSubmit p = Rating("same", 2);
  constexpr int kThreads = 16;
  std::vector<SubmitOutcome> results(kThreads, absl::UnknownError("unset"));
  std::vector<std::thread> threads;
  ConnectionPool pool({db_->url(), kThreads});
  PgFeedbackStore store(pool);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      PendingSubmit mine = Retry(p);
      auto out = store.WriteBatch(std::span<const PendingSubmit>(&mine, 1));
      results[i] = out.ok() ? (*out)[0] : SubmitOutcome(out.status());
    });
  }
  for (auto& t : threads) t.join();
  int fresh = 0;
  std::string id;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    if (!r->duplicate) ++fresh;
    if (id.empty()) id = r->csat_feedback_id;
    EXPECT_EQ(r->csat_feedback_id, id);
  }
  EXPECT_EQ(fresh, 1);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 1);
}

TEST_F(PgFeedbackStoreTest, ALargeBatchIsOneTransaction) {
  std::vector<PendingSubmit> batch;
  for (int i = 0; i < 1000; ++i) batch.push_back(Rating("bulk-" + std::to_string(i), i % 5 + 1));
  std::vector<SubmitOutcome> out = Write(batch);
  ASSERT_EQ(out.size(), 1000u);
  for (const auto& o : out) ASSERT_TRUE(o.ok());
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 1000);
  EXPECT_EQ(db_->Count("SELECT count(DISTINCT xmin::text) FROM feedback"), 1);
}

TEST_F(PgFeedbackStoreTest, EveryCallSucceedsAfterAllConnectionsAreTerminated) {
  BatchWriter writer(*store_, {.capacity = 100, .max_batch = 10, .threads = 2});
  auto submit = [&](const std::string& request_id) {
    absl::Notification done;
    SubmitOutcome outcome = absl::UnknownError("unset");
    std::vector<WriteJob> jobs;
    jobs.push_back(WriteJob{Rating(request_id, 4), [&](SubmitOutcome o) {
                              outcome = std::move(o);
                              done.Notify();
                            }});
    EXPECT_TRUE(writer.Enqueue(jobs).ok());
    done.WaitForNotification();
    return outcome;
  };
  ASSERT_TRUE(submit("before").ok());
  {  // leave four open connections idle in the pool
    std::vector<PooledConnection> held;
    for (int i = 0; i < 4; ++i) held.push_back(*pool_->Acquire());
  }
  const long long killed = db_->Count(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" +
      db_->name() + "' AND pid <> pg_backend_pid()");
  EXPECT_GE(killed, 4);
  for (int i = 0; i < 6; ++i) {
    const SubmitOutcome outcome = submit("after-" + std::to_string(i));
    EXPECT_TRUE(outcome.ok()) << outcome.status();
  }
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 7);
}

TEST_F(PgFeedbackStoreTest, PrunesOnlyIdempotencyRecordsPastRetention) {
  Write({Rating("old", 3)});
  PendingSubmit recent = Rating("new", 3);
  recent.received_at = kReceived + absl::Hours(48);
  Write({recent});
  auto pruned = store_->PruneIdempotencyRecords(kReceived + absl::Hours(24), 100);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 1);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM idempotency_keys"), 1);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 2);  // feedback stays
}

TEST_F(PgFeedbackStoreTest, RetentionBlanksOnlyOldCommentsAndKeepsTheScores) {
  std::vector<PendingSubmit> batch;
  for (int i = 0; i < 5; ++i) {
    PendingSubmit old = Rating("old" + std::to_string(i), 1 + i);
    old.submission.comment = "old comment " + std::to_string(i);
    batch.push_back(old);
  }
  PendingSubmit recent = Rating("new", 2);
  recent.submission.comment = "recent comment";
  recent.received_at = kReceived + absl::Hours(48);
  batch.push_back(recent);
  Write(batch);
  fold::Folder folder(*pool_);
  ASSERT_TRUE(folder.CatchUp(absl::Seconds(60)).ok());
  const int64_t rollup_before = db_->Count("SELECT sum(responses) FROM score_slots");

  // In chunks: 3, then the remaining 2, then nothing.
  auto first = store_->BlankCommentsReceivedBefore(kReceived + absl::Hours(24), 3);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 3);
  auto second = store_->BlankCommentsReceivedBefore(kReceived + absl::Hours(24), 3);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, 2);
  auto third = store_->BlankCommentsReceivedBefore(kReceived + absl::Hours(24), 3);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(*third, 0);

  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback WHERE comment IS NOT NULL"), 1);
  EXPECT_EQ(db_->Query("SELECT comment FROM feedback WHERE comment IS NOT NULL")[0][0].c_str(),
            std::string("recent comment"));
  EXPECT_EQ(db_->Count("SELECT sum(score) FROM feedback"), 1 + 2 + 3 + 4 + 5 + 2);
  ASSERT_TRUE(folder.CatchUp(absl::Seconds(60)).ok());
  EXPECT_EQ(db_->Count("SELECT sum(responses) FROM score_slots"), rollup_before);
  EXPECT_EQ(rollup_before, 6);
}

TEST_F(PgFeedbackStoreTest, ArrayLiteralsRoundTripAnyText) {
  const std::vector<std::string> values = {"", "plain", "a,b", "{x}", "\"q\"", "back\\slash",
                                           "NULL", " spaced ", "multi\nline", "é€😀"};
  PgArrayBuilder array;
  for (const auto& v : values) array.Add(v);
  array.AddNull();
  auto conn = pool_->Acquire();
  ASSERT_TRUE(conn.ok());
  pqxx::work tx(conn->get());
  pqxx::result r = tx.exec_params(
      "SELECT v, v IS NULL FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n",
      array.Build());
  ASSERT_EQ(r.size(), values.size() + 1);
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(r[i][0].as<std::string>(), values[i]);
  EXPECT_TRUE(r[values.size()][1].as<bool>());
}

}  // namespace
}  // namespace feedback::storage
