#include "services/reports/reporting_service.h"

#include "services/common/blocking_call.h"
#include "services/common/proto_time.h"

namespace feedback::services {
namespace {

// Dimensions of the feedback reports (category belongs to complaints).
const std::vector<domain::Dimension> kFeedbackDimensions = {
    domain::Dimension::kChannel, domain::Dimension::kAgent, domain::Dimension::kQueue};

// The range rules (2000-2100, at most 1000 buckets) are the domain's.
absl::StatusOr<absl::Time> RequiredTime(const char* field, bool has,
                                        const google::protobuf::Timestamp& ts) {
  if (!has) return absl::InvalidArgumentError(std::string(field) + ": is required");
  return FromProtoTime(field, ts);
}

const std::vector<domain::Dimension> kComplaintDimensions = {
    domain::Dimension::kChannel, domain::Dimension::kAgent, domain::Dimension::kQueue,
    domain::Dimension::kCategory};

// The retention report has no dimensions.
const std::vector<domain::Dimension> kNoDimensions = {};

template <typename Row>
void FillKey(const storage::ReportKey& key, Row& row) {
  *row.mutable_bucket_start() = ToProtoTime(key.bucket_start);
  row.set_channel(static_cast<v1::Channel>(key.channel));
  row.set_agent_id(key.agent_id);
  row.set_queue(key.queue);
  if constexpr (requires { row.set_category(key.category); }) row.set_category(key.category);
}

// Retention rows are keyed by their bucket alone.
void FillKey(absl::Time bucket_start, v1::RetentionRow& row) {
  *row.mutable_bucket_start() = ToProtoTime(bucket_start);
}

void FillStats(const domain::ComplaintStats& s, v1::ComplaintRow& row) {
  row.set_opened(s.opened);
  row.set_resolved(s.resolved);
  row.set_resolution_rate_percent(s.resolution_rate_percent());
  row.set_first_response_seconds_median(s.first_response.Percentile(0.5));
  row.set_first_response_seconds_p90(s.first_response.Percentile(0.9));
  row.set_resolution_seconds_median(s.resolution.Percentile(0.5));
  row.set_resolution_seconds_p90(s.resolution.Percentile(0.9));
  row.set_first_response_sla_met_percent(s.first_response_sla_met_percent());
  row.set_resolution_sla_met_percent(s.resolution_sla_met_percent());
  row.set_reopened_percent(s.reopened_percent());
  row.set_escalated(s.escalated);
  row.set_backlog_open_at_end(s.backlog_open_at_end);
  row.set_resolution_csat_percent(s.resolution_csat_percent());
  row.set_first_responses(s.first_response.count());
  row.set_resolutions(s.resolution.count());
  row.set_first_response_sla_met(s.first_response_met);
  row.set_first_response_sla_missed(s.first_response_missed);
  row.set_resolution_sla_met(s.resolution_met);
  row.set_resolution_sla_missed(s.resolution_missed);
  row.set_reopened(s.reopened);
  row.set_resolution_ratings(s.ratings);
  row.set_resolution_ratings_satisfied(s.ratings_satisfied);
}

void FillStats(const domain::RetentionStats& s, v1::RetentionRow& row) {
  row.set_active_customers(s.active);
  row.set_previous_active_customers(s.previous_active);
  row.set_returning_customers(s.returning);
  row.set_return_rate_percent(s.return_rate_percent());
  row.set_churn_rate_percent(s.churn_rate_percent());
  row.set_complainants_resolved(s.complainants_resolved);
  row.set_complainants_resolved_returned(s.complainants_resolved_returned);
  row.set_complainants_resolved_return_rate_percent(s.complainants_resolved_return_rate_percent());
  row.set_complainants_unresolved(s.complainants_unresolved);
  row.set_complainants_unresolved_returned(s.complainants_unresolved_returned);
  row.set_complainants_unresolved_return_rate_percent(
      s.complainants_unresolved_return_rate_percent());
}

void FillStats(const domain::CsatStats& s, v1::SatisfactionRow& row) {
  row.set_responses(s.responses());
  row.set_mean_score(s.mean());
  row.set_score_1(s.counts[0]);
  row.set_score_2(s.counts[1]);
  row.set_score_3(s.counts[2]);
  row.set_score_4(s.counts[3]);
  row.set_score_5(s.counts[4]);
  row.set_csat_percent(s.csat_percent());
}

void FillStats(const domain::NpsStats& s, v1::NpsRow& row) {
  row.set_responses(s.responses());
  row.set_promoters(s.promoters());
  row.set_passives(s.passives());
  row.set_detractors(s.detractors());
  row.set_nps(s.nps());
  row.set_margin_of_error_95(s.margin_of_error_95());
}

// Fills rows (in key order) and the total of a report.
template <typename Key, typename Stats, typename Report>
void FillReport(const std::map<Key, Stats>& groups, Report& report) {
  Stats total;
  for (const auto& [key, stats] : groups) {
    auto& row = *report.add_rows();
    FillKey(key, row);
    FillStats(stats, row);
    total.Add(stats);
  }
  FillStats(total, *report.mutable_total());
}

}  // namespace

absl::StatusOr<domain::ReportQuery> ToReportQuery(const v1::ReportQuery& r) {
  domain::ReportQuery q;
  absl::StatusOr<absl::Time> start = RequiredTime("start_time", r.has_start_time(), r.start_time());
  if (!start.ok()) return start.status();
  absl::StatusOr<absl::Time> end = RequiredTime("end_time", r.has_end_time(), r.end_time());
  if (!end.ok()) return end.status();
  q.start = *start;
  q.end = *end;
  q.time_zone = r.time_zone().empty() ? "UTC" : r.time_zone();
  if (r.time_zone().size() > 64) return absl::InvalidArgumentError("time_zone: is too long");
  q.bucket = r.bucket() == v1::BUCKET_UNSPECIFIED ? domain::Bucket::kNone
                                                  : static_cast<domain::Bucket>(r.bucket());
  for (int d : r.group_by()) {
    if (d < 1 || d > 4) return absl::InvalidArgumentError("group_by: unknown dimension");
    q.group_by.push_back(static_cast<domain::Dimension>(d));
  }
  q.channels.assign(r.filters().channels().begin(), r.filters().channels().end());
  q.queues.assign(r.filters().queues().begin(), r.filters().queues().end());
  q.agent_ids.assign(r.filters().agent_ids().begin(), r.filters().agent_ids().end());
  return q;
}

namespace {

// A report call: validate the query, fetch the grouped stats, fill rows and
// total.
template <typename Fetch, typename Report>
BlockingWork ReportWork(const v1::ReportQuery* request, Report* response, Fetch fetch,
                        const std::vector<domain::Dimension>& dimensions = kFeedbackDimensions) {
  return [request, response, fetch, &dimensions](const domain::Caller&) -> absl::Status {
    absl::StatusOr<domain::ReportQuery> q = ToReportQuery(*request);
    if (!q.ok()) return q.status();
    if (absl::Status st = domain::ValidateReportQuery(*q, dimensions); !st.ok()) {
      return st;
    }
    auto groups = fetch(*q);
    if (!groups.ok()) return groups.status();
    FillReport(*groups, *response);
    return absl::OkStatus();
  };
}

}  // namespace

grpc::ServerUnaryReactor* ReportingServiceImpl::GetSatisfactionReport(
    grpc::CallbackServerContext* context, const v1::ReportQuery* request,
    v1::SatisfactionReport* response) {
  return RunBlockingCall(
      auth_, workers_, context, "feedback.v1.ReportingService/GetSatisfactionReport",
      ReportWork(request, response,
                 [this](const domain::ReportQuery& q) { return store_.Satisfaction(q); }));
}

grpc::ServerUnaryReactor* ReportingServiceImpl::GetNpsReport(grpc::CallbackServerContext* context,
                                                             const v1::ReportQuery* request,
                                                             v1::NpsReport* response) {
  return RunBlockingCall(
      auth_, workers_, context, "feedback.v1.ReportingService/GetNpsReport",
      ReportWork(request, response, [this](const domain::ReportQuery& q) { return store_.Nps(q); }));
}

grpc::ServerUnaryReactor* ReportingServiceImpl::GetComplaintReport(
    grpc::CallbackServerContext* context, const v1::ReportQuery* request,
    v1::ComplaintReport* response) {
  return RunBlockingCall(
      auth_, workers_, context, "feedback.v1.ReportingService/GetComplaintReport",
      ReportWork(
          request, response, [this](const domain::ReportQuery& q) { return store_.Complaints(q); },
          kComplaintDimensions));
}

grpc::ServerUnaryReactor* ReportingServiceImpl::GetRetentionReport(
    grpc::CallbackServerContext* context, const v1::ReportQuery* request,
    v1::RetentionReport* response) {
  return RunBlockingCall(
      auth_, workers_, context, "feedback.v1.ReportingService/GetRetentionReport",
      ReportWork(
          request, response,
          [this](const domain::ReportQuery& q)
              -> absl::StatusOr<std::map<absl::Time, domain::RetentionStats>> {
            if (q.bucket == domain::Bucket::kNone) {
              return absl::InvalidArgumentError(
                  "bucket: the retention report compares buckets; use DAY, WEEK or MONTH");
            }
            return store_.Retention(q);
          },
          kNoDimensions));
}

}  // namespace feedback::services
