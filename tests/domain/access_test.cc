#include "domain/access.h"

#include <gtest/gtest.h>

namespace feedback::domain {
namespace {

Caller As(Role role, std::vector<std::string> queues = {}) {
  Caller c;
  c.role = role;
  c.queues = std::move(queues);
  return c;
}

TEST(AuthorizeRpc, FollowsTheRoleTableAndDeniesByDefault) {
  const char* submit = "feedback.v1.FeedbackService/SubmitRating";
  const char* claim = "feedback.v1.ComplaintService/ClaimNextComplaint";
  const char* assign = "feedback.v1.ComplaintService/AssignComplaint";
  const char* report = "feedback.v1.ReportingService/GetNpsReport";
  EXPECT_TRUE(AuthorizeRpc(submit, As(Role::kIngest)).ok());
  EXPECT_FALSE(AuthorizeRpc(submit, As(Role::kAgent)).ok());
  EXPECT_TRUE(AuthorizeRpc(claim, As(Role::kAgent)).ok());
  EXPECT_FALSE(AuthorizeRpc(claim, As(Role::kManager)).ok());
  EXPECT_FALSE(AuthorizeRpc(assign, As(Role::kAgent)).ok());
  EXPECT_TRUE(AuthorizeRpc(assign, As(Role::kSupervisor)).ok());
  EXPECT_TRUE(AuthorizeRpc(report, As(Role::kManager)).ok());
  EXPECT_FALSE(AuthorizeRpc(report, As(Role::kSupervisor)).ok());
  for (const char* rpc : {submit, claim, assign, report}) {
    EXPECT_TRUE(AuthorizeRpc(rpc, As(Role::kAdmin)).ok()) << rpc;
  }
  const absl::Status unknown = AuthorizeRpc("feedback.v1.Other/Thing", As(Role::kManager));
  EXPECT_EQ(unknown.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(unknown.message(),
            "permission denied: role manager may not call feedback.v1.Other/Thing");
}

TEST(QueueScope, AgentsAreLimitedToTheirQueues) {
  const QueueScope agent = QueueScope::Of(As(Role::kAgent, {"billing"}));
  EXPECT_FALSE(agent.all());
  EXPECT_TRUE(agent.Allows("billing"));
  EXPECT_FALSE(agent.Allows("general"));
  EXPECT_FALSE(QueueScope::Of(As(Role::kAgent)).Allows("general"));
  EXPECT_TRUE(QueueScope::Of(As(Role::kSupervisor)).Allows("anything"));
  EXPECT_TRUE(QueueScope::Of(As(Role::kManager)).all());
}

}  // namespace
}  // namespace feedback::domain
