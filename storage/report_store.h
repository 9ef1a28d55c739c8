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

// Satisfaction and NPS reports, summed from feedback_daily when the range
// is whole local days of a report zone and at most one dimension is
// grouped or filtered, else from feedback_rollup's 15-minute slots (never
// the raw rows); the rollup's maintenance commands. The query must be valid
// (domain::ValidateReportQuery). Thread-safe.
class ReportStore {
 public:
  explicit ReportStore(ConnectionPool& pool) : pool_(pool) {}

  absl::StatusOr<std::map<ReportKey, domain::CsatStats>> Satisfaction(
      const domain::ReportQuery& query);
  absl::StatusOr<std::map<ReportKey, domain::NpsStats>> Nps(const domain::ReportQuery& query);
  // The cohort of complaints created in the range, from complaint_daily and
  // complaint_time_daily (whole local days of a report zone, at most one
  // dimension) or complaint_rollup and complaint_time_rollup. The backlog
  // adds the cohort complaints resolved after the range ended: from
  // complaint_resolved_daily on the daily path, from
  // complaint_resolved_rollup on the slots' path. Never the complaints.
  absl::StatusOr<std::map<ReportKey, domain::ComplaintStats>> Complaints(
      const domain::ReportQuery& query);
  // Per bucket (DAY, WEEK or MONTH; no grouping). Keys are bucket starts.
  // In a report zone from retention_counts (plus, for a range ending inside
  // a local day, that day's customer_activity before the end); in other
  // zones from customer_activity and complainant_slots over the range and
  // the bucket before it. Never the scores or complaints.
  absl::StatusOr<std::map<absl::Time, domain::RetentionStats>> Retention(
      const domain::ReportQuery& query);

  // Adds a report zone: feedback_daily and the complaint daily rollups get
  // that zone's local days (filled from the rows now, kept by every write
  // from then on). False
  // when it was one already; INVALID_ARGUMENT for an unknown zone.
  absl::StatusOr<bool> AddReportZone(const std::string& zone);

  // Recomputes feedback_rollup and feedback_daily from the feedback rows
  // (writes wait meanwhile). Returns the number of rollup rows.
  absl::StatusOr<int64_t> RebuildRollup();
  // How many keys of feedback_rollup and feedback_daily (their shards
  // summed) differ from a recount of the feedback rows (0 when consistent).
  absl::StatusOr<int64_t> CheckRollup();
  // The same for the complaint rollups, customer_activity,
  // complainant_slots and the retention counts (customer_days,
  // complainant_periods, retention_counts).
  absl::StatusOr<int64_t> RebuildComplaintRollups();
  absl::StatusOr<int64_t> CheckComplaintRollups();
  // Merges the delta rows of up to `max_keys` rollup keys (migration 0008)
  // and folds up to `max_keys` score rollup rows of writer shards a day old
  // or more into shard 0 (migration 0015); returns the rows removed (0:
  // nothing left to merge). Sums are unchanged.
  absl::StatusOr<int64_t> CompactRollups(int max_keys);

 private:
  // The grouped counts per score of `kind` (1 CSAT, 2 NPS) into
  // Stats::counts, whose first element counts `lowest_score`.
  template <typename Stats>
  absl::StatusOr<std::map<ReportKey, Stats>> Counts(const domain::ReportQuery& query, int kind,
                                                    int lowest_score);

  ConnectionPool& pool_;
};

}  // namespace feedback::storage
