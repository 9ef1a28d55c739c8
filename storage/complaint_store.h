#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/access.h"
#include "domain/complaint.h"
#include "storage/connection_pool.h"

namespace pqxx {
class transaction_base;
}

namespace feedback::storage {

struct ComplaintEventRecord {
  int64_t id = 0;
  std::string complaint_id;
  std::string queue;
  domain::EventKind kind = domain::EventKind::kCreated;
  std::string actor;
  absl::Time occurred_at;
  std::map<std::string, std::string> before;
  std::map<std::string, std::string> after;
  std::string detail;
};

struct NoteRecord {
  std::string id;
  std::string complaint_id;
  std::string author;
  std::string body;
  bool is_public = false;
  absl::Time created_at;
};

// kind: 1 CALLBACK, 2 EMAIL, 3 SURVEY.
struct FollowUpRecord {
  std::string id;
  std::string complaint_id;
  std::string queue;
  int kind = 1;
  bool done = false;
  absl::Time due_at;
  std::string note;
  std::string outcome;
  std::string created_by;
  absl::Time created_at;
  std::optional<absl::Time> completed_at;
};

struct ComplaintFilter {
  std::string queue = {};
  std::vector<int> statuses = {};
  std::string assignee_id = {};
  int priority = 0;  // 0: any
  std::string customer_id = {};
  bool breached_only = false;
  bool newest_first = false;  // default: earliest SLA due first
};

struct FollowUpFilter {
  std::string complaint_id;
  std::string queue;
  bool pending_only = false;
  bool overdue_only = false;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;  // empty on the last page
};

// What filing a complaint needs besides the complaint itself.
struct FileRequest {
  int64_t api_key_id = 0;
  std::string request_id;
  std::string payload_hash;  // of the request, without request_id
};

// One agent's claim: the queues it takes work from.
struct ClaimRequest {
  std::vector<std::string> queues;
  std::string agent;
};

struct FiledComplaint {
  domain::Complaint complaint;
  bool duplicate = false;
};

// Complaints, their notes, events and follow-ups in PostgreSQL. Every change
// writes its audit event in the same transaction. Methods taking an `etag`
// fail with ABORTED (and change nothing) when it is not the current
// version. Unknown ids -> NOT_FOUND naming the field. Methods taking a
// `scope` see only complaints in its queues: for a restricted scope, a
// complaint outside it and a missing one both give QueueScope::Denied(),
// checked before the etag. Thread-safe.
class ComplaintStore {
 public:
  explicit ComplaintStore(ConnectionPool& pool) : pool_(pool) {}

  absl::StatusOr<domain::SlaPolicies> LoadPolicies();
  // Sets `policy` for its priority (audited as `actor`); complaints filed or
  // re-prioritized afterwards use it.
  absl::Status UpsertPolicy(const domain::SlaPolicy& policy, const std::string& actor);

  // Files `draft` (validated; id, SLA and times are set here). Idempotent
  // on (api_key_id, request_id) like the feedback submits.
  absl::StatusOr<FiledComplaint> File(const FileRequest& request, domain::Complaint draft,
                                      const std::string& actor, absl::Time now);
  absl::StatusOr<domain::Complaint> Get(const domain::QueueScope& scope, const std::string& id);
  absl::StatusOr<Page<domain::Complaint>> List(const domain::QueueScope& scope, const ComplaintFilter& filter, int page_size,
                                               const std::string& page_token);
  absl::StatusOr<Page<ComplaintEventRecord>> ListEvents(const domain::QueueScope& scope, const std::string& complaint_id,
                                                        int page_size,
                                                        const std::string& page_token);
  // The events among `event_ids` that exist, in id order, read at once.
  absl::StatusOr<std::vector<ComplaintEventRecord>> GetEvents(const std::vector<int64_t>& event_ids);

  // Assigns the most urgent unassigned NEW/IN_PROGRESS complaint of
  // `queues` to `agent` (and starts it), or NOT_FOUND.
  absl::StatusOr<domain::Complaint> ClaimNext(const std::vector<std::string>& queues,
                                              const std::string& agent, absl::Time now);
  // ClaimNext for each of `claims` in one transaction. Claims naming the
  // same queues form a group, served in call order (the first gets the
  // most urgent); groups go in the order of their first claim, each taking
  // what the groups before it left. Claim i gets its complaint, or nullopt
  // when none is left. Each claimed complaint gets its CLAIMED event. A
  // failure claims nothing for anyone.
  absl::StatusOr<std::vector<std::optional<domain::Complaint>>> ClaimBatch(
      std::span<const ClaimRequest> claims, absl::Time now);
  absl::StatusOr<domain::Complaint> Assign(const domain::QueueScope& scope, const std::string& id, const std::string& etag,
                                           const std::string& assignee,
                                           const std::string& actor, absl::Time now);
  absl::StatusOr<std::pair<NoteRecord, domain::Complaint>> AddNote(const domain::QueueScope& scope, const std::string& id,
                                                                   const std::string& body,
                                                                   bool is_public,
                                                                   const std::string& actor,
                                                                   absl::Time now);
  // Resolving also schedules a SURVEY follow-up due a day later.
  absl::StatusOr<domain::Complaint> Transition(const domain::QueueScope& scope, const std::string& id, const std::string& etag,
                                               domain::ComplaintStatus to,
                                               const std::string& resolution_code,
                                               const std::string& note,
                                               const std::string& actor, absl::Time now);
  absl::StatusOr<domain::Complaint> Escalate(const domain::QueueScope& scope, const std::string& id, const std::string& etag,
                                             const std::string& reason,
                                             const std::string& actor, absl::Time now);

  absl::StatusOr<FollowUpRecord> ScheduleFollowUp(const domain::QueueScope& scope, const std::string& complaint_id, int kind,
                                                  absl::Time due_at, const std::string& note,
                                                  const std::string& actor, absl::Time now);
  // FAILED_PRECONDITION when already completed.
  absl::StatusOr<FollowUpRecord> CompleteFollowUp(const domain::QueueScope& scope, const std::string& id,
                                                  const std::string& outcome,
                                                  const std::string& actor, absl::Time now);
  absl::StatusOr<Page<FollowUpRecord>> ListFollowUps(const domain::QueueScope& scope, const FollowUpFilter& filter,
                                                     int page_size,
                                                     const std::string& page_token,
                                                     absl::Time now);

  // Background work, safe with several replicas (SKIP LOCKED): marks up to
  // `limit` SLA breaches as of `now` (escalating), and closes up to `limit`
  // complaints resolved before `resolved_before`. Return how many changed.
  absl::StatusOr<int> MarkBreaches(absl::Time now, int limit);
  absl::StatusOr<int> AutoClose(absl::Time resolved_before, absl::Time now, int limit);

 private:
  ConnectionPool& pool_;
};

// NOT_FOUND for a claim that found no unassigned complaint in its queues.
absl::Status NothingToClaim();

// The submission a closed-loop follow-up complaint answers.
struct ScoreRequest {
  int64_t api_key_id = 0;
  std::string request_id;
};

// Inserts new complaints (already through domain::StartSla) and their
// CREATED events in `tx` (on `conn`), in one statement however many there
// are. `follow_up_of`, when not empty, holds complaint i's score submission
// at i, whose idempotency record then names the complaint.
void InsertComplaints(PooledConnection& conn, pqxx::transaction_base& tx,
                      const std::vector<domain::Complaint>& complaints, const std::string& actor,
                      const std::vector<ScoreRequest>& follow_up_of = {});
// The SLA policies as stored, read in `tx` (on `conn`).
domain::SlaPolicies ReadPolicies(PooledConnection& conn, pqxx::transaction_base& tx);

}  // namespace feedback::storage
