// End to end: ratings submitted over gRPC come back in the reports.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "feedback/v1/feedback_service.grpc.pb.h"
#include "feedback/v1/reporting_service.grpc.pb.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace feedback::services {
namespace {

class ReportingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FEEDBACK_REQUIRE_TEST_DATABASE(db_);
    key_ = testing::CreateTestKey(db_->url(), "manager", domain::Role::kManager);
    ingest_key_ = testing::CreateTestKey(db_->url(), "ivr", domain::Role::kIngest);
    server_ = testing::StartTestServer(testing::TestServerOptions(db_->url()));
    ASSERT_NE(server_.server, nullptr);
    feedback_ = v1::FeedbackService::NewStub(server_.channel);
    reports_ = v1::ReportingService::NewStub(server_.channel);
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string* key = nullptr) {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata("authorization", "Bearer " + (key ? *key : key_));
    return c;
  }

  // 2026-11-20 10:00 Berlin time plus `minutes`.
  static google::protobuf::Timestamp Berlin(int day, int minutes = 600) {
    absl::TimeZone tz;
    absl::LoadTimeZone("Europe/Berlin", &tz);
    google::protobuf::Timestamp ts;
    ts.set_seconds(absl::ToUnixSeconds(
        absl::FromCivil(absl::CivilSecond(2026, 11, day, 0, 0, 0), tz) + absl::Minutes(minutes)));
    return ts;
  }

  void Rate(const std::string& id, int score, int day, const std::string& agent) {
    v1::SubmitRatingRequest r;
    r.set_request_id(id);
    r.set_channel(v1::CHANNEL_IVR);
    r.set_score(score);
    r.set_agent_id(agent);
    *r.mutable_occurred_at() = Berlin(day);
    v1::SubmitRatingResponse out;
    ASSERT_TRUE(feedback_->SubmitRating(Context(&ingest_key_).get(), r, &out).ok());
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::string key_;
  std::string ingest_key_;
  testing::TestServer server_;
  std::unique_ptr<v1::FeedbackService::Stub> feedback_;
  std::unique_ptr<v1::ReportingService::Stub> reports_;
};

TEST_F(ReportingServiceTest, SatisfactionAndNpsByDayInTheManagersZone) {
  Rate("a", 5, 19, "anna");
  Rate("b", 4, 19, "anna");
  Rate("c", 1, 19, "ben");
  Rate("d", 3, 20, "anna");
  Rate("a", 5, 19, "anna");  // a replay counts once
  for (int i = 0; i < 4; ++i) {
    v1::SubmitNpsRequest r;
    r.set_request_id("n" + std::to_string(i));
    r.set_channel(v1::CHANNEL_WEB);
    static constexpr int kScores[] = {10, 9, 7, 2};
    r.set_score(kScores[i]);
    *r.mutable_occurred_at() = Berlin(20);
    v1::SubmitNpsResponse out;
    ASSERT_TRUE(feedback_->SubmitNps(Context(&ingest_key_).get(), r, &out).ok());
  }

  v1::ReportQuery q;
  *q.mutable_start_time() = Berlin(19, 0);
  *q.mutable_end_time() = Berlin(22, 0);
  q.set_time_zone("Europe/Berlin");
  q.set_bucket(v1::BUCKET_DAY);
  q.add_group_by(v1::DIMENSION_AGENT);
  v1::SatisfactionReport csat;
  grpc::Status st = reports_->GetSatisfactionReport(Context().get(), q, &csat);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(csat.rows_size(), 3);  // (19, anna), (19, ben), (20, anna)
  EXPECT_EQ(csat.rows(0).bucket_start().seconds(), Berlin(19, 0).seconds());
  EXPECT_EQ(csat.rows(0).agent_id(), "anna");
  EXPECT_EQ(csat.rows(0).responses(), 2);
  EXPECT_DOUBLE_EQ(csat.rows(0).csat_percent(), 100.0);
  EXPECT_DOUBLE_EQ(csat.rows(0).mean_score(), 4.5);
  EXPECT_EQ(csat.rows(1).agent_id(), "ben");
  EXPECT_EQ(csat.rows(1).score_1(), 1);
  EXPECT_EQ(csat.total().responses(), 4);
  EXPECT_DOUBLE_EQ(csat.total().csat_percent(), 50.0);
  EXPECT_DOUBLE_EQ(csat.total().mean_score(), 13.0 / 4);

  q.clear_group_by();
  v1::NpsReport nps;
  ASSERT_TRUE(reports_->GetNpsReport(Context().get(), q, &nps).ok());
  ASSERT_EQ(nps.rows_size(), 1);
  EXPECT_EQ(nps.rows(0).promoters(), 2);
  EXPECT_EQ(nps.rows(0).passives(), 1);
  EXPECT_EQ(nps.rows(0).detractors(), 1);
  EXPECT_DOUBLE_EQ(nps.rows(0).nps(), 25.0);
  EXPECT_NEAR(nps.rows(0).margin_of_error_95(),
              1.96 * std::sqrt(((2.75 / 7) + (1.75 / 7) - std::pow(1.0 / 7, 2)) / 7) * 100, 1e-9);

  // An empty range: zero rows, not an error.
  *q.mutable_start_time() = Berlin(1, 0);
  *q.mutable_end_time() = Berlin(2, 0);
  ASSERT_TRUE(reports_->GetNpsReport(Context().get(), q, &nps).ok());
  EXPECT_EQ(nps.rows_size(), 0);
  EXPECT_EQ(nps.total().responses(), 0);
}

TEST_F(ReportingServiceTest, BadQueriesNameTheField) {
  v1::ReportQuery q;
  *q.mutable_start_time() = Berlin(19, 0);
  *q.mutable_end_time() = Berlin(18, 0);
  v1::SatisfactionReport out;
  EXPECT_EQ(reports_->GetSatisfactionReport(Context().get(), q, &out).error_message(),
            "end_time: must be after start_time");
  *q.mutable_end_time() = Berlin(22, 0);
  q.set_time_zone("Mars/Base");
  EXPECT_EQ(reports_->GetSatisfactionReport(Context().get(), q, &out).error_message(),
            "time_zone: unknown IANA time zone");
  q.set_time_zone("UTC");
  q.add_group_by(static_cast<v1::Dimension>(99));
  EXPECT_EQ(reports_->GetSatisfactionReport(Context().get(), q, &out).error_message(),
            "group_by: unknown dimension");
  q.clear_group_by();
  q.clear_start_time();
  EXPECT_EQ(reports_->GetSatisfactionReport(Context().get(), q, &out).error_message(),
            "start_time: is required");
  // Only managers (and admins) read reports.
  EXPECT_EQ(reports_->GetSatisfactionReport(Context(&ingest_key_).get(), q, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace feedback::services
