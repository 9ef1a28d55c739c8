#pragma once

#include <map>
#include <string>
#include <tuple>

#include "absl/status/statusor.h"
#include "domain/report.h"
#include "storage/connection_pool.h"

namespace feedback::storage {

// One report row's identity: the local bucket start and the group keys
// (left empty/zero for dimensions not grouped by).
struct ReportKey {
  absl::Time bucket_start;
  int channel = 0;
  std::string agent_id;
  std::string queue;
  std::string category = {};  // complaint reports
  bool operator<(const ReportKey& o) const {
    return std::tie(bucket_start, channel, agent_id, queue, category) <
           std::tie(o.bucket_start, o.channel, o.agent_id, o.queue, o.category);
  }
};

// The four reports. Each reads, in one snapshot, the watermark of the fold
// (storage/fold/), the derived tables and the facts not folded yet (the
// tail), so it is exact however far the folder is behind. Scores: from
// score_days over whole local days of a report zone with at most one
// dimension grouped or filtered, else from score_slots. Complaints: from
// complaint_days, complaint_period_times and complaint_day_resolved on
// that daily path, else from every complaint of the range as folded
// (complaint_folded) or as it is now. Retention: per bucket (DAY, WEEK or
// MONTH; no grouping), from retention_counts in a report zone, from
// customer_slots and the complaints elsewhere and for the buckets the tail
// touches. The query must be valid (domain::ValidateReportQuery).
// Thread-safe.
class ReportStore {
 public:
  explicit ReportStore(ConnectionPool& pool) : pool_(pool) {}

  absl::StatusOr<std::map<ReportKey, domain::CsatStats>> Satisfaction(
      const domain::ReportQuery& query);
  absl::StatusOr<std::map<ReportKey, domain::NpsStats>> Nps(const domain::ReportQuery& query);
  // The cohort of complaints created in the range; the backlog counts
  // those not resolved by the end.
  absl::StatusOr<std::map<ReportKey, domain::ComplaintStats>> Complaints(
      const domain::ReportQuery& query);
  // Keys are bucket starts.
  absl::StatusOr<std::map<absl::Time, domain::RetentionStats>> Retention(
      const domain::ReportQuery& query);

 private:
  // The grouped counts per score of `kind` (1 CSAT, 2 NPS) into
  // Stats::counts, whose first element counts `lowest_score`.
  template <typename Stats>
  absl::StatusOr<std::map<ReportKey, Stats>> Counts(const domain::ReportQuery& query, int kind,
                                                    int lowest_score);

  ConnectionPool& pool_;
};

}  // namespace feedback::storage
