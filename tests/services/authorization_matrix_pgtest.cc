// Every role against every RPC over gRPC: allowed calls get past
// authorization (to validation, NOT_FOUND or OK), denied ones get
// PERMISSION_DENIED before anything else is looked at.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "feedback/v1/admin_service.grpc.pb.h"
#include "feedback/v1/complaint_service.grpc.pb.h"
#include "feedback/v1/feedback_service.grpc.pb.h"
#include "feedback/v1/reporting_service.grpc.pb.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace feedback::services {
namespace {

using Call = std::function<grpc::Status(grpc::ClientContext*)>;

TEST(AuthorizationMatrix, EveryRoleAgainstEveryRpc) {
  std::unique_ptr<testing::TestDatabase> db;
  FEEDBACK_REQUIRE_TEST_DATABASE(db);
  testing::TestServer server = testing::StartTestServer(testing::TestServerOptions(db->url()));
  ASSERT_NE(server.server, nullptr);
  auto feedback = v1::FeedbackService::NewStub(server.channel);
  auto complaints = v1::ComplaintService::NewStub(server.channel);
  auto reports = v1::ReportingService::NewStub(server.channel);
  auto admin = v1::AdminService::NewStub(server.channel);

  const std::map<std::string, std::string> keys = {
      {"ingest", testing::CreateTestKey(db->url(), "i", domain::Role::kIngest)},
      {"agent", testing::CreateTestKey(db->url(), "a", domain::Role::kAgent, {"general"})},
      {"supervisor", testing::CreateTestKey(db->url(), "s", domain::Role::kSupervisor)},
      {"manager", testing::CreateTestKey(db->url(), "m", domain::Role::kManager)},
      {"admin", testing::CreateTestKey(db->url(), "x", domain::Role::kAdmin)}};

  // Empty requests: an allowed call fails validation (or succeeds), never
  // with PERMISSION_DENIED.
  const std::map<std::string, std::pair<Call, std::set<std::string>>> rpcs = {
      {"SubmitRating", {[&](auto* c) { v1::SubmitRatingResponse r; return feedback->SubmitRating(c, {}, &r); }, {"ingest"}}},
      {"SubmitNps", {[&](auto* c) { v1::SubmitNpsResponse r; return feedback->SubmitNps(c, {}, &r); }, {"ingest"}}},
      {"SubmitSurvey", {[&](auto* c) { v1::SubmitSurveyResponse r; return feedback->SubmitSurvey(c, {}, &r); }, {"ingest"}}},
      {"SubmitFeedbackBatch", {[&](auto* c) { v1::SubmitFeedbackBatchResponse r; return feedback->SubmitFeedbackBatch(c, {}, &r); }, {"ingest"}}},
      {"FileComplaint", {[&](auto* c) { v1::Complaint r; return complaints->FileComplaint(c, {}, &r); }, {"ingest", "agent", "supervisor"}}},
      {"GetComplaint", {[&](auto* c) { v1::Complaint r; return complaints->GetComplaint(c, {}, &r); }, {"agent", "supervisor", "manager"}}},
      {"ListComplaints", {[&](auto* c) { v1::ListComplaintsResponse r; return complaints->ListComplaints(c, {}, &r); }, {"agent", "supervisor", "manager"}}},
      {"ListComplaintEvents", {[&](auto* c) { v1::ListComplaintEventsResponse r; return complaints->ListComplaintEvents(c, {}, &r); }, {"agent", "supervisor", "manager"}}},
      {"ListFollowUps", {[&](auto* c) { v1::ListFollowUpsResponse r; return complaints->ListFollowUps(c, {}, &r); }, {"agent", "supervisor", "manager"}}},
      {"ClaimNextComplaint", {[&](auto* c) { v1::Complaint r; return complaints->ClaimNextComplaint(c, {}, &r); }, {"agent", "supervisor"}}},
      {"AssignComplaint", {[&](auto* c) { v1::Complaint r; return complaints->AssignComplaint(c, {}, &r); }, {"supervisor"}}},
      {"AddComplaintNote", {[&](auto* c) { v1::AddComplaintNoteResponse r; return complaints->AddComplaintNote(c, {}, &r); }, {"agent", "supervisor"}}},
      {"TransitionComplaint", {[&](auto* c) { v1::Complaint r; return complaints->TransitionComplaint(c, {}, &r); }, {"agent", "supervisor"}}},
      {"EscalateComplaint", {[&](auto* c) { v1::Complaint r; return complaints->EscalateComplaint(c, {}, &r); }, {"agent", "supervisor"}}},
      {"ScheduleFollowUp", {[&](auto* c) { v1::FollowUp r; return complaints->ScheduleFollowUp(c, {}, &r); }, {"agent", "supervisor"}}},
      {"CompleteFollowUp", {[&](auto* c) { v1::FollowUp r; return complaints->CompleteFollowUp(c, {}, &r); }, {"agent", "supervisor"}}},
      {"WatchComplaints", {[&](auto* c) {
         c->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
         auto reader = complaints->WatchComplaints(c, {});
         v1::ComplaintEvent e;
         while (reader->Read(&e)) {}
         return reader->Finish();  // DEADLINE_EXCEEDED: the watch was open
       }, {"agent", "supervisor", "manager"}}},
      {"GetSatisfactionReport", {[&](auto* c) { v1::SatisfactionReport r; return reports->GetSatisfactionReport(c, {}, &r); }, {"manager"}}},
      {"GetNpsReport", {[&](auto* c) { v1::NpsReport r; return reports->GetNpsReport(c, {}, &r); }, {"manager"}}},
      {"GetComplaintReport", {[&](auto* c) { v1::ComplaintReport r; return reports->GetComplaintReport(c, {}, &r); }, {"manager"}}},
      {"GetRetentionReport", {[&](auto* c) { v1::RetentionReport r; return reports->GetRetentionReport(c, {}, &r); }, {"manager"}}},
      {"CreateApiKey", {[&](auto* c) { v1::CreateApiKeyResponse r; return admin->CreateApiKey(c, {}, &r); }, {}}},
      {"RevokeApiKey", {[&](auto* c) { v1::ApiKey r; return admin->RevokeApiKey(c, {}, &r); }, {}}},
      {"ListApiKeys", {[&](auto* c) { v1::ListApiKeysResponse r; return admin->ListApiKeys(c, {}, &r); }, {}}},
      {"UpsertSlaPolicy", {[&](auto* c) { v1::SlaPolicy r; return admin->UpsertSlaPolicy(c, {}, &r); }, {}}},
      {"ListSlaPolicies", {[&](auto* c) { v1::ListSlaPoliciesResponse r; return admin->ListSlaPolicies(c, {}, &r); }, {}}},
      {"EraseCustomer", {[&](auto* c) { v1::EraseCustomerResponse r; return admin->EraseCustomer(c, {}, &r); }, {}}},
  };
  int checked = 0;
  for (const auto& [rpc, call_and_roles] : rpcs) {
    const auto& [call, allowed] = call_and_roles;
    for (const auto& [role, key] : keys) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + key);
      const grpc::Status st = call(&context);
      const bool may = role == "admin" || allowed.count(role) > 0;
      if (may) {
        EXPECT_NE(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << role << " should call " << rpc << ": " << st.error_message();
        EXPECT_NE(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << role << " " << rpc;
      } else {
        EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << role << " must not call " << rpc << ": " << st.error_message();
      }
      ++checked;
    }
    // No key and a malformed header: UNAUTHENTICATED for every RPC.
    for (const char* header : {"", "Bearer", "Token x"}) {
      grpc::ClientContext context;
      if (*header != 0) context.AddMetadata("authorization", header);
      EXPECT_EQ(call(&context).error_code(), grpc::StatusCode::UNAUTHENTICATED) << rpc << " '"
                                                                                << header << "'";
    }
  }
  EXPECT_EQ(checked, 27 * 5);
}

}  // namespace
}  // namespace feedback::services
