// The client library against a real server, with a front that loses the
// first answer: the write happened, the client saw UNAVAILABLE.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <vector>

#include "absl/synchronization/mutex.h"
#include "clients/feedback_client.h"
#include "clients/service_clients.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace feedback::clients {
namespace {

// Forwards SubmitRating to the real server and, for the first call, throws
// the answer away and says UNAVAILABLE, as a dropped connection would.
class LossyFront final : public v1::FeedbackService::Service {
 public:
  explicit LossyFront(std::shared_ptr<grpc::Channel> backend)
      : backend_(v1::FeedbackService::NewStub(backend)) {}

  grpc::Status SubmitRating(grpc::ServerContext* context, const v1::SubmitRatingRequest* request,
                            v1::SubmitRatingResponse* response) override {
    grpc::ClientContext forward;
    for (const auto& [key, value] : context->client_metadata()) {
      if (key == "authorization") forward.AddMetadata("authorization", std::string(value.data(), value.size()));
    }
    const grpc::Status status = backend_->SubmitRating(&forward, *request, response);
    absl::MutexLock lock(&mu_);
    request_ids_.push_back(request->request_id());
    if (request_ids_.size() == 1) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection lost (injected)");
    }
    return status;
  }

  std::vector<std::string> request_ids() {
    absl::MutexLock lock(&mu_);
    return request_ids_;
  }

 private:
  std::unique_ptr<v1::FeedbackService::Stub> backend_;
  absl::Mutex mu_;
  std::vector<std::string> request_ids_ ABSL_GUARDED_BY(mu_);
};

class FeedbackClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FEEDBACK_REQUIRE_TEST_DATABASE(db_);
    server_ = testing::StartTestServer(testing::TestServerOptions(db_->url()));
    ASSERT_NE(server_.server, nullptr);
    key_ = testing::CreateTestKey(db_->url(), "ivr");
  }

  std::unique_ptr<testing::TestDatabase> db_;
  testing::TestServer server_;
  std::string key_;
};

TEST_F(FeedbackClientTest, ARetryAfterALostAnswerKeepsTheRequestIdAndStoresOnce) {
  LossyFront front(server_.channel);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&front);
  std::unique_ptr<grpc::Server> front_server = builder.BuildAndStart();
  ASSERT_NE(port, 0);

  ClientOptions options;
  options.address = "127.0.0.1:" + std::to_string(port);
  options.api_key = key_;
  options.initial_backoff = absl::Milliseconds(10);
  FeedbackClient client(options);
  v1::SubmitRatingRequest rating;  // no request_id: the client makes one
  rating.set_channel(v1::CHANNEL_IVR);
  rating.set_score(4);
  rating.set_interaction_id("call-1");
  absl::StatusOr<v1::SubmitRatingResponse> stored = client.SubmitRating(rating);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_TRUE(stored->duplicate());  // the answer of the first, stored attempt

  const std::vector<std::string> seen = front.request_ids();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_FALSE(seen[0].empty());
  EXPECT_EQ(seen[0], seen[1]);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 1);
  front_server->Shutdown();
}

TEST_F(FeedbackClientTest, ServiceClientsCallEveryServiceAndReportErrorsAsStatus) {
  ClientOptions options;
  options.address = "127.0.0.1:" + std::to_string(server_.server->port());
  options.api_key = testing::CreateTestKey(db_->url(), "boss", domain::Role::kAdmin);
  AdminClient admin(options);
  absl::StatusOr<v1::ListSlaPoliciesResponse> policies = admin.ListSlaPolicies({});
  ASSERT_TRUE(policies.ok()) << policies.status();
  EXPECT_EQ(policies->policies_size(), 4);
  ReportingClient reports(options);
  absl::StatusOr<v1::SatisfactionReport> bad = reports.GetSatisfactionReport({});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "start_time: is required");
  ComplaintClient complaints(options);
  v1::GetComplaintRequest get;
  get.set_id("00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(complaints.GetComplaint(get).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace feedback::clients
