#include "storage/complaint_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "domain/ids.h"
#include "domain/payload_hash.h"
#include "storage/notification_listener.h"
#include "storage/pg_feedback_store.h"
#include "tests/support/test_database.h"

namespace feedback::storage {
namespace {

using domain::ComplaintStatus;

const domain::QueueScope kAll = domain::QueueScope::All();

// Monday 2026-11-23 09:00 UTC: the default calendars are open.
const absl::Time kMonday9 = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 9, 0, 0),
                                            absl::UTCTimeZone());

class ComplaintStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FEEDBACK_REQUIRE_TEST_DATABASE(db_);
    pool_ = std::make_unique<ConnectionPool>(PoolOptions{db_->url(), 20});
    store_ = std::make_unique<ComplaintStore>(*pool_);
  }

  domain::Complaint File(const std::string& request_id, domain::Priority priority,
                         const std::string& queue = "general", absl::Time at = kMonday9) {
    domain::Complaint draft;
    draft.channel = 1;
    draft.priority = priority;
    draft.queue = queue;
    draft.subject = "Charged twice";
    draft.customer.customer_id = "cust-1";
    auto filed = store_->File({1, request_id, "hash-" + request_id}, draft, "desk", at);
    EXPECT_TRUE(filed.ok()) << filed.status();
    return filed->complaint;
  }

  long long Events(const std::string& id, int kind = 0) {
    return db_->Count("SELECT count(*) FROM complaint_events WHERE complaint_id = '" + id +
                      "'" + (kind ? " AND kind = " + std::to_string(kind) : ""));
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<ConnectionPool> pool_;
  std::unique_ptr<ComplaintStore> store_;
};

TEST_F(ComplaintStoreTest, FilingComputesTheSlaAndRecordsACreatedEvent) {
  const domain::Complaint c = File("f-1", domain::Priority::kNormal);
  EXPECT_EQ(c.status, ComplaintStatus::kNew);
  EXPECT_EQ(c.first_response_due_at, kMonday9 + absl::Hours(4));
  EXPECT_EQ(c.resolution_due_at, kMonday9 + absl::Hours(24 * 2 + 8));  // Wednesday 17:00
  EXPECT_EQ(Events(c.id, 1), 1);
  auto again = store_->Get(kAll, c.id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->resolution_due_at, c.resolution_due_at);
  EXPECT_EQ(again->version, 1);
}

TEST_F(ComplaintStoreTest, FilingIsIdempotent) {
  const domain::Complaint first = File("same", domain::Priority::kHigh);
  domain::Complaint draft;
  draft.channel = 1;
  draft.queue = "general";
  draft.subject = "Charged twice";
  auto replay = store_->File({1, "same", "hash-same"}, draft, "desk", kMonday9);
  ASSERT_TRUE(replay.ok());
  EXPECT_TRUE(replay->duplicate);
  EXPECT_EQ(replay->complaint.id, first.id);
  auto conflict = store_->File({1, "same", "other-hash"}, draft, "desk", kMonday9);
  EXPECT_EQ(conflict.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM complaints"), 1);
}

TEST_F(ComplaintStoreTest, SixteenAgentsClaimingAThousandComplaintsNeverShareOne) {
  for (int i = 0; i < 1000; ++i) File("c-" + std::to_string(i), domain::Priority::kNormal);
  std::mutex mu;
  std::multiset<std::string> claimed;
  std::atomic<int> not_found{0};
  std::vector<std::thread> agents;
  for (int a = 0; a < 16; ++a) {
    agents.emplace_back([&, a] {
      for (;;) {
        auto c = store_->ClaimNext({"general"}, "agent-" + std::to_string(a), kMonday9);
        if (!c.ok()) {
          EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound) << c.status();
          ++not_found;
          return;
        }
        std::lock_guard<std::mutex> lock(mu);
        claimed.insert(c->id);
      }
    });
  }
  for (auto& t : agents) t.join();
  EXPECT_EQ(claimed.size(), 1000u);
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(), 1000u);
  EXPECT_EQ(not_found.load(), 16);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM complaints WHERE assignee_id IS NULL"), 0);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM complaint_events WHERE kind = 2"), 1000);
}

TEST_F(ComplaintStoreTest, ClaimTakesBreachedFirstThenEarliestDue) {
  const domain::Complaint low = File("low", domain::Priority::kLow);
  const domain::Complaint urgent = File("urgent", domain::Priority::kUrgent);
  const domain::Complaint other_queue = File("billing", domain::Priority::kUrgent, "billing");
  const domain::Complaint breached = File("breached", domain::Priority::kLow);
  db_->Query("UPDATE complaints SET resolution_breached = true WHERE id = '" + breached.id + "'");
  EXPECT_EQ(store_->ClaimNext({"general"}, "a", kMonday9)->id, breached.id);
  EXPECT_EQ(store_->ClaimNext({"general"}, "a", kMonday9)->id, urgent.id);
  EXPECT_EQ(store_->ClaimNext({"general"}, "a", kMonday9)->id, low.id);
  EXPECT_EQ(store_->ClaimNext({"general"}, "a", kMonday9).status().code(),
            absl::StatusCode::kNotFound);
  auto billing = store_->ClaimNext({"general", "billing"}, "a", kMonday9);
  ASSERT_TRUE(billing.ok());
  EXPECT_EQ(billing->id, other_queue.id);
  EXPECT_EQ(billing->status, ComplaintStatus::kInProgress);
  EXPECT_EQ(billing->assignee_id, "a");
}

TEST_F(ComplaintStoreTest, ABatchOfClaimsHandsOutTheMostUrgentInCallOrderOnce) {
  const domain::Complaint low = File("low", domain::Priority::kLow);
  const domain::Complaint urgent = File("urgent", domain::Priority::kUrgent);
  const domain::Complaint normal = File("normal", domain::Priority::kNormal);
  const domain::Complaint billing = File("billing", domain::Priority::kUrgent, "billing");
  const domain::Complaint breached = File("breached", domain::Priority::kLow);
  db_->Query("UPDATE complaints SET resolution_breached = true WHERE id = '" + breached.id + "'");

  // Two claims on general, two on general+billing (named in another order
  // and with a repeat), one more on general: five complaints for five
  // claims, the overlapping queues never handing one out twice.
  const std::vector<ClaimRequest> claims = {{{"general"}, "ann"},
                                            {{"billing", "general", "billing"}, "bob"},
                                            {{"general"}, "cid"},
                                            {{"general", "billing"}, "dan"},
                                            {{"general"}, "eve"},
                                            {{"billing"}, "fay"}};
  auto claimed = store_->ClaimBatch(claims, kMonday9 + absl::Minutes(1));
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_EQ(claimed->size(), claims.size());
  std::vector<std::string> ids;
  for (size_t i = 0; i < claims.size(); ++i) {
    const auto& c = (*claimed)[i];
    ids.push_back(c ? c->id : "");
    if (!c) continue;
    EXPECT_EQ(c->assignee_id, claims[i].agent);
    EXPECT_EQ(c->status, ComplaintStatus::kInProgress);
    EXPECT_EQ(c->version, 2);
    EXPECT_EQ(Events(c->id, 2), 1) << "one CLAIMED event for " << claims[i].agent;
    auto stored = store_->Get(kAll, c->id);
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored->assignee_id, claims[i].agent);
    EXPECT_EQ(stored->version, 2);
    EXPECT_EQ(stored->updated_at, kMonday9 + absl::Minutes(1));
  }
  // The claims on general alone (the first claim's group) in call order:
  // breached, then urgent, then normal.
  EXPECT_EQ(ids[0], breached.id);
  EXPECT_EQ(ids[2], urgent.id);
  EXPECT_EQ(ids[4], normal.id);
  // {billing, general}: billing's urgent one, then general's last (low).
  EXPECT_EQ(ids[1], billing.id);
  EXPECT_EQ(ids[3], low.id);
  // Nothing is left for the sixth.
  EXPECT_EQ(ids[5], "");
  EXPECT_EQ(db_->Count("SELECT count(*) FROM complaints WHERE assignee_id IS NULL"), 0);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM complaint_events WHERE kind = 2"), 5);
  // One transaction wrote them all.
  EXPECT_EQ(db_->Count("SELECT count(DISTINCT xmin::text) FROM complaints"), 1);
}

TEST_F(ComplaintStoreTest, AStaleEtagChangesNothing) {
  const domain::Complaint c = File("etag", domain::Priority::kNormal);
  const std::string etag = std::to_string(c.version);
  auto first = store_->Assign(kAll, c.id, etag, "agent-1", "lead", kMonday9);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->version, c.version + 1);
  auto stale = store_->Assign(kAll, c.id, etag, "agent-2", "lead", kMonday9);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(Events(c.id, 3), 1);
  EXPECT_EQ(store_->Get(kAll, c.id)->assignee_id, "agent-1");
  EXPECT_EQ(store_->Transition(kAll, c.id, etag, ComplaintStatus::kInProgress, "", "", "a", kMonday9)
                .status()
                .code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(store_->Escalate(kAll, c.id, etag, "angry", "a", kMonday9).status().code(),
            absl::StatusCode::kAborted);
}

TEST_F(ComplaintStoreTest, TheAgentWorkflowIsAuditedStepByStep) {
  const domain::Complaint filed = File("flow", domain::Priority::kNormal);
  auto c = store_->ClaimNext({"general"}, "anna", kMonday9 + absl::Minutes(5));
  ASSERT_TRUE(c.ok());
  auto noted = store_->AddNote(kAll, c->id, "We are on it", true, "anna", kMonday9 + absl::Minutes(10));
  ASSERT_TRUE(noted.ok());
  EXPECT_EQ(noted->second.first_response_at, kMonday9 + absl::Minutes(10));
  auto waiting = store_->Transition(kAll, c->id, std::to_string(noted->second.version),
                                    ComplaintStatus::kWaitingOnCustomer, "", "asked for IBAN",
                                    "anna", kMonday9 + absl::Hours(1));
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  EXPECT_TRUE(waiting->sla_paused);
  // The customer answers the next morning: 8 business hours paused.
  auto back = store_->Transition(kAll, c->id, std::to_string(waiting->version),
                                 ComplaintStatus::kInProgress, "", "", "anna",
                                 kMonday9 + absl::Hours(25));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->resolution_due_at, filed.resolution_due_at + absl::Hours(24));
  auto bad = store_->Transition(kAll, c->id, std::to_string(back->version), ComplaintStatus::kClosed,
                                "", "", "anna", kMonday9 + absl::Hours(26));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(bad.status().message(),
            "to_status: cannot change a complaint from IN_PROGRESS to CLOSED");
  auto resolved = store_->Transition(kAll, c->id, std::to_string(back->version),
                                     ComplaintStatus::kResolved, "refunded", "", "anna",
                                     kMonday9 + absl::Hours(26));
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  // Resolving scheduled the satisfaction survey.
  auto follow_ups = store_->ListFollowUps(kAll, {c->id, "", true, false}, 10, "", kMonday9);
  ASSERT_TRUE(follow_ups.ok());
  ASSERT_EQ(follow_ups->items.size(), 1u);
  EXPECT_EQ(follow_ups->items[0].kind, 3);
  EXPECT_EQ(follow_ups->items[0].due_at, kMonday9 + absl::Hours(50));

  auto events = store_->ListEvents(kAll, c->id, 100, "");
  ASSERT_TRUE(events.ok());
  std::vector<int> kinds;
  for (const auto& e : events->items) kinds.push_back(static_cast<int>(e.kind));
  EXPECT_EQ(kinds, (std::vector<int>{1, 2, 4, 5, 5, 5, 8}));
  EXPECT_EQ(events->items[1].actor, "anna");
  EXPECT_EQ(events->items[1].before.at("status"), "NEW");
  EXPECT_EQ(events->items[1].after.at("status"), "IN_PROGRESS");
  EXPECT_EQ(events->items[1].after.at("assignee_id"), "anna");
  EXPECT_EQ(events->items[5].after.at("resolution_code"), "refunded");
  // Paging returns the same events in pages.
  auto page1 = store_->ListEvents(kAll, c->id, 4, "");
  auto page2 = store_->ListEvents(kAll, c->id, 4, page1->next_page_token);
  ASSERT_TRUE(page2.ok());
  EXPECT_EQ(page1->items.size(), 4u);
  EXPECT_EQ(page2->items.size(), 3u);
  EXPECT_TRUE(page2->next_page_token.empty());
  EXPECT_EQ(page2->items[0].id, events->items[4].id);
}

TEST_F(ComplaintStoreTest, TheBreachWorkerEscalatesOnceAsOfTheGivenTime) {
  const domain::Complaint c = File("late", domain::Priority::kNormal);
  EXPECT_EQ(*store_->MarkBreaches(kMonday9 + absl::Hours(4), 100), 0);  // exactly due
  EXPECT_EQ(*store_->MarkBreaches(kMonday9 + absl::Hours(4) + absl::Seconds(1), 100), 1);
  auto after = store_->Get(kAll, c.id);
  EXPECT_TRUE(after->first_response_breached);
  EXPECT_EQ(after->escalation_level, 1);
  EXPECT_EQ(*store_->MarkBreaches(kMonday9 + absl::Hours(5), 100), 0);  // already marked
  // Past the resolution target too: level 2 raises NORMAL to HIGH.
  EXPECT_EQ(*store_->MarkBreaches(kMonday9 + absl::Hours(24 * 3), 100), 1);
  after = store_->Get(kAll, c.id);
  EXPECT_TRUE(after->resolution_breached);
  EXPECT_EQ(after->escalation_level, 2);
  EXPECT_EQ(after->priority, domain::Priority::kHigh);
  EXPECT_EQ(Events(c.id, 7), 2);
  auto breached = store_->List(kAll, {.breached_only = true}, 10, "");
  ASSERT_EQ(breached->items.size(), 1u);
}

TEST_F(ComplaintStoreTest, TwoWorkersAtOnceDoNotDoubleEscalate) {
  for (int i = 0; i < 300; ++i) File("w-" + std::to_string(i), domain::Priority::kUrgent);
  const absl::Time late = kMonday9 + absl::Minutes(31);  // first response breached only
  std::atomic<int> total{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      ComplaintStore store(*pool_);
      for (;;) {
        auto n = store.MarkBreaches(late, 25);
        ASSERT_TRUE(n.ok()) << n.status();
        if (*n == 0) return;
        total += *n;
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(total.load(), 300);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM complaints WHERE escalation_level = 1"), 300);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM complaint_events WHERE kind = 7"), 300);
}

TEST_F(ComplaintStoreTest, ResolvedComplaintsCloseByThemselves) {
  const domain::Complaint c = File("close", domain::Priority::kNormal);
  auto claimed = store_->ClaimNext({"general"}, "a", kMonday9);
  auto resolved = store_->Transition(kAll, c.id, std::to_string(claimed->version),
                                     ComplaintStatus::kResolved, "fixed", "", "a", kMonday9);
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(*store_->AutoClose(kMonday9, kMonday9 + absl::Hours(1), 10), 0);
  EXPECT_EQ(*store_->AutoClose(kMonday9 + absl::Hours(1), kMonday9 + absl::Hours(168), 10), 1);
  auto closed = store_->Get(kAll, c.id);
  EXPECT_EQ(closed->status, ComplaintStatus::kClosed);
  EXPECT_EQ(closed->closed_at, kMonday9 + absl::Hours(168));
  EXPECT_EQ(Events(c.id, 10), 1);
}

TEST_F(ComplaintStoreTest, FollowUpsCanBeCompletedOnceAndOverdueOnesAreListed) {
  const domain::Complaint c = File("fu", domain::Priority::kNormal);
  auto callback = store_->ScheduleFollowUp(kAll, c.id, 1, kMonday9 + absl::Hours(2), "call back",
                                           "anna", kMonday9);
  ASSERT_TRUE(callback.ok()) << callback.status();
  auto email = store_->ScheduleFollowUp(kAll, c.id, 2, kMonday9 + absl::Hours(48), "", "anna", kMonday9);
  ASSERT_TRUE(email.ok());
  auto overdue = store_->ListFollowUps(kAll, {"", "", false, true}, 10, "", kMonday9 + absl::Hours(3));
  ASSERT_EQ(overdue->items.size(), 1u);
  EXPECT_EQ(overdue->items[0].id, callback->id);
  auto done = store_->CompleteFollowUp(kAll, callback->id, "reached, happy", "anna", kMonday9);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->done);
  EXPECT_EQ(store_->CompleteFollowUp(kAll, callback->id, "again", "anna", kMonday9).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->ListFollowUps(kAll, {"", "", true, false}, 10, "", kMonday9)->items.size(), 1u);
  EXPECT_EQ(Events(c.id, 8), 2);
  EXPECT_EQ(Events(c.id, 9), 1);
}

TEST_F(ComplaintStoreTest, UnknownIdsAreNotFoundNamingTheField) {
  const std::string missing = "0190a000-0000-7000-8000-000000000000";
  for (const std::string& id : {missing, std::string("not-a-uuid"), std::string("'; DROP")}) {
    EXPECT_EQ(store_->Get(kAll, id).status().code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(store_->Assign(kAll, id, "1", "a", "a", kMonday9).status().message(),
              "id: complaint not found");
    EXPECT_EQ(store_->AddNote(kAll, id, "x", true, "a", kMonday9).status().code(),
              absl::StatusCode::kNotFound);
    EXPECT_EQ(store_->ListEvents(kAll, id, 10, "").status().message(),
              "complaint_id: complaint not found");
    EXPECT_EQ(store_->ScheduleFollowUp(kAll, id, 1, kMonday9, "", "a", kMonday9).status().code(),
              absl::StatusCode::kNotFound);
    EXPECT_EQ(store_->CompleteFollowUp(kAll, id, "x", "a", kMonday9).status().message(),
              "follow_up_id: follow-up not found");
  }
  EXPECT_EQ(store_->List(kAll, {}, 10, "garbage").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ComplaintStoreTest, ListingPagesStablyInDueOrder) {
  for (int i = 0; i < 7; ++i) {
    File("l-" + std::to_string(i), i % 2 ? domain::Priority::kUrgent : domain::Priority::kLow,
         "general", kMonday9 + absl::Minutes(i));
  }
  std::vector<std::string> seen;
  std::string token;
  absl::Time last_due = absl::InfinitePast();
  do {
    auto page = store_->List(kAll, {}, 3, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& c : page->items) {
      EXPECT_GE(c.resolution_due_at, last_due);
      last_due = c.resolution_due_at;
      seen.push_back(c.id);
      // Rows changing while paging do not disturb the walk.
      db_->Query("UPDATE complaints SET updated_at = now() WHERE id = '" + c.id + "'");
    }
    token = page->next_page_token;
  } while (!token.empty());
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 7u);
  auto newest = store_->List(kAll, {.newest_first = true}, 1, "");
  EXPECT_EQ(newest->items[0].created_at, kMonday9 + absl::Minutes(6));
}

// Events are read from the database only while someone takes them, and
// then everything that arrived together in one read, in id order.
TEST_F(ComplaintStoreTest, TheListenerReadsEventsOnlyWhileSomeoneWantsThem) {
  absl::Mutex mu;
  std::vector<ComplaintEventRecord> delivered;
  std::atomic<bool> wanted{false};
  std::atomic<int> asked{0}, reconnects{0};
  NotificationListener listener(
      db_->url(), *store_,
      NotificationSinks{[&](const ComplaintEventRecord& e) {
                          absl::MutexLock lock(&mu);
                          delivered.push_back(e);
                        },
                        [&] {
                          ++asked;
                          return wanted.load();
                        },
                        nullptr, [&] { ++reconnects; }});
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (reconnects.load() == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_GT(reconnects.load(), 0);

  File("l-unwanted", domain::Priority::kNormal);
  while (asked.load() == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_GT(asked.load(), 0);  // the listener got the event and was told no
  {
    absl::MutexLock lock(&mu);
    EXPECT_TRUE(delivered.empty());
  }

  wanted = true;
  const domain::Complaint a = File("l-a", domain::Priority::kNormal, "billing");
  const domain::Complaint b = File("l-b", domain::Priority::kHigh, "returns");
  auto two = [&] { return delivered.size() >= 2; };
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&two), absl::Seconds(10)));
    ASSERT_EQ(delivered.size(), 2u);
    EXPECT_EQ(delivered[0].complaint_id, a.id);
    EXPECT_EQ(delivered[0].queue, "billing");
    EXPECT_EQ(delivered[1].complaint_id, b.id);
    EXPECT_EQ(delivered[1].queue, "returns");
    EXPECT_LT(delivered[0].id, delivered[1].id);
  }
}

TEST_F(ComplaintStoreTest, AnAgentSeesOnlyItsQueuesAndCannotProbeIds) {
  const domain::Complaint billing = File("b", domain::Priority::kNormal, "billing");
  const domain::Complaint general = File("g", domain::Priority::kNormal, "general");
  domain::Caller agent;
  agent.role = domain::Role::kAgent;
  agent.queues = {"general"};
  const domain::QueueScope scope = domain::QueueScope::Of(agent);
  const std::string missing = "0190a000-0000-7000-8000-000000000000";
  const absl::Status other = store_->Get(scope, billing.id).status();
  const absl::Status none = store_->Get(scope, missing).status();
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(other, none);  // the same answer whether or not the id exists
  EXPECT_EQ(store_->Assign(scope, billing.id, "1", "x", "a", kMonday9).status(), none);
  EXPECT_EQ(store_->Assign(scope, missing, "1", "x", "a", kMonday9).status(), none);
  EXPECT_EQ(store_->AddNote(scope, billing.id, "x", true, "a", kMonday9).status(), none);
  EXPECT_EQ(store_->ListEvents(scope, billing.id, 10, "").status(), none);
  EXPECT_EQ(store_->ScheduleFollowUp(scope, billing.id, 1, kMonday9, "", "a", kMonday9).status(),
            none);
  EXPECT_TRUE(store_->Get(scope, general.id).ok());
  auto listed = store_->List(scope, {}, 10, "");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].id, general.id);
  EXPECT_EQ(store_->List(scope, {.queue = "billing"}, 10, "").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Events(billing.id), 1);  // nothing happened to the other queue's complaint
}

// Closing the loop, through the feedback store.
class ClosedLoopTest : public ComplaintStoreTest {
 protected:
  PendingSubmit Rating(const std::string& request_id, int score, const std::string& phone) {
    PendingSubmit p;
    p.api_key_id = 1;
    p.submission.kind = domain::SubmitKind::kRating;
    p.submission.request_id = request_id;
    p.submission.channel = 1;
    p.submission.queue = "billing";
    p.submission.customer.phone = phone;
    p.submission.csat_score = score;
    p.submission.comment = "waited 40 minutes";
    p.payload_hash = domain::PayloadHash(p.submission);
    p.csat_feedback_id = domain::NewFeedbackId(kMonday9);
    p.received_at = kMonday9;
    return p;
  }
};

TEST_F(ClosedLoopTest, ALowRatingOpensOneCaseInItsQueueAndReplaysDoNotOpenMore) {
  PgFeedbackStore feedback(*pool_);
  const PendingSubmit low = Rating("ivr-1", 1, "+4912345");
  auto out = feedback.WriteBatch(std::vector<PendingSubmit>{low, Rating("ivr-2", 4, "+49"),
                                                            Rating("ivr-3", 2, "")});
  ASSERT_TRUE(out.ok()) << out.status();
  const std::string case_id = (*out)[0]->follow_up_complaint_id;
  ASSERT_FALSE(case_id.empty());
  EXPECT_TRUE((*out)[1]->follow_up_complaint_id.empty());  // a good score
  EXPECT_TRUE((*out)[2]->follow_up_complaint_id.empty());  // nobody to reach
  auto c = store_->Get(kAll, case_id);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->queue, "billing");
  EXPECT_EQ(c->category, "closed_loop");
  EXPECT_EQ(c->priority, domain::Priority::kHigh);  // CSAT 1
  EXPECT_EQ(c->source_feedback_id, low.csat_feedback_id);
  EXPECT_EQ(c->first_response_due_at, kMonday9 + absl::Hours(1));
  EXPECT_EQ(c->customer.phone, "+4912345");

  PendingSubmit replay = low;
  replay.csat_feedback_id = domain::NewFeedbackId(kMonday9);
  auto again = feedback.WriteBatch(std::vector<PendingSubmit>{replay});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)[0]->duplicate);
  EXPECT_EQ((*again)[0]->follow_up_complaint_id, case_id);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM complaints"), 1);
  EXPECT_EQ(db_->Count("SELECT count(*) FROM complaint_events WHERE kind = 1"), 1);
}

}  // namespace
}  // namespace feedback::storage
