#include "domain/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <vector>

namespace feedback::domain {
namespace {

absl::TimeZone Zone(const char* name) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone(name, &tz)) << name;
  return tz;
}

absl::Time At(const char* zone, int y, int m, int d, int h = 0, int mi = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, h, mi, 0), Zone(zone));
}

TEST(CsatStats, PercentMeanAndCountsOnHandMadeData) {
  CsatStats s;
  s.counts = {1, 1, 2, 3, 3};  // ten responses
  EXPECT_EQ(s.responses(), 10);
  EXPECT_DOUBLE_EQ(s.mean(), (1 + 2 + 6 + 12 + 15) / 10.0);
  EXPECT_DOUBLE_EQ(s.csat_percent(), 60.0);
  CsatStats empty;
  EXPECT_EQ(empty.csat_percent(), 0);
  EXPECT_EQ(empty.mean(), 0);
  empty.Add(s);
  EXPECT_EQ(empty.counts, s.counts);
}

TEST(NpsStats, ScoreAndAdjustedWaldMarginOfError) {
  NpsStats s;
  s.counts = {1, 0, 0, 0, 0, 0, 2, 3, 1, 2, 1};  // 3 detractors, 4 passives, 3 promoters
  EXPECT_EQ(s.responses(), 10);
  EXPECT_EQ(s.promoters(), 3);
  EXPECT_EQ(s.passives(), 4);
  EXPECT_EQ(s.detractors(), 3);
  EXPECT_DOUBLE_EQ(s.nps(), 0.0);
  // n' = 13, pP = pD = 3.75/13: MoE = 1.96 * sqrt(7.5/13 / 13) * 100.
  EXPECT_NEAR(s.margin_of_error_95(), 1.96 * std::sqrt((7.5 / 13.0) / 13.0) * 100.0, 1e-9);
  EXPECT_NEAR(s.margin_of_error_95(), 41.29, 0.005);
}

TEST(NpsStats, MarginOfErrorOnTinySamples) {
  NpsStats none;
  // n = 0: n' = 3, pP = pD = 0.25: 1.96 * sqrt(0.5 / 3) * 100 = 80.02.
  EXPECT_NEAR(none.margin_of_error_95(), 80.0166, 1e-3);
  EXPECT_EQ(none.nps(), 0);
  NpsStats one_promoter;
  one_promoter.counts[10] = 1;
  EXPECT_DOUBLE_EQ(one_promoter.nps(), 100.0);
  // n' = 4, pP = 1.75/4, pD = 0.75/4.
  const double p = 1.75 / 4, d = 0.75 / 4;
  EXPECT_NEAR(one_promoter.margin_of_error_95(),
              1.96 * std::sqrt((p + d - (p - d) * (p - d)) / 4) * 100, 1e-9);
  NpsStats all_detractors;
  all_detractors.counts[0] = 1000;
  EXPECT_DOUBLE_EQ(all_detractors.nps(), -100.0);
  EXPECT_LT(all_detractors.margin_of_error_95(), 0.5);
}

TEST(ReportBuckets, CountsLocalDaysWeeksAndMonths) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  EXPECT_EQ(CountBuckets(At("UTC", 2026, 1, 1), At("UTC", 2026, 4, 1), utc, Bucket::kDay), 90);
  EXPECT_EQ(CountBuckets(At("UTC", 2026, 1, 1), At("UTC", 2026, 4, 1), utc, Bucket::kMonth), 3);
  // 2026-01-01 is a Thursday: Dec 29 - Mar 30 weeks, 14 of them.
  EXPECT_EQ(CountBuckets(At("UTC", 2026, 1, 1), At("UTC", 2026, 4, 1), utc, Bucket::kWeek), 14);
  EXPECT_EQ(CountBuckets(At("UTC", 2026, 1, 1), At("UTC", 2026, 4, 1), utc, Bucket::kNone), 1);
}

TEST(ReportBuckets, DstWeeksInWarsawAndNewYork) {
  // The week of Monday 2026-03-23 in Warsaw contains the switch to CEST (29 March).
  const absl::TimeZone warsaw = Zone("Europe/Warsaw");
  EXPECT_EQ(CountBuckets(At("Europe/Warsaw", 2026, 3, 23), At("Europe/Warsaw", 2026, 3, 30),
                         warsaw, Bucket::kWeek),
            1);
  EXPECT_EQ(At("Europe/Warsaw", 2026, 3, 30) - At("Europe/Warsaw", 2026, 3, 23),
            absl::Hours(24 * 7 - 1));
  EXPECT_EQ(CountBuckets(At("Europe/Warsaw", 2026, 3, 23), At("Europe/Warsaw", 2026, 3, 30),
                         warsaw, Bucket::kDay),
            7);
  // New York falls back on Sunday 1 November: that week has 169 hours.
  const absl::TimeZone ny = Zone("America/New_York");
  EXPECT_EQ(At("America/New_York", 2026, 11, 2) - At("America/New_York", 2026, 10, 26),
            absl::Hours(24 * 7 + 1));
  EXPECT_EQ(CountBuckets(At("America/New_York", 2026, 10, 26), At("America/New_York", 2026, 11, 2),
                         ny, Bucket::kWeek),
            1);
  // The same UTC range counts differently in different zones.
  EXPECT_EQ(CountBuckets(At("UTC", 2026, 3, 1, 12), At("UTC", 2026, 3, 2, 12), ny, Bucket::kDay),
            2);
}

TEST(ReportQueryValidation, NamesTheField) {
  const std::vector<Dimension> all = {Dimension::kChannel, Dimension::kAgent, Dimension::kQueue};
  ReportQuery q;
  q.start = At("UTC", 2026, 1, 1);
  q.end = At("UTC", 2026, 2, 1);
  q.time_zone = "Asia/Tehran";
  q.bucket = Bucket::kDay;
  EXPECT_TRUE(ValidateReportQuery(q, all).ok());
  ReportQuery bad = q;
  bad.end = bad.start;
  EXPECT_EQ(ValidateReportQuery(bad, all).message(), "end_time: must be after start_time");
  bad = q;
  bad.time_zone = "Europe/Atlantis";
  EXPECT_EQ(ValidateReportQuery(bad, all).message(), "time_zone: unknown IANA time zone");
  // Any instant will do: the edges' partial slots are counted from the facts.
  ReportQuery odd = q;
  odd.start += absl::Minutes(7) + absl::Seconds(13);
  odd.end -= absl::Milliseconds(1500);
  EXPECT_TRUE(ValidateReportQuery(odd, all).ok());
  bad = q;
  bad.end = At("UTC", 2029, 1, 1);
  EXPECT_EQ(ValidateReportQuery(bad, all).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateReportQuery(bad, all).message().substr(0, 7), "bucket:");
  bad = q;
  bad.group_by = {Dimension::kCategory};
  EXPECT_EQ(ValidateReportQuery(bad, all).message(),
            "group_by: unknown dimension for this report");
  bad.group_by = {Dimension::kQueue, Dimension::kQueue};
  EXPECT_EQ(ValidateReportQuery(bad, all).message(), "group_by: repeated dimension");
  bad = q;
  bad.channels = {9};
  EXPECT_EQ(ValidateReportQuery(bad, all).message(), "filters.channels: unknown channel");
  q.start = At("Asia/Kathmandu", 2026, 1, 1);
  q.end = At("Asia/Kathmandu", 2026, 1, 2);
  EXPECT_TRUE(ValidateReportQuery(q, all).ok());
}

}  // namespace
}  // namespace feedback::domain

namespace feedback::domain {
namespace {

TEST(TimeHistogramTest, PercentilesAreWithinOnePercentOfTheExactNearestRank) {
  std::mt19937 rng(42);
  std::lognormal_distribution<double> seconds(8, 2);
  std::vector<int64_t> values;
  TimeHistogram h;
  for (int i = 0; i < 20000; ++i) {
    const int64_t v = static_cast<int64_t>(seconds(rng));
    values.push_back(v);
    h.Add(TimeHistogram::Bin(v), 1);
  }
  std::sort(values.begin(), values.end());
  for (double p : {0.01, 0.1, 0.5, 0.9, 0.99, 1.0}) {
    const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
    const double exact = static_cast<double>(values[rank - 1]);
    EXPECT_LE(std::abs(h.Percentile(p) - exact), 0.01 * exact) << p;
  }
}

TEST(TimeHistogramTest, BinsAndMerging) {
  EXPECT_EQ(TimeHistogram::Bin(0), 0);
  EXPECT_EQ(TimeHistogram::Estimate(0), 0);
  EXPECT_EQ(TimeHistogram::Bin(1), 1);
  EXPECT_NEAR(TimeHistogram::Estimate(1), 1.0, 0.01);
  TimeHistogram empty;
  EXPECT_EQ(empty.Percentile(0.5), 0);
  TimeHistogram a, b;
  a.Add(TimeHistogram::Bin(100), 1);
  b.Add(TimeHistogram::Bin(10000), 3);
  a.Add(b);
  EXPECT_EQ(a.count(), 4);
  EXPECT_NEAR(a.Percentile(0.25), 100, 1);
  EXPECT_NEAR(a.Percentile(0.5), 10000, 100);
}

TEST(TimeHistogramTest, AddingStoredHistogramsEqualsAddingEachBin) {
  // Daily histograms as the database stores them (ascending bins, delta
  // rows with negative counts), merged in one pass, against bin by bin.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> bin(0, 700);
  std::uniform_int_distribution<int> count(-2, 9);
  TimeHistogram merged, one_by_one;
  for (int day = 0; day < 60; ++day) {
    std::set<int> bins;
    while (bins.size() < 150) bins.insert(bin(rng));
    std::vector<int64_t> b(bins.begin(), bins.end()), c;
    for (int64_t x : b) {
      c.push_back(count(rng));
      one_by_one.Add(static_cast<int>(x), c.back());
    }
    merged.Add(b, c);
  }
  ASSERT_GT(merged.count(), 0);
  EXPECT_EQ(merged.count(), one_by_one.count());
  for (double p : {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0}) {
    EXPECT_EQ(merged.Percentile(p), one_by_one.Percentile(p)) << p;
  }
  // Bins out of order are still counted.
  TimeHistogram unordered;
  const std::vector<int64_t> bins = {TimeHistogram::Bin(10000), TimeHistogram::Bin(100)};
  const std::vector<int64_t> counts = {3, 1};
  unordered.Add(bins, counts);
  EXPECT_EQ(unordered.count(), 4);
  EXPECT_NEAR(unordered.Percentile(0.25), 100, 1);
  EXPECT_NEAR(unordered.Percentile(0.5), 10000, 100);
}

TEST(ComplaintStatsTest, RatesFromCounts) {
  ComplaintStats s;
  EXPECT_EQ(s.resolution_rate_percent(), 0);  // empty denominators are 0
  s.opened = 8;
  s.resolved = 6;
  s.reopened = 2;
  s.first_response_met = 3;
  s.first_response_missed = 1;
  s.resolution_met = 1;
  s.resolution_missed = 4;
  s.ratings = 5;
  s.ratings_satisfied = 4;
  EXPECT_EQ(s.resolution_rate_percent(), 75);
  EXPECT_EQ(s.reopened_percent(), 25);
  EXPECT_EQ(s.first_response_sla_met_percent(), 75);
  EXPECT_EQ(s.resolution_sla_met_percent(), 20);
  EXPECT_EQ(s.resolution_csat_percent(), 80);
}

TEST(RetentionStatsTest, ReturnAndChurn) {
  RetentionStats s;
  EXPECT_EQ(s.churn_rate_percent(), 0);  // nobody to lose
  s.previous_active = 8;
  s.returning = 2;
  s.complainants_resolved = 4;
  s.complainants_resolved_returned = 3;
  s.complainants_unresolved = 5;
  s.complainants_unresolved_returned = 1;
  EXPECT_EQ(s.return_rate_percent(), 25);
  EXPECT_EQ(s.churn_rate_percent(), 75);
  EXPECT_EQ(s.complainants_resolved_return_rate_percent(), 75);
  EXPECT_EQ(s.complainants_unresolved_return_rate_percent(), 20);
}

TEST(BucketArithmeticTest, LocalBucketsAcrossDaylightSavingChanges) {
  absl::TimeZone warsaw, tehran, new_york;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Warsaw", &warsaw));
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Tehran", &tehran));
  ASSERT_TRUE(absl::LoadTimeZone("America/New_York", &new_york));
  // Warsaw springs forward on Sunday 2026-03-29: that week is 167 hours.
  const absl::Time monday = absl::FromCivil(absl::CivilDay(2026, 3, 23), warsaw);
  EXPECT_EQ(BucketStart(monday + absl::Hours(150), warsaw, Bucket::kWeek), monday);
  EXPECT_EQ(NextBucketStart(monday, warsaw, Bucket::kWeek) - monday, absl::Hours(167));
  EXPECT_EQ(PreviousBucketStart(NextBucketStart(monday, warsaw, Bucket::kWeek), warsaw,
                                Bucket::kWeek),
            monday);
  // Tehran has kept +03:30 all year since 2022: every day is 24 hours.
  const absl::Time nowruz = absl::FromCivil(absl::CivilDay(2026, 3, 21), tehran);
  EXPECT_EQ(NextBucketStart(nowruz, tehran, Bucket::kDay) - nowruz, absl::Hours(24));
  EXPECT_EQ(absl::ToUnixSeconds(nowruz) % 900, 0);  // on a 15-minute slot boundary
  // New York falls back on 2026-11-01: that day has 25 hours; the month of
  // November starts at local midnight.
  const absl::Time nov1 = absl::FromCivil(absl::CivilDay(2026, 11, 1), new_york);
  EXPECT_EQ(NextBucketStart(nov1, new_york, Bucket::kDay) - nov1, absl::Hours(25));
  EXPECT_EQ(BucketStart(nov1 + absl::Hours(24 * 20), new_york, Bucket::kMonth), nov1);
  EXPECT_EQ(PreviousBucketStart(nov1, new_york, Bucket::kMonth),
            absl::FromCivil(absl::CivilDay(2026, 10, 1), new_york));
}

}  // namespace
}  // namespace feedback::domain
