#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace feedback::domain {

// Numbering matches feedback.v1.Bucket / Dimension.
enum class Bucket : int { kNone = 1, kDay = 2, kWeek = 3, kMonth = 4 };
enum class Dimension : int { kChannel = 1, kAgent = 2, kQueue = 3, kCategory = 4 };

// Reports are summed from 15-minute UTC slots (exact in every IANA zone
// since 2000), so a range must start and end on such a boundary.
inline constexpr absl::Duration kReportGrain = absl::Minutes(15);
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

}  // namespace feedback::domain
