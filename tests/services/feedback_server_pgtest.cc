// End to end: a real gRPC channel to an in-process FeedbackServer on a real
// PostgreSQL database.

#include "services/feedbackd/feedback_server.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "clients/feedback_client.h"
#include "feedback/v1/feedback_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"
#include "tests/support/tcp_proxy.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace feedback::services {
namespace {

using grpc::health::v1::HealthCheckResponse;

int PortOf(const std::string& url) {
  const size_t colon = url.rfind(':');
  return std::stoi(url.substr(colon + 1));
}

std::string ReplacePort(const std::string& url, int port) {
  const size_t colon = url.rfind(':');
  const size_t slash = url.find('/', colon);
  return url.substr(0, colon + 1) + std::to_string(port) + url.substr(slash);
}

class FeedbackServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FEEDBACK_REQUIRE_TEST_DATABASE(db_);
    key_ = testing::CreateTestKey(db_->url(), "test-ivr");
    other_key_ = testing::CreateTestKey(db_->url(), "test-checkout");
  }

  void StartServer(const std::string& database_url) {
    testing::TestServer started = testing::StartTestServer(testing::TestServerOptions(database_url));
    ASSERT_NE(started.server, nullptr);
    server_ = std::move(started.server);
    channel_ = started.channel;
    stub_ = v1::FeedbackService::NewStub(channel_);
  }

  HealthCheckResponse::ServingStatus Health() { return testing::HealthOf(*channel_); }
  bool WaitForHealth(HealthCheckResponse::ServingStatus wanted) {
    return testing::WaitForHealth(*channel_, wanted);
  }

  // A unary call with `key` (none when empty) in this call's own metadata.
  template <typename Request, typename Response, typename Method>
  grpc::Status Call(Method method, const Request& request, Response& response,
                    const std::string& key) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!key.empty()) context.AddMetadata("authorization", "Bearer " + key);
    return (stub_.get()->*method)(&context, request, &response);
  }
  grpc::Status Rate(const v1::SubmitRatingRequest& r, v1::SubmitRatingResponse& out,
                    const std::string& key) {
    return Call(&v1::FeedbackService::Stub::SubmitRating, r, out, key);
  }
  grpc::Status Rate(const v1::SubmitRatingRequest& r, v1::SubmitRatingResponse& out) {
    return Rate(r, out, key_);
  }

  static v1::SubmitRatingRequest Rating(const std::string& request_id, int score) {
    v1::SubmitRatingRequest r;
    r.set_request_id(request_id);
    r.set_channel(v1::CHANNEL_IVR);
    r.set_score(score);
    r.set_interaction_id("call-" + request_id);
    return r;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::string key_, other_key_;
  std::unique_ptr<FeedbackServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::FeedbackService::Stub> stub_;
};

TEST_F(FeedbackServerTest, RefusesToStartOnAnEditedMigrationOrABadAddress) {
  db_->Query("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
  auto edited = FeedbackServer::Start(testing::TestServerOptions(db_->url()));
  EXPECT_EQ(edited.status().code(), absl::StatusCode::kFailedPrecondition);
  ServerOptions bad_address = testing::TestServerOptions(db_->url());
  bad_address.listen = "256.1.1.1:1";
  db_->Query("DELETE FROM schema_migrations WHERE version = 1");
  auto unbindable = FeedbackServer::Start(bad_address);
  EXPECT_EQ(unbindable.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(FeedbackServerTest, LogsNeverContainKeysPhonesEmailsOrComments) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  spdlog::default_logger()->sinks().push_back(sink);
  const auto previous_level = spdlog::default_logger()->level();
  spdlog::default_logger()->set_level(spdlog::level::trace);

  testing::TcpProxy proxy(PortOf(db_->url()));
  StartServer(ReplacePort(db_->url(), proxy.port()));
  v1::SubmitRatingRequest r = Rating("canary-1", 1);
  r.mutable_customer()->set_customer_id("CANARYCUSTOMER");
  r.mutable_customer()->set_phone("+49CANARYPHONE");
  r.mutable_customer()->set_email("canary@CANARYMAIL.example");
  r.mutable_customer()->set_display_name("CANARYNAME");
  r.set_comment("CANARYCOMMENT");
  v1::SubmitRatingResponse response;
  ASSERT_TRUE(Rate(r, response).ok());           // stored, closed loop opened
  r.set_score(99);
  EXPECT_FALSE(Rate(r, response).ok());          // invalid
  EXPECT_FALSE(Rate(Rating("canary-2", 3), response, "fbk_CANARYKEY").ok());  // unknown key
  proxy.Cut();                                   // database lost while the data flows
  EXPECT_TRUE(WaitForHealth(HealthCheckResponse::NOT_SERVING));
  r.set_score(2);
  r.set_request_id("canary-3");
  EXPECT_FALSE(Rate(r, response).ok());
  proxy.Restore();
  EXPECT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
  server_->Shutdown();

  spdlog::default_logger()->sinks().pop_back();
  spdlog::default_logger()->set_level(previous_level);
  const std::string logs = captured.str();
  EXPECT_NE(logs.find("NOT_SERVING"), std::string::npos) << "nothing was captured";
  for (const std::string& canary :
       {std::string("CANARY"), key_, key_.substr(4, 12), std::string("canary@")}) {
    EXPECT_EQ(logs.find(canary), std::string::npos) << canary << " leaked into:\n" << logs;
  }
}

TEST_F(FeedbackServerTest, SubmitRatingStoresItOnceAndAnswersReplays) {
  StartServer(db_->url());
  v1::SubmitRatingRequest request = Rating("call-1", 5);
  request.mutable_customer()->set_customer_id("cust-9");
  (*request.mutable_attributes())["lang"] = "de";
  v1::SubmitRatingResponse first, replay;
  ASSERT_TRUE(Rate(request, first).ok());
  EXPECT_FALSE(first.duplicate());
  EXPECT_FALSE(first.feedback_id().empty());
  EXPECT_GT(first.received_at().seconds(), 0);
  grpc::Status st = Rate(request, replay);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(replay.duplicate());
  EXPECT_EQ(replay.feedback_id(), first.feedback_id());
  EXPECT_EQ(replay.received_at().seconds(), first.received_at().seconds());
  EXPECT_EQ(replay.received_at().nanos(), first.received_at().nanos());
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback WHERE id = '" + first.feedback_id() +
                       "' AND score = 5 AND customer_id = 'cust-9' AND attributes->>'lang' = 'de'"),
            1);

  request.set_score(1);
  v1::SubmitRatingResponse conflict;
  st = Rate(request, conflict);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(st.error_message().rfind("request_id:", 0), 0u) << st.error_message();

  // The same request_id under another key is another submission.
  v1::SubmitRatingResponse other;
  ASSERT_TRUE(Rate(request, other, other_key_).ok());
  EXPECT_FALSE(other.duplicate());
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 2);
}

TEST_F(FeedbackServerTest, BadInputGetsInvalidArgumentNamingTheField) {
  StartServer(db_->url());
  struct Case {
    std::function<void(v1::SubmitRatingRequest&)> change;
    std::string prefix;
  };
  const std::vector<Case> cases = {
      {[](auto& r) { r.set_score(6); }, "score: must be between 1 and 5"},
      {[](auto& r) { r.set_score(0); }, "score: must be between 1 and 5"},
      {[](auto& r) { r.set_request_id(""); }, "request_id: is required"},
      {[](auto& r) { r.set_channel(v1::CHANNEL_UNSPECIFIED); }, "channel: is required"},
      {[](auto& r) { r.set_channel(static_cast<v1::Channel>(42)); }, "channel:"},
      {[](auto& r) { r.set_comment(std::string(4001, 'c')); }, "comment: must be at most 4000"},
      {[](auto& r) { r.set_comment(std::string("nul\0", 4)); }, "comment: must be valid UTF-8"},
      {[](auto& r) {
         r.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(1)));
       },
       "occurred_at: must not be more than 5 minutes in the future"},
      {[](auto& r) { r.mutable_occurred_at()->set_seconds(-62135596800LL - 1); },
       "occurred_at: is not a valid timestamp"},
      {[](auto& r) { r.mutable_occurred_at()->set_seconds(253402300799LL); },
       "occurred_at: must not be more than 5 minutes in the future"},
      {[](auto& r) { r.mutable_occurred_at()->set_nanos(-5); }, "occurred_at: is not a valid"},
      {[](auto& r) {
         for (int i = 0; i < 21; ++i) (*r.mutable_attributes())["k" + std::to_string(i)] = "v";
       },
       "attributes: must have at most 20 entries"},
      {[](auto& r) { r.mutable_customer()->set_email(std::string(255, 'e')); },
       "customer.email: must be at most 254"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    v1::SubmitRatingRequest request = Rating("bad-" + std::to_string(i), 3);
    cases[i].change(request);
    v1::SubmitRatingResponse response;
    grpc::Status st = Rate(request, response);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << i;
    EXPECT_EQ(st.error_message().rfind(cases[i].prefix, 0), 0u)
        << i << ": " << st.error_message();
  }
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 0);
  EXPECT_EQ(Health(), HealthCheckResponse::SERVING);
}

TEST_F(FeedbackServerTest, SubmitNpsReturnsTheCategory) {
  StartServer(db_->url());
  const std::pair<int, v1::NpsCategory> cases[] = {{0, v1::NPS_CATEGORY_DETRACTOR},
                                                   {6, v1::NPS_CATEGORY_DETRACTOR},
                                                   {7, v1::NPS_CATEGORY_PASSIVE},
                                                   {8, v1::NPS_CATEGORY_PASSIVE},
                                                   {9, v1::NPS_CATEGORY_PROMOTER},
                                                   {10, v1::NPS_CATEGORY_PROMOTER}};
  for (const auto& [score, category] : cases) {
    v1::SubmitNpsRequest request;
    request.set_request_id("nps-" + std::to_string(score));
    request.set_channel(v1::CHANNEL_WEB);
    request.set_score(score);
    v1::SubmitNpsResponse response;
    grpc::Status st = Call(&v1::FeedbackService::Stub::SubmitNps, request, response, key_);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(response.category(), category) << score;
  }
  v1::SubmitNpsRequest bad;
  bad.set_request_id("nps-11");
  bad.set_channel(v1::CHANNEL_WEB);
  bad.set_score(11);
  v1::SubmitNpsResponse response;
  EXPECT_EQ(Call(&v1::FeedbackService::Stub::SubmitNps, bad, response, key_).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback WHERE kind = 2"), 6);
}

TEST_F(FeedbackServerTest, SubmitSurveyStoresBothScoresAtomically) {
  StartServer(db_->url());
  v1::SubmitSurveyRequest request;
  request.set_request_id("order-1");
  request.set_channel(v1::CHANNEL_CHECKOUT);
  request.set_interaction_id("order-1");
  request.set_csat_score(4);
  request.set_nps_score(3);
  v1::SubmitSurveyResponse response;
  grpc::Status st = Call(&v1::FeedbackService::Stub::SubmitSurvey, request, response, key_);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_FALSE(response.csat_feedback_id().empty());
  EXPECT_FALSE(response.nps_feedback_id().empty());
  EXPECT_EQ(response.nps_category(), v1::NPS_CATEGORY_DETRACTOR);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback WHERE interaction_id = 'order-1'"), 2);
  EXPECT_EQ(db_->Count("SELECT count(DISTINCT xmin::text) FROM feedback"), 1);

  v1::SubmitSurveyRequest only_nps;
  only_nps.set_request_id("order-2");
  only_nps.set_channel(v1::CHANNEL_CHECKOUT);
  only_nps.set_nps_score(10);
  v1::SubmitSurveyResponse r2;
  ASSERT_TRUE(Call(&v1::FeedbackService::Stub::SubmitSurvey, only_nps, r2, key_).ok());
  EXPECT_TRUE(r2.csat_feedback_id().empty());
  EXPECT_FALSE(r2.nps_feedback_id().empty());

  v1::SubmitSurveyRequest none;
  none.set_request_id("order-3");
  none.set_channel(v1::CHANNEL_CHECKOUT);
  v1::SubmitSurveyResponse r3;
  st = Call(&v1::FeedbackService::Stub::SubmitSurvey, none, r3, key_);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message().rfind("csat_score:", 0), 0u);
}

TEST_F(FeedbackServerTest, ABadBatchItemFailsAloneAndResultsKeepOrder) {
  StartServer(db_->url());
  v1::SubmitFeedbackBatchRequest request;
  *request.add_items()->mutable_rating() = Rating("b-1", 5);
  *request.add_items()->mutable_rating() = Rating("b-2", 9);  // bad score
  request.add_items();                                         // empty item
  v1::SubmitNpsRequest nps;
  nps.set_request_id("b-4");
  nps.set_channel(v1::CHANNEL_CHAT);
  nps.set_score(8);
  *request.add_items()->mutable_nps() = nps;
  *request.add_items()->mutable_rating() = Rating("b-1", 5);  // replay of item 0
  v1::SubmitFeedbackBatchResponse response;
  grpc::Status st =
      Call(&v1::FeedbackService::Stub::SubmitFeedbackBatch, request, response, key_);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(response.results_size(), 5);
  EXPECT_EQ(response.results(0).request_id(), "b-1");
  EXPECT_EQ(response.results(0).status().code(), 0);
  EXPECT_FALSE(response.results(0).rating().feedback_id().empty());
  EXPECT_EQ(response.results(1).request_id(), "b-2");
  EXPECT_EQ(response.results(1).status().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(response.results(1).status().message(), "score: must be between 1 and 5");
  EXPECT_EQ(response.results(2).status().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(response.results(3).status().code(), 0);
  EXPECT_EQ(response.results(3).nps().category(), v1::NPS_CATEGORY_PASSIVE);
  EXPECT_EQ(response.results(4).status().code(), 0);
  EXPECT_TRUE(response.results(4).rating().duplicate());
  EXPECT_EQ(response.results(4).rating().feedback_id(), response.results(0).rating().feedback_id());
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 2);

  v1::SubmitFeedbackBatchRequest too_big;
  for (int i = 0; i < 1001; ++i) *too_big.add_items()->mutable_rating() = Rating("x" + std::to_string(i), 3);
  st = Call(&v1::FeedbackService::Stub::SubmitFeedbackBatch, too_big, response, key_);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "items: must have at most 1000 entries");
}

TEST_F(FeedbackServerTest, EveryCallIsAuthenticatedFromItsOwnMetadata) {
  StartServer(db_->url());
  v1::SubmitRatingResponse response;
  grpc::Status none = Rate(Rating("a-1", 4), response, "");
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(none.error_message().rfind("authorization:", 0), 0u);
  EXPECT_EQ(Rate(Rating("a-2", 4), response, "fbk_not-a-real-key").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A good call, then a bad one on the same connection: the second is judged
  // by its own metadata.
  ASSERT_TRUE(Rate(Rating("a-3", 4), response, key_).ok());
  EXPECT_EQ(Rate(Rating("a-4", 4), response, "").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Basic " + key_);
  EXPECT_EQ(stub_->SubmitRating(&context, Rating("a-5", 4), &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Authentication comes before validation, so nothing leaks to strangers.
  v1::SubmitRatingRequest invalid = Rating("a-6", 99);
  EXPECT_EQ(Rate(invalid, response, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 1);
}

TEST_F(FeedbackServerTest, ARevokedKeyStopsWorking) {
  StartServer(db_->url());
  v1::SubmitRatingResponse response;
  ASSERT_TRUE(Rate(Rating("k-1", 4), response).ok());
  db_->Query("UPDATE api_keys SET revoked_at = now() WHERE name = 'test-ivr'");
  absl::SleepFor(absl::Milliseconds(1100));  // the server trusts a confirmed key for 1 s
  EXPECT_EQ(Rate(Rating("k-2", 4), response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(FeedbackServerTest, ConcurrentDuplicatesProduceOneRow) {
  StartServer(db_->url());
  constexpr int kCallers = 16;
  std::vector<v1::SubmitRatingResponse> responses(kCallers);
  std::vector<grpc::Status> statuses(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] { statuses[i] = Rate(Rating("same-call", 2), responses[i]); });
  }
  for (auto& t : threads) t.join();
  int fresh = 0;
  for (int i = 0; i < kCallers; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    EXPECT_EQ(responses[i].feedback_id(), responses[0].feedback_id());
    if (!responses[i].duplicate()) ++fresh;
  }
  EXPECT_EQ(fresh, 1);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 1);
}

TEST_F(FeedbackServerTest, HealthFollowsTheDatabaseAndTheServerHealsByItself) {
  testing::TcpProxy proxy(PortOf(db_->url()));
  StartServer(ReplacePort(db_->url(), proxy.port()));
  v1::SubmitRatingResponse response;
  ASSERT_TRUE(Rate(Rating("h-1", 5), response).ok());

  proxy.Cut();
  EXPECT_TRUE(WaitForHealth(HealthCheckResponse::NOT_SERVING));
  const absl::Time start = absl::Now();
  grpc::Status down = Rate(Rating("h-2", 5), response);
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE) << down.error_message();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));  // fails fast, does not hang

  proxy.Restore();
  EXPECT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
  grpc::Status up = Rate(Rating("h-2", 5), response);  // the same request_id, retried
  ASSERT_TRUE(up.ok()) << up.error_message();
  EXPECT_FALSE(response.duplicate());
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"), 2);
}

// A client watching health (grpc.health.v1 Watch) sees SERVING, then
// NOT_SERVING as shutdown begins, and its stream ends with the shutdown
// instead of holding the drain open until its 10 s timeout. Unknown service
// names are NOT_FOUND.
TEST_F(FeedbackServerTest, HealthWatchersSeeTheShutdownAndDoNotHoldItUp) {
  StartServer(db_->url());
  ASSERT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
  auto health = grpc::health::v1::Health::NewStub(channel_);
  {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service("feedback.v1.FeedbackService");
    HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, request, &response).ok());
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  }
  {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service("no.such.Service");
    HealthCheckResponse response;
    EXPECT_EQ(health->Check(&context, request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }

  grpc::ClientContext unknown_context;
  grpc::health::v1::HealthCheckRequest unknown_request;
  unknown_request.set_service("no.such.Service");
  auto unknown = health->Watch(&unknown_context, unknown_request);
  HealthCheckResponse seen;
  ASSERT_TRUE(unknown->Read(&seen));
  EXPECT_EQ(seen.status(), HealthCheckResponse::SERVICE_UNKNOWN);

  grpc::ClientContext watch_context;
  auto reader = health->Watch(&watch_context, grpc::health::v1::HealthCheckRequest());
  ASSERT_TRUE(reader->Read(&seen));
  EXPECT_EQ(seen.status(), HealthCheckResponse::SERVING);

  const absl::Time start = absl::Now();
  std::thread stopper([&] { server_->Shutdown(); });
  std::vector<HealthCheckResponse::ServingStatus> statuses;
  while (reader->Read(&seen)) statuses.push_back(seen.status());
  const grpc::Status ended = reader->Finish();
  stopper.join();
  EXPECT_TRUE(ended.ok()) << ended.error_message();
  EXPECT_EQ(statuses, std::vector{HealthCheckResponse::NOT_SERVING});
  // The unknown name stays unknown to the end.
  std::vector<HealthCheckResponse::ServingStatus> unknown_statuses;
  while (unknown->Read(&seen)) unknown_statuses.push_back(seen.status());
  EXPECT_TRUE(unknown->Finish().ok());
  EXPECT_TRUE(unknown_statuses.empty());  // SERVICE_UNKNOWN, read above, never changed
  // Far below the drain timeout (10 s) the stream would otherwise hold.
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(FeedbackServerTest, ShutdownFinishesInFlightCallsAndLosesNothingAcknowledged) {
  StartServer(db_->url());
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::set<std::string> acknowledged;
  std::atomic<int> refused{0};
  std::vector<std::thread> callers;
  const std::string address = "127.0.0.1:" + std::to_string(server_->port());
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&, t] {
      clients::FeedbackClient client({.address = address, .api_key = key_, .max_attempts = 1});
      for (int i = 0; !stop.load(); ++i) {
        v1::SubmitRatingRequest r = Rating("s-" + std::to_string(t) + "-" + std::to_string(i), 3);
        auto result = client.SubmitRating(r);
        if (result.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged.insert(result->feedback_id());
        } else {
          // Refused, never acknowledged: UNAVAILABLE once shut down, or
          // CANCELLED by gRPC for a call racing the shutdown itself.
          EXPECT_TRUE(absl::IsUnavailable(result.status()) ||
                      absl::IsCancelled(result.status()))
              << result.status();
          ++refused;
          absl::SleepFor(absl::Milliseconds(5));
        }
      }
    });
  }
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (acknowledged.size() >= 200) break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  server_->Shutdown();
  EXPECT_NE(Health(), HealthCheckResponse::SERVING);
  stop = true;
  for (auto& t : callers) t.join();
  EXPECT_GE(acknowledged.size(), 200u);
  // Every acknowledged rating is stored, exactly once.
  EXPECT_EQ(db_->Count("SELECT count(*) FROM feedback"),
            static_cast<long long>(acknowledged.size()));
  for (const std::string& id : acknowledged) {
    ASSERT_EQ(db_->Count("SELECT count(*) FROM feedback WHERE id = '" + id + "'"), 1) << id;
  }
}

}  // namespace
}  // namespace feedback::services
