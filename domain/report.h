#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace feedback::domain {

// Numbering matches feedback.v1.Bucket / Dimension.
enum class Bucket : int { kNone = 1, kDay = 2, kWeek = 3, kMonth = 4 };
enum class Dimension : int { kChannel = 1, kAgent = 2, kQueue = 3, kCategory = 4 };

// The rollups' slots are 15 minutes of UTC (each lies inside one local day
// of every IANA zone since 2000); a range may start and end anywhere, the
// parts of slots at its edges are counted from the facts.
inline constexpr absl::Duration kReportGrain = absl::Minutes(15);

// The slot boundary at or before / at or after `t`.
absl::Time SlotFloor(absl::Time t);
absl::Time SlotCeil(absl::Time t);
inline constexpr int64_t kMaxReportBuckets = 1000;

struct ReportQuery {
  absl::Time start;
  absl::Time end;  // exclusive
  std::string time_zone = "UTC";
  Bucket bucket = Bucket::kNone;
  std::vector<Dimension> group_by;
  std::vector<int> channels;
  std::vector<std::string> queues;
  std::vector<std::string> agent_ids;
};

// OK when the query can be answered; INVALID_ARGUMENT naming the field
// otherwise (end before start, unknown zone, unaligned range, more than
// 1000 buckets, repeated or unknown dimension, oversize filters).
// `allowed` lists the dimensions this report supports.
absl::Status ValidateReportQuery(const ReportQuery& query, const std::vector<Dimension>& allowed);

// How many buckets [start, end) spans in `zone` (1 for kNone).
int64_t CountBuckets(absl::Time start, absl::Time end, absl::TimeZone zone, Bucket bucket);

// CSAT from counts of scores 1..5 (index 0 = score 1). Exact.
struct CsatStats {
  std::array<int64_t, 5> counts{};
  int64_t responses() const;
  double mean() const;          // 0 when empty
  double csat_percent() const;  // (n4 + n5) / responses x 100; 0 when empty
  void Add(const CsatStats& other);
};

// NPS from counts of scores 0..10. Exact, except the margin of error,
// which is the adjusted-Wald 95% bound of the contract.
struct NpsStats {
  std::array<int64_t, 11> counts{};
  int64_t responses() const;
  int64_t promoters() const;   // 9-10
  int64_t passives() const;    // 7-8
  int64_t detractors() const;  // 0-6
  double nps() const;          // %promoters - %detractors; 0 when empty
  // n' = n + 3, pP = (P + 3/4) / n', pD = (D + 3/4) / n',
  // MoE = 1.96 * sqrt((pP + pD - (pP - pD)^2) / n') * 100.
  double margin_of_error_95() const;
  void Add(const NpsStats& other);
};

// Durations in whole seconds, counted in logarithmic bins: bin 0 holds 0,
// bin b >= 1 holds [1.02^(b-1), 1.02^b). Mergeable by adding counts; a
// percentile read from it is within 1% of the exact nearest-rank value
// (the bin's harmonic midpoint is within (1.02-1)/(1.02+1) of every value
// in the bin). The database computes the same bins (time_bin in
// migrations/0006).
class TimeHistogram {
 public:
  static int Bin(int64_t seconds);
  // The value reported for a bin.
  static double Estimate(int bin);

  void Add(int bin, int64_t count);
  // Adds a histogram given as bins (ascending, as the database stores them)
  // and their counts, in one pass; bins out of order are added one by one.
  // The spans have the same length.
  void Add(std::span<const int64_t> bins, std::span<const int64_t> counts);
  void Add(const TimeHistogram& other);
  int64_t count() const { return count_; }
  // Nearest-rank percentile (p in (0, 1]): the estimate of the bin holding
  // the ceil(p * count)-th smallest value; 0 when empty.
  double Percentile(double p) const;

 private:
  // Merges n (bin, count) pairs given by `at`, ascending by bin.
  template <typename At>
  void MergeAscending(size_t n, At at);

  // Ascending by bin, each bin once: a report merges thousands of daily
  // histograms of a few hundred bins each, in order.
  std::vector<std::pair<int, int64_t>> bins_;
  int64_t count_ = 0;
};

// What a cohort of complaints has become. Exact counts; times from
// TimeHistogram.
struct ComplaintStats {
  int64_t opened = 0;
  int64_t resolved = 0;
  int64_t reopened = 0;
  int64_t escalated = 0;
  int64_t first_response_met = 0;
  int64_t first_response_missed = 0;
  int64_t resolution_met = 0;
  int64_t resolution_missed = 0;
  int64_t ratings = 0;
  int64_t ratings_satisfied = 0;
  int64_t backlog_open_at_end = 0;
  TimeHistogram first_response;
  TimeHistogram resolution;

  double resolution_rate_percent() const;        // resolved / opened
  double first_response_sla_met_percent() const;  // met / (met + missed)
  double resolution_sla_met_percent() const;
  double reopened_percent() const;                // reopened / opened
  double resolution_csat_percent() const;         // satisfied / ratings
  void Add(const ComplaintStats& other);
};

// One bucket of the retention report.
struct RetentionStats {
  int64_t active = 0;
  int64_t previous_active = 0;
  int64_t returning = 0;  // active in this bucket and the previous one
  int64_t complainants_resolved = 0;
  int64_t complainants_resolved_returned = 0;
  int64_t complainants_unresolved = 0;
  int64_t complainants_unresolved_returned = 0;

  double return_rate_percent() const;  // returning / previous_active
  double churn_rate_percent() const;   // 100 - return rate; 0 without previous actives
  double complainants_resolved_return_rate_percent() const;
  double complainants_unresolved_return_rate_percent() const;
  void Add(const RetentionStats& other);
};

// Local bucket arithmetic in `zone` for DAY, WEEK (Monday) and MONTH, as
// PostgreSQL's date_trunc(unit, t, zone) computes bucket starts: the start
// of the bucket holding `t`, and the starts of the buckets before and after
// the one starting at `bucket_start`.
absl::Time BucketStart(absl::Time t, absl::TimeZone zone, Bucket bucket);
absl::Time PreviousBucketStart(absl::Time bucket_start, absl::TimeZone zone, Bucket bucket);
absl::Time NextBucketStart(absl::Time bucket_start, absl::TimeZone zone, Bucket bucket);

}  // namespace feedback::domain
