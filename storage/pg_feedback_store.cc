#include "storage/pg_feedback_store.h"

#include <pqxx/result>
#include <pqxx/transaction>

#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "domain/ids.h"
#include "domain/sha256.h"
#include "storage/complaint_store.h"
#include "storage/pg_array.h"
#include "storage/pg_format.h"
#include "storage/pg_status.h"

namespace feedback::storage {
namespace {

// Claims each request_id in idempotency_keys and, for those claimed now
// (not seen before), inserts their scores into feedback — one statement.
// The reports' tables are the folder's (storage/fold/).
// Returns the claimed (api_key_id, request_id) pairs.
constexpr char kInsertBatch[] = "feedback_insert_batch";
constexpr char kInsertBatchSql[] = R"sql(
WITH items AS (
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::smallint[], $4::text[],
                       $5::uuid[], $6::uuid[], $7::smallint[], $8::smallint[],
                       $9::smallint[], $10::text[], $11::text[], $12::text[], $13::text[],
                       $14::text[], $15::text[], $16::text[], $17::text[], $18::jsonb[],
                       $19::text[], $20::timestamptz[], $21::timestamptz[])
    AS t(api_key_id, request_id, kind, payload_hash, csat_id, nps_id, csat_score,
         nps_score, channel, customer_id, phone, email, display_name, interaction_id,
         agent_id, queue, comment, attributes, complaint_id, occurred_at, received_at)
), claimed AS (
  INSERT INTO idempotency_keys (api_key_id, request_id, kind, payload_hash,
                                csat_feedback_id, nps_feedback_id, received_at)
  SELECT api_key_id, request_id, kind, decode(payload_hash, 'hex'), csat_id, nps_id,
         received_at
  FROM items
  ON CONFLICT DO NOTHING
  RETURNING api_key_id, request_id
), stored AS (
  INSERT INTO feedback (id, kind, score, channel, customer_id, customer_phone,
                        customer_email, customer_name, interaction_id, agent_id, queue,
                        comment, attributes, complaint_id, api_key_id, occurred_at,
                        received_at)
  SELECT s.id, s.kind, s.score, i.channel, i.customer_id, i.phone, i.email,
         i.display_name, i.interaction_id, i.agent_id, i.queue, i.comment,
         i.attributes, i.complaint_id, i.api_key_id,
         coalesce(i.occurred_at, i.received_at), i.received_at
  FROM items i
  JOIN claimed c USING (api_key_id, request_id)
  CROSS JOIN LATERAL (VALUES (i.csat_id, 1::smallint, i.csat_score),
                             (i.nps_id, 2::smallint, i.nps_score)) AS s(id, kind, score)
  WHERE s.id IS NOT NULL
)
SELECT api_key_id, request_id FROM claimed)sql";

// The stored results of request_ids that were claimed before.
constexpr char kSelectPrior[] = "feedback_select_prior";
constexpr char kSelectPriorSql[] = R"sql(
SELECT k.api_key_id, k.request_id, encode(k.payload_hash, 'hex'),
       coalesce(k.csat_feedback_id::text, ''), coalesce(k.nps_feedback_id::text, ''),
       (extract(epoch FROM k.received_at) * 1000000)::bigint,
       coalesce(k.follow_up_complaint_id, '')
FROM idempotency_keys k
JOIN unnest($1::bigint[], $2::text[]) AS u(api_key_id, request_id)
  USING (api_key_id, request_id))sql";

constexpr char kPruneKeys[] = "idempotency_prune";
constexpr char kPruneKeysSql[] = R"sql(
DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
  SELECT ctid FROM idempotency_keys WHERE received_at < $1::timestamptz LIMIT $2)))sql";

constexpr char kBlankComments[] = "feedback_blank_comments";
constexpr char kBlankCommentsSql[] = R"sql(
UPDATE feedback SET comment = NULL WHERE id = ANY (ARRAY(
  SELECT id FROM feedback
  WHERE comment IS NOT NULL AND received_at < $1::timestamptz LIMIT $2)))sql";

// The follow-up complaint a new submission opens, if any (one per
// submission: a survey's CSAT score decides before its NPS score).
std::optional<domain::Complaint> ClosedLoopComplaint(const domain::ClosedLoopRule& rule,
                                                     const PendingSubmit& p) {
  const domain::Submission& s = p.submission;
  std::optional<domain::Priority> priority;
  std::string source, subject;
  if (s.csat_score) {
    priority = domain::ClosedLoopPriority(rule, domain::ScoreKind::kCsat, *s.csat_score,
                                          s.customer);
    source = p.csat_feedback_id;
    subject = "Low CSAT rating " + std::to_string(*s.csat_score) + "/5";
  }
  if (!priority && s.nps_score) {
    priority = domain::ClosedLoopPriority(rule, domain::ScoreKind::kNps, *s.nps_score,
                                          s.customer);
    source = p.nps_feedback_id;
    subject = "NPS detractor " + std::to_string(*s.nps_score) + "/10";
  }
  if (!priority) return std::nullopt;
  domain::Complaint c;
  c.id = domain::NewFeedbackId(p.received_at);
  c.priority = *priority;
  c.queue = s.queue.empty() ? "general" : s.queue;
  c.category = "closed_loop";
  c.channel = s.channel;
  c.customer = s.customer;
  c.interaction_id = s.interaction_id;
  c.subject = subject;
  c.description = s.comment;
  c.source_feedback_id = source;
  return c;
}

using RequestKey = std::pair<int64_t, std::string>;

// The 21 array parameters of kInsertBatch, one element per item.
struct BatchArrays {
  PgArrayBuilder api_key_id, request_id, kind, payload_hash, csat_id, nps_id, csat_score,
      nps_score, channel, customer_id, phone, email, display_name, interaction_id,
      agent_id, queue, comment, attributes, complaint_id, occurred_at, received_at;

  void Add(const PendingSubmit& p) {
    const domain::Submission& s = p.submission;
    api_key_id.Add(std::to_string(p.api_key_id));
    request_id.Add(s.request_id);
    kind.Add(std::to_string(static_cast<int>(s.kind)));
    payload_hash.Add(domain::HexEncode(p.payload_hash));
    csat_id.AddOrNull(p.csat_feedback_id);
    nps_id.AddOrNull(p.nps_feedback_id);
    csat_score.AddOptional(s.csat_score ? std::optional(std::to_string(*s.csat_score)) : std::nullopt);
    nps_score.AddOptional(s.nps_score ? std::optional(std::to_string(*s.nps_score)) : std::nullopt);
    channel.Add(std::to_string(s.channel));
    customer_id.AddOrNull(s.customer.customer_id);
    phone.AddOrNull(s.customer.phone);
    email.AddOrNull(s.customer.email);
    display_name.AddOrNull(s.customer.display_name);
    interaction_id.AddOrNull(s.interaction_id);
    agent_id.AddOrNull(s.agent_id);
    queue.AddOrNull(s.queue);
    comment.AddOrNull(s.comment);
    attributes.Add(JsonObject(s.attributes));
    complaint_id.AddOrNull(s.complaint_id);
    occurred_at.AddOptional(s.occurred_at ? std::optional(PgTime(*s.occurred_at)) : std::nullopt);
    received_at.Add(PgTime(p.received_at));
  }
};

absl::Status ConflictError() {
  return absl::AlreadyExistsError(
      "request_id: already used with a different payload; use a new request_id for a "
      "new submission");
}

}  // namespace

absl::StatusOr<std::vector<SubmitOutcome>> PgFeedbackStore::WriteBatch(
    std::span<const PendingSubmit> batch) {
  // The first item with a given (key, request_id) is written; later ones in
  // the same batch are answered from its outcome.
  std::map<RequestKey, size_t> leader_of;
  std::vector<size_t> leaders;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (leader_of.emplace(RequestKey(batch[i].api_key_id, batch[i].submission.request_id), i)
            .second) {
      leaders.push_back(i);
    }
  }
  BatchArrays arrays;
  for (size_t i : leaders) arrays.Add(batch[i]);

  std::vector<SubmitOutcome> outcomes(batch.size(), absl::UnknownError("not written"));
  absl::Status status = RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::Status {
    conn.Prepare(kInsertBatch, kInsertBatchSql);
    pqxx::work tx(conn.get());
    const pqxx::result claimed_rows = tx.exec_prepared(
        kInsertBatch, arrays.api_key_id.Build(), arrays.request_id.Build(),
        arrays.kind.Build(), arrays.payload_hash.Build(), arrays.csat_id.Build(),
        arrays.nps_id.Build(), arrays.csat_score.Build(), arrays.nps_score.Build(),
        arrays.channel.Build(), arrays.customer_id.Build(), arrays.phone.Build(),
        arrays.email.Build(), arrays.display_name.Build(), arrays.interaction_id.Build(),
        arrays.agent_id.Build(), arrays.queue.Build(), arrays.comment.Build(),
        arrays.attributes.Build(), arrays.complaint_id.Build(), arrays.occurred_at.Build(),
        arrays.received_at.Build());
    std::set<RequestKey> claimed;
    for (const auto& row : claimed_rows) {
      claimed.emplace(row[0].as<int64_t>(), row[1].as<std::string>());
    }

    PgArrayBuilder prior_keys, prior_ids;
    for (size_t i : leaders) {
      const PendingSubmit& p = batch[i];
      RequestKey key(p.api_key_id, p.submission.request_id);
      if (claimed.count(key) > 0) {
        outcomes[i] = domain::SubmitResult{p.csat_feedback_id, p.nps_feedback_id,
                                           p.received_at, "", false};
      } else {
        prior_keys.Add(std::to_string(p.api_key_id));
        prior_ids.Add(p.submission.request_id);
      }
    }
    // Closing the loop: a new low score from a reachable customer opens its
    // follow-up complaint in this same transaction, so the case exists iff
    // the score does; replays find the id in idempotency_keys.
    std::vector<domain::Complaint> follow_ups;
    std::vector<ScoreRequest> follow_up_of;
    std::optional<domain::SlaPolicies> policies;
    for (size_t i : leaders) {
      const PendingSubmit& p = batch[i];
      if (claimed.count(RequestKey(p.api_key_id, p.submission.request_id)) == 0) continue;
      std::optional<domain::Complaint> follow_up = ClosedLoopComplaint(rule_, p);
      if (!follow_up) continue;
      if (!policies) policies = ReadPolicies(conn, tx);
      domain::StartSla(*follow_up, *policies, p.received_at);
      follow_up_of.push_back({p.api_key_id, p.submission.request_id});
      outcomes[i]->follow_up_complaint_id = follow_up->id;
      follow_ups.push_back(*std::move(follow_up));
    }
    InsertComplaints(conn, tx, follow_ups, "closed_loop", follow_up_of);
    if (claimed.size() < leaders.size()) {
      conn.Prepare(kSelectPrior, kSelectPriorSql);
      const pqxx::result prior =
          tx.exec_prepared(kSelectPrior, prior_keys.Build(), prior_ids.Build());
      std::map<RequestKey, pqxx::row> prior_by_key;
      for (const auto& row : prior) {
        prior_by_key.emplace(RequestKey(row[0].as<int64_t>(), row[1].as<std::string>()), row);
      }
      for (size_t i : leaders) {
        const PendingSubmit& p = batch[i];
        RequestKey key(p.api_key_id, p.submission.request_id);
        if (claimed.count(key) > 0) continue;
        auto it = prior_by_key.find(key);
        if (it == prior_by_key.end()) {
          // Claimed by a transaction that has since gone: retrying is safe.
          outcomes[i] = absl::UnavailableError("request_id: concurrent submit, retry");
          continue;
        }
        const pqxx::row& row = it->second;
        if (row[2].as<std::string>() != domain::HexEncode(p.payload_hash)) {
          outcomes[i] = ConflictError();
          continue;
        }
        domain::SubmitResult stored{row[3].as<std::string>(), row[4].as<std::string>(),
                                    absl::FromUnixMicros(row[5].as<int64_t>()),
                                    row[6].as<std::string>(), true};
        // Ids are chosen once per submission, so matching ids mean this very
        // submission committed before (a retry after an unknown commit
        // outcome): it is not a replay by the client.
        stored.duplicate = stored.csat_feedback_id != p.csat_feedback_id ||
                           stored.nps_feedback_id != p.nps_feedback_id;
        outcomes[i] = std::move(stored);
      }
    }
    tx.commit();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;

  for (size_t i = 0; i < batch.size(); ++i) {
    const size_t leader =
        leader_of.at(RequestKey(batch[i].api_key_id, batch[i].submission.request_id));
    if (leader == i) continue;
    if (batch[i].payload_hash != batch[leader].payload_hash) {
      outcomes[i] = ConflictError();
    } else if (outcomes[leader].ok()) {
      domain::SubmitResult replay = *outcomes[leader];
      replay.duplicate = true;
      outcomes[i] = replay;
    } else {
      outcomes[i] = outcomes[leader].status();
    }
  }
  return outcomes;
}

absl::StatusOr<int64_t> PgFeedbackStore::PruneIdempotencyRecords(absl::Time before,
                                                                 int limit) {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<int64_t> {
    conn.Prepare(kPruneKeys, kPruneKeysSql);
    pqxx::work tx(conn.get());
    const pqxx::result r = tx.exec_prepared(kPruneKeys, PgTime(before), limit);
    tx.commit();
    return static_cast<int64_t>(r.affected_rows());
  });
}

absl::StatusOr<int64_t> PgFeedbackStore::BlankCommentsReceivedBefore(absl::Time before,
                                                                     int limit) {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<int64_t> {
    conn.Prepare(kBlankComments, kBlankCommentsSql);
    pqxx::work tx(conn.get());
    const pqxx::result r = tx.exec_prepared(kBlankComments, PgTime(before), limit);
    tx.commit();
    return static_cast<int64_t>(r.affected_rows());
  });
}

}  // namespace feedback::storage
