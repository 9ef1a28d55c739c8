// libFuzzer target over what a hostile client controls: the bytes of every
// RPC's request message, parsed as protobuf, and the conversions and
// validation that run before any database work. The first byte picks the
// message type. Built with clang and ASan/UBSan by `scripts/dev.sh fuzz`.
#include <cstddef>
#include <cstdint>

#include "absl/time/clock.h"
#include "domain/feedback_validation.h"
#include "domain/report.h"
#include "feedback/v1/admin_service.pb.h"
#include "feedback/v1/complaint_service.pb.h"
#include "feedback/v1/feedback_service.pb.h"
#include "feedback/v1/reporting_service.pb.h"
#include "services/common/proto_time.h"
#include "services/feedback/feedback_proto.h"
#include "services/reports/reporting_service.h"

namespace {

using namespace feedback;  // NOLINT: a fuzz target

template <typename Request>
void Submit(const uint8_t* data, size_t size) {
  Request r;
  if (!r.ParseFromArray(data, static_cast<int>(size))) return;
  absl::StatusOr<domain::Submission> s = services::ToSubmission(r);
  if (s.ok()) (void)domain::ValidateSubmission(*s, absl::Now());
}

template <typename Request>
void ParseOnly(const uint8_t* data, size_t size) {
  Request r;
  if (r.ParseFromArray(data, static_cast<int>(size))) (void)r.ByteSizeLong();
}

void Report(const uint8_t* data, size_t size) {
  v1::ReportQuery r;
  if (!r.ParseFromArray(data, static_cast<int>(size))) return;
  absl::StatusOr<domain::ReportQuery> q = services::ToReportQuery(r);
  if (!q.ok()) return;
  const std::vector<domain::Dimension> all = {domain::Dimension::kChannel, domain::Dimension::kAgent,
                                              domain::Dimension::kQueue, domain::Dimension::kCategory};
  if (!domain::ValidateReportQuery(*q, all).ok()) return;
  absl::TimeZone zone;
  if (absl::LoadTimeZone(q->time_zone, &zone)) {
    (void)domain::CountBuckets(q->start, q->end, zone, q->bucket);
    if (q->bucket != domain::Bucket::kNone) {
      const absl::Time b = domain::BucketStart(q->start, zone, q->bucket);
      (void)domain::NextBucketStart(b, zone, q->bucket);
      (void)domain::PreviousBucketStart(b, zone, q->bucket);
    }
  }
}

void Batch(const uint8_t* data, size_t size) {
  v1::SubmitFeedbackBatchRequest r;
  if (!r.ParseFromArray(data, static_cast<int>(size))) return;
  if (!domain::ValidateBatchSize(static_cast<size_t>(r.items_size())).ok()) return;
  for (const auto& item : r.items()) {
    if (item.has_rating()) {
      auto s = services::ToSubmission(item.rating());
      if (s.ok()) (void)domain::ValidateSubmission(*s, absl::Now());
    } else if (item.has_nps()) {
      auto s = services::ToSubmission(item.nps());
      if (s.ok()) (void)domain::ValidateSubmission(*s, absl::Now());
    }
  }
}

void Timestamp(const uint8_t* data, size_t size) {
  google::protobuf::Timestamp t;
  if (t.ParseFromArray(data, static_cast<int>(size))) (void)services::FromProtoTime("t", t);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0];
  ++data;
  --size;
  switch (which % 27) {
    case 0: Submit<v1::SubmitRatingRequest>(data, size); break;
    case 1: Submit<v1::SubmitNpsRequest>(data, size); break;
    case 2: Submit<v1::SubmitSurveyRequest>(data, size); break;
    case 3: Batch(data, size); break;
    case 4: Report(data, size); break;
    case 5: Timestamp(data, size); break;
    case 6: ParseOnly<v1::FileComplaintRequest>(data, size); break;
    case 7: ParseOnly<v1::GetComplaintRequest>(data, size); break;
    case 8: ParseOnly<v1::ListComplaintsRequest>(data, size); break;
    case 9: ParseOnly<v1::ListComplaintEventsRequest>(data, size); break;
    case 10: ParseOnly<v1::ClaimNextComplaintRequest>(data, size); break;
    case 11: ParseOnly<v1::AssignComplaintRequest>(data, size); break;
    case 12: ParseOnly<v1::AddComplaintNoteRequest>(data, size); break;
    case 13: ParseOnly<v1::TransitionComplaintRequest>(data, size); break;
    case 14: ParseOnly<v1::EscalateComplaintRequest>(data, size); break;
    case 15: ParseOnly<v1::ScheduleFollowUpRequest>(data, size); break;
    case 16: ParseOnly<v1::CompleteFollowUpRequest>(data, size); break;
    case 17: ParseOnly<v1::ListFollowUpsRequest>(data, size); break;
    case 18: ParseOnly<v1::WatchComplaintsRequest>(data, size); break;
    case 19: ParseOnly<v1::CreateApiKeyRequest>(data, size); break;
    case 20: ParseOnly<v1::RevokeApiKeyRequest>(data, size); break;
    case 21: ParseOnly<v1::ListApiKeysRequest>(data, size); break;
    case 22: ParseOnly<v1::UpsertSlaPolicyRequest>(data, size); break;
    case 23: ParseOnly<v1::ListSlaPoliciesRequest>(data, size); break;
    case 24: ParseOnly<v1::EraseCustomerRequest>(data, size); break;
    default: Submit<v1::SubmitRatingRequest>(data, size); break;
  }
  return 0;
}
