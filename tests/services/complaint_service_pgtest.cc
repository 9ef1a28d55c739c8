// End to end: ComplaintService over real gRPC channels to in-process servers
// on a real PostgreSQL database.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <pqxx/connection>
#include <pqxx/transaction>

#include <atomic>
#include <map>
#include <thread>

#include <pqxx/result>

#include "feedback/v1/complaint_service.grpc.pb.h"
#include "feedback/v1/feedback_service.grpc.pb.h"
#include "services/complaints/claim_batcher.h"
#include "storage/complaint_store.h"
#include "storage/connection_pool.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace feedback::services {
namespace {

using v1::ComplaintService;

const absl::Time kMonday9 = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 9, 0, 0),
                                            absl::UTCTimeZone());

class ComplaintServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FEEDBACK_REQUIRE_TEST_DATABASE(db_);
    key_ = testing::CreateTestKey(db_->url(), "anna", domain::Role::kAgent, {"general", "billing"});
  }

  void Start(const domain::Clock* clock = nullptr) {
    ServerOptions options = testing::TestServerOptions(db_->url());
    options.clock = clock;
    options.sla_interval = absl::Milliseconds(100);
    server_ = testing::StartTestServer(options);
    ASSERT_NE(server_.server, nullptr);
    stub_ = ComplaintService::NewStub(server_.channel);
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& key) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!key.empty()) context->AddMetadata("authorization", "Bearer " + key);
    return context;
  }

  template <typename Request, typename Response, typename Method>
  grpc::Status Call(ComplaintService::Stub& stub, Method method, const Request& request,
                    Response& response) {
    return (stub.*method)(Context(key_).get(), request, &response);
  }
  template <typename Request, typename Response, typename Method>
  grpc::Status Call(Method method, const Request& request, Response& response) {
    return Call(*stub_, method, request, response);
  }

  static v1::FileComplaintRequest Filing(const std::string& request_id,
                                         const std::string& queue = "general") {
    v1::FileComplaintRequest r;
    r.set_request_id(request_id);
    r.set_channel(v1::CHANNEL_WEB);
    r.set_subject("Parcel never arrived");
    r.set_description("Order 7 was marked delivered but nothing came.");
    r.set_queue(queue);
    r.mutable_customer()->set_customer_id("cust-7");
    return r;
  }

  v1::Complaint File(const v1::FileComplaintRequest& request,
                     ComplaintService::Stub* stub = nullptr) {
    v1::Complaint c;
    grpc::Status st = Call(stub ? *stub : *stub_, &ComplaintService::Stub::FileComplaint,
                           request, c);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return c;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::string key_;
  // Outlives the server, whose threads read it until it shuts down.
  testing::FakeClock clock_{absl::UnixEpoch()};
  testing::TestServer server_;
  std::unique_ptr<ComplaintService::Stub> stub_;
};

TEST_F(ComplaintServiceTest, ACallPastItsDeadlineLetsGoOfTheDatabase) {
  Start();
  const v1::Complaint c = File(Filing("deadline-1"));
  // Someone else holds the complaint's row lock, so a note has to wait.
  pqxx::connection blocker(db_->url());
  pqxx::work lock(blocker);
  lock.exec_params("SELECT 1 FROM complaints WHERE id = $1::uuid FOR UPDATE", c.id());

  v1::AddComplaintNoteRequest note;
  note.set_id(c.id());
  note.set_body("Called the customer back");
  note.set_visibility(v1::NOTE_VISIBILITY_INTERNAL);
  v1::AddComplaintNoteResponse noted;
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + key_);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    const grpc::Status st = stub_->AddComplaintNote(&context, note, &noted);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << st.error_message();
  }
  // The server's statement gives up at the call's deadline instead of
  // holding a connection and a worker until the lock is released.
  int64_t waiting = -1;
  for (int i = 0; i < 50 && waiting != 0; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    waiting = db_->Count(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND datname = current_database()");
  }
  EXPECT_EQ(waiting, 0);
  lock.abort();
  EXPECT_TRUE(Call(&ComplaintService::Stub::AddComplaintNote, note, noted).ok());
  // Only the note added after the lock went away was stored.
  EXPECT_EQ(db_->Count("SELECT count(*) FROM complaint_notes"), 1);
}

TEST_F(ComplaintServiceTest, AnAgentClaimsNotesWaitsResolvesAndSeesTheHistory) {
  Start();
  const v1::Complaint filed = File(Filing("web-1"));
  EXPECT_EQ(filed.status(), v1::COMPLAINT_STATUS_NEW);
  EXPECT_EQ(filed.priority(), v1::PRIORITY_NORMAL);
  EXPECT_GT(filed.resolution_due_at().seconds(), filed.first_response_due_at().seconds());

  v1::ClaimNextComplaintRequest claim;
  claim.add_queues("general");
  v1::Complaint c;
  ASSERT_TRUE(Call(&ComplaintService::Stub::ClaimNextComplaint, claim, c).ok());
  EXPECT_EQ(c.id(), filed.id());
  EXPECT_EQ(c.assignee_id(), "anna");
  EXPECT_EQ(c.status(), v1::COMPLAINT_STATUS_IN_PROGRESS);

  v1::AddComplaintNoteRequest note;
  note.set_id(c.id());
  note.set_body("Sorry! We are checking with the carrier.");
  note.set_visibility(v1::NOTE_VISIBILITY_PUBLIC);
  v1::AddComplaintNoteResponse noted;
  ASSERT_TRUE(Call(&ComplaintService::Stub::AddComplaintNote, note, noted).ok());
  EXPECT_TRUE(noted.complaint().has_first_response_at());
  EXPECT_EQ(noted.note().author(), "anna");

  v1::TransitionComplaintRequest wait;
  wait.set_id(c.id());
  wait.set_etag(noted.complaint().etag());
  wait.set_to_status(v1::COMPLAINT_STATUS_WAITING_ON_CUSTOMER);
  ASSERT_TRUE(Call(&ComplaintService::Stub::TransitionComplaint, wait, c).ok());
  EXPECT_TRUE(c.sla_paused());

  v1::TransitionComplaintRequest resume = wait;
  resume.set_etag(c.etag());
  resume.set_to_status(v1::COMPLAINT_STATUS_IN_PROGRESS);
  ASSERT_TRUE(Call(&ComplaintService::Stub::TransitionComplaint, resume, c).ok());
  EXPECT_FALSE(c.sla_paused());

  v1::TransitionComplaintRequest resolve = wait;
  resolve.set_etag(c.etag());
  resolve.set_to_status(v1::COMPLAINT_STATUS_RESOLVED);
  v1::Complaint refused;
  grpc::Status st = Call(&ComplaintService::Stub::TransitionComplaint, resolve, refused);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message().rfind("resolution_code:", 0), 0u);
  resolve.set_resolution_code("reshipped");
  ASSERT_TRUE(Call(&ComplaintService::Stub::TransitionComplaint, resolve, c).ok());
  EXPECT_EQ(c.status(), v1::COMPLAINT_STATUS_RESOLVED);
  EXPECT_EQ(c.resolution_code(), "reshipped");

  v1::ListComplaintEventsRequest history_request;
  history_request.set_complaint_id(c.id());
  v1::ListComplaintEventsResponse history;
  ASSERT_TRUE(Call(&ComplaintService::Stub::ListComplaintEvents, history_request, history).ok());
  std::vector<v1::ComplaintEventKind> kinds;
  for (const auto& e : history.events()) kinds.push_back(e.kind());
  EXPECT_EQ(kinds, (std::vector<v1::ComplaintEventKind>{
                       v1::COMPLAINT_EVENT_KIND_CREATED, v1::COMPLAINT_EVENT_KIND_CLAIMED,
                       v1::COMPLAINT_EVENT_KIND_NOTE_ADDED,
                       v1::COMPLAINT_EVENT_KIND_TRANSITIONED,
                       v1::COMPLAINT_EVENT_KIND_TRANSITIONED,
                       v1::COMPLAINT_EVENT_KIND_TRANSITIONED,
                       v1::COMPLAINT_EVENT_KIND_FOLLOW_UP_SCHEDULED}));
  EXPECT_EQ(history.events(5).before().at("status"), "IN_PROGRESS");
  EXPECT_EQ(history.events(5).after().at("status"), "RESOLVED");

  v1::ListFollowUpsRequest follow_ups_request;
  follow_ups_request.set_complaint_id(c.id());
  v1::ListFollowUpsResponse follow_ups;
  ASSERT_TRUE(Call(&ComplaintService::Stub::ListFollowUps, follow_ups_request, follow_ups).ok());
  ASSERT_EQ(follow_ups.follow_ups_size(), 1);
  EXPECT_EQ(follow_ups.follow_ups(0).kind(), v1::FOLLOW_UP_KIND_SURVEY);
}

TEST_F(ComplaintServiceTest, ConcurrentAgentsShareClaimTransactionsButNeverAComplaint) {
  Start();
  // Half the agents work through a second replica on the same database.
  testing::TestServer replica = testing::StartTestServer(testing::TestServerOptions(db_->url()));
  ASSERT_NE(replica.server, nullptr);
  constexpr int kComplaints = 400, kKeys = 8, kAgentsPerKey = 3;
  db_->Query(
      "INSERT INTO complaints (id, status, priority, queue, category, channel, customer_id, "
      "subject, created_at, updated_at, first_response_due_at, resolution_due_at) "
      "SELECT gen_random_uuid(), 1, 1 + i % 4, (ARRAY['general', 'billing'])[1 + i % 2], "
      "'delivery', 1, 'cust-' || i, 'Generated', now(), now(), now() + interval '4 hours', "
      "now() + i * interval '1 minute' FROM generate_series(1, " +
      std::to_string(kComplaints) + ") i");
  std::vector<std::string> keys;
  for (int k = 0; k < kKeys; ++k) {
    keys.push_back(testing::CreateTestKey(db_->url(), "agent-" + std::to_string(k),
                                          domain::Role::kAgent, {"general", "billing"}));
  }
  absl::Mutex mu;
  std::map<std::string, std::string> claimed_by;  // complaint id -> agent
  int twice = 0, not_found = 0, failed = 0;
  std::vector<std::thread> agents;
  for (int a = 0; a < kKeys * kAgentsPerKey; ++a) {
    agents.emplace_back([&, a] {
      auto stub = ComplaintService::NewStub(a % 2 ? replica.channel : server_.channel);
      const std::string& key = keys[a % kKeys];
      v1::ClaimNextComplaintRequest claim;
      claim.add_queues(a % 2 ? "general" : "billing");
      claim.add_queues(a % 2 ? "billing" : "general");
      for (;;) {
        v1::Complaint c;
        const grpc::Status st = stub->ClaimNextComplaint(Context(key).get(), claim, &c);
        absl::MutexLock lock(&mu);
        if (st.error_code() == grpc::StatusCode::NOT_FOUND) {
          ++not_found;
          return;
        }
        if (!st.ok()) {
          ++failed;
          ADD_FAILURE() << st.error_message();
          return;
        }
        EXPECT_EQ(c.assignee_id(), "agent-" + std::to_string(a % kKeys));
        EXPECT_EQ(c.status(), v1::COMPLAINT_STATUS_IN_PROGRESS);
        if (!claimed_by.emplace(c.id(), c.assignee_id()).second) ++twice;
      }
    });
  }
  for (auto& t : agents) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(twice, 0);
  EXPECT_EQ(not_found, kKeys * kAgentsPerKey);
  EXPECT_EQ(claimed_by.size(), static_cast<size_t>(kComplaints));
  // What each agent was told is what the database holds, with one CLAIMED
  // event each.
  for (const auto& row :
       db_->Query("SELECT id::text, assignee_id, (SELECT count(*) FROM complaint_events e "
                  "WHERE e.complaint_id = c.id AND e.kind = 2) FROM complaints c")) {
    EXPECT_EQ(claimed_by[row[0].as<std::string>()], row[1].as<std::string>());
    EXPECT_EQ(row[2].as<int>(), 1);
  }
  // The claims were served together: fewer transactions than claims.
  const long long transactions = db_->Count("SELECT count(DISTINCT xmin::text) FROM complaints");
  EXPECT_LT(transactions, kComplaints);
  EXPECT_GT(transactions, 0);
}

TEST_F(ComplaintServiceTest, AClaimWhoseCallerIsGoneClaimsNothing) {
  Start();
  File(Filing("gone-1"));
  storage::ConnectionPool pool(storage::PoolOptions{db_->url(), 2});
  storage::ComplaintStore store(pool);
  domain::SystemClock clock;
  ClaimBatcher batcher(store, clock, {.capacity = 10, .max_batch = 10, .threads = 1});
  absl::Mutex mu;
  std::vector<absl::Status> outcomes;
  auto job = [&](absl::Time deadline, bool cancelled) {
    ClaimJob j;
    j.request = {{"general"}, "anna"};
    j.deadline = deadline;
    j.cancelled = [cancelled] { return cancelled; };
    j.done = [&](absl::StatusOr<domain::Complaint> c) {
      absl::MutexLock lock(&mu);
      outcomes.push_back(c.status());
    };
    return j;
  };
  ASSERT_TRUE(batcher.Enqueue(job(absl::Now() - absl::Seconds(1), false)).ok());
  ASSERT_TRUE(batcher.Enqueue(job(absl::InfiniteFuture(), true)).ok());
  batcher.Stop();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].code(), absl::StatusCode::kDeadlineExceeded) << outcomes[0];
  EXPECT_EQ(outcomes[1].code(), absl::StatusCode::kCancelled) << outcomes[1];
  EXPECT_EQ(db_->Count("SELECT count(*) FROM complaints WHERE assignee_id IS NULL"), 1);
  // After Stop nothing more is taken.
  EXPECT_EQ(batcher.Enqueue(job(absl::InfiniteFuture(), false)).code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(ComplaintServiceTest, ALowIvrRatingBecomesACaseInTheRightQueueWithAnSla) {
  Start();
  const std::string ivr_key = testing::CreateTestKey(db_->url(), "ivr");
  auto feedback = v1::FeedbackService::NewStub(server_.channel);
  v1::SubmitRatingRequest rating;
  rating.set_request_id("call-991");
  rating.set_channel(v1::CHANNEL_IVR);
  rating.set_score(1);
  rating.set_queue("billing");
  rating.set_interaction_id("call-991");
  rating.mutable_customer()->set_phone("+4930123456");
  v1::SubmitRatingResponse submitted, replayed;
  ASSERT_TRUE(feedback->SubmitRating(Context(ivr_key).get(), rating, &submitted).ok());
  ASSERT_FALSE(submitted.follow_up_complaint_id().empty());
  ASSERT_TRUE(feedback->SubmitRating(Context(ivr_key).get(), rating, &replayed).ok());
  EXPECT_TRUE(replayed.duplicate());
  EXPECT_EQ(replayed.follow_up_complaint_id(), submitted.follow_up_complaint_id());

  v1::GetComplaintRequest get;
  get.set_id(submitted.follow_up_complaint_id());
  v1::Complaint c;
  ASSERT_TRUE(Call(&ComplaintService::Stub::GetComplaint, get, c).ok());
  EXPECT_EQ(c.queue(), "billing");
  EXPECT_EQ(c.category(), "closed_loop");
  EXPECT_EQ(c.priority(), v1::PRIORITY_HIGH);
  EXPECT_EQ(c.source_feedback_id(), submitted.feedback_id());
  EXPECT_EQ(c.channel(), v1::CHANNEL_IVR);
  EXPECT_TRUE(c.has_first_response_due_at());
  EXPECT_EQ(db_->Count("SELECT count(*) FROM complaints"), 1);

  v1::ClaimNextComplaintRequest claim;
  claim.add_queues("billing");
  v1::Complaint claimed;
  ASSERT_TRUE(Call(&ComplaintService::Stub::ClaimNextComplaint, claim, claimed).ok());
  EXPECT_EQ(claimed.id(), c.id());
}

TEST_F(ComplaintServiceTest, TwoReplicasEscalateEachOverdueCaseExactlyOnce) {
  clock_.Set(kMonday9);
  Start(&clock_);
  // A second server on the same database with the same clock: both SLA
  // workers run every 100 ms.
  ServerOptions options = testing::TestServerOptions(db_->url());
  options.clock = &clock_;
  options.sla_interval = absl::Milliseconds(100);
  testing::TestServer second = testing::StartTestServer(options);
  ASSERT_NE(second.server, nullptr);
  for (int i = 0; i < 200; ++i) {
    v1::FileComplaintRequest r = Filing("overdue-" + std::to_string(i));
    r.set_priority(v1::PRIORITY_NORMAL);
    File(r);
  }
  clock_.Advance(absl::Hours(5));  // every first response is now overdue
  int64_t breached = 0;
  for (int i = 0; i < 100 && breached < 200; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    breached = db_->Count("SELECT count(*) FROM complaints WHERE first_response_breached");
  }
  EXPECT_EQ(breached, 200);
  absl::SleepFor(absl::Milliseconds(500));  // more worker rounds on both replicas
  EXPECT_EQ(db_->Count("SELECT count(*) FROM complaints WHERE escalation_level <> 1"), 0);
  // One breach event per complaint, whichever replica wrote it.
  EXPECT_EQ(db_->Count("SELECT count(*) FROM (SELECT complaint_id FROM complaint_events "
                       "WHERE kind = 7 GROUP BY 1 HAVING count(*) <> 1) d"),
            0);
  EXPECT_EQ(db_->Count("SELECT count(DISTINCT complaint_id) FROM complaint_events "
                       "WHERE kind = 7 AND detail = 'first_response'"),
            200);
  second.server->Shutdown();
}

TEST_F(ComplaintServiceTest, OverdueCasesEscalateByThemselves) {
  clock_.Set(kMonday9);
  Start(&clock_);
  v1::FileComplaintRequest request = Filing("late-1");
  request.set_priority(v1::PRIORITY_NORMAL);
  const v1::Complaint filed = File(request);
  EXPECT_EQ(filed.first_response_due_at().seconds(), absl::ToUnixSeconds(kMonday9) + 4 * 3600);
  clock_.Advance(absl::Hours(5));  // past the 4 business hours of first response
  v1::GetComplaintRequest get;
  get.set_id(filed.id());
  v1::Complaint c;
  for (int i = 0; i < 100 && !c.first_response_breached(); ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    ASSERT_TRUE(Call(&ComplaintService::Stub::GetComplaint, get, c).ok());
  }
  EXPECT_TRUE(c.first_response_breached());
  EXPECT_EQ(c.escalation_level(), 1);
  EXPECT_FALSE(c.resolution_breached());

  v1::ListComplaintsRequest breached;
  breached.set_breached_only(true);
  v1::ListComplaintsResponse list;
  ASSERT_TRUE(Call(&ComplaintService::Stub::ListComplaints, breached, list).ok());
  ASSERT_EQ(list.complaints_size(), 1);

  v1::EscalateComplaintRequest escalate;
  escalate.set_id(c.id());
  escalate.set_etag(c.etag());
  escalate.set_reason("customer threatens to cancel");
  ASSERT_TRUE(Call(&ComplaintService::Stub::EscalateComplaint, escalate, c).ok());
  EXPECT_EQ(c.escalation_level(), 2);
  EXPECT_EQ(c.priority(), v1::PRIORITY_HIGH);
}

TEST_F(ComplaintServiceTest, WatchersSeeChangesMadeThroughAnotherReplica) {
  Start();
  testing::TestServer replica = testing::StartTestServer(testing::TestServerOptions(db_->url()));
  ASSERT_NE(replica.server, nullptr);
  auto replica_stub = ComplaintService::NewStub(replica.channel);

  auto context = Context(key_);
  v1::WatchComplaintsRequest watch;
  watch.add_queues("billing");
  std::unique_ptr<grpc::ClientReader<v1::ComplaintEvent>> reader =
      stub_->WatchComplaints(context.get(), watch);
  std::atomic<int> received{0};
  std::atomic<bool> wrong_queue{false};
  std::thread read([&] {
    v1::ComplaintEvent event;
    while (reader->Read(&event)) {
      if (event.queue() != "billing") wrong_queue = true;
      if (event.kind() == v1::COMPLAINT_EVENT_KIND_CREATED) ++received;
    }
  });
  // The watch subscribes asynchronously; file until events flow.
  for (int i = 0; i < 50 && received.load() == 0; ++i) {
    File(Filing("other-" + std::to_string(i), "general"), replica_stub.get());
    File(Filing("billing-" + std::to_string(i), "billing"), replica_stub.get());
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_GT(received.load(), 0);
  EXPECT_FALSE(wrong_queue.load());
  context->TryCancel();
  read.join();
}

TEST_F(ComplaintServiceTest, AWatcherThatStopsReadingIsCutOffInsteadOfBuffered) {
  Start();
  const v1::Complaint filed = File(Filing("noisy"));
  auto context = Context(key_);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::WatchComplaintsRequest watch;
  std::unique_ptr<grpc::ClientReader<v1::ComplaintEvent>> reader =
      stub_->WatchComplaints(context.get(), watch);
  absl::SleepFor(absl::Milliseconds(500));  // let the watch subscribe
  // 5000 events of 4 KB each, far more than the stream's flow-control window
  // and the server's per-watcher backlog, while the client reads nothing.
  db_->Query("INSERT INTO complaint_events (complaint_id, queue, kind, actor, occurred_at, detail) "
             "SELECT '" + filed.id() + "', 'general', 3, 'load', now(), repeat('x', 4096) "
             "FROM generate_series(1, 5000)");
  absl::SleepFor(absl::Seconds(8));  // the server reads and forwards them meanwhile
  int read = 0;
  v1::ComplaintEvent event;
  while (reader->Read(&event)) ++read;
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_LT(read, 5000);
  EXPECT_EQ(testing::HealthOf(*server_.channel),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(ComplaintServiceTest, RolesAndQueuesDecideWhoMayDoWhat) {
  Start();
  const std::string ivr = testing::CreateTestKey(db_->url(), "ivr", domain::Role::kIngest);
  const std::string manager = testing::CreateTestKey(db_->url(), "boss", domain::Role::kManager);
  const std::string vip_agent =
      testing::CreateTestKey(db_->url(), "vera", domain::Role::kAgent, {"vip"});
  const v1::Complaint filed = File(Filing("role-1"));  // queue general, by anna

  v1::GetComplaintRequest get;
  get.set_id(filed.id());
  v1::Complaint c;
  // An IVR's key files and submits, but reads no complaints.
  grpc::Status st = stub_->GetComplaint(Context(ivr).get(), get, &c);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(st.error_message(),
            "permission denied: role ingest may not call feedback.v1.ComplaintService/GetComplaint");
  v1::Complaint filed_by_ivr;
  EXPECT_TRUE(stub_->FileComplaint(Context(ivr).get(), Filing("role-2", "vip"), &filed_by_ivr).ok());
  // A manager reads, but does not work cases; identity is per call, so the
  // same channel then serves an agent as the agent.
  EXPECT_TRUE(stub_->GetComplaint(Context(manager).get(), get, &c).ok());
  v1::ClaimNextComplaintRequest claim;
  claim.add_queues("general");
  EXPECT_EQ(stub_->ClaimNextComplaint(Context(manager).get(), claim, &c).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(stub_->ClaimNextComplaint(Context(key_).get(), claim, &c).ok());
  // An agent of another queue gets the same answer as for a missing id.
  const grpc::Status other = stub_->GetComplaint(Context(vip_agent).get(), get, &c);
  get.set_id("0190a000-0000-7000-8000-000000000000");
  const grpc::Status missing = stub_->GetComplaint(Context(vip_agent).get(), get, &c);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(other.error_message(), missing.error_message());
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Only supervisors assign.
  v1::AssignComplaintRequest assign;
  assign.set_id(filed.id());
  assign.set_etag(c.etag());
  assign.set_assignee_id("someone");
  EXPECT_EQ(stub_->AssignComplaint(Context(key_).get(), assign, &c).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Agents and IVRs get no reports (checked in ReportingService's own test
  // for managers); an agent cannot file into another queue.
  v1::Complaint refused;
  EXPECT_EQ(stub_->FileComplaint(Context(key_).get(), Filing("role-3", "vip"), &refused)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ComplaintServiceTest, InjectionLookingTextIsStoredAndReturnedVerbatim) {
  Start();
  const std::vector<std::string> nasty = {
      "'; DROP TABLE complaints; --", "\" OR 1=1 --", "$1 $2 ::uuid", "{\"a\": [1, {}]}",
      "back\\slash \\x27 \\u0000", "NULL", "%_% LIKE", "é€😀 \t\n\r", "');SELECT pg_sleep(5);--"};
  const std::string ivr = testing::CreateTestKey(db_->url(), "ivr", domain::Role::kIngest);
  auto feedback = v1::FeedbackService::NewStub(server_.channel);
  for (size_t i = 0; i < nasty.size(); ++i) {
    const std::string& text = nasty[i];
    v1::FileComplaintRequest file = Filing("nasty-" + std::to_string(i));
    file.set_subject(text);
    file.set_description(text);
    file.set_category(text.substr(0, 60));
    file.mutable_customer()->set_display_name(text);
    const v1::Complaint c = File(file);
    v1::GetComplaintRequest get;
    get.set_id(c.id());
    v1::Complaint back;
    ASSERT_TRUE(Call(&ComplaintService::Stub::GetComplaint, get, back).ok());
    EXPECT_EQ(back.subject(), text);
    EXPECT_EQ(back.description(), text);
    EXPECT_EQ(back.customer().display_name(), text);
    v1::AddComplaintNoteRequest note;
    note.set_id(c.id());
    note.set_body(text);
    note.set_visibility(v1::NOTE_VISIBILITY_INTERNAL);
    v1::AddComplaintNoteResponse noted;
    ASSERT_TRUE(Call(&ComplaintService::Stub::AddComplaintNote, note, noted).ok());
    EXPECT_EQ(noted.note().body(), text);

    v1::SubmitRatingRequest rating;
    rating.set_request_id(text);  // even the idempotency key
    rating.set_channel(v1::CHANNEL_WEB);
    rating.set_score(5);
    rating.set_comment(text);
    rating.set_agent_id(text);
    (*rating.mutable_attributes())[text.substr(0, 60)] = text;
    v1::SubmitRatingResponse first, replay;
    grpc::ClientContext c1, c2;
    c1.AddMetadata("authorization", "Bearer " + ivr);
    c2.AddMetadata("authorization", "Bearer " + ivr);
    ASSERT_TRUE(feedback->SubmitRating(&c1, rating, &first).ok()) << text;
    ASSERT_TRUE(feedback->SubmitRating(&c2, rating, &replay).ok()) << text;
    EXPECT_TRUE(replay.duplicate()) << text;
    const pqxx::result stored = db_->Query(
        "SELECT comment, agent_id, attributes->>(SELECT min(k) FROM jsonb_object_keys(attributes) k) "
        "FROM feedback WHERE id = '" + first.feedback_id() + "'");
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0][0].as<std::string>(), text);
    EXPECT_EQ(stored[0][1].as<std::string>(), text);
    EXPECT_EQ(stored[0][2].as<std::string>(), text);
  }
  EXPECT_EQ(db_->Count("SELECT count(*) FROM complaints"), static_cast<long long>(nasty.size()));
}

TEST_F(ComplaintServiceTest, BadInputGetsAClearStatus) {
  Start();
  const v1::Complaint filed = File(Filing("ok-1"));
  v1::Complaint c;

  v1::GetComplaintRequest get;
  get.set_id("0190a000-0000-7000-8000-000000000000");
  // NOT_FOUND for those who see every queue (an agent gets PERMISSION_DENIED,
  // as for another queue's complaint).
  const std::string lead = testing::CreateTestKey(db_->url(), "lead", domain::Role::kSupervisor);
  EXPECT_EQ(stub_->GetComplaint(Context(lead).get(), get, &c).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Call(&ComplaintService::Stub::GetComplaint, get, c).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  get.set_id("");
  EXPECT_EQ(Call(&ComplaintService::Stub::GetComplaint, get, c).error_message(),
            "id: is required");

  v1::FileComplaintRequest big = Filing("big");
  big.set_subject(std::string(201, 's'));
  grpc::Status st = Call(&ComplaintService::Stub::FileComplaint, big, c);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "subject: must be at most 200 characters");
  big = Filing("big2");
  big.set_description(std::string(10001, 'd'));
  EXPECT_EQ(Call(&ComplaintService::Stub::FileComplaint, big, c).error_message(),
            "description: must be at most 10000 characters");
  big = Filing("");
  EXPECT_EQ(Call(&ComplaintService::Stub::FileComplaint, big, c).error_message(),
            "request_id: is required");

  v1::TransitionComplaintRequest close;
  close.set_id(filed.id());
  close.set_etag(filed.etag());
  close.set_to_status(v1::COMPLAINT_STATUS_CLOSED);
  st = Call(&ComplaintService::Stub::TransitionComplaint, close, c);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(st.error_message(), "to_status: cannot change a complaint from NEW to CLOSED");
  close.set_etag("");
  EXPECT_EQ(Call(&ComplaintService::Stub::TransitionComplaint, close, c).error_message(),
            "etag: is required");

  v1::AddComplaintNoteRequest note;
  note.set_id(filed.id());
  note.set_body(std::string(10001, 'n'));
  note.set_visibility(v1::NOTE_VISIBILITY_INTERNAL);
  v1::AddComplaintNoteResponse noted;
  EXPECT_EQ(Call(&ComplaintService::Stub::AddComplaintNote, note, noted).error_message(),
            "body: must be at most 10000 characters");
  note.set_body("fine");
  note.set_visibility(v1::NOTE_VISIBILITY_UNSPECIFIED);
  EXPECT_EQ(Call(&ComplaintService::Stub::AddComplaintNote, note, noted).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::ClaimNextComplaintRequest claim;
  EXPECT_EQ(Call(&ComplaintService::Stub::ClaimNextComplaint, claim, c).error_message(),
            "queues: is required");
  claim.add_queues("billing");  // hers, but empty
  EXPECT_EQ(Call(&ComplaintService::Stub::ClaimNextComplaint, claim, c).error_code(),
            grpc::StatusCode::NOT_FOUND);
  claim.add_queues("vip");  // not hers
  EXPECT_EQ(Call(&ComplaintService::Stub::ClaimNextComplaint, claim, c).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::ListComplaintsRequest list;
  list.set_page_size(1000000000);  // clamped, not refused
  v1::ListComplaintsResponse listed;
  ASSERT_TRUE(Call(&ComplaintService::Stub::ListComplaints, list, listed).ok());
  EXPECT_EQ(listed.complaints_size(), 1);
  list.set_page_token("not-a-token");
  EXPECT_EQ(Call(&ComplaintService::Stub::ListComplaints, list, listed).error_message(),
            "page_token: is not valid");

  v1::ScheduleFollowUpRequest follow_up;
  follow_up.set_complaint_id(filed.id());
  follow_up.set_kind(v1::FOLLOW_UP_KIND_CALLBACK);
  v1::FollowUp f;
  EXPECT_EQ(Call(&ComplaintService::Stub::ScheduleFollowUp, follow_up, f).error_message(),
            "due_at: is required");

  // No key: UNAUTHENTICATED, before anything else is looked at.
  EXPECT_EQ(stub_->GetComplaint(Context("").get(), get, &c).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(testing::HealthOf(*server_.channel),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace feedback::services
