#include "storage/report_store.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "domain/ids.h"
#include "domain/payload_hash.h"
#include "storage/pg_feedback_store.h"
#include "tests/support/test_database.h"

namespace feedback::storage {
namespace {

using domain::Bucket;
using domain::Dimension;

absl::Time LocalMidnight(const char* zone, int y, int m, int d) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone(zone, &tz));
  return absl::FromCivil(absl::CivilDay(y, m, d), tz);
}

class ReportStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FEEDBACK_REQUIRE_TEST_DATABASE(db_);
    pool_ = std::make_unique<ConnectionPool>(PoolOptions{db_->url(), 4});
    reports_ = std::make_unique<ReportStore>(*pool_);
  }

  // Seeded random ratings and NPS answers over Feb-Apr 2026 (spanning the
  // March DST changes), written through the real write path in batches,
  // with replays and duplicates inside batches.
  void LoadRandomFeedback(int count) {
    PgFeedbackStore store(*pool_, domain::ClosedLoopRule{.csat_max = 0, .nps_max = -1});
    std::mt19937 rng(20261122);
    const absl::Time from = absl::FromCivil(absl::CivilDay(2026, 2, 1), absl::UTCTimeZone());
    std::uniform_int_distribution<int64_t> second(0, 89LL * 86400 - 1);
    std::vector<PendingSubmit> batch;
    std::vector<PendingSubmit> written;
    for (int i = 0; i < count; ++i) {
      PendingSubmit p;
      p.api_key_id = 1;
      domain::Submission& s = p.submission;
      const bool nps = rng() % 2 == 0;
      s.kind = nps ? domain::SubmitKind::kNps : domain::SubmitKind::kRating;
      s.request_id = "r-" + std::to_string(i);
      s.channel = 1 + static_cast<int>(rng() % 6);
      s.agent_id = rng() % 7 == 0 ? "" : "agent-" + std::to_string(rng() % 5);
      static const char* const kQueues[] = {"", "billing", "general", "returns"};
      s.queue = kQueues[rng() % 4];
      if (nps) {
        s.nps_score = static_cast<int>(rng() % 11);
      } else {
        s.csat_score = 1 + static_cast<int>(rng() % 5);
      }
      s.occurred_at = from + absl::Seconds(second(rng)) + absl::Microseconds(rng() % 1000000);
      p.payload_hash = domain::PayloadHash(s);
      (nps ? p.nps_feedback_id : p.csat_feedback_id) = domain::NewFeedbackId(*s.occurred_at);
      p.received_at = absl::FromUnixSeconds(1790000000);
      batch.push_back(p);
      written.push_back(p);
      if (rng() % 10 == 0) batch.push_back(written[rng() % written.size()]);  // a replay
      if (batch.size() >= 200) Flush(store, batch);
    }
    Flush(store, batch);
  }

  void Flush(PgFeedbackStore& store, std::vector<PendingSubmit>& batch) {
    auto out = store.WriteBatch(batch);
    ASSERT_TRUE(out.ok()) << out.status();
    batch.clear();
  }

  // The same report by plain SQL over the raw feedback rows.
  std::map<std::tuple<int64_t, int, std::string, std::string, int>, int64_t> RawCounts(
      const domain::ReportQuery& q, int kind) {
    const auto has = [&](Dimension d) {
      return std::find(q.group_by.begin(), q.group_by.end(), d) != q.group_by.end();
    };
    const std::string tz = "'" + q.time_zone + "'";
    std::string bucket = "'" + absl::FormatTime("%Y-%m-%d %H:%M:%S+00", q.start, absl::UTCTimeZone()) +
                         "'::timestamptz";
    if (q.bucket == Bucket::kDay) bucket = "date_trunc('day', occurred_at, " + tz + ")";
    if (q.bucket == Bucket::kWeek) bucket = "date_trunc('week', occurred_at, " + tz + ")";
    if (q.bucket == Bucket::kMonth) bucket = "date_trunc('month', occurred_at, " + tz + ")";
    const auto pg = [](absl::Time t) {
      return "'" + absl::FormatTime("%Y-%m-%d %H:%M:%S+00", t, absl::UTCTimeZone()) + "'";
    };
    const pqxx::result rows = db_->Query(
        "SELECT epoch_us(" + bucket + "), " + (has(Dimension::kChannel) ? "channel" : "0") +
        ", " + (has(Dimension::kAgent) ? "coalesce(agent_id, '')" : "''") + ", " +
        (has(Dimension::kQueue) ? "coalesce(queue, '')" : "''") +
        ", score, count(*) FROM feedback WHERE kind = " + std::to_string(kind) +
        " AND occurred_at >= " + pg(q.start) + " AND occurred_at < " + pg(q.end) +
        (q.queues.empty() ? "" : " AND queue = '" + q.queues[0] + "'") +
        " GROUP BY 1, 2, 3, 4, 5");
    std::map<std::tuple<int64_t, int, std::string, std::string, int>, int64_t> out;
    for (const auto& r : rows) {
      out[{r[0].as<int64_t>(), r[1].as<int>(), r[2].as<std::string>(), r[3].as<std::string>(),
           r[4].as<int>()}] = r[5].as<int64_t>();
    }
    return out;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<ConnectionPool> pool_;
  std::unique_ptr<ReportStore> reports_;
};

TEST_F(ReportStoreTest, ReportsEqualPlainSqlOverRawRowsInEveryZoneAndGrouping) {
  // Daily rollups in all zones but New York (whose reports use the slots):
  // Warsaw before the load (kept by the writes), Tehran and Kathmandu after
  // it (filled from the rows).
  ASSERT_TRUE(reports_->AddReportZone("Europe/Warsaw").ok());
  LoadRandomFeedback(6000);
  ASSERT_TRUE(*reports_->AddReportZone("Asia/Tehran"));
  ASSERT_TRUE(*reports_->AddReportZone("Asia/Kathmandu"));
  ASSERT_FALSE(*reports_->AddReportZone("Asia/Kathmandu"));
  EXPECT_EQ(reports_->AddReportZone("Mars/Base").status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(*reports_->CheckRollup(), 0);
  const std::vector<std::vector<Dimension>> groupings = {
      {}, {Dimension::kChannel}, {Dimension::kAgent}, {Dimension::kQueue},
      {Dimension::kAgent, Dimension::kQueue}};
  int compared = 0;
  for (const char* zone : {"UTC", "Europe/Warsaw", "Asia/Tehran", "Asia/Kathmandu",
                           "America/New_York"}) {
    for (Bucket bucket : {Bucket::kNone, Bucket::kDay, Bucket::kWeek, Bucket::kMonth}) {
      for (const auto& group_by : groupings) {
        domain::ReportQuery q;
        q.start = LocalMidnight(zone, 2026, 2, 3);
        q.end = LocalMidnight(zone, 2026, 4, 20);
        q.time_zone = zone;
        q.bucket = bucket;
        q.group_by = group_by;
        ASSERT_TRUE(domain::ValidateReportQuery(
                        q, {Dimension::kChannel, Dimension::kAgent, Dimension::kQueue})
                        .ok());
        auto csat = reports_->Satisfaction(q);
        auto nps = reports_->Nps(q);
        ASSERT_TRUE(csat.ok()) << csat.status();
        ASSERT_TRUE(nps.ok()) << nps.status();
        std::map<std::tuple<int64_t, int, std::string, std::string, int>, int64_t> from_csat,
            from_nps;
        for (const auto& [k, s] : *csat) {
          for (int i = 0; i < 5; ++i) {
            if (s.counts[i] > 0) {
              from_csat[{absl::ToUnixMicros(k.bucket_start), k.channel, k.agent_id, k.queue,
                         i + 1}] = s.counts[i];
            }
          }
        }
        for (const auto& [k, s] : *nps) {
          for (int i = 0; i <= 10; ++i) {
            if (s.counts[i] > 0) {
              from_nps[{absl::ToUnixMicros(k.bucket_start), k.channel, k.agent_id, k.queue, i}] =
                  s.counts[i];
            }
          }
        }
        ASSERT_FALSE(from_csat.empty());
        ASSERT_FALSE(from_nps.empty());
        EXPECT_EQ(from_csat, RawCounts(q, 1)) << zone << " bucket " << static_cast<int>(bucket);
        EXPECT_EQ(from_nps, RawCounts(q, 2)) << zone << " bucket " << static_cast<int>(bucket);
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 100);
  // A filter, too.
  domain::ReportQuery q;
  q.start = LocalMidnight("UTC", 2026, 2, 1);
  q.end = LocalMidnight("UTC", 2026, 5, 1);
  q.bucket = Bucket::kMonth;
  q.queues = {"billing"};
  auto filtered = reports_->Satisfaction(q);
  int64_t from_rollup = 0, from_raw = 0;
  for (const auto& [k, s] : *filtered) from_rollup += s.responses();
  for (const auto& [k, n] : RawCounts(q, 1)) from_raw += n;
  EXPECT_EQ(from_rollup, from_raw);
  EXPECT_GT(from_raw, 0);
}

TEST_F(ReportStoreTest, WholeDaysInAReportZoneAreReadFromTheDailyRollup) {
  LoadRandomFeedback(2000);
  domain::ReportQuery days;  // whole UTC days, one dimension: the daily rollup
  days.start = LocalMidnight("UTC", 2026, 2, 1);
  days.end = LocalMidnight("UTC", 2026, 5, 1);
  days.bucket = Bucket::kWeek;
  days.group_by = {Dimension::kChannel};
  domain::ReportQuery slots = days;  // a range starting at 00:15: the slots
  slots.start += absl::Minutes(15);
  const auto before_days = reports_->Satisfaction(days);
  const auto before_slots = reports_->Satisfaction(slots);
  ASSERT_TRUE(before_days.ok() && before_slots.ok());
  ASSERT_FALSE(before_days->empty());
  // Without the slot rollup, only the report that reads it changes.
  db_->Query("DELETE FROM feedback_rollup");
  const auto after_days = reports_->Satisfaction(days);
  const auto after_slots = reports_->Satisfaction(slots);
  ASSERT_TRUE(after_days.ok() && after_slots.ok());
  EXPECT_EQ(after_days->size(), before_days->size());
  for (const auto& [key, stats] : *before_days) {
    EXPECT_EQ(after_days->at(key).counts, stats.counts);
  }
  EXPECT_TRUE(after_slots->empty());
  EXPECT_GT(*reports_->CheckRollup(), 0);
  ASSERT_TRUE(reports_->RebuildRollup().ok());
  EXPECT_EQ(*reports_->CheckRollup(), 0);
}

TEST_F(ReportStoreTest, AFailedBatchLeavesTheRollupEqualToTheRows) {
  LoadRandomFeedback(500);
  // A batch the database rejects as a whole (a poisoned request_id).
  db_->Query(
      "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF NEW.request_id = 'poison' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$; "
      "CREATE TRIGGER refuse BEFORE INSERT ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION refuse()");
  const long long before = db_->Count("SELECT sum(responses) FROM feedback_rollup");
  PgFeedbackStore store(*pool_);
  std::vector<PendingSubmit> batch;
  for (const char* id : {"fine-1", "poison", "fine-2"}) {
    PendingSubmit p;
    p.api_key_id = 1;
    p.submission.kind = domain::SubmitKind::kRating;
    p.submission.request_id = id;
    p.submission.channel = 1;
    p.submission.csat_score = 5;
    p.payload_hash = domain::PayloadHash(p.submission);
    p.csat_feedback_id = domain::NewFeedbackId(absl::Now());
    p.received_at = absl::FromUnixSeconds(1790000000);
    batch.push_back(p);
  }
  EXPECT_FALSE(store.WriteBatch(batch).ok());
  EXPECT_EQ(db_->Count("SELECT sum(responses) FROM feedback_rollup"), before);
  EXPECT_EQ(*reports_->CheckRollup(), 0);
}

TEST_F(ReportStoreTest, CheckFindsDriftAndRebuildRepairsIt) {
  LoadRandomFeedback(300);
  EXPECT_EQ(*reports_->CheckRollup(), 0);
  db_->Query("UPDATE feedback_rollup SET responses = responses + 1 WHERE ctid IN "
             "(SELECT ctid FROM feedback_rollup LIMIT 3)");
  db_->Query("DELETE FROM feedback_rollup WHERE ctid IN (SELECT ctid FROM feedback_rollup LIMIT 1)");
  EXPECT_GT(*reports_->CheckRollup(), 0);
  auto rebuilt = reports_->RebuildRollup();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_GT(*rebuilt, 0);
  EXPECT_EQ(*reports_->CheckRollup(), 0);
  EXPECT_EQ(db_->Count("SELECT sum(responses) FROM feedback_rollup"),
            db_->Count("SELECT count(*) FROM feedback"));
}

TEST_F(ReportStoreTest, ConcurrentWritersAddToShardsOfTheirOwnAndFoldingKeepsEveryCount) {
  ASSERT_TRUE(reports_->AddReportZone("Europe/Warsaw").ok());
  // Two writer threads, each with its own store and batches; most scores
  // are months old, some from the last hour.
  auto write = [&](int writer) {
    PgFeedbackStore store(*pool_, domain::ClosedLoopRule{.csat_max = 0, .nps_max = -1});
    std::mt19937 rng(writer);
    const absl::Time old = absl::FromCivil(absl::CivilDay(2026, 3, 1), absl::UTCTimeZone());
    for (int b = 0; b < 20; ++b) {
      std::vector<PendingSubmit> batch;
      for (int i = 0; i < 40; ++i) {
        PendingSubmit p;
        p.api_key_id = 1;
        domain::Submission& s = p.submission;
        s.kind = domain::SubmitKind::kRating;
        s.request_id = "w" + std::to_string(writer) + "-" + std::to_string(b * 40 + i);
        s.channel = 1 + static_cast<int>(rng() % 3);
        s.agent_id = "agent-" + std::to_string(rng() % 3);
        s.csat_score = 1 + static_cast<int>(rng() % 5);
        s.occurred_at = i % 8 == 0 ? absl::Now() - absl::Minutes(rng() % 60)
                                   : old + absl::Minutes(rng() % (5 * 24 * 60));
        p.payload_hash = domain::PayloadHash(s);
        p.csat_feedback_id = domain::NewFeedbackId(*s.occurred_at);
        p.received_at = absl::Now();
        batch.push_back(p);
      }
      auto out = store.WriteBatch(batch);
      ASSERT_TRUE(out.ok()) << out.status();
    }
  };
  std::thread first(write, 1), second(write, 2);
  first.join();
  second.join();
  auto one = [&](const std::string& sql) { return db_->Count(sql); };
  // Each thread wrote rows of its own shard, never shard 0.
  EXPECT_EQ(one("SELECT count(DISTINCT shard) FROM feedback_rollup"), 2);
  EXPECT_EQ(one("SELECT count(DISTINCT shard) FROM feedback_daily"), 2);
  EXPECT_EQ(one("SELECT count(*) FROM feedback_daily WHERE shard = 0"), 0);
  const char* kSplitKeys =
      "SELECT count(*) FROM (SELECT 1 FROM feedback_daily "
      "GROUP BY zone, dims, kind, day, channel, agent_id, queue, score HAVING count(*) > 1) k";
  ASSERT_GT(one(kSplitKeys), 0);  // the all-scores rows of a day, at least
  EXPECT_EQ(*reports_->CheckRollup(), 0);

  domain::ReportQuery days;  // the daily rollup
  days.start = LocalMidnight("Europe/Warsaw", 2026, 2, 23);
  absl::TimeZone warsaw;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Warsaw", &warsaw));
  days.end = absl::FromCivil(absl::ToCivilDay(absl::Now(), warsaw) + 2, warsaw);
  days.time_zone = "Europe/Warsaw";
  days.bucket = Bucket::kWeek;
  days.group_by = {Dimension::kAgent};
  domain::ReportQuery slots = days;  // Kathmandu is no report zone: the slots
  slots.time_zone = "Asia/Kathmandu";
  slots.bucket = Bucket::kDay;
  const auto days_before = reports_->Satisfaction(days);
  const auto slots_before = reports_->Satisfaction(slots);
  ASSERT_TRUE(days_before.ok() && slots_before.ok());
  int64_t total = 0;
  for (const auto& [key, stats] : *days_before) total += stats.responses();
  EXPECT_EQ(total, 2 * 20 * 40);

  int64_t moved = 0;
  for (int pass = 0; pass < 1000; ++pass) {  // small chunks: many passes
    absl::StatusOr<int64_t> n = reports_->CompactRollups(25);
    ASSERT_TRUE(n.ok()) << n.status();
    if (*n == 0) break;
    moved += *n;
  }
  EXPECT_GT(moved, 0);
  // The months-old slots and days are in shard 0, one row per key; the
  // last hour's stay in the writers' shards.
  EXPECT_EQ(one("SELECT count(*) FROM feedback_rollup WHERE shard <> 0 AND slot < '2026-04-01'"),
            0);
  EXPECT_EQ(one("SELECT count(*) FROM feedback_daily WHERE shard <> 0 AND day < '2026-04-01'"),
            0);
  EXPECT_GT(one("SELECT count(*) FROM feedback_rollup WHERE shard <> 0"), 0);
  EXPECT_EQ(one("SELECT count(*) FROM (SELECT 1 FROM feedback_daily WHERE day < '2026-04-01' "
                "GROUP BY zone, dims, kind, day, channel, agent_id, queue, score "
                "HAVING count(*) > 1) k"),
            0);
  EXPECT_EQ(*reports_->CheckRollup(), 0);
  const auto days_after = reports_->Satisfaction(days);
  const auto slots_after = reports_->Satisfaction(slots);
  ASSERT_TRUE(days_after.ok() && slots_after.ok());
  ASSERT_EQ(days_after->size(), days_before->size());
  for (const auto& [key, stats] : *days_before) EXPECT_EQ(days_after->at(key).counts, stats.counts);
  ASSERT_EQ(slots_after->size(), slots_before->size());
  for (const auto& [key, stats] : *slots_before) {
    EXPECT_EQ(slots_after->at(key).counts, stats.counts);
  }
}

}  // namespace
}  // namespace feedback::storage
