#include "services/feedback/feedback_proto.h"

#include "services/common/proto_time.h"

namespace feedback::services {
namespace {

using google::protobuf::Timestamp;

absl::Status CopyOccurredAt(bool has, const Timestamp& ts, domain::Submission& s) {
  if (!has) return absl::OkStatus();
  absl::StatusOr<absl::Time> t = FromProtoTime("occurred_at", ts);
  if (!t.ok()) return t.status();
  s.occurred_at = *t;
  return absl::OkStatus();
}

template <typename Request>
absl::StatusOr<domain::Submission> Common(const Request& r, domain::SubmitKind kind) {
  domain::Submission s;
  s.kind = kind;
  s.request_id = r.request_id();
  s.channel = static_cast<int>(r.channel());
  s.customer.customer_id = r.customer().customer_id();
  s.customer.phone = r.customer().phone();
  s.customer.email = r.customer().email();
  s.customer.display_name = r.customer().display_name();
  s.interaction_id = r.interaction_id();
  s.agent_id = r.agent_id();
  s.queue = r.queue();
  s.comment = r.comment();
  s.attributes.insert(r.attributes().begin(), r.attributes().end());
  if (absl::Status st = CopyOccurredAt(r.has_occurred_at(), r.occurred_at(), s); !st.ok()) {
    return st;
  }
  return s;
}

}  // namespace

absl::StatusOr<domain::Submission> ToSubmission(const v1::SubmitRatingRequest& r) {
  absl::StatusOr<domain::Submission> s = Common(r, domain::SubmitKind::kRating);
  if (s.ok()) {
    s->csat_score = r.score();
    s->complaint_id = r.complaint_id();
  }
  return s;
}

absl::StatusOr<domain::Submission> ToSubmission(const v1::SubmitNpsRequest& r) {
  absl::StatusOr<domain::Submission> s = Common(r, domain::SubmitKind::kNps);
  if (s.ok()) {
    s->nps_score = r.score();
    s->complaint_id = r.complaint_id();
  }
  return s;
}

absl::StatusOr<domain::Submission> ToSubmission(const v1::SubmitSurveyRequest& r) {
  absl::StatusOr<domain::Submission> s = Common(r, domain::SubmitKind::kSurvey);
  if (s.ok()) {
    if (r.has_csat_score()) s->csat_score = r.csat_score();
    if (r.has_nps_score()) s->nps_score = r.nps_score();
  }
  return s;
}

void FillResponse(const domain::SubmitResult& result, v1::SubmitRatingResponse& response) {
  response.set_feedback_id(result.csat_feedback_id);
  response.set_duplicate(result.duplicate);
  response.set_follow_up_complaint_id(result.follow_up_complaint_id);
  *response.mutable_received_at() = ToProtoTime(result.received_at);
}

void FillResponse(const domain::SubmitResult& result, int score,
                  v1::SubmitNpsResponse& response) {
  response.set_feedback_id(result.nps_feedback_id);
  response.set_duplicate(result.duplicate);
  response.set_follow_up_complaint_id(result.follow_up_complaint_id);
  *response.mutable_received_at() = ToProtoTime(result.received_at);
  response.set_category(static_cast<v1::NpsCategory>(domain::CategorizeNps(score)));
}

void FillResponse(const domain::SubmitResult& result, const domain::Submission& submission,
                  v1::SubmitSurveyResponse& response) {
  response.set_csat_feedback_id(result.csat_feedback_id);
  response.set_nps_feedback_id(result.nps_feedback_id);
  response.set_duplicate(result.duplicate);
  response.set_follow_up_complaint_id(result.follow_up_complaint_id);
  *response.mutable_received_at() = ToProtoTime(result.received_at);
  if (submission.nps_score) {
    response.set_nps_category(
        static_cast<v1::NpsCategory>(domain::CategorizeNps(*submission.nps_score)));
  }
}

}  // namespace feedback::services
