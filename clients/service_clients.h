#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "clients/feedback_client.h"
#include "feedback/v1/complaint_service.grpc.pb.h"
#include "feedback/v1/reporting_service.grpc.pb.h"
#include "feedback/v1/admin_service.grpc.pb.h"

namespace feedback::clients {

// Clients of the other services, one object per service, over a
// Connection (deadline, key, TLS). Calls that are safe to repeat (reads,
// idempotent writes) retry UNAVAILABLE and RESOURCE_EXHAUSTED; the others
// (claims, notes, transitions, which an etag or a queue would answer
// differently the second time) are tried once and report the error.
// Thread-safe.

class ComplaintClient {
 public:
  explicit ComplaintClient(ClientOptions options);

  absl::StatusOr<v1::Complaint> FileComplaint(const v1::FileComplaintRequest& request);
  absl::StatusOr<v1::Complaint> GetComplaint(const v1::GetComplaintRequest& request);
  absl::StatusOr<v1::ListComplaintsResponse> ListComplaints(const v1::ListComplaintsRequest& request);
  absl::StatusOr<v1::ListComplaintEventsResponse> ListComplaintEvents(const v1::ListComplaintEventsRequest& request);
  absl::StatusOr<v1::Complaint> ClaimNextComplaint(const v1::ClaimNextComplaintRequest& request);
  absl::StatusOr<v1::Complaint> AssignComplaint(const v1::AssignComplaintRequest& request);
  absl::StatusOr<v1::AddComplaintNoteResponse> AddComplaintNote(const v1::AddComplaintNoteRequest& request);
  absl::StatusOr<v1::Complaint> TransitionComplaint(const v1::TransitionComplaintRequest& request);
  absl::StatusOr<v1::Complaint> EscalateComplaint(const v1::EscalateComplaintRequest& request);
  absl::StatusOr<v1::FollowUp> ScheduleFollowUp(const v1::ScheduleFollowUpRequest& request);
  absl::StatusOr<v1::FollowUp> CompleteFollowUp(const v1::CompleteFollowUpRequest& request);
  absl::StatusOr<v1::ListFollowUpsResponse> ListFollowUps(const v1::ListFollowUpsRequest& request);

  // The stub itself, for the WatchComplaints stream (which the caller reads
  // with a context from NewContext()).
  v1::ComplaintService::Stub& stub() { return *stub_; }
  // A context with the key (and no deadline: a watch runs until cancelled).
  std::unique_ptr<grpc::ClientContext> NewStreamContext() const;

 private:
  Connection connection_;
  std::unique_ptr<v1::ComplaintService::Stub> stub_;
};

class ReportingClient {
 public:
  explicit ReportingClient(ClientOptions options);

  absl::StatusOr<v1::SatisfactionReport> GetSatisfactionReport(const v1::ReportQuery& request);
  absl::StatusOr<v1::NpsReport> GetNpsReport(const v1::ReportQuery& request);
  absl::StatusOr<v1::ComplaintReport> GetComplaintReport(const v1::ReportQuery& request);
  absl::StatusOr<v1::RetentionReport> GetRetentionReport(const v1::ReportQuery& request);

 private:
  Connection connection_;
  std::unique_ptr<v1::ReportingService::Stub> stub_;
};

class AdminClient {
 public:
  explicit AdminClient(ClientOptions options);

  absl::StatusOr<v1::CreateApiKeyResponse> CreateApiKey(const v1::CreateApiKeyRequest& request);
  absl::StatusOr<v1::ApiKey> RevokeApiKey(const v1::RevokeApiKeyRequest& request);
  absl::StatusOr<v1::ListApiKeysResponse> ListApiKeys(const v1::ListApiKeysRequest& request);
  absl::StatusOr<v1::SlaPolicy> UpsertSlaPolicy(const v1::UpsertSlaPolicyRequest& request);
  absl::StatusOr<v1::ListSlaPoliciesResponse> ListSlaPolicies(const v1::ListSlaPoliciesRequest& request);
  absl::StatusOr<v1::EraseCustomerResponse> EraseCustomer(const v1::EraseCustomerRequest& request);

 private:
  Connection connection_;
  std::unique_ptr<v1::AdminService::Stub> stub_;
};

}  // namespace feedback::clients
