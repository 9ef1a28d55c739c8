// Hostile input over gRPC: each gets a clear status (never INTERNAL, never a
// crash) and the server stays healthy and keeps storing.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/synchronization/notification.h"

#include "feedback/v1/complaint_service.grpc.pb.h"
#include "feedback/v1/feedback_service.grpc.pb.h"
#include "feedback/v1/reporting_service.grpc.pb.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace feedback::services {
namespace {

class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FEEDBACK_REQUIRE_TEST_DATABASE(db_);
    server_ = testing::StartTestServer(testing::TestServerOptions(db_->url()));
    ASSERT_NE(server_.server, nullptr);
    ingest_ = testing::CreateTestKey(db_->url(), "ivr");
    agent_ = testing::CreateTestKey(db_->url(), "anna", domain::Role::kAgent, {"general"});
    feedback_ = v1::FeedbackService::NewStub(server_.channel);
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& key) {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    c->AddMetadata("authorization", "Bearer " + key);
    return c;
  }

  static v1::SubmitRatingRequest Rating(const std::string& id) {
    v1::SubmitRatingRequest r;
    r.set_request_id(id);
    r.set_channel(v1::CHANNEL_IVR);
    r.set_score(3);
    return r;
  }

  grpc::Status Submit(const v1::SubmitRatingRequest& r) {
    v1::SubmitRatingResponse out;
    return feedback_->SubmitRating(Context(ingest_).get(), r, &out);
  }

  std::unique_ptr<testing::TestDatabase> db_;
  testing::TestServer server_;
  std::string ingest_, agent_;
  std::unique_ptr<v1::FeedbackService::Stub> feedback_;
};

TEST_F(HostileInputTest, EachGetsAClearStatusAndTheServerStaysHealthy) {
  auto expect = [](const grpc::Status& st, grpc::StatusCode code, const std::string& part) {
    EXPECT_EQ(st.error_code(), code) << st.error_message();
    EXPECT_NE(st.error_message().find(part), std::string::npos) << st.error_message();
  };
  // Larger than the 1 MiB request limit.
  v1::SubmitRatingRequest big = Rating("big");
  big.set_comment(std::string(2 << 20, 'x'));
  expect(Submit(big), grpc::StatusCode::RESOURCE_EXHAUSTED, "");
  // Just under it: a 1 MB comment is refused by its own limit.
  v1::SubmitRatingRequest long_comment = Rating("long");
  long_comment.set_comment(std::string(1000000, 'y'));
  expect(Submit(long_comment), grpc::StatusCode::INVALID_ARGUMENT, "comment");
  // NUL and other control characters.
  expect(Submit(Rating(std::string("nul\0id", 6))), grpc::StatusCode::INVALID_ARGUMENT,
         "request_id");
  v1::SubmitRatingRequest nul_comment = Rating("nul-comment");
  nul_comment.set_comment(std::string("a\0b", 3));
  expect(Submit(nul_comment), grpc::StatusCode::INVALID_ARGUMENT, "comment");
  // Timestamps at the ends of what protobuf allows, and beyond.
  for (int64_t seconds : {-62135596800LL /* 0001-01-01 */, 253402300799LL /* 9999-12-31 */,
                          -99999999999LL, 999999999999LL}) {
    v1::SubmitRatingRequest r = Rating("ts-" + std::to_string(seconds));
    r.mutable_occurred_at()->set_seconds(seconds);
    expect(Submit(r), grpc::StatusCode::INVALID_ARGUMENT, "occurred_at");
  }
  // Too many attributes, too long keys.
  v1::SubmitRatingRequest attrs = Rating("attrs");
  for (int i = 0; i < 10000; ++i) (*attrs.mutable_attributes())["k" + std::to_string(i)] = "v";
  expect(Submit(attrs), grpc::StatusCode::INVALID_ARGUMENT, "attributes");
  // A 10,000-item batch.
  v1::SubmitFeedbackBatchRequest batch;
  for (int i = 0; i < 10000; ++i) *batch.add_items()->mutable_rating() = Rating("b" + std::to_string(i));
  v1::SubmitFeedbackBatchResponse batch_out;
  expect(feedback_->SubmitFeedbackBatch(Context(ingest_).get(), batch, &batch_out),
         grpc::StatusCode::INVALID_ARGUMENT, "items");
  // Invalid UTF-8 in a string field, sent as raw bytes: field 1
  // (request_id) = 0xFF 0xFE, field 2 (channel) = 1, field 7 (score) = 3.
  // Not valid protobuf, so gRPC refuses it before the service sees it
  // (gRPC 1.51's callback server answers UNIMPLEMENTED).
  {
    grpc::GenericStub generic(server_.channel);
    const std::string wire = std::string("\x0a\x02\xff\xfe\x10\x01\x38\x03", 8);
    grpc::Slice slice(wire);
    grpc::ByteBuffer request(&slice, 1), response;
    auto context = Context(ingest_);
    absl::Notification done;
    grpc::Status st;
    generic.UnaryCall(context.get(), "/feedback.v1.FeedbackService/SubmitRating", {}, &request,
                      &response, [&](grpc::Status s) {
                        st = std::move(s);
                        done.Notify();
                      });
    done.WaitForNotification();
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.error_code(), grpc::StatusCode::INTERNAL);
    EXPECT_NE(st.error_code(), grpc::StatusCode::UNKNOWN);
  }
  // A page size of a billion is clamped, not an error.
  auto complaints = v1::ComplaintService::NewStub(server_.channel);
  v1::ListComplaintsRequest list;
  list.set_page_size(1000000000);
  v1::ListComplaintsResponse listed;
  EXPECT_TRUE(complaints->ListComplaints(Context(agent_).get(), list, &listed).ok());
  list.set_page_size(-1);
  expect(complaints->ListComplaints(Context(agent_).get(), list, &listed),
         grpc::StatusCode::INVALID_ARGUMENT, "page_size");
  // A report over a century, day by day: too many buckets.
  auto reports = v1::ReportingService::NewStub(server_.channel);
  v1::ReportQuery q;
  q.mutable_start_time()->set_seconds(946684800);   // 2000-01-01
  q.mutable_end_time()->set_seconds(4102444800);    // 2100-01-01
  q.set_bucket(v1::BUCKET_DAY);
  v1::SatisfactionReport report;
  const std::string manager = testing::CreateTestKey(db_->url(), "boss", domain::Role::kManager);
  expect(reports->GetSatisfactionReport(Context(manager).get(), q, &report),
         grpc::StatusCode::INVALID_ARGUMENT, "bucket");

  // Nothing bad was stored, the server is healthy and stores the next one.
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 0);
  EXPECT_EQ(testing::HealthOf(*server_.channel), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_TRUE(Submit(Rating("fine")).ok());
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 1);
}

}  // namespace
}  // namespace feedback::services
