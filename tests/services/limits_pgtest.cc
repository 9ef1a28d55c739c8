// Per-key rate limits and the comment-retention worker, over gRPC against a
// real server and database.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <pqxx/result>

#include "clients/feedback_client.h"
#include "feedback/v1/admin_service.grpc.pb.h"
#include "feedback/v1/feedback_service.grpc.pb.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace feedback::services {
namespace {

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override { FEEDBACK_REQUIRE_TEST_DATABASE(db_); }

  static std::unique_ptr<grpc::ClientContext> Context(const std::string& key) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context->AddMetadata("authorization", "Bearer " + key);
    return context;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  // Outlives the server, whose threads read it until it shuts down.
  testing::FakeClock clock_{absl::UnixEpoch()};
  testing::TestServer server_;
};

TEST_F(LimitsTest, EachKeyHasItsOwnRateLimitWithARetryHint) {
  clock_.Set(absl::Now());
  ServerOptions options = testing::TestServerOptions(db_->url());
  options.clock = &clock_;
  options.rate_limit = {.calls_per_second = 3, .burst = 3};
  server_ = testing::StartTestServer(options);
  ASSERT_NE(server_.server, nullptr);
  const std::string admin = testing::CreateTestKey(db_->url(), "admin", domain::Role::kAdmin);
  const std::string other = testing::CreateTestKey(db_->url(), "other", domain::Role::kAdmin);
  const std::string ingest = testing::CreateTestKey(db_->url(), "ivr", domain::Role::kIngest);
  auto admin_stub = v1::AdminService::NewStub(server_.channel);

  v1::ListSlaPoliciesResponse policies;
  for (int i = 0; i < 3; ++i) {
    const grpc::Status st = admin_stub->ListSlaPolicies(Context(admin).get(), {}, &policies);
    EXPECT_TRUE(st.ok()) << i << ": " << st.error_message();
  }
  {
    auto context = Context(admin);
    const grpc::Status st = admin_stub->ListSlaPolicies(context.get(), {}, &policies);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_NE(st.error_message().find("rate limit"), std::string::npos) << st.error_message();
    const auto& trailers = context->GetServerTrailingMetadata();
    auto hint = trailers.find("retry-after-ms");
    ASSERT_NE(hint, trailers.end());
    EXPECT_EQ(std::string(hint->second.data(), hint->second.size()), "334");  // 1/3 s, rounded up
  }
  // Another key is not affected.
  EXPECT_TRUE(admin_stub->ListSlaPolicies(Context(other).get(), {}, &policies).ok());
  // After the hinted wait the key may call again.
  clock_.Advance(absl::Milliseconds(334));
  EXPECT_TRUE(admin_stub->ListSlaPolicies(Context(admin).get(), {}, &policies).ok());

  // A refused submit stores nothing; a retry once the bucket refills does.
  auto feedback_stub = v1::FeedbackService::NewStub(server_.channel);
  v1::SubmitRatingRequest rating;
  rating.set_request_id("limited-1");
  rating.set_channel(v1::CHANNEL_IVR);
  rating.set_score(5);
  v1::SubmitRatingResponse submitted;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(feedback_stub->SubmitRating(Context(ingest).get(), rating, &submitted).ok());
  }
  rating.set_request_id("limited-2");
  EXPECT_EQ(feedback_stub->SubmitRating(Context(ingest).get(), rating, &submitted).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 1);
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(feedback_stub->SubmitRating(Context(ingest).get(), rating, &submitted).ok());
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 2);
}

TEST_F(LimitsTest, TheClientWaitsAsHintedAndStoresEachRatingOnce) {
  ServerOptions options = testing::TestServerOptions(db_->url());
  options.rate_limit = {.calls_per_second = 4, .burst = 1};
  server_ = testing::StartTestServer(options);
  ASSERT_NE(server_.server, nullptr);
  clients::ClientOptions client_options;
  client_options.address = "127.0.0.1:" + std::to_string(server_.server->port());
  client_options.api_key = testing::CreateTestKey(db_->url(), "ivr", domain::Role::kIngest);
  client_options.initial_backoff = absl::Milliseconds(1);  // only the hint makes it wait
  clients::FeedbackClient client(client_options);
  const absl::Time start = absl::Now();
  for (int i = 0; i < 6; ++i) {
    v1::SubmitRatingRequest rating;
    rating.set_channel(v1::CHANNEL_IVR);
    rating.set_score(1 + i % 5);
    auto submitted = client.SubmitRating(rating);
    EXPECT_TRUE(submitted.ok()) << i << ": " << submitted.status();
  }
  // Six calls at 4 per second with no burst cannot take less than 1.25 s.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(1250));
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 6);
}

TEST_F(LimitsTest, WithoutALimitBurstsAreNotRefused) {
  server_ = testing::StartTestServer(testing::TestServerOptions(db_->url()));
  ASSERT_NE(server_.server, nullptr);
  const std::string admin = testing::CreateTestKey(db_->url(), "admin", domain::Role::kAdmin);
  auto stub = v1::AdminService::NewStub(server_.channel);
  v1::ListSlaPoliciesResponse policies;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(stub->ListSlaPolicies(Context(admin).get(), {}, &policies).ok()) << i;
  }
}

TEST_F(LimitsTest, TheRetentionWorkerBlanksOldCommentsAndKeepsScores) {
  clock_.Set(absl::Now());
  ServerOptions options = testing::TestServerOptions(db_->url());
  options.clock = &clock_;
  options.comment_retention = absl::Hours(24 * 30);
  options.retention_interval = absl::Milliseconds(100);
  server_ = testing::StartTestServer(options);
  ASSERT_NE(server_.server, nullptr);
  const std::string ingest = testing::CreateTestKey(db_->url(), "ivr", domain::Role::kIngest);
  auto stub = v1::FeedbackService::NewStub(server_.channel);
  auto submit = [&](const std::string& id, const std::string& comment) {
    v1::SubmitRatingRequest rating;
    rating.set_request_id(id);
    rating.set_channel(v1::CHANNEL_WEB);
    rating.set_score(4);
    rating.set_comment(comment);
    v1::SubmitRatingResponse response;
    const grpc::Status st = stub->SubmitRating(Context(ingest).get(), rating, &response);
    EXPECT_TRUE(st.ok()) << st.error_message();
  };
  submit("old", "the courier was rude");
  clock_.Advance(absl::Hours(24 * 29));
  submit("newer", "great service");
  absl::SleepFor(absl::Milliseconds(500));  // the worker runs, nothing is old enough yet
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback WHERE comment IS NOT NULL"), 2);

  clock_.Advance(absl::Hours(24 * 2));  // the first is now 31 days old, the second 2
  int64_t with_comment = 2;
  for (int i = 0; i < 100 && with_comment != 1; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    with_comment = db_->Count("SELECT count(*) FROM feedback WHERE comment IS NOT NULL");
  }
  EXPECT_EQ(with_comment, 1);
  const pqxx::result kept = db_->Query("SELECT comment FROM feedback WHERE comment IS NOT NULL");
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(std::string(kept[0][0].c_str()), "great service");
  EXPECT_EQ(db_->Count("SELECT sum(score) FROM feedback"), 8);
}

}  // namespace
}  // namespace feedback::services
