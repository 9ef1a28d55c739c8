// End to end: AdminService over gRPC on a real PostgreSQL database.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "domain/sha256.h"
#include "feedback/v1/admin_service.grpc.pb.h"
#include "feedback/v1/complaint_service.grpc.pb.h"
#include "feedback/v1/feedback_service.grpc.pb.h"
#include "storage/connection_pool.h"
#include "storage/fold/folder.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace feedback::services {
namespace {

class AdminServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FEEDBACK_REQUIRE_TEST_DATABASE(db_);
    admin_ = testing::CreateTestKey(db_->url(), "root", domain::Role::kAdmin);
    server_ = testing::StartTestServer(testing::TestServerOptions(db_->url()));
    ASSERT_NE(server_.server, nullptr);
    admin_stub_ = v1::AdminService::NewStub(server_.channel);
    complaints_ = v1::ComplaintService::NewStub(server_.channel);
    feedback_ = v1::FeedbackService::NewStub(server_.channel);
  }
  std::unique_ptr<grpc::ClientContext> As(const std::string& key) {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata("authorization", "Bearer " + key);
    return c;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::string admin_;
  testing::TestServer server_;
  std::unique_ptr<v1::AdminService::Stub> admin_stub_;
  std::unique_ptr<v1::ComplaintService::Stub> complaints_;
  std::unique_ptr<v1::FeedbackService::Stub> feedback_;
};

TEST_F(AdminServiceTest, KeysAreShownOnceListedWithoutSecretsAndRevocable) {
  v1::CreateApiKeyRequest create;
  create.set_name("desk-anna");
  create.set_role(v1::ROLE_AGENT);
  create.add_queues("billing");
  v1::CreateApiKeyResponse created;
  ASSERT_TRUE(admin_stub_->CreateApiKey(As(admin_).get(), create, &created).ok());
  const std::string key = created.key();
  ASSERT_EQ(key.rfind("fbk_", 0), 0u);
  EXPECT_EQ(created.api_key().key_prefix(), key.substr(0, 8));

  v1::ListApiKeysRequest list;
  v1::ListApiKeysResponse listed;
  ASSERT_TRUE(admin_stub_->ListApiKeys(As(admin_).get(), list, &listed).ok());
  ASSERT_EQ(listed.api_keys_size(), 2);
  EXPECT_EQ(listed.DebugString().find(key), std::string::npos);  // never the secret
  EXPECT_EQ(listed.api_keys(1).queues(0), "billing");

  // The new key works, for its role only.
  v1::ListComplaintsRequest list_complaints;
  list_complaints.set_queue("billing");
  v1::ListComplaintsResponse complaints;
  EXPECT_TRUE(complaints_->ListComplaints(As(key).get(), list_complaints, &complaints).ok());
  EXPECT_EQ(admin_stub_->ListApiKeys(As(key).get(), list, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::RevokeApiKeyRequest revoke;
  revoke.set_id(created.api_key().id());
  v1::ApiKey revoked, again;
  ASSERT_TRUE(admin_stub_->RevokeApiKey(As(admin_).get(), revoke, &revoked).ok());
  EXPECT_TRUE(revoked.has_revoked_at());
  ASSERT_TRUE(admin_stub_->RevokeApiKey(As(admin_).get(), revoke, &again).ok());  // idempotent
  EXPECT_EQ(again.revoked_at().seconds(), revoked.revoked_at().seconds());
  absl::SleepFor(absl::Milliseconds(1100));  // the key cache TTL
  EXPECT_EQ(complaints_->ListComplaints(As(key).get(), list_complaints, &complaints).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  revoke.set_id("999999");
  EXPECT_EQ(admin_stub_->RevokeApiKey(As(admin_).get(), revoke, &again).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM admin_audit WHERE actor = 'root' AND action IN "
                       "('create_api_key', 'revoke_api_key')"),
            3);
}

TEST_F(AdminServiceTest, ARevokedKeyStopsOnTheNextCallOnEveryReplica) {
  // Two replicas that would trust a confirmed key for a minute: only the
  // revocation notice can stop the key quickly.
  ServerOptions slow_cache = testing::TestServerOptions(db_->url());
  slow_cache.key_cache_ttl = absl::Seconds(60);
  testing::TestServer a = testing::StartTestServer(slow_cache);
  testing::TestServer b = testing::StartTestServer(slow_cache);
  ASSERT_NE(a.server, nullptr);
  ASSERT_NE(b.server, nullptr);
  const std::string ivr = testing::CreateTestKey(db_->url(), "ivr-x", domain::Role::kIngest);
  auto feedback_b = v1::FeedbackService::NewStub(b.channel);
  auto submit = [&](const std::string& id) {
    v1::SubmitRatingRequest r;
    r.set_request_id(id);
    r.set_channel(v1::CHANNEL_IVR);
    r.set_score(4);
    v1::SubmitRatingResponse out;
    return feedback_b->SubmitRating(As(ivr).get(), r, &out).error_code();
  };
  ASSERT_EQ(submit("before"), grpc::StatusCode::OK);  // now cached on replica b

  v1::ListApiKeysResponse keys;
  ASSERT_TRUE(v1::AdminService::NewStub(a.channel)->ListApiKeys(As(admin_).get(), {}, &keys).ok());
  v1::RevokeApiKeyRequest revoke;
  for (const auto& k : keys.api_keys()) {
    if (k.name() == "ivr-x") revoke.set_id(k.id());
  }
  v1::ApiKey revoked;
  ASSERT_TRUE(v1::AdminService::NewStub(a.channel)->RevokeApiKey(As(admin_).get(), revoke, &revoked).ok());
  const absl::Time revoked_at = absl::Now();
  grpc::StatusCode code = grpc::StatusCode::OK;
  for (int i = 0; code == grpc::StatusCode::OK && i < 200; ++i) {
    code = submit("after-" + std::to_string(i));
    if (code == grpc::StatusCode::OK) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(code, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_LT(absl::Now() - revoked_at, absl::Seconds(2));  // the notice, not the 60 s cache
}

TEST_F(AdminServiceTest, AnUpsertedPolicyAppliesToNewComplaints) {
  v1::UpsertSlaPolicyRequest upsert;
  upsert.set_priority(v1::PRIORITY_NORMAL);
  upsert.mutable_first_response_target()->set_seconds(600);
  upsert.mutable_resolution_target()->set_seconds(7200);
  upsert.mutable_calendar()->set_time_zone("Asia/Kolkata");
  for (int day = 1; day <= 7; ++day) {
    v1::OpenHours* h = upsert.mutable_calendar()->add_open_hours();
    h->set_iso_weekday(day);
    h->set_start_minute(0);
    h->set_end_minute(1440);
  }
  upsert.mutable_calendar()->add_holidays("2026-12-25");
  v1::SlaPolicy policy;
  grpc::Status st = admin_stub_->UpsertSlaPolicy(As(admin_).get(), upsert, &policy);
  ASSERT_TRUE(st.ok()) << st.error_message();
  v1::ListSlaPoliciesResponse policies;
  ASSERT_TRUE(admin_stub_->ListSlaPolicies(As(admin_).get(), {}, &policies).ok());
  ASSERT_EQ(policies.policies_size(), 4);
  EXPECT_EQ(policies.policies(1).priority(), v1::PRIORITY_NORMAL);
  EXPECT_EQ(policies.policies(1).calendar().time_zone(), "Asia/Kolkata");
  EXPECT_EQ(policies.policies(1).calendar().holidays(0), "2026-12-25");

  v1::FileComplaintRequest file;
  file.set_request_id("after-policy");
  file.set_channel(v1::CHANNEL_WEB);
  file.set_subject("late");
  v1::Complaint c;
  ASSERT_TRUE(complaints_->FileComplaint(As(admin_).get(), file, &c).ok());
  EXPECT_EQ(c.first_response_due_at().seconds() - c.created_at().seconds(), 600);

  upsert.mutable_calendar()->set_time_zone("Nowhere/City");
  EXPECT_EQ(admin_stub_->UpsertSlaPolicy(As(admin_).get(), upsert, &policy).error_message(),
            "calendar.time_zone: unknown IANA time zone");
  upsert.mutable_calendar()->set_time_zone("UTC");
  upsert.mutable_resolution_target()->set_seconds(0);
  EXPECT_EQ(admin_stub_->UpsertSlaPolicy(As(admin_).get(), upsert, &policy).error_message(),
            "resolution_target: must be a positive duration");
}

TEST_F(AdminServiceTest, ErasingACustomerRemovesPersonalDataButKeepsTheScores) {
  const std::string ivr = testing::CreateTestKey(db_->url(), "ivr", domain::Role::kIngest);
  v1::SubmitRatingRequest rating;
  rating.set_request_id("call-1");
  rating.set_channel(v1::CHANNEL_IVR);
  rating.set_score(1);
  rating.set_comment("my number is +49 171 5550000");
  rating.mutable_customer()->set_customer_id("cust-42");
  rating.mutable_customer()->set_phone("+491715550000");
  rating.mutable_customer()->set_email("kim@example.com");
  rating.mutable_customer()->set_display_name("Kim Doe");
  v1::SubmitRatingResponse submitted;
  ASSERT_TRUE(feedback_->SubmitRating(As(ivr).get(), rating, &submitted).ok());
  ASSERT_FALSE(submitted.follow_up_complaint_id().empty());
  v1::AddComplaintNoteRequest note;
  note.set_id(submitted.follow_up_complaint_id());
  note.set_body("Called Kim Doe on +491715550000");
  note.set_visibility(v1::NOTE_VISIBILITY_INTERNAL);
  v1::AddComplaintNoteResponse noted;
  ASSERT_TRUE(complaints_->AddComplaintNote(As(admin_).get(), note, &noted).ok());
  // The counts as folded before the erasure.
  storage::ConnectionPool fold_pool({db_->url(), 1});
  storage::fold::Folder folder(fold_pool);
  ASSERT_TRUE(folder.CatchUp(absl::Seconds(60)).ok());
  const long long rollup = db_->Count("SELECT sum(responses) FROM score_slots");

  v1::EraseCustomerRequest erase;
  erase.set_customer_id("cust-42");
  v1::EraseCustomerResponse erased;
  ASSERT_TRUE(admin_stub_->EraseCustomer(As(admin_).get(), erase, &erased).ok());
  EXPECT_EQ(erased.feedback_rows(), 1);
  EXPECT_EQ(erased.complaints(), 1);

  // No trace of the person in any table.
  for (const char* needle : {"cust-42", "5550000", "kim@example.com", "Kim Doe"}) {
    for (const char* table : {"feedback", "complaints", "complaint_notes", "complaint_events",
                              "follow_ups", "admin_audit", "idempotency_keys"}) {
      EXPECT_EQ(db_->Count(std::string("SELECT count(*) FROM ") + table + " t WHERE t::text LIKE '%" +
                           needle + "%'"),
                0)
          << needle << " in " << table;
    }
  }
  // The score stays, anonymous, and reports do not change.
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback WHERE score = 1 AND customer_id IS NULL"), 1);
  ASSERT_TRUE(folder.CatchUp(absl::Seconds(60)).ok());
  EXPECT_EQ(db_->Count("SELECT sum(responses) FROM score_slots"), rollup);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM customer_slots WHERE customer_id = 'cust-42'"), 0);
  absl::StatusOr<std::map<std::string, int64_t>> differing = folder.Check();
  ASSERT_TRUE(differing.ok()) << differing.status();
  EXPECT_TRUE(differing->empty());
  EXPECT_EQ(db_->Count("SELECT count(*) FROM admin_audit WHERE target = 'customer_sha256:" +
                       domain::HexEncode(domain::Sha256("cust-42")) + "'"),
            1);
  // Idempotent.
  ASSERT_TRUE(admin_stub_->EraseCustomer(As(admin_).get(), erase, &erased).ok());
  EXPECT_EQ(erased.feedback_rows(), 0);
  EXPECT_EQ(erased.complaints(), 0);
  erase.set_customer_id("");
  EXPECT_EQ(admin_stub_->EraseCustomer(As(admin_).get(), erase, &erased).error_message(),
            "customer_id: is required");
}

}  // namespace
}  // namespace feedback::services
