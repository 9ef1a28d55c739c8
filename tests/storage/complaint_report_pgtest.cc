// The complaint and retention reports against plain SQL over the raw rows,
// on seeded generated data that is then changed the ways agents change it.
#include <gtest/gtest.h>

#include <pqxx/connection>
#include <pqxx/result>
#include <pqxx/transaction>

#include <set>
#include <thread>

#include "absl/time/clock.h"
#include "storage/customer_eraser.h"
#include "storage/fold/folder.h"
#include "storage/pg_format.h"
#include "storage/report_store.h"
#include "tests/support/data_generator.h"
#include "tests/support/test_database.h"

namespace feedback::storage {
namespace {

using domain::Bucket;
using domain::Dimension;

const absl::Time kEnd = absl::FromCivil(absl::CivilDay(2026, 5, 1), absl::UTCTimeZone());
const char* const kZones[] = {"UTC", "Europe/Warsaw", "Asia/Tehran", "Asia/Kathmandu",
                              "America/New_York"};

std::string BucketSql(Bucket bucket, const std::string& column) {
  switch (bucket) {
    case Bucket::kDay: return "date_trunc('day', " + column + ", $3)";
    case Bucket::kWeek: return "date_trunc('week', " + column + ", $3)";
    case Bucket::kMonth: return "date_trunc('month', " + column + ", $3)";
    case Bucket::kNone: break;
  }
  return "$1::timestamptz";
}

bool WithinOnePercent(double estimate, double exact) {
  if (exact == 0) return estimate == 0;
  return std::abs(estimate - exact) <= 0.01 * exact;
}

class ComplaintReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FEEDBACK_REQUIRE_TEST_DATABASE(db_);
    // Report zones besides UTC: Warsaw kept from the first complaint on,
    // Kathmandu added to existing data (the report tests).
    db_->Query("INSERT INTO report_zones (zone) VALUES ('Europe/Warsaw')");
    testing::GeneratorOptions o;
    o.feedback_rows = 6000;
    o.complaints = 3000;
    o.end = kEnd;
    o.days = 120;  // spans the March DST changes
    o.customers = 400;
    o.agents = 6;
    o.seed = 7;
    ASSERT_TRUE(testing::GenerateData(db_->url(), o).ok());
    // What agents and the SLA worker do afterwards: reassign, reopen,
    // resolve, escalate; and ratings that name complaints.
    db_->Query(
        "UPDATE complaints SET assignee_id = 'agent-9' WHERE status = 2 AND "
        "first_response_seconds % 5 = 0");
    db_->Query(
        "UPDATE complaints SET status = 2, resolved_at = NULL, resolution_seconds = NULL, "
        "reopen_count = reopen_count + 1 WHERE status = 4 AND first_response_seconds % 7 = 0");
    db_->Query(
        "UPDATE complaints SET status = 4, resolved_at = created_at + interval '2 hours', "
        "resolution_seconds = 7200 WHERE status = 3 AND first_response_seconds % 3 = 0");
    db_->Query("UPDATE complaints SET escalation_level = escalation_level + 1 WHERE status = 1");
    db_->Query(
        "INSERT INTO feedback (id, kind, score, channel, complaint_id, api_key_id, occurred_at, "
        "received_at) SELECT gen_random_uuid(), 1, 1 + (first_response_seconds % 5)::int, 1, "
        "id::text, 1, resolved_at, resolved_at FROM complaints WHERE resolved_at IS NOT NULL "
        "AND first_response_seconds % 4 = 0");
    pool_ = std::make_unique<ConnectionPool>(PoolOptions{db_->url(), 2});
    reports_ = std::make_unique<ReportStore>(*pool_);
    folder_ = std::make_unique<fold::Folder>(*pool_);
    // Those changes are the tail: not folded yet.
    ASSERT_GT(db_->Count("SELECT count(*) FROM complaints WHERE fold_xid >= "
                         "(SELECT watermark FROM fold_state)"),
              100);
  }

  // Compares the complaint report for `q` with plain SQL over the raw rows,
  // row by row; returns the rows compared.
  int ExpectEqualsPlainSql(const domain::ReportQuery& q) {
    auto has = [&](Dimension d) {
      return std::find(q.group_by.begin(), q.group_by.end(), d) != q.group_by.end();
    };
    const std::string sql =
        "SELECT epoch_us(" + BucketSql(q.bucket, "created_at") + "), " +
        (has(Dimension::kChannel) ? "channel" : "0") + ", " +
        (has(Dimension::kAgent) ? "coalesce(assignee_id, '')" : "''") + ", " +
        (has(Dimension::kQueue) ? "queue" : "''") + ", " +
        (has(Dimension::kCategory) ? "category" : "''") +
        ", count(*), count(*) FILTER (WHERE resolved_at IS NOT NULL), "
        "count(*) FILTER (WHERE reopen_count > 0), "
        "count(*) FILTER (WHERE escalation_level > 0), "
        "count(*) FILTER (WHERE first_response_at <= first_response_due_at), "
        "count(*) FILTER (WHERE first_response_at > first_response_due_at OR "
        "  (first_response_at IS NULL AND first_response_breached)), "
        "count(*) FILTER (WHERE resolved_at <= resolution_due_at), "
        "count(*) FILTER (WHERE resolved_at > resolution_due_at OR "
        "  (resolved_at IS NULL AND resolution_breached)), "
        "(SELECT count(*) FROM feedback f WHERE f.complaint_id = ANY(array_agg(c.id::text)) "
        "  AND f.kind = 1), "
        "(SELECT count(*) FROM feedback f WHERE f.complaint_id = ANY(array_agg(c.id::text)) "
        "  AND f.kind = 1 AND f.score >= 4), "
        "count(*) FILTER (WHERE resolved_at IS NULL OR resolved_at >= $2), "
        "coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY first_response_seconds), 0), "
        "coalesce(percentile_disc(0.9) WITHIN GROUP (ORDER BY first_response_seconds), 0), "
        "coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY resolution_seconds), 0), "
        "coalesce(percentile_disc(0.9) WITHIN GROUP (ORDER BY resolution_seconds), 0), "
        "count(first_response_seconds), count(resolution_seconds) "
        "FROM complaints c WHERE created_at >= $1 AND created_at < $2 AND $3 <> '' "
        "AND ($4 = '' OR queue IN ('general', 'vip')) "
        "GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5";
    const pqxx::result expected = db_->Query(
        sql, {PgTime(q.start), PgTime(q.end), q.time_zone, q.queues.empty() ? "" : "x"});
    auto got = reports_->Complaints(q);
    EXPECT_TRUE(got.ok()) << got.status();
    if (!got.ok()) return 0;
    const std::string what = q.time_zone + " bucket " +
                             std::to_string(static_cast<int>(q.bucket)) + " from " +
                             absl::FormatTime(q.start) + " to " + absl::FormatTime(q.end);
    EXPECT_EQ(got->size(), expected.size()) << what;
    if (got->size() != expected.size()) return 0;
    auto it = got->begin();
    int compared = 0;
    for (const auto& row : expected) {
      const std::string where = what + " row " + std::to_string(compared);
      EXPECT_EQ(absl::ToUnixMicros(it->first.bucket_start), row[0].as<int64_t>()) << where;
      EXPECT_EQ(it->first.channel, row[1].as<int>()) << where;
      EXPECT_EQ(it->first.agent_id, row[2].as<std::string>()) << where;
      EXPECT_EQ(it->first.queue, row[3].as<std::string>()) << where;
      EXPECT_EQ(it->first.category, row[4].as<std::string>()) << where;
      const domain::ComplaintStats& s = it->second;
      EXPECT_EQ(s.opened, row[5].as<int64_t>()) << where;
      EXPECT_EQ(s.resolved, row[6].as<int64_t>()) << where;
      EXPECT_EQ(s.reopened, row[7].as<int64_t>()) << where;
      EXPECT_EQ(s.escalated, row[8].as<int64_t>()) << where;
      EXPECT_EQ(s.first_response_met, row[9].as<int64_t>()) << where;
      EXPECT_EQ(s.first_response_missed, row[10].as<int64_t>()) << where;
      EXPECT_EQ(s.resolution_met, row[11].as<int64_t>()) << where;
      EXPECT_EQ(s.resolution_missed, row[12].as<int64_t>()) << where;
      EXPECT_EQ(s.ratings, row[13].as<int64_t>()) << where;
      EXPECT_EQ(s.ratings_satisfied, row[14].as<int64_t>()) << where;
      EXPECT_EQ(s.backlog_open_at_end, row[15].as<int64_t>()) << where;
      EXPECT_TRUE(WithinOnePercent(s.first_response.Percentile(0.5), row[16].as<double>()))
          << where << ": " << s.first_response.Percentile(0.5) << " vs " << row[16].as<double>();
      EXPECT_TRUE(WithinOnePercent(s.first_response.Percentile(0.9), row[17].as<double>()))
          << where;
      EXPECT_TRUE(WithinOnePercent(s.resolution.Percentile(0.5), row[18].as<double>())) << where;
      EXPECT_TRUE(WithinOnePercent(s.resolution.Percentile(0.9), row[19].as<double>())) << where;
      EXPECT_EQ(s.first_response.count(), row[20].as<int64_t>()) << where;
      EXPECT_EQ(s.resolution.count(), row[21].as<int64_t>()) << where;
      ++it;
      ++compared;
    }
    return compared;
  }

  // Compares the retention report for `q` with a set computation over the
  // raw rows, bucket by bucket; returns the buckets compared.
  int ExpectRetentionEqualsSets(const domain::ReportQuery& q) {
    // Raw activity and complaints, bucketed by PostgreSQL, counted here.
    const pqxx::result activity = db_->Query(
        "SELECT epoch_us(" + BucketSql(q.bucket, "t") + "), customer_id FROM ("
        "SELECT occurred_at AS t, customer_id FROM feedback WHERE customer_id IS NOT NULL "
        "UNION ALL SELECT created_at, customer_id FROM complaints "
        "WHERE customer_id IS NOT NULL) x WHERE t < $2 AND $1::timestamptz IS NOT NULL",
        {PgTime(q.start), PgTime(q.end), q.time_zone});
    const pqxx::result filed = db_->Query(
        "SELECT epoch_us(" + BucketSql(q.bucket, "created_at") + "), customer_id, "
        "bool_and(resolved_at IS NOT NULL) FROM complaints WHERE customer_id IS NOT NULL "
        "AND created_at < $2 AND $1::timestamptz IS NOT NULL GROUP BY 1, 2",
        {PgTime(q.start), PgTime(q.end), q.time_zone});
    std::map<int64_t, std::set<std::string>> active;
    for (const auto& r : activity) active[r[0].as<int64_t>()].insert(r[1].as<std::string>());
    std::map<int64_t, std::vector<std::pair<std::string, bool>>> complainants;
    for (const auto& r : filed) {
      complainants[r[0].as<int64_t>()].emplace_back(r[1].as<std::string>(), r[2].as<bool>());
    }
    auto got = reports_->Retention(q);
    EXPECT_TRUE(got.ok()) << got.status();
    if (!got.ok()) return 0;
    EXPECT_FALSE(got->empty());
    absl::TimeZone zone;
    EXPECT_TRUE(absl::LoadTimeZone(q.time_zone, &zone));
    const Bucket bucket = q.bucket;
    int compared = 0;
    for (absl::Time b = domain::BucketStart(q.start, zone, bucket); b < q.end;
         b = domain::NextBucketStart(b, zone, bucket)) {
      const int64_t key = absl::ToUnixMicros(b);
      const int64_t prev = absl::ToUnixMicros(domain::PreviousBucketStart(b, zone, bucket));
      const std::set<std::string>& now_active = active[key];
      const std::set<std::string>& before = active[prev];
      domain::RetentionStats want;
      want.active = static_cast<int64_t>(now_active.size());
      want.previous_active = static_cast<int64_t>(before.size());
      for (const auto& c : now_active) want.returning += before.count(c);
      for (const auto& [customer, resolved] : complainants[prev]) {
        const bool back = now_active.count(customer) > 0;
        if (resolved) {
          ++want.complainants_resolved;
          want.complainants_resolved_returned += back;
        } else {
          ++want.complainants_unresolved;
          want.complainants_unresolved_returned += back;
        }
      }
      const std::string where = q.time_zone + " " + absl::FormatTime(b, zone) + " to " +
                                absl::FormatTime(q.end, zone);
      auto it = got->find(b);
      if (want.active == 0 && want.previous_active == 0) {
        EXPECT_TRUE(it == got->end()) << where;
        continue;
      }
      EXPECT_TRUE(it != got->end()) << where;
      if (it == got->end()) continue;
      const domain::RetentionStats& s = it->second;
      EXPECT_EQ(s.active, want.active) << where;
      EXPECT_EQ(s.previous_active, want.previous_active) << where;
      EXPECT_EQ(s.returning, want.returning) << where;
      EXPECT_EQ(s.complainants_resolved, want.complainants_resolved) << where;
      EXPECT_EQ(s.complainants_resolved_returned, want.complainants_resolved_returned) << where;
      EXPECT_EQ(s.complainants_unresolved, want.complainants_unresolved) << where;
      EXPECT_EQ(s.complainants_unresolved_returned, want.complainants_unresolved_returned)
          << where;
      ++compared;
    }
    return compared;
  }

  // Rows of derived tables that differ from a recount, per table.
  std::map<std::string, int64_t> Differing() {
    absl::StatusOr<std::map<std::string, int64_t>> d = folder_->Check();
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : std::map<std::string, int64_t>{{"error", 1}};
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<ConnectionPool> pool_;
  std::unique_ptr<ReportStore> reports_;
  std::unique_ptr<fold::Folder> folder_;
};


TEST_F(ComplaintReportTest, DerivedTablesEqualARecountAfterEveryKindOfChange) {
  EXPECT_TRUE(Differing().empty());  // with the agents' changes in the tail
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  EXPECT_TRUE(Differing().empty());
  // Drift is found, per table, and a rebuild repairs it.
  db_->Query("UPDATE complaint_days SET opened = opened + 1 WHERE ctid = "
             "(SELECT ctid FROM complaint_days LIMIT 1)");
  db_->Query("DELETE FROM customer_slots WHERE ctid = (SELECT ctid FROM customer_slots LIMIT 1)");
  db_->Query("UPDATE complaint_period_times SET n = n + 1 WHERE ctid = (SELECT ctid FROM "
             "complaint_period_times WHERE zone = 'Europe/Warsaw' AND n > 0 LIMIT 1)");
  db_->Query("UPDATE retention_counts SET returning_customers = returning_customers + 1 "
             "WHERE ctid = (SELECT ctid FROM retention_counts WHERE grain = 'w' LIMIT 1)");
  db_->Query("DELETE FROM customer_periods WHERE ctid = (SELECT ctid FROM customer_periods LIMIT 1)");
  db_->Query("UPDATE complaint_day_resolved SET resolved = resolved + 1 WHERE ctid = "
             "(SELECT ctid FROM complaint_day_resolved WHERE zone = 'UTC' LIMIT 1)");
  db_->Query("UPDATE complainant_periods SET unresolved = unresolved + 1 WHERE ctid = "
             "(SELECT ctid FROM complainant_periods LIMIT 1)");
  // One row on each side for a changed row, one for a missing one; the
  // retention counts also follow from the changed periods.
  std::map<std::string, int64_t> differing = Differing();
  EXPECT_EQ(differing.at("complaint_days"), 2);
  EXPECT_EQ(differing.at("customer_slots"), 1);
  EXPECT_EQ(differing.at("complaint_period_times"), 2);
  EXPECT_GE(differing.at("retention_counts"), 2);
  EXPECT_EQ(differing.at("customer_periods"), 1);
  EXPECT_EQ(differing.at("complaint_day_resolved"), 2);
  EXPECT_EQ(differing.at("complainant_periods"), 2);
  EXPECT_EQ(differing.size(), 7u);
  ASSERT_TRUE(folder_->Rebuild().ok());
  EXPECT_TRUE(Differing().empty());
  // The complaint tables are recounted from complaint_folded, itself from
  // the complaints: a wrong folded complaint shows in both.
  db_->Query("UPDATE complaint_folded SET escalated = NOT escalated WHERE ctid = "
             "(SELECT ctid FROM complaint_folded LIMIT 1)");
  differing = Differing();
  EXPECT_EQ(differing.at("complaint_folded"), 2);
  EXPECT_EQ(differing.at("complaint_days"), 2 * 5 * 2);  // two zones, five grouping sets
  EXPECT_EQ(differing.size(), 2u);
  ASSERT_TRUE(folder_->Rebuild().ok());
  EXPECT_TRUE(Differing().empty());
}

// Weekly buckets over whole local weeks of Warsaw (a report zone), grouped
// by `group_by`.
domain::ReportQuery WarsawWeeks(std::vector<Dimension> group_by) {
  absl::TimeZone warsaw;
  absl::LoadTimeZone("Europe/Warsaw", &warsaw);
  domain::ReportQuery q;
  q.start = absl::FromCivil(absl::CivilDay(2026, 3, 2), warsaw);
  q.end = absl::FromCivil(absl::CivilDay(2026, 4, 6), warsaw);
  q.time_zone = "Europe/Warsaw";
  q.bucket = Bucket::kWeek;
  q.group_by = std::move(group_by);
  return q;
}

TEST_F(ComplaintReportTest, ComplaintReportEqualsPlainSqlInEveryZoneAndGrouping) {
  const std::vector<std::vector<Dimension>> groupings = {
      {}, {Dimension::kChannel}, {Dimension::kAgent, Dimension::kQueue}, {Dimension::kCategory}};
  // UTC and Warsaw were report zones from the start; Kathmandu's daily rows
  // are filled now, as of the watermark. Ranges of whole local days in them
  // grouped by one dimension read the daily tables, the rest every
  // complaint as folded. First with the agents' changes of SetUp in the
  // tail, then folded.
  absl::StatusOr<bool> added = folder_->AddReportZone("Asia/Kathmandu");
  ASSERT_TRUE(added.ok()) << added.status();
  ASSERT_TRUE(*added);
  int compared_rows = 0;
  for (const bool folded : {false, true}) {
  if (folded) {
    ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  }
  for (const char* zone_name : kZones) {
    absl::TimeZone zone;
    ASSERT_TRUE(absl::LoadTimeZone(zone_name, &zone));
    for (Bucket bucket : {Bucket::kNone, Bucket::kDay, Bucket::kWeek, Bucket::kMonth}) {
      for (const auto& group_by : groupings) {
        domain::ReportQuery q;
        q.start = absl::FromCivil(absl::CivilDay(2026, 2, 2), zone);
        q.end = absl::FromCivil(absl::CivilDay(2026, 4, 20), zone);
        q.time_zone = zone_name;
        q.bucket = bucket;
        q.group_by = group_by;
        if (group_by.size() == 1 && group_by[0] == Dimension::kChannel) q.queues = {"general", "vip"};
        compared_rows += ExpectEqualsPlainSql(q);
      }
    }
  }
  }
  EXPECT_GT(compared_rows, 2000);
}

TEST_F(ComplaintReportTest, WholeLocalDaysOfAReportZoneAreReadFromTheDailyTables) {
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  const domain::ReportQuery q = WarsawWeeks({Dimension::kAgent});
  const domain::ReportQuery two_dims = WarsawWeeks({Dimension::kAgent, Dimension::kChannel});
  auto before = reports_->Complaints(q);
  auto before_two = reports_->Complaints(two_dims);
  ASSERT_TRUE(before.ok() && before_two.ok());
  ASSERT_FALSE(before->empty());
  ASSERT_FALSE(before_two->empty());
  // Without the folded complaints only the daily rows can answer.
  db_->Query("DELETE FROM complaint_folded");
  auto after = reports_->Complaints(q);
  auto after_two = reports_->Complaints(two_dims);
  ASSERT_TRUE(after.ok() && after_two.ok());
  ASSERT_EQ(after->size(), before->size());
  for (auto a = after->begin(), b = before->begin(); a != after->end(); ++a, ++b) {
    EXPECT_EQ(a->first.bucket_start, b->first.bucket_start);
    EXPECT_EQ(a->first.agent_id, b->first.agent_id);
    EXPECT_EQ(a->second.opened, b->second.opened);
    EXPECT_EQ(a->second.resolved, b->second.resolved);
    EXPECT_EQ(a->second.resolution.Percentile(0.9), b->second.resolution.Percentile(0.9));
  }
  // Two dimensions are summed from the folded complaints, now gone.
  EXPECT_TRUE(after_two->empty());
}

TEST_F(ComplaintReportTest, WholeWeeksAndMonthsReadTheirOwnHistogramsAndTheEdgesTheDays) {
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  absl::TimeZone warsaw;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Warsaw", &warsaw));
  for (Bucket bucket : {Bucket::kWeek, Bucket::kMonth}) {
    const std::string what = bucket == Bucket::kWeek ? "weeks" : "months";
    domain::ReportQuery q;  // Wednesday 4 February to Thursday 16 April
    q.start = absl::FromCivil(absl::CivilDay(2026, 2, 4), warsaw);
    q.end = absl::FromCivil(absl::CivilDay(2026, 4, 16), warsaw);
    q.time_zone = "Europe/Warsaw";
    q.bucket = bucket;
    q.group_by = {Dimension::kChannel};
    // Per bucket and channel by plain SQL: times counted and their p50/p90.
    const std::string sql =
        "SELECT epoch_us(" + BucketSql(bucket, "created_at") + "), channel, "
        "count(first_response_seconds), count(resolution_seconds), "
        "coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY first_response_seconds), 0), "
        "coalesce(percentile_disc(0.9) WITHIN GROUP (ORDER BY first_response_seconds), 0), "
        "coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY resolution_seconds), 0), "
        "coalesce(percentile_disc(0.9) WITHIN GROUP (ORDER BY resolution_seconds), 0) "
        "FROM complaints WHERE created_at >= $1 AND created_at < $2 AND $3 <> '' "
        "GROUP BY 1, 2 ORDER BY 1, 2";
    auto matches_plain_sql = [&](const std::map<ReportKey, domain::ComplaintStats>& got) {
      const pqxx::result expected =
          db_->Query(sql, {PgTime(q.start), PgTime(q.end), "Europe/Warsaw"});
      EXPECT_EQ(got.size(), expected.size()) << what;
      if (got.size() != expected.size()) return;
      auto it = got.begin();
      for (const auto& row : expected) {
        const domain::ComplaintStats& s = it->second;
        EXPECT_EQ(absl::ToUnixMicros(it->first.bucket_start), row[0].as<int64_t>()) << what;
        EXPECT_EQ(it->first.channel, row[1].as<int>()) << what;
        EXPECT_EQ(s.first_response.count(), row[2].as<int64_t>()) << what;
        EXPECT_EQ(s.resolution.count(), row[3].as<int64_t>()) << what;
        EXPECT_TRUE(WithinOnePercent(s.first_response.Percentile(0.5), row[4].as<double>()));
        EXPECT_TRUE(WithinOnePercent(s.first_response.Percentile(0.9), row[5].as<double>()));
        EXPECT_TRUE(WithinOnePercent(s.resolution.Percentile(0.5), row[6].as<double>()));
        EXPECT_TRUE(WithinOnePercent(s.resolution.Percentile(0.9), row[7].as<double>()));
        ++it;
      }
    };
    auto before = reports_->Complaints(q);
    ASSERT_TRUE(before.ok()) << before.status();
    matches_plain_sql(*before);

    // Emptied period histograms take their times out of the buckets of
    // whole weeks or months; the partial ones at the edges keep theirs.
    db_->Query("CREATE TEMP TABLE kept AS SELECT * FROM complaint_period_times");
    db_->Query("UPDATE complaint_period_times SET n = 0 WHERE zone = 'Europe/Warsaw' "
               "AND grain IN ('w', 'm')");
    auto emptied = reports_->Complaints(q);
    ASSERT_TRUE(emptied.ok()) << emptied.status();
    ASSERT_EQ(emptied->size(), before->size());
    const absl::Time first_bucket = before->begin()->first.bucket_start;
    const absl::Time last_bucket = before->rbegin()->first.bucket_start;
    int edges = 0, whole = 0;
    for (const auto& [key, stats] : *before) {
      const domain::ComplaintStats& now = emptied->at(key);
      EXPECT_EQ(now.opened, stats.opened);  // the counts are the days'
      if (key.bucket_start == first_bucket || key.bucket_start == last_bucket) {
        EXPECT_EQ(now.first_response.count(), stats.first_response.count()) << what;
        EXPECT_EQ(now.resolution.count(), stats.resolution.count()) << what;
        ++edges;
      } else {
        EXPECT_EQ(now.first_response.count(), 0) << what;
        EXPECT_EQ(now.resolution.count(), 0) << what;
        whole += stats.first_response.count() > 0 ? 1 : 0;
      }
    }
    EXPECT_GT(edges, 0) << what;
    EXPECT_GT(whole, 0) << what;
    db_->Query("DELETE FROM complaint_period_times; "
               "INSERT INTO complaint_period_times SELECT * FROM kept; DROP TABLE kept");
  }
  // The check sees a wrong period histogram, and the rebuild recounts it.
  db_->Query("UPDATE complaint_period_times SET n = n + 1 WHERE ctid IN "
             "(SELECT ctid FROM complaint_period_times WHERE grain = 'm' LIMIT 1)");
  EXPECT_EQ(Differing(), (std::map<std::string, int64_t>{{"complaint_period_times", 2}}));
  ASSERT_TRUE(folder_->Rebuild().ok());
  EXPECT_TRUE(Differing().empty());
}

TEST_F(ComplaintReportTest, BacklogCountsCohortComplaintsResolvedAfterTheRange) {
  domain::ReportQuery q;
  q.start = kEnd - absl::Hours(24 * 60);
  q.end = kEnd - absl::Hours(24 * 30);
  auto got = reports_->Complaints(q);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  const int64_t expected = db_->Count(
      "SELECT count(*) FROM complaints WHERE created_at >= '" + PgTime(q.start) +
      "' AND created_at < '" + PgTime(q.end) + "' AND (resolved_at IS NULL OR resolved_at >= '" +
      PgTime(q.end) + "')");
  EXPECT_EQ(got->begin()->second.backlog_open_at_end, expected);
  // Some were resolved only after the range ended, so this is more than
  // the ones open now.
  EXPECT_GT(expected, got->begin()->second.opened - got->begin()->second.resolved);
}

TEST_F(ComplaintReportTest, TheBacklogIsReadFromTheFoldedComplaintsNotTheFacts) {
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  const domain::ReportQuery q = WarsawWeeks({Dimension::kChannel});
  // Two dimensions: summed from the folded complaints.
  const domain::ReportQuery slots = WarsawWeeks({Dimension::kChannel, Dimension::kQueue});
  auto total_backlog = [&](const domain::ReportQuery& query) {
    auto got = reports_->Complaints(query);
    EXPECT_TRUE(got.ok()) << got.status();
    int64_t backlog = 0, open_now = 0;
    for (const auto& [key, s] : *got) {
      backlog += s.backlog_open_at_end;
      open_now += s.opened - s.resolved;
    }
    return std::pair(backlog, open_now);
  };
  const auto [daily_before, open_now] = total_backlog(q);
  const int64_t slots_before = total_backlog(slots).first;
  const int64_t late = db_->Count(
      "SELECT count(*) FROM complaints WHERE created_at >= '" + PgTime(q.start) +
      "' AND created_at < '" + PgTime(q.end) + "' AND resolved_at >= '" + PgTime(q.end) + "'");
  ASSERT_GT(late, 0);
  EXPECT_EQ(daily_before, open_now + late);
  EXPECT_EQ(slots_before, daily_before);
  // Behind the fold's back (the row keeps its fold_xid), the late
  // resolutions move to the end day's midnight minus a second (before the
  // end): neither path reads folded facts, so neither backlog moves; the
  // check sees the drift.
  ASSERT_TRUE(Differing().empty());
  db_->Query("ALTER TABLE complaints DISABLE TRIGGER USER");
  db_->Query("UPDATE complaints SET resolved_at = '" + PgTime(q.end - absl::Seconds(1)) +
             "' WHERE created_at >= '" + PgTime(q.start) + "' AND created_at < '" +
             PgTime(q.end) + "' AND resolved_at >= '" + PgTime(q.end) + "'");
  db_->Query("ALTER TABLE complaints ENABLE TRIGGER USER");
  EXPECT_EQ(total_backlog(q).first, daily_before);
  EXPECT_EQ(total_backlog(slots).first, slots_before);
  EXPECT_GT(Differing().count("complaint_folded"), 0u);
  // Rebuilt from the complaints as they are now, both see the move.
  ASSERT_TRUE(folder_->Rebuild().ok());
  EXPECT_EQ(total_backlog(q).first, daily_before - late);
  EXPECT_EQ(total_backlog(slots).first, slots_before - late);
}

// Every report, in report zones and others, by every path, as a role that
// may read the derived tables but of the facts only those past the
// watermark (row-level security): each answers, and answers as the owner
// does. So once folded, no report reads a folded fact.
TEST_F(ComplaintReportTest, EveryReportReadsNoFoldedFact) {
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  const std::string role = db_->name() + "_reports";
  db_->Query("CREATE ROLE " + role + " NOLOGIN");
  db_->Query("GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role);
  for (const char* facts : {"feedback", "complaints"}) {
    db_->Query(std::string("ALTER TABLE ") + facts + " ENABLE ROW LEVEL SECURITY");
    db_->Query(std::string("CREATE POLICY tail_only ON ") + facts + " FOR SELECT TO " + role +
               " USING (fold_xid >= (SELECT watermark FROM fold_state))");
  }
  db_->Query("REVOKE SELECT ON complaint_notes, complaint_events, follow_ups, idempotency_keys, "
             "api_keys, admin_audit FROM " + role);
  // A tail of new scores (a customer's among them) and a new complaint.
  db_->Query("INSERT INTO feedback (id, kind, score, channel, customer_id, api_key_id, "
             "occurred_at, received_at) SELECT gen_random_uuid(), 1 + g % 2, g % 5 + 1, 1, "
             "'cust-' || g, 1, timestamptz '2026-03-10 10:00:00+00' + g * interval '7 hours', "
             "now() FROM generate_series(1, 50) g");
  db_->Query("INSERT INTO complaints (id, status, priority, queue, channel, customer_id, subject, "
             "created_at, updated_at, first_response_due_at, resolution_due_at) VALUES "
             "(gen_random_uuid(), 1, 2, 'general', 2, 'cust-3', 'tail', "
             "'2026-03-12 09:00:00+00', now(), '2026-03-12 13:00:00+00', "
             "'2026-03-15 09:00:00+00')");
  const std::string url =
      db_->url() + (db_->url().find('?') == std::string::npos ? "?" : "&") +
      "options=-c%20role%3D" + role;
  {
    // The role really sees only the tail.
    pqxx::connection conn(url);
    pqxx::read_transaction tx(conn);
    EXPECT_EQ(tx.exec("SELECT count(*) FROM feedback")[0][0].as<int64_t>(), 50);
    EXPECT_EQ(tx.exec("SELECT count(*) FROM complaints")[0][0].as<int64_t>(), 1);
  }
  ConnectionPool restricted_pool(PoolOptions{url, 1});
  ReportStore restricted(restricted_pool);
  int compared = 0;
  for (const char* zone_name : {"UTC", "Europe/Warsaw", "Asia/Tehran", "America/New_York"}) {
    absl::TimeZone zone;
    ASSERT_TRUE(absl::LoadTimeZone(zone_name, &zone));
    for (const absl::CivilSecond end :
         {absl::CivilSecond(2026, 4, 20), absl::CivilSecond(2026, 4, 20, 12, 15)})
    for (Bucket bucket : {Bucket::kDay, Bucket::kWeek, Bucket::kMonth})
    for (const std::vector<Dimension>& dims :
         std::vector<std::vector<Dimension>>{{}, {Dimension::kAgent},
                                             {Dimension::kChannel, Dimension::kQueue}}) {
      domain::ReportQuery q;
      q.start = absl::FromCivil(absl::CivilDay(2026, 2, 11), zone);
      q.end = absl::FromCivil(end, zone);
      q.time_zone = zone_name;
      q.bucket = bucket;
      q.group_by = dims;
      const std::string what = std::string(zone_name) + " bucket " +
                               std::to_string(static_cast<int>(bucket)) + " dims " +
                               std::to_string(dims.size()) + " end " + absl::FormatCivilTime(end);
      // The report as the restricted role and as the owner: both answer,
      // with the same rows; `same` compares each row's numbers.
      auto compare = [&](auto report, auto same) {
        auto got = (restricted.*report)(q);
        auto owner = ((*reports_).*report)(q);
        ASSERT_TRUE(got.ok()) << what << ": " << got.status();
        ASSERT_TRUE(owner.ok()) << owner.status();
        ASSERT_EQ(got->size(), owner->size()) << what;
        for (const auto& [key, s] : *got) same(s, owner->at(key));
      };
      auto same_counts = [&](const auto& s, const auto& o) { EXPECT_EQ(s.counts, o.counts) << what; };
      compare(&ReportStore::Satisfaction, same_counts);
      compare(&ReportStore::Nps, same_counts);
      int64_t backlog = 0;
      compare(&ReportStore::Complaints,
              [&](const domain::ComplaintStats& s, const domain::ComplaintStats& o) {
                EXPECT_EQ(s.opened, o.opened) << what;
                EXPECT_EQ(s.resolved, o.resolved) << what;
                EXPECT_EQ(s.backlog_open_at_end, o.backlog_open_at_end) << what;
                EXPECT_EQ(s.resolution_missed, o.resolution_missed) << what;
                EXPECT_EQ(s.ratings, o.ratings) << what;
                backlog += s.backlog_open_at_end;
              });
      EXPECT_GT(backlog, 0) << what;
      if (dims.empty()) {
        int64_t complainants = 0;
        compare(&ReportStore::Retention,
                [&](const domain::RetentionStats& s, const domain::RetentionStats& o) {
                  EXPECT_EQ(s.active, o.active) << what;
                  EXPECT_EQ(s.returning, o.returning) << what;
                  EXPECT_EQ(s.complainants_resolved_returned, o.complainants_resolved_returned)
                      << what;
                  EXPECT_EQ(s.complainants_unresolved, o.complainants_unresolved) << what;
                  complainants += s.complainants_resolved + s.complainants_unresolved;
                });
        EXPECT_GT(complainants, 0) << what;
      }
      ++compared;
    }
  }
  EXPECT_EQ(compared, 4 * 2 * 3 * 3);
  for (const char* facts : {"feedback", "complaints"}) {
    db_->Query(std::string("DROP POLICY tail_only ON ") + facts);
    db_->Query(std::string("ALTER TABLE ") + facts + " DISABLE ROW LEVEL SECURITY");
  }
  db_->Query("DROP OWNED BY " + role);
  db_->Query("DROP ROLE " + role);
}

TEST_F(ComplaintReportTest, RetentionEqualsASetComputationOverRawRows) {
  // UTC, Warsaw and Kathmandu (added over existing data) are report zones:
  // ranges ending at a local midnight there read retention_counts, the
  // rest and the buckets the tail touches customer_slots. Ends: a Monday,
  // the first of a month (each grain ends whole in one and inside a period
  // in the other) and a noon. With SetUp's changes in the tail, then folded.
  ASSERT_TRUE(folder_->AddReportZone("Asia/Kathmandu").ok());
  int compared = 0;
  for (const bool folded : {false, true}) {
  if (folded) {
    ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  }
  for (const char* zone_name : kZones) {
    absl::TimeZone zone;
    ASSERT_TRUE(absl::LoadTimeZone(zone_name, &zone));
    for (const absl::CivilSecond end :
         {absl::CivilSecond(2026, 4, 20), absl::CivilSecond(2026, 5, 1),
          absl::CivilSecond(2026, 4, 20, 12)})
    for (Bucket bucket : {Bucket::kDay, Bucket::kWeek, Bucket::kMonth}) {
      domain::ReportQuery q;
      q.start = absl::FromCivil(absl::CivilDay(2026, 2, 10), zone);
      q.end = absl::FromCivil(end, zone);
      q.time_zone = zone_name;
      q.bucket = bucket;
      compared += ExpectRetentionEqualsSets(q);
    }
  }
  }
  EXPECT_GT(compared, 1800);
}

// Ranges that start and end at any instant (odd seconds, inside a slot, on
// DST days), with SetUp's changes in the tail and folded.
TEST_F(ComplaintReportTest, RangesAtAnyInstantEqualPlainSql) {
  struct Range {
    const char* zone;
    absl::CivilSecond from, to;
  };
  const Range ranges[] = {
      // inside one slot
      {"UTC", absl::CivilSecond(2026, 3, 3, 10, 3, 17),
       absl::CivilSecond(2026, 3, 3, 10, 11, 59)},
      {"UTC", absl::CivilSecond(2026, 2, 11, 10, 3, 17),
       absl::CivilSecond(2026, 4, 20, 10, 19, 1)},
      // spring DST day
      {"Europe/Warsaw", absl::CivilSecond(2026, 3, 29, 1, 7, 13),
       absl::CivilSecond(2026, 4, 22, 17, 59, 59)},
      // a second past midnight
      {"Europe/Warsaw", absl::CivilSecond(2026, 2, 1, 0, 0, 1),
       absl::CivilSecond(2026, 4, 1, 0, 0, 0)},
      {"America/New_York", absl::CivilSecond(2026, 3, 8, 1, 59, 59),
       absl::CivilSecond(2026, 4, 8, 3, 0, 1)},
      {"Asia/Kathmandu", absl::CivilSecond(2026, 2, 10, 7, 44, 59),
       absl::CivilSecond(2026, 4, 10, 7, 45, 1)},
  };
  int rows = 0, buckets = 0;
  for (const bool folded : {false, true}) {
    if (folded) {
      ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
    }
    for (const Range& r : ranges) {
      absl::TimeZone zone;
      ASSERT_TRUE(absl::LoadTimeZone(r.zone, &zone));
      for (Bucket bucket : {Bucket::kNone, Bucket::kDay, Bucket::kWeek}) {
        domain::ReportQuery q;
        q.start = absl::FromCivil(r.from, zone);
        q.end = absl::FromCivil(r.to, zone);
        q.time_zone = r.zone;
        q.bucket = bucket;
        for (const auto& group_by : std::vector<std::vector<Dimension>>{
                 {}, {Dimension::kChannel}, {Dimension::kAgent, Dimension::kQueue}}) {
          q.group_by = group_by;
          rows += ExpectEqualsPlainSql(q);
        }
        q.group_by.clear();
        if (bucket != Bucket::kNone) buckets += ExpectRetentionEqualsSets(q);
      }
    }
  }
  EXPECT_GT(rows, 500);
  EXPECT_GT(buckets, 200);
}

TEST_F(ComplaintReportTest, RetentionOfAReportZoneIsReadFromItsCounts) {
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  domain::ReportQuery q;
  q.start = absl::FromCivil(absl::CivilDay(2026, 3, 2), absl::UTCTimeZone());
  q.end = absl::FromCivil(absl::CivilDay(2026, 4, 27), absl::UTCTimeZone());
  q.time_zone = "UTC";
  q.bucket = Bucket::kWeek;
  auto before = reports_->Retention(q);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->size(), 8u);
  db_->Query("DELETE FROM customer_slots");
  auto after = reports_->Retention(q);
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->size(), before->size());
  for (const auto& [b, s] : *before) {
    const domain::RetentionStats& t = after->at(b);
    EXPECT_GT(s.active, 0);
    EXPECT_GT(s.returning, 0);
    EXPECT_EQ(t.active, s.active);
    EXPECT_EQ(t.previous_active, s.previous_active);
    EXPECT_EQ(t.returning, s.returning);
    EXPECT_EQ(t.complainants_resolved_returned, s.complainants_resolved_returned);
    EXPECT_EQ(t.complainants_unresolved, s.complainants_unresolved);
  }
  // A range ending inside a week at midnight reads the counts too ...
  q.end -= absl::Hours(24);
  auto partial = reports_->Retention(q);
  ASSERT_TRUE(partial.ok());
  ASSERT_EQ(partial->size(), 8u);
  EXPECT_EQ(partial->begin()->second.active, before->begin()->second.active);
  EXPECT_GT(partial->rbegin()->second.active, 0);
  EXPECT_LT(partial->rbegin()->second.active, before->rbegin()->second.active);
  // ... but one ending at noon counts its last week from the activity
  // (gone here), the weeks before from the counts.
  q.end += absl::Hours(12);
  auto noon = reports_->Retention(q);
  ASSERT_TRUE(noon.ok());
  for (const auto& [b, s] : *partial) {
    if (b == partial->rbegin()->first) {
      EXPECT_TRUE(noon->count(b) == 0 || noon->at(b).active == 0);
      continue;
    }
    EXPECT_EQ(noon->at(b).active, s.active);
    EXPECT_EQ(noon->at(b).returning, s.returning);
  }
  // A zone that is not a report zone is counted from the activity (gone).
  q.time_zone = "Asia/Tokyo";
  auto tokyo = reports_->Retention(q);
  ASSERT_TRUE(tokyo.ok());
  for (const auto& [b, s] : *tokyo) EXPECT_EQ(s.active, 0);
}

TEST_F(ComplaintReportTest, RetentionEndingInsideADayAddsThatDaysFirstVisits) {
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  // UTC is a report zone: a range ending at 13:00 reads the counts of the
  // weeks before and the last week's activity; it equals the set
  // computation over the raw rows (as every zone's noon does in the test
  // above), and customers active only in the morning of the last day are
  // counted.
  domain::ReportQuery q;
  q.start = absl::FromCivil(absl::CivilDay(2026, 3, 2), absl::UTCTimeZone());
  q.end = absl::FromCivil(absl::CivilSecond(2026, 4, 22, 13), absl::UTCTimeZone());
  q.time_zone = "UTC";
  q.bucket = Bucket::kWeek;
  domain::ReportQuery midnight = q;
  midnight.end = absl::FromCivil(absl::CivilDay(2026, 4, 22), absl::UTCTimeZone());
  auto at_one = reports_->Retention(q);
  auto at_midnight = reports_->Retention(midnight);
  ASSERT_TRUE(at_one.ok() && at_midnight.ok());
  const absl::Time last_week = absl::FromCivil(absl::CivilDay(2026, 4, 20), absl::UTCTimeZone());
  const int64_t first_seen_that_morning = db_->Count(
      "SELECT count(DISTINCT customer_id) FROM customer_slots a "
      "WHERE slot >= '2026-04-22T00:00:00Z' AND slot < '2026-04-22T13:00:00Z' "
      "AND NOT EXISTS (SELECT 1 FROM customer_slots b WHERE b.customer_id = a.customer_id "
      "AND b.slot >= '2026-04-20T00:00:00Z' AND b.slot < '2026-04-22T00:00:00Z')");
  ASSERT_GT(first_seen_that_morning, 0);
  EXPECT_EQ(at_one->at(last_week).active,
            at_midnight->at(last_week).active + first_seen_that_morning);
  // Earlier weeks are whole either way.
  for (const auto& [b, s] : *at_midnight) {
    if (b < last_week) {
      EXPECT_EQ(at_one->at(b).active, s.active);
    }
  }
}

TEST_F(ComplaintReportTest, AnErasedCustomerLeavesTheCountsAndNoTrace) {
  // Erased with part of their facts folded and part (SetUp's changes) not.
  const std::string customer =
      db_->Query("SELECT customer_id FROM complaints WHERE customer_id IS NOT NULL "
                 "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0][0]
          .as<std::string>();
  ASSERT_GT(db_->Count("SELECT count(*) FROM complainant_periods WHERE customer_id = '" +
                       customer + "'"),
            0);
  CustomerEraser eraser(*pool_);
  ASSERT_TRUE(eraser.Erase(customer, "test").ok());
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  for (const char* table : {"customer_periods", "complainant_periods", "customer_slots",
                            "complaint_folded"}) {
    EXPECT_EQ(db_->Count(std::string("SELECT count(*) FROM ") + table +
                         " WHERE customer_id = '" + customer + "'"),
              0)
        << table;
  }
  EXPECT_TRUE(Differing().empty());
}

// Two writers adding neighbouring days of one customer at once: neither
// waits for the other, and the fold counts the return between the days
// once.
TEST_F(ComplaintReportTest, ConcurrentWritersOfOneCustomerCountItsReturnOnce) {
  ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
  const char* kInsert =
      "INSERT INTO feedback (id, kind, score, channel, customer_id, api_key_id, occurred_at, "
      "received_at) VALUES (gen_random_uuid(), 1, 5, 1, 'cust-new', 1, $1, $1)";
  pqxx::connection first(db_->url());
  pqxx::work first_tx(first);
  first_tx.exec_params(kInsert, "2026-06-01 10:00:00+00");
  {
    pqxx::connection c(db_->url());
    pqxx::work tx(c);
    tx.exec_params(kInsert, "2026-06-02 10:00:00+00");
    tx.commit();
  }
  ASSERT_TRUE(folder_->CatchUp().ok());  // the first holds the horizon
  first_tx.commit();
  domain::ReportQuery q;
  q.start = absl::FromCivil(absl::CivilDay(2026, 6, 2), absl::UTCTimeZone());
  q.end = q.start + absl::Hours(24);
  q.time_zone = "UTC";
  q.bucket = Bucket::kDay;
  for (const bool folded : {false, true}) {
    if (folded) {
      ASSERT_TRUE(folder_->CatchUp(absl::Seconds(60)).ok());
    }
    auto got = reports_->Retention(q);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ(got->begin()->second.active, 1);
    EXPECT_EQ(got->begin()->second.previous_active, 1);
    EXPECT_EQ(got->begin()->second.returning, 1);
  }
  EXPECT_EQ(db_->Count("SELECT sum(returning_customers) FROM retention_counts WHERE zone = 'UTC' "
                       "AND grain = 'd' AND period = '2026-06-02'"),
            1);
  EXPECT_TRUE(Differing().empty());
}

}  // namespace
}  // namespace feedback::storage
