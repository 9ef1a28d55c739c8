#include "clients/service_clients.h"

namespace feedback::clients {

ComplaintClient::ComplaintClient(ClientOptions options)
    : connection_(std::move(options)),
      stub_(v1::ComplaintService::NewStub(connection_.channel())) {}

absl::StatusOr<v1::Complaint> ComplaintClient::FileComplaint(const v1::FileComplaintRequest& request) {
  return connection_.Call(*stub_, &v1::ComplaintService::Stub::FileComplaint, request, /*retry=*/true);
}

absl::StatusOr<v1::Complaint> ComplaintClient::GetComplaint(const v1::GetComplaintRequest& request) {
  return connection_.Call(*stub_, &v1::ComplaintService::Stub::GetComplaint, request, /*retry=*/true);
}

absl::StatusOr<v1::ListComplaintsResponse> ComplaintClient::ListComplaints(const v1::ListComplaintsRequest& request) {
  return connection_.Call(*stub_, &v1::ComplaintService::Stub::ListComplaints, request, /*retry=*/true);
}

absl::StatusOr<v1::ListComplaintEventsResponse> ComplaintClient::ListComplaintEvents(const v1::ListComplaintEventsRequest& request) {
  return connection_.Call(*stub_, &v1::ComplaintService::Stub::ListComplaintEvents, request, /*retry=*/true);
}

absl::StatusOr<v1::Complaint> ComplaintClient::ClaimNextComplaint(const v1::ClaimNextComplaintRequest& request) {
  return connection_.Call(*stub_, &v1::ComplaintService::Stub::ClaimNextComplaint, request, /*retry=*/false);
}

absl::StatusOr<v1::Complaint> ComplaintClient::AssignComplaint(const v1::AssignComplaintRequest& request) {
  return connection_.Call(*stub_, &v1::ComplaintService::Stub::AssignComplaint, request, /*retry=*/false);
}

absl::StatusOr<v1::AddComplaintNoteResponse> ComplaintClient::AddComplaintNote(const v1::AddComplaintNoteRequest& request) {
  return connection_.Call(*stub_, &v1::ComplaintService::Stub::AddComplaintNote, request, /*retry=*/false);
}

absl::StatusOr<v1::Complaint> ComplaintClient::TransitionComplaint(const v1::TransitionComplaintRequest& request) {
  return connection_.Call(*stub_, &v1::ComplaintService::Stub::TransitionComplaint, request, /*retry=*/false);
}

absl::StatusOr<v1::Complaint> ComplaintClient::EscalateComplaint(const v1::EscalateComplaintRequest& request) {
  return connection_.Call(*stub_, &v1::ComplaintService::Stub::EscalateComplaint, request, /*retry=*/false);
}

absl::StatusOr<v1::FollowUp> ComplaintClient::ScheduleFollowUp(const v1::ScheduleFollowUpRequest& request) {
  return connection_.Call(*stub_, &v1::ComplaintService::Stub::ScheduleFollowUp, request, /*retry=*/false);
}

absl::StatusOr<v1::FollowUp> ComplaintClient::CompleteFollowUp(const v1::CompleteFollowUpRequest& request) {
  return connection_.Call(*stub_, &v1::ComplaintService::Stub::CompleteFollowUp, request, /*retry=*/false);
}

absl::StatusOr<v1::ListFollowUpsResponse> ComplaintClient::ListFollowUps(const v1::ListFollowUpsRequest& request) {
  return connection_.Call(*stub_, &v1::ComplaintService::Stub::ListFollowUps, request, /*retry=*/true);
}

std::unique_ptr<grpc::ClientContext> ComplaintClient::NewStreamContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!connection_.options().api_key.empty()) {
    context->AddMetadata("authorization", "Bearer " + connection_.options().api_key);
  }
  return context;
}

ReportingClient::ReportingClient(ClientOptions options)
    : connection_(std::move(options)),
      stub_(v1::ReportingService::NewStub(connection_.channel())) {}

absl::StatusOr<v1::SatisfactionReport> ReportingClient::GetSatisfactionReport(const v1::ReportQuery& request) {
  return connection_.Call(*stub_, &v1::ReportingService::Stub::GetSatisfactionReport, request, /*retry=*/true);
}

absl::StatusOr<v1::NpsReport> ReportingClient::GetNpsReport(const v1::ReportQuery& request) {
  return connection_.Call(*stub_, &v1::ReportingService::Stub::GetNpsReport, request, /*retry=*/true);
}

absl::StatusOr<v1::ComplaintReport> ReportingClient::GetComplaintReport(const v1::ReportQuery& request) {
  return connection_.Call(*stub_, &v1::ReportingService::Stub::GetComplaintReport, request, /*retry=*/true);
}

absl::StatusOr<v1::RetentionReport> ReportingClient::GetRetentionReport(const v1::ReportQuery& request) {
  return connection_.Call(*stub_, &v1::ReportingService::Stub::GetRetentionReport, request, /*retry=*/true);
}

AdminClient::AdminClient(ClientOptions options)
    : connection_(std::move(options)),
      stub_(v1::AdminService::NewStub(connection_.channel())) {}

absl::StatusOr<v1::CreateApiKeyResponse> AdminClient::CreateApiKey(const v1::CreateApiKeyRequest& request) {
  return connection_.Call(*stub_, &v1::AdminService::Stub::CreateApiKey, request, /*retry=*/false);
}

absl::StatusOr<v1::ApiKey> AdminClient::RevokeApiKey(const v1::RevokeApiKeyRequest& request) {
  return connection_.Call(*stub_, &v1::AdminService::Stub::RevokeApiKey, request, /*retry=*/true);
}

absl::StatusOr<v1::ListApiKeysResponse> AdminClient::ListApiKeys(const v1::ListApiKeysRequest& request) {
  return connection_.Call(*stub_, &v1::AdminService::Stub::ListApiKeys, request, /*retry=*/true);
}

absl::StatusOr<v1::SlaPolicy> AdminClient::UpsertSlaPolicy(const v1::UpsertSlaPolicyRequest& request) {
  return connection_.Call(*stub_, &v1::AdminService::Stub::UpsertSlaPolicy, request, /*retry=*/true);
}

absl::StatusOr<v1::ListSlaPoliciesResponse> AdminClient::ListSlaPolicies(const v1::ListSlaPoliciesRequest& request) {
  return connection_.Call(*stub_, &v1::AdminService::Stub::ListSlaPolicies, request, /*retry=*/true);
}

absl::StatusOr<v1::EraseCustomerResponse> AdminClient::EraseCustomer(const v1::EraseCustomerRequest& request) {
  return connection_.Call(*stub_, &v1::AdminService::Stub::EraseCustomer, request, /*retry=*/true);
}

}  // namespace feedback::clients
