// End to end: ratings submitted over gRPC come back in the reports.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "feedback/v1/complaint_service.grpc.pb.h"
#include "feedback/v1/feedback_service.grpc.pb.h"
#include "feedback/v1/reporting_service.grpc.pb.h"
#include "storage/fold/folder.h"
#include "storage/report_store.h"
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

TEST_F(ReportingServiceTest, ComplaintAndRetentionReportsFollowACaseEndToEnd) {
  const std::string agent = testing::CreateTestKey(db_->url(), "anna", domain::Role::kAgent, {"general"});
  auto complaints = v1::ComplaintService::NewStub(server_.channel);
  v1::FileComplaintRequest filing;
  filing.set_request_id("case-1");
  filing.set_channel(v1::CHANNEL_IVR);
  filing.set_queue("general");
  filing.set_category("delivery");
  filing.set_subject("Parcel never arrived");
  filing.mutable_customer()->set_customer_id("cust-1");
  v1::Complaint c;
  ASSERT_TRUE(complaints->FileComplaint(Context(&ingest_key_).get(), filing, &c).ok());
  v1::ClaimNextComplaintRequest claim;
  claim.add_queues("general");
  ASSERT_TRUE(complaints->ClaimNextComplaint(Context(&agent).get(), claim, &c).ok());
  v1::AddComplaintNoteRequest note;
  note.set_id(c.id());
  note.set_body("We are sending a new parcel.");
  note.set_visibility(v1::NOTE_VISIBILITY_PUBLIC);
  v1::AddComplaintNoteResponse noted;
  ASSERT_TRUE(complaints->AddComplaintNote(Context(&agent).get(), note, &noted).ok());
  v1::GetComplaintRequest get;
  get.set_id(c.id());
  ASSERT_TRUE(complaints->GetComplaint(Context(&agent).get(), get, &c).ok());
  v1::TransitionComplaintRequest resolve;
  resolve.set_id(c.id());
  resolve.set_etag(c.etag());
  resolve.set_to_status(v1::COMPLAINT_STATUS_RESOLVED);
  resolve.set_resolution_code("replaced");
  ASSERT_TRUE(complaints->TransitionComplaint(Context(&agent).get(), resolve, &c).ok());
  // The customer rates the resolution, and was already active yesterday.
  const absl::Time now = absl::Now();
  for (int days_ago : {1, 0}) {
    v1::SubmitRatingRequest r;
    r.set_request_id("rating-" + std::to_string(days_ago));
    r.set_channel(v1::CHANNEL_IVR);
    r.set_score(5);
    r.mutable_customer()->set_customer_id("cust-1");
    if (days_ago == 0) r.set_complaint_id(c.id());
    r.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(now - absl::Hours(24) * days_ago));
    v1::SubmitRatingResponse out;
    ASSERT_TRUE(feedback_->SubmitRating(Context(&ingest_key_).get(), r, &out).ok());
  }

  const absl::Time today = absl::FromCivil(absl::ToCivilDay(now, absl::UTCTimeZone()),
                                           absl::UTCTimeZone());
  v1::ReportQuery q;
  q.mutable_start_time()->set_seconds(absl::ToUnixSeconds(today - absl::Hours(48)));
  q.mutable_end_time()->set_seconds(absl::ToUnixSeconds(today + absl::Hours(24)));
  q.add_group_by(v1::DIMENSION_CATEGORY);
  q.add_group_by(v1::DIMENSION_AGENT);
  v1::ComplaintReport report;
  grpc::Status st = reports_->GetComplaintReport(Context().get(), q, &report);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(report.rows_size(), 1);
  const v1::ComplaintRow& row = report.rows(0);
  EXPECT_EQ(row.category(), "delivery");
  EXPECT_EQ(row.agent_id(), "anna");
  EXPECT_EQ(row.opened(), 1);
  EXPECT_EQ(row.resolved(), 1);
  EXPECT_EQ(row.resolution_rate_percent(), 100);
  EXPECT_EQ(row.first_responses(), 1);
  EXPECT_EQ(row.resolutions(), 1);
  EXPECT_EQ(row.first_response_sla_met(), 1);
  EXPECT_EQ(row.resolution_sla_met(), 1);
  EXPECT_EQ(row.first_response_sla_met_percent(), 100);
  EXPECT_EQ(row.backlog_open_at_end(), 0);
  EXPECT_EQ(row.resolution_ratings(), 1);
  EXPECT_EQ(row.resolution_csat_percent(), 100);
  EXPECT_EQ(report.total().opened(), 1);

  q.clear_group_by();
  q.set_bucket(v1::BUCKET_DAY);
  v1::RetentionReport retention;
  st = reports_->GetRetentionReport(Context().get(), q, &retention);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(retention.rows_size(), 2);  // yesterday (new) and today (returning)
  const v1::RetentionRow& last = retention.rows(1);
  EXPECT_EQ(last.bucket_start().seconds(), absl::ToUnixSeconds(today));
  EXPECT_EQ(last.active_customers(), 1);
  EXPECT_EQ(last.previous_active_customers(), 1);
  EXPECT_EQ(last.returning_customers(), 1);
  EXPECT_EQ(last.return_rate_percent(), 100);
  EXPECT_EQ(last.churn_rate_percent(), 0);

  // The retention report compares buckets and has no dimensions.
  q.set_bucket(v1::BUCKET_NONE);
  EXPECT_EQ(reports_->GetRetentionReport(Context().get(), q, &retention).error_message(),
            "bucket: the retention report compares buckets; use DAY, WEEK or MONTH");
  q.set_bucket(v1::BUCKET_DAY);
  q.add_group_by(v1::DIMENSION_CHANNEL);
  EXPECT_EQ(reports_->GetRetentionReport(Context().get(), q, &retention).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Category belongs to complaints only.
  q.clear_group_by();
  q.add_group_by(v1::DIMENSION_CATEGORY);
  v1::SatisfactionReport csat;
  EXPECT_EQ(reports_->GetSatisfactionReport(Context().get(), q, &csat).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ReportingServiceTest, AReportLargerThanTheRequestLimitStillArrives) {
  // 30,000 agents with one rating each (loaded directly, then folded): the per-agent report is larger than the 1 MiB request limit.
  db_->Query(
      "INSERT INTO feedback (id, kind, score, channel, agent_id, api_key_id, occurred_at, "
      "received_at) SELECT gen_random_uuid(), 1, 1 + g % 5, 1, 'agent-with-a-long-name-' || g, "
      "1, timestamptz '2026-11-20 12:00:00+00', now() FROM generate_series(1, 30000) g");
  storage::ConnectionPool pool({db_->url(), 1});
  ASSERT_TRUE(storage::fold::Folder(pool).CatchUp(absl::Seconds(60)).ok());
  v1::ReportQuery q;
  *q.mutable_start_time() = Berlin(19, 0);
  *q.mutable_end_time() = Berlin(22, 0);
  q.add_group_by(v1::DIMENSION_AGENT);
  v1::SatisfactionReport report;
  auto context = Context();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  auto stub = v1::ReportingService::NewStub(grpc::CreateCustomChannel(
      "127.0.0.1:" + std::to_string(server_.server->port()), grpc::InsecureChannelCredentials(),
      args));
  const grpc::Status st = stub->GetSatisfactionReport(context.get(), q, &report);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(report.rows_size(), 30000);
  EXPECT_EQ(report.total().responses(), 30000);
  EXPECT_GT(report.ByteSizeLong(), 1u << 20);
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
