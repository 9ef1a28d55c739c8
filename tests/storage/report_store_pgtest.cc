#include "storage/report_store.h"

#include <gtest/gtest.h>

#include <random>

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

}  // namespace
}  // namespace feedback::storage
