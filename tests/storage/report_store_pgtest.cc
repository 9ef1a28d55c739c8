#include "storage/report_store.h"

#include <gtest/gtest.h>

#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include <atomic>
#include <random>
#include <thread>

#include "domain/ids.h"
#include "domain/payload_hash.h"
#include "storage/fold/folder.h"
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
    folder_ = std::make_unique<fold::Folder>(*pool_);
  }

  // Rows of derived tables that differ from a recount (0: consistent).
  int64_t Differing() {
    absl::StatusOr<std::map<std::string, int64_t>> d = folder_->Check();
    EXPECT_TRUE(d.ok()) << d.status();
    int64_t n = 0;
    if (d.ok()) {
      for (const auto& [table, rows] : *d) n += rows;
    }
    return n;
  }

  // Seeded random ratings and NPS answers over Feb-Apr 2026 (spanning the
  // March DST changes), written through the real write path in batches,
  // with replays and duplicates inside batches.
  void LoadRandomFeedback(int count, int first = 0) {
    PgFeedbackStore store(*pool_, domain::ClosedLoopRule{.csat_max = 0, .nps_max = -1});
    std::mt19937 rng(20261122 + first);
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
      s.request_id = "r-" + std::to_string(first + i);
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
  std::unique_ptr<fold::Folder> folder_;
};

TEST_F(ReportStoreTest, ReportsEqualPlainSqlOverRawRowsInEveryZoneAndGrouping) {
  // Daily tables in all zones but New York (whose reports use the slots):
  // Warsaw before the load, Tehran and Kathmandu added after half of it was
  // folded (filled as of the watermark).
  ASSERT_TRUE(folder_->AddReportZone("Europe/Warsaw").ok());
  LoadRandomFeedback(3000);
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  ASSERT_TRUE(*folder_->AddReportZone("Asia/Tehran"));
  ASSERT_TRUE(*folder_->AddReportZone("Asia/Kathmandu"));
  ASSERT_FALSE(*folder_->AddReportZone("Asia/Kathmandu"));
  EXPECT_EQ(folder_->AddReportZone("Mars/Base").status().code(),
            absl::StatusCode::kInvalidArgument);
  // The other half is the tail: not folded yet, read from the facts.
  LoadRandomFeedback(3000, 3000);
  ASSERT_GT(db_->Count("SELECT count(*) FROM feedback WHERE fold_xid >= "
                       "(SELECT watermark FROM fold_state)"),
            2000);
  ASSERT_EQ(Differing(), 0);
  const std::vector<std::vector<Dimension>> groupings = {
      {}, {Dimension::kChannel}, {Dimension::kAgent}, {Dimension::kQueue},
      {Dimension::kAgent, Dimension::kQueue}};
  int compared = 0;
  // Exact with the tail, and again once it is folded.
  for (const bool folded : {false, true}) {
  if (folded) {
    ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  }
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
  }
  EXPECT_EQ(compared, 200);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback WHERE fold_xid >= "
                       "(SELECT watermark FROM fold_state)"),
            0);
  ASSERT_EQ(Differing(), 0);
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

// Ranges that start and end at any instant: the partial slots at the edges
// are counted from the scores, the whole ones from score_slots (and the
// tail's scores in them); with part of the scores unfolded, then folded.
TEST_F(ReportStoreTest, RangesAtAnyInstantEqualPlainSql) {
  ASSERT_TRUE(folder_->AddReportZone("Europe/Warsaw").ok());
  LoadRandomFeedback(3000);
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  LoadRandomFeedback(2000, 3000);
  struct Range {
    const char* zone;
    absl::CivilSecond from, to;
  };
  const Range ranges[] = {
      // inside one slot
      {"UTC", absl::CivilSecond(2026, 3, 3, 10, 3, 17),
       absl::CivilSecond(2026, 3, 3, 10, 11, 59)},
      // across one boundary
      {"UTC", absl::CivilSecond(2026, 3, 3, 10, 3, 17),
       absl::CivilSecond(2026, 3, 3, 10, 19, 1)},
      {"UTC", absl::CivilSecond(2026, 2, 11, 10, 3, 17),
       absl::CivilSecond(2026, 4, 20, 10, 19, 1)},
      // spring DST day
      {"Europe/Warsaw", absl::CivilSecond(2026, 3, 29, 1, 7, 13),
       absl::CivilSecond(2026, 4, 2, 17, 59, 59)},
      // a second past midnight
      {"Europe/Warsaw", absl::CivilSecond(2026, 2, 1, 0, 0, 1),
       absl::CivilSecond(2026, 4, 1, 0, 0, 0)},
      // across its DST gap
      {"America/New_York", absl::CivilSecond(2026, 3, 8, 1, 59, 59),
       absl::CivilSecond(2026, 3, 9, 3, 0, 1)},
      {"Asia/Kathmandu", absl::CivilSecond(2026, 2, 10, 7, 44, 59),
       absl::CivilSecond(2026, 4, 10, 7, 45, 1)},
  };
  int64_t counted = 0;
  for (const bool folded : {false, true}) {
    if (folded) {
      ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
    }
    for (const Range& r : ranges) {
      absl::TimeZone zone;
      ASSERT_TRUE(absl::LoadTimeZone(r.zone, &zone));
      for (Bucket bucket : {Bucket::kNone, Bucket::kDay, Bucket::kWeek}) {
        for (const auto& group_by : std::vector<std::vector<Dimension>>{{}, {Dimension::kChannel}}) {
          domain::ReportQuery q;
          q.start = absl::FromCivil(r.from, zone);
          q.end = absl::FromCivil(r.to, zone);
          q.time_zone = r.zone;
          q.bucket = bucket;
          q.group_by = group_by;
          ASSERT_TRUE(domain::ValidateReportQuery(
                          q, {Dimension::kChannel, Dimension::kAgent, Dimension::kQueue})
                          .ok());
          auto csat = reports_->Satisfaction(q);
          ASSERT_TRUE(csat.ok()) << csat.status();
          std::map<std::tuple<int64_t, int, std::string, std::string, int>, int64_t> got;
          for (const auto& [k, s] : *csat) {
            for (int i = 0; i < 5; ++i) {
              if (s.counts[i] > 0) {
                got[{absl::ToUnixMicros(k.bucket_start), k.channel, k.agent_id, k.queue, i + 1}] =
                    s.counts[i];
                counted += s.counts[i];
              }
            }
          }
          EXPECT_EQ(got, RawCounts(q, 1))
              << r.zone << " " << absl::FormatCivilTime(r.from) << " bucket "
              << static_cast<int>(bucket);
        }
      }
    }
  }
  EXPECT_GT(counted, 1000);
}

TEST_F(ReportStoreTest, WholeDaysInAReportZoneAreReadFromTheDailyTable) {
  LoadRandomFeedback(2000);
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  domain::ReportQuery days;  // whole UTC days, one dimension: score_days
  days.start = LocalMidnight("UTC", 2026, 2, 1);
  days.end = LocalMidnight("UTC", 2026, 5, 1);
  days.bucket = Bucket::kWeek;
  days.group_by = {Dimension::kChannel};
  domain::ReportQuery slots = days;  // a range starting at 00:15: score_slots
  slots.start += absl::Minutes(15);
  const auto before_days = reports_->Satisfaction(days);
  const auto before_slots = reports_->Satisfaction(slots);
  ASSERT_TRUE(before_days.ok() && before_slots.ok());
  ASSERT_FALSE(before_days->empty());
  // Without the slots, only the report that reads them changes.
  db_->Query("DELETE FROM score_slots");
  const auto after_days = reports_->Satisfaction(days);
  const auto after_slots = reports_->Satisfaction(slots);
  ASSERT_TRUE(after_days.ok() && after_slots.ok());
  EXPECT_EQ(after_days->size(), before_days->size());
  for (const auto& [key, stats] : *before_days) {
    EXPECT_EQ(after_days->at(key).counts, stats.counts);
  }
  EXPECT_TRUE(after_slots->empty());
  EXPECT_GT(Differing(), 0);
  ASSERT_TRUE(folder_->Rebuild().ok());
  EXPECT_EQ(Differing(), 0);
}

TEST_F(ReportStoreTest, AFailedBatchLeavesNoFactToFold) {
  LoadRandomFeedback(500);
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  // A batch the database rejects as a whole (a poisoned request_id).
  db_->Query(
      "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF NEW.request_id = 'poison' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$; "
      "CREATE TRIGGER refuse BEFORE INSERT ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION refuse()");
  const long long before = db_->Count("SELECT sum(responses) FROM score_slots");
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
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  EXPECT_EQ(db_->Count("SELECT sum(responses) FROM score_slots"), before);
  EXPECT_EQ(before, db_->Count("SELECT count(*) FROM feedback"));
  EXPECT_EQ(Differing(), 0);
}

TEST_F(ReportStoreTest, CheckFindsDriftAndRebuildRepairsIt) {
  LoadRandomFeedback(300);
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  EXPECT_EQ(Differing(), 0);
  db_->Query("UPDATE score_slots SET responses = responses + 1 WHERE ctid IN "
             "(SELECT ctid FROM score_slots LIMIT 3)");
  db_->Query("DELETE FROM score_days WHERE ctid IN (SELECT ctid FROM score_days LIMIT 1)");
  absl::StatusOr<std::map<std::string, int64_t>> differing = folder_->Check();
  ASSERT_TRUE(differing.ok()) << differing.status();
  // Three changed slots on each side, one missing day.
  EXPECT_EQ(*differing, (std::map<std::string, int64_t>{{"score_days", 1}, {"score_slots", 6}}));
  auto rebuilt = folder_->Rebuild();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_GT(*rebuilt, 0);
  EXPECT_EQ(Differing(), 0);
  EXPECT_EQ(db_->Count("SELECT sum(responses) FROM score_slots"),
            db_->Count("SELECT count(*) FROM feedback"));
}

// Two writer threads and two folders (as on two servers) at once, each
// folder on its own connections, folding small windows while the scores
// arrive; then one folder is cut off mid-window (its backend terminated,
// as when a server is killed): every score is folded exactly once.
TEST_F(ReportStoreTest, ConcurrentWritersAndFoldersFoldEveryScoreOnce) {
  ASSERT_TRUE(folder_->AddReportZone("Europe/Warsaw").ok());
  std::atomic<bool> writing{true};
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
        s.customer.customer_id = "cust-" + std::to_string(rng() % 50);
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
  std::atomic<int64_t> folded{0};
  auto fold = [&] {
    ConnectionPool pool(PoolOptions{db_->url(), 1});
    fold::Folder folder(pool, /*max_facts=*/60);
    while (writing.load()) {
      absl::StatusOr<fold::FoldResult> r = folder.FoldOnce();
      if (!r.ok()) continue;  // a stale snapshot is refused and tried again
      folded += r->facts;
    }
  };
  std::thread folder_a(fold), folder_b(fold);
  std::thread first(write, 1), second(write, 2);
  first.join();
  second.join();
  writing = false;
  folder_a.join();
  folder_b.join();
  EXPECT_GT(folded.load(), 0);

  // A fold cut off mid-window commits nothing.
  LoadRandomFeedback(2000);
  const std::string watermark = db_->Query("SELECT watermark::text FROM fold_state")[0][0].c_str();
  std::thread killer([&] {
    pqxx::connection c(db_->url());
    for (int i = 0; i < 5000; ++i) {
      pqxx::nontransaction tx(c);
      if (tx.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'active' "
                  "AND query LIKE '%retention_fold_activity%' AND pid <> pg_backend_pid()")
              .size() > 0) {
        return;
      }
      absl::SleepFor(absl::Milliseconds(1));
    }
  });
  {
    ConnectionPool pool(PoolOptions{db_->url(), 1});
    EXPECT_FALSE(fold::Folder(pool, 100000).FoldOnce().ok());
  }
  killer.join();
  EXPECT_EQ(db_->Query("SELECT watermark::text FROM fold_state")[0][0].c_str(), watermark);

  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  EXPECT_EQ(Differing(), 0);
  EXPECT_EQ(db_->Count("SELECT sum(responses) FROM score_slots"),
            db_->Count("SELECT count(*) FROM feedback"));
  EXPECT_EQ(db_->Count("SELECT sum(responses) FROM score_days WHERE zone = 'Europe/Warsaw' "
                       "AND dims = 0"),
            db_->Count("SELECT count(*) FROM feedback"));
  EXPECT_GT(db_->Count("SELECT count(*) FROM feedback"), 2 * 20 * 40 + 1500);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback WHERE fold_xid >= "
                       "(SELECT watermark FROM fold_state)"),
            0);
}

// A transaction left open holds the horizon: the folder stops below it,
// the reports stay exact, and the fold catches up once it ends.
TEST_F(ReportStoreTest, AnOpenTransactionHoldsTheFoldBackNotTheReports) {
  LoadRandomFeedback(300);
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  pqxx::connection holder(db_->url());
  pqxx::work open(holder);
  open.exec("INSERT INTO feedback (id, kind, score, channel, api_key_id, occurred_at, "
            "received_at) VALUES (gen_random_uuid(), 1, 5, 1, 1, '2026-03-02 10:00:00+00', now())");
  LoadRandomFeedback(300, 300);  // committed after the open transaction began
  ASSERT_TRUE(folder_->CatchUp().ok());  // up to the horizon, not waiting for it
  const int64_t tail = db_->Count(
      "SELECT count(*) FROM feedback WHERE fold_xid >= (SELECT watermark FROM fold_state)");
  EXPECT_GT(tail, 200);  // held back: the later scores are not folded yet
  absl::StatusOr<fold::FoldStatus> status = folder_->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->tail_facts, tail);
  EXPECT_GT(status->oldest_writer_seconds, 0);
  domain::ReportQuery q;
  q.start = LocalMidnight("UTC", 2026, 2, 1);
  q.end = LocalMidnight("UTC", 2026, 5, 1);
  q.bucket = Bucket::kMonth;
  auto count_all = [&] {
    auto got = reports_->Satisfaction(q);
    EXPECT_TRUE(got.ok()) << got.status();
    int64_t n = 0;
    for (const auto& [k, s] : *got) n += s.responses();
    return n;
  };
  EXPECT_EQ(count_all(), db_->Count("SELECT count(*) FROM feedback WHERE kind = 1"));
  open.commit();
  EXPECT_EQ(count_all(), db_->Count("SELECT count(*) FROM feedback WHERE kind = 1"));
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  EXPECT_EQ(db_->Count(
                "SELECT count(*) FROM feedback WHERE fold_xid >= (SELECT watermark FROM fold_state)"),
            0);
  EXPECT_EQ(count_all(), db_->Count("SELECT count(*) FROM feedback WHERE kind = 1"));
  EXPECT_EQ(Differing(), 0);
}

}  // namespace
}  // namespace feedback::storage
