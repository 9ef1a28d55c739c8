#include "storage/complaint_store.h"

#include <pqxx/array>
#include <pqxx/result>
#include <pqxx/transaction>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <span>
#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "domain/sha256.h"
#include "domain/ids.h"
#include "storage/admin_audit.h"
#include "storage/pg_array.h"
#include "storage/pg_format.h"
#include "storage/pg_status.h"

namespace feedback::storage {
domain::SlaPolicies ReadPolicies(PooledConnection& conn, pqxx::transaction_base& tx);

namespace {

using domain::Complaint;
using domain::ComplaintStatus;
using domain::EventKind;

constexpr char kColumns[] = R"sql(
  id::text, status, priority, queue, category, channel, coalesce(customer_id, ''),
  coalesce(customer_phone, ''), coalesce(customer_email, ''), coalesce(customer_name, ''),
  coalesce(interaction_id, ''), subject, description, coalesce(assignee_id, ''),
  epoch_us(created_at), epoch_us(updated_at), epoch_us(first_response_at),
  epoch_us(resolved_at), epoch_us(closed_at), epoch_us(first_response_due_at),
  epoch_us(resolution_due_at), sla_paused, epoch_us(paused_at), paused_business_seconds,
  first_response_breached, resolution_breached, escalation_level, reopen_count,
  coalesce(source_feedback_id::text, ''), coalesce(resolution_code, ''), version,
  first_response_seconds, resolution_seconds)sql";

// New complaints with their CREATED events, and for follow-ups of scores
// ($20/$21 not empty) the link from the score's idempotency record: one
// round trip however many there are.
constexpr char kInsertComplaints[] = "complaints_insert";
constexpr char kInsertComplaintsSql[] = R"sql(
WITH t AS (
  SELECT * FROM unnest($1::uuid[], $2::smallint[], $3::smallint[], $4::text[], $5::text[],
                       $6::smallint[], $7::text[], $8::text[], $9::text[], $10::text[],
                       $11::text[], $12::text[], $13::text[], $14::timestamptz[],
                       $15::timestamptz[], $16::timestamptz[], $17::text[], $18::jsonb[])
    AS t(id, status, priority, queue, category, channel, customer_id, phone, email, name,
         interaction_id, subject, description, created_at, first_response_due_at,
         resolution_due_at, source, after)
), complaint AS (
  INSERT INTO complaints (id, status, priority, queue, category, channel, customer_id,
    customer_phone, customer_email, customer_name, interaction_id, subject, description,
    created_at, updated_at, first_response_due_at, resolution_due_at, source_feedback_id,
    version)
  SELECT id, status, priority, queue, category, channel, NULLIF(customer_id, ''),
    NULLIF(phone, ''), NULLIF(email, ''), NULLIF(name, ''), NULLIF(interaction_id, ''), subject,
    description, created_at, created_at, first_response_due_at, resolution_due_at,
    NULLIF(source, '')::uuid, 1
  FROM t
), linked AS (
  UPDATE idempotency_keys k SET follow_up_complaint_id = u.complaint_id::text
  FROM unnest($20::bigint[], $21::text[], $1::uuid[]) AS u(api_key_id, request_id, complaint_id)
  WHERE k.api_key_id = u.api_key_id AND k.request_id = u.request_id
)
INSERT INTO complaint_events (complaint_id, queue, kind, actor, occurred_at, before, after, detail)
SELECT id, queue, 1, $19, created_at, '{}', after, source FROM t)sql";

// Statements of the agents' hot path, prepared once per connection.
constexpr char kUpdateComplaints[] = "complaints_update";
constexpr char kInsertEvents[] = "complaint_events_insert";
constexpr char kLockComplaint[] = "complaint_lock";
constexpr char kClaimNext[] = "complaint_claim_next";
constexpr char kReadPolicies[] = "sla_policies_read";

// Complaints written back and their events: one statement for any number,
// so a batch of claims fires the complaint triggers once.
constexpr char kUpdateComplaintsSql[] = R"sql(
UPDATE complaints c SET status = u.status, priority = u.priority, queue = u.queue,
  category = u.category, assignee_id = u.assignee_id, updated_at = u.updated_at,
  first_response_at = u.first_response_at, resolved_at = u.resolved_at, closed_at = u.closed_at,
  first_response_due_at = u.first_response_due_at, resolution_due_at = u.resolution_due_at,
  sla_paused = u.sla_paused, paused_at = u.paused_at,
  paused_business_seconds = u.paused_business_seconds,
  first_response_breached = u.first_response_breached,
  resolution_breached = u.resolution_breached, escalation_level = u.escalation_level,
  reopen_count = u.reopen_count, resolution_code = u.resolution_code, version = u.version,
  first_response_seconds = u.first_response_seconds, resolution_seconds = u.resolution_seconds
FROM unnest($1::uuid[], $2::smallint[], $3::smallint[], $4::text[], $5::text[], $6::text[],
            $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[],
            $11::timestamptz[], $12::timestamptz[], $13::boolean[], $14::timestamptz[],
            $15::bigint[], $16::boolean[], $17::boolean[], $18::integer[], $19::integer[],
            $20::text[], $21::bigint[], $22::bigint[], $23::bigint[])
  AS u(id, status, priority, queue, category, assignee_id, updated_at, first_response_at,
       resolved_at, closed_at, first_response_due_at, resolution_due_at, sla_paused, paused_at,
       paused_business_seconds, first_response_breached, resolution_breached,
       escalation_level, reopen_count, resolution_code, version, first_response_seconds,
       resolution_seconds)
WHERE c.id = u.id)sql";

constexpr char kInsertEventsSql[] = R"sql(
INSERT INTO complaint_events (complaint_id, queue, kind, actor, occurred_at, before, after, detail)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::smallint[], $4::text[], $5::timestamptz[],
                     $6::jsonb[], $7::jsonb[], $8::text[]))sql";

constexpr char kEventColumns[] = R"sql(
  e.id, e.complaint_id::text, e.queue, e.kind, e.actor, epoch_us(e.occurred_at),
  (SELECT coalesce(array_agg(key ORDER BY key), '{}') FROM jsonb_each_text(e.before)),
  (SELECT coalesce(array_agg(value ORDER BY key), '{}') FROM jsonb_each_text(e.before)),
  (SELECT coalesce(array_agg(key ORDER BY key), '{}') FROM jsonb_each_text(e.after)),
  (SELECT coalesce(array_agg(value ORDER BY key), '{}') FROM jsonb_each_text(e.after)),
  e.detail)sql";

constexpr char kFollowUpColumns[] = R"sql(
  f.id::text, f.complaint_id::text, c.queue, f.kind, f.status = 2, epoch_us(f.due_at), f.note,
  f.outcome, f.created_by, epoch_us(f.created_at), epoch_us(f.completed_at))sql";

constexpr absl::Duration kSurveyDelay = absl::Hours(24);

std::optional<absl::Time> OptionalTime(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return absl::FromUnixMicros(f.as<int64_t>());
}

Complaint ComplaintFromRow(const pqxx::row& r) {
  Complaint c;
  c.id = r[0].as<std::string>();
  c.status = static_cast<ComplaintStatus>(r[1].as<int>());
  c.priority = static_cast<domain::Priority>(r[2].as<int>());
  c.queue = r[3].as<std::string>();
  c.category = r[4].as<std::string>();
  c.channel = r[5].as<int>();
  c.customer = {r[6].as<std::string>(), r[7].as<std::string>(), r[8].as<std::string>(),
                r[9].as<std::string>()};
  c.interaction_id = r[10].as<std::string>();
  c.subject = r[11].as<std::string>();
  c.description = r[12].as<std::string>();
  c.assignee_id = r[13].as<std::string>();
  c.created_at = absl::FromUnixMicros(r[14].as<int64_t>());
  c.updated_at = absl::FromUnixMicros(r[15].as<int64_t>());
  c.first_response_at = OptionalTime(r[16]);
  c.resolved_at = OptionalTime(r[17]);
  c.closed_at = OptionalTime(r[18]);
  c.first_response_due_at = absl::FromUnixMicros(r[19].as<int64_t>());
  c.resolution_due_at = absl::FromUnixMicros(r[20].as<int64_t>());
  c.sla_paused = r[21].as<bool>();
  c.paused_at = OptionalTime(r[22]);
  c.paused_business = absl::Seconds(r[23].as<int64_t>());
  c.first_response_breached = r[24].as<bool>();
  c.resolution_breached = r[25].as<bool>();
  c.escalation_level = r[26].as<int>();
  c.reopen_count = r[27].as<int>();
  c.source_feedback_id = r[28].as<std::string>();
  c.resolution_code = r[29].as<std::string>();
  c.version = r[30].as<int64_t>();
  if (!r[31].is_null()) c.first_response_business = absl::Seconds(r[31].as<int64_t>());
  if (!r[32].is_null()) c.resolution_business = absl::Seconds(r[32].as<int64_t>());
  return c;
}

std::vector<std::string> TextArray(const pqxx::field& f) {
  std::vector<std::string> out;
  pqxx::array_parser parser = f.as_array();
  for (auto [kind, value] = parser.get_next(); kind != pqxx::array_parser::done;
       std::tie(kind, value) = parser.get_next()) {
    if (kind == pqxx::array_parser::string_value) out.push_back(value);
  }
  return out;
}

ComplaintEventRecord EventFromRow(const pqxx::row& r) {
  ComplaintEventRecord e;
  e.id = r[0].as<int64_t>();
  e.complaint_id = r[1].as<std::string>();
  e.queue = r[2].as<std::string>();
  e.kind = static_cast<EventKind>(r[3].as<int>());
  e.actor = r[4].as<std::string>();
  e.occurred_at = absl::FromUnixMicros(r[5].as<int64_t>());
  const auto bk = TextArray(r[6]), bv = TextArray(r[7]), ak = TextArray(r[8]),
             av = TextArray(r[9]);
  for (size_t i = 0; i < bk.size() && i < bv.size(); ++i) e.before[bk[i]] = bv[i];
  for (size_t i = 0; i < ak.size() && i < av.size(); ++i) e.after[ak[i]] = av[i];
  e.detail = r[10].as<std::string>();
  return e;
}

FollowUpRecord FollowUpFromRow(const pqxx::row& r) {
  FollowUpRecord f;
  f.id = r[0].as<std::string>();
  f.complaint_id = r[1].as<std::string>();
  f.queue = r[2].as<std::string>();
  f.kind = r[3].as<int>();
  f.done = r[4].as<bool>();
  f.due_at = absl::FromUnixMicros(r[5].as<int64_t>());
  f.note = r[6].as<std::string>();
  f.outcome = r[7].as<std::string>();
  f.created_by = r[8].as<std::string>();
  f.created_at = absl::FromUnixMicros(r[9].as<int64_t>());
  f.completed_at = OptionalTime(r[10]);
  return f;
}

// Ids are UUIDs; anything else cannot exist (and must not reach a ::uuid cast).
bool LooksLikeUuid(const std::string& id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::Status NotFound(const char* field, const char* what) {
  return absl::NotFoundError(std::string(field) + ": " + what + " not found");
}

// The answer for a complaint that is missing: NOT_FOUND for callers who see
// every queue, the same denial as for another queue's complaint otherwise.
absl::Status Missing(const domain::QueueScope& scope, const char* field, const char* what) {
  return scope.all() ? NotFound(field, what) : domain::QueueScope::Denied();
}

std::string SecondsOrEmpty(const std::optional<absl::Duration>& d) {
  return d ? std::to_string(absl::ToInt64Seconds(*d)) : std::string();
}

std::string Bool(bool b) { return b ? "t" : "f"; }

// Runs prepared statement `name` with one array parameter per column.
template <size_t N>
void ExecWithArrays(pqxx::transaction_base& tx, const char* name,
                    const std::array<PgArrayBuilder, N>& columns) {
  std::apply([&](const auto&... c) { tx.exec_prepared(name, c.Build()...); }, columns);
}

// Writes `complaints` back, each with its business-time figures brought up
// to date, in one statement.
void UpdateComplaints(PooledConnection& conn, pqxx::transaction_base& tx,
                      std::span<Complaint> complaints) {
  std::optional<domain::SlaPolicies> policies;
  enum Column { kId, kStatus, kPriority, kQueue, kCategory, kAssignee, kUpdatedAt,
                kFirstResponseAt, kResolvedAt, kClosedAt, kFirstResponseDue, kResolutionDue,
                kPaused, kPausedAt, kPausedSeconds, kFirstResponseBreached,
                kResolutionBreached, kEscalation, kReopens, kResolutionCode, kVersion,
                kFirstResponseSeconds, kResolutionSeconds, kColumnCount };
  std::array<PgArrayBuilder, kColumnCount> col;
  for (Complaint& c : complaints) {
    if (domain::NeedsElapsed(c)) {
      if (!policies) policies = ReadPolicies(conn, tx);
      domain::RecordElapsed(c, *policies);
    }
    col[kId].Add(c.id);
    col[kStatus].Add(std::to_string(static_cast<int>(c.status)));
    col[kPriority].Add(std::to_string(static_cast<int>(c.priority)));
    col[kQueue].Add(c.queue);
    col[kCategory].Add(c.category);
    col[kAssignee].AddOrNull(c.assignee_id);
    col[kUpdatedAt].Add(PgTime(c.updated_at));
    col[kFirstResponseAt].AddOrNull(PgTimeOrEmpty(c.first_response_at));
    col[kResolvedAt].AddOrNull(PgTimeOrEmpty(c.resolved_at));
    col[kClosedAt].AddOrNull(PgTimeOrEmpty(c.closed_at));
    col[kFirstResponseDue].Add(PgTime(c.first_response_due_at));
    col[kResolutionDue].Add(PgTime(c.resolution_due_at));
    col[kPaused].Add(Bool(c.sla_paused));
    col[kPausedAt].AddOrNull(PgTimeOrEmpty(c.paused_at));
    col[kPausedSeconds].Add(std::to_string(absl::ToInt64Seconds(c.paused_business)));
    col[kFirstResponseBreached].Add(Bool(c.first_response_breached));
    col[kResolutionBreached].Add(Bool(c.resolution_breached));
    col[kEscalation].Add(std::to_string(c.escalation_level));
    col[kReopens].Add(std::to_string(c.reopen_count));
    col[kResolutionCode].AddOrNull(c.resolution_code);
    col[kVersion].Add(std::to_string(c.version));
    col[kFirstResponseSeconds].AddOrNull(SecondsOrEmpty(c.first_response_business));
    col[kResolutionSeconds].AddOrNull(SecondsOrEmpty(c.resolution_business));
  }
  conn.Prepare(kUpdateComplaints, kUpdateComplaintsSql);
  ExecWithArrays(tx, kUpdateComplaints, col);
}

void UpdateComplaint(PooledConnection& conn, pqxx::transaction_base& tx, Complaint& c) {
  UpdateComplaints(conn, tx, std::span<Complaint>(&c, 1));
}

// One audit event: what `kind` changed from `before` to `after`.
struct EventRecord {
  const Complaint* before;
  const Complaint* after;
  EventKind kind;
  std::string actor;
  absl::Time at;
  std::string detail;
};

void InsertEvents(PooledConnection& conn, pqxx::transaction_base& tx,
                  std::span<const EventRecord> events) {
  std::array<PgArrayBuilder, 8> col;
  for (const EventRecord& e : events) {
    auto [b, a] = domain::Diff(*e.before, *e.after);
    col[0].Add(e.after->id);
    col[1].Add(e.after->queue);
    col[2].Add(std::to_string(static_cast<int>(e.kind)));
    col[3].Add(e.actor);
    col[4].Add(PgTime(e.at));
    col[5].Add(JsonObject(b));
    col[6].Add(JsonObject(a));
    col[7].Add(e.detail);
  }
  conn.Prepare(kInsertEvents, kInsertEventsSql);
  ExecWithArrays(tx, kInsertEvents, col);
}

void InsertEvent(PooledConnection& conn, pqxx::transaction_base& tx, const Complaint& before,
                 const Complaint& after, EventKind kind, const std::string& actor, absl::Time at,
                 const std::string& detail) {
  const EventRecord e{&before, &after, kind, actor, at, detail};
  InsertEvents(conn, tx, std::span<const EventRecord>(&e, 1));
}

std::optional<Complaint> LockComplaint(PooledConnection& conn, pqxx::transaction_base& tx,
                                       const std::string& id) {
  if (!LooksLikeUuid(id)) return std::nullopt;
  static const std::string sql =
      std::string("SELECT ") + kColumns + " FROM complaints WHERE id = $1::uuid FOR UPDATE";
  conn.Prepare(kLockComplaint, sql.c_str());
  pqxx::result r = tx.exec_prepared(kLockComplaint, id);
  if (r.empty()) return std::nullopt;
  return ComplaintFromRow(r[0]);
}

FollowUpRecord InsertFollowUp(PooledConnection& conn, pqxx::transaction_base& tx,
                              const Complaint& c, int kind,
                              absl::Time due_at, const std::string& note,
                              const std::string& actor, absl::Time now) {
  FollowUpRecord f;
  f.id = domain::NewFeedbackId(now);
  f.complaint_id = c.id;
  f.queue = c.queue;
  f.kind = kind;
  f.due_at = due_at;
  f.note = note;
  f.created_by = actor;
  f.created_at = now;
  tx.exec_params(
      "INSERT INTO follow_ups (id, complaint_id, kind, due_at, note, created_by, created_at) "
      "VALUES ($1::uuid, $2::uuid, $3, $4::timestamptz, $5, $6, $7::timestamptz)",
      f.id, c.id, kind, PgTime(due_at), note, actor, PgTime(now));
  InsertEvent(conn, tx, c, c, EventKind::kFollowUpScheduled, actor, now, f.id);
  return f;
}

// "<micros>/<id>" cursors of keyset pagination.
std::string Cursor(absl::Time t, const std::string& id) {
  return std::to_string(absl::ToUnixMicros(t)) + "/" + id;
}
bool ParseCursor(const std::string& token, int64_t& micros, std::string& id) {
  const size_t slash = token.find('/');
  if (slash == std::string::npos) return false;
  id = token.substr(slash + 1);
  return absl::SimpleAtoi(token.substr(0, slash), &micros) && LooksLikeUuid(id);
}

}  // namespace

domain::SlaPolicies ReadPolicies(PooledConnection& conn, pqxx::transaction_base& tx) {
  domain::SlaPolicies policies;
  conn.Prepare(kReadPolicies,
               "SELECT priority, first_response_seconds, resolution_seconds, time_zone, "
               "array_to_string(open_minutes, ','), array_to_string(holidays, ',') "
               "FROM sla_policies");
  for (const auto& r : tx.exec_prepared(kReadPolicies)) {
    std::vector<domain::BusinessCalendar::Interval> open;
    std::vector<int> minutes;
    for (const auto& part : absl::StrSplit(r[4].as<std::string>(), ',', absl::SkipEmpty())) {
      int v = 0;
      if (absl::SimpleAtoi(part, &v)) minutes.push_back(v);
    }
    for (size_t i = 0; i + 2 < minutes.size(); i += 3) {
      open.push_back({minutes[i], minutes[i + 1], minutes[i + 2]});
    }
    std::set<absl::CivilDay> holidays;
    for (const auto& part : absl::StrSplit(r[5].as<std::string>(), ',', absl::SkipEmpty())) {
      absl::CivilDay day;
      if (absl::ParseCivilTime(part, &day)) holidays.insert(day);
    }
    const auto priority = static_cast<domain::Priority>(r[0].as<int>());
    absl::StatusOr<domain::BusinessCalendar> calendar =
        domain::BusinessCalendar::Create(r[3].as<std::string>(), open, holidays);
    policies[priority] = {priority, absl::Seconds(r[1].as<int64_t>()),
                          absl::Seconds(r[2].as<int64_t>()),
                          calendar.ok() ? *calendar : domain::BusinessCalendar::AlwaysOpen()};
  }
  return policies;
}

void InsertComplaints(PooledConnection& conn, pqxx::transaction_base& tx,
                      const std::vector<Complaint>& complaints, const std::string& actor,
                      const std::vector<ScoreRequest>& follow_up_of) {
  if (complaints.empty()) return;
  PgArrayBuilder id, status, priority, queue, category, channel, customer_id, phone, email, name,
      interaction_id, subject, description, created_at, fr_due, res_due, source, after;
  for (const Complaint& c : complaints) {
    id.Add(c.id);
    status.Add(std::to_string(static_cast<int>(c.status)));
    priority.Add(std::to_string(static_cast<int>(c.priority)));
    queue.Add(c.queue);
    category.Add(c.category);
    channel.Add(std::to_string(c.channel));
    customer_id.Add(c.customer.customer_id);
    phone.Add(c.customer.phone);
    email.Add(c.customer.email);
    name.Add(c.customer.display_name);
    interaction_id.Add(c.interaction_id);
    subject.Add(c.subject);
    description.Add(c.description);
    created_at.Add(PgTime(c.created_at));
    fr_due.Add(PgTime(c.first_response_due_at));
    res_due.Add(PgTime(c.resolution_due_at));
    source.Add(c.source_feedback_id);
    // The CREATED event lists the new complaint's fields against nothing.
    Complaint none;
    none.status = ComplaintStatus::kUnspecified;
    none.priority = domain::Priority::kUnspecified;
    none.created_at = c.created_at;
    after.Add(JsonObject(domain::Diff(none, c).second));
  }
  PgArrayBuilder key_ids, request_ids;
  for (const ScoreRequest& r : follow_up_of) {
    key_ids.Add(std::to_string(r.api_key_id));
    request_ids.Add(r.request_id);
  }
  conn.Prepare(kInsertComplaints, kInsertComplaintsSql);
  tx.exec_prepared(kInsertComplaints, id.Build(), status.Build(), priority.Build(), queue.Build(),
                   category.Build(), channel.Build(), customer_id.Build(), phone.Build(),
                   email.Build(), name.Build(), interaction_id.Build(), subject.Build(),
                   description.Build(), created_at.Build(), fr_due.Build(), res_due.Build(),
                   source.Build(), after.Build(), actor, key_ids.Build(), request_ids.Build());
}

absl::StatusOr<domain::SlaPolicies> ComplaintStore::LoadPolicies() {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<domain::SlaPolicies> {
    pqxx::read_transaction tx(conn.get());
    return ReadPolicies(conn, tx);
  });
}

absl::Status ComplaintStore::UpsertPolicy(const domain::SlaPolicy& policy,
                                          const std::string& actor) {
  PgArrayBuilder minutes, holidays;
  for (const auto& i : policy.calendar.open()) {
    minutes.Add(std::to_string(i.iso_weekday));
    minutes.Add(std::to_string(i.start_minute));
    minutes.Add(std::to_string(i.end_minute));
  }
  for (const absl::CivilDay& d : policy.calendar.holidays()) holidays.Add(absl::FormatCivilTime(d));
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::Status {
    pqxx::work tx(conn.get());
    tx.exec_params(
        "INSERT INTO sla_policies (priority, first_response_seconds, resolution_seconds, "
        "time_zone, open_minutes, holidays, updated_at) "
        "VALUES ($1, $2, $3, $4, $5::int[], $6::date[], now()) ON CONFLICT (priority) DO UPDATE "
        "SET first_response_seconds = excluded.first_response_seconds, "
        "resolution_seconds = excluded.resolution_seconds, time_zone = excluded.time_zone, "
        "open_minutes = excluded.open_minutes, holidays = excluded.holidays, updated_at = now()",
        static_cast<int>(policy.priority), absl::ToInt64Seconds(policy.first_response),
        absl::ToInt64Seconds(policy.resolution), policy.calendar.time_zone_name(),
        minutes.Build(), holidays.Build());
    InsertAdminAudit(tx, actor, "upsert_sla_policy",
                     "priority:" + std::string(domain::PriorityName(policy.priority)));
    tx.commit();
    return absl::OkStatus();
  });
}

absl::StatusOr<FiledComplaint> ComplaintStore::File(const FileRequest& request, Complaint draft,
                                                    const std::string& actor, absl::Time now) {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<FiledComplaint> {
    pqxx::work tx(conn.get());
    draft.id = domain::NewFeedbackId(now);
    const pqxx::result claimed = tx.exec_params(
        "INSERT INTO idempotency_keys (api_key_id, request_id, kind, payload_hash, received_at, "
        "complaint_id) VALUES ($1, $2, 4, decode($3, 'hex'), $4::timestamptz, $5::uuid) "
        "ON CONFLICT DO NOTHING RETURNING 1",
        request.api_key_id, request.request_id, domain::HexEncode(request.payload_hash),
        PgTime(now), draft.id);
    if (claimed.empty()) {
      const pqxx::result prior = tx.exec_params(
          "SELECT kind, encode(payload_hash, 'hex'), coalesce(complaint_id::text, '') "
          "FROM idempotency_keys WHERE api_key_id = $1 AND request_id = $2",
          request.api_key_id, request.request_id);
      if (prior.empty()) return absl::UnavailableError("request_id: concurrent submit, retry");
      if (prior[0][0].as<int>() != 4 ||
          prior[0][1].as<std::string>() != domain::HexEncode(request.payload_hash)) {
        return absl::AlreadyExistsError(
            "request_id: already used with a different payload; use a new request_id");
      }
      pqxx::result row = tx.exec_params(
          std::string("SELECT ") + kColumns + " FROM complaints WHERE id = $1::uuid",
          prior[0][2].as<std::string>());
      if (row.empty()) return absl::UnavailableError("request_id: concurrent submit, retry");
      return FiledComplaint{ComplaintFromRow(row[0]), true};
    }
    domain::StartSla(draft, ReadPolicies(conn, tx), now);
    InsertComplaints(conn, tx, {draft}, actor);
    tx.commit();
    return FiledComplaint{draft, false};
  });
}

absl::StatusOr<Complaint> ComplaintStore::Get(const domain::QueueScope& scope, const std::string& id) {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<Complaint> {
    if (!LooksLikeUuid(id)) return Missing(scope, "id", "complaint");
    pqxx::read_transaction tx(conn.get());
    pqxx::result r = tx.exec_params(
        std::string("SELECT ") + kColumns + " FROM complaints WHERE id = $1::uuid", id);
    if (r.empty()) return Missing(scope, "id", "complaint");
    Complaint c = ComplaintFromRow(r[0]);
    if (!scope.Allows(c.queue)) return domain::QueueScope::Denied();
    return c;
  });
}

absl::StatusOr<Page<Complaint>> ComplaintStore::List(const domain::QueueScope& scope, const ComplaintFilter& f, int page_size,
                                                     const std::string& page_token) {
  int64_t after_micros = 0;
  std::string after_id;
  if (!page_token.empty() && !ParseCursor(page_token, after_micros, after_id)) {
    return absl::InvalidArgumentError("page_token: is not valid");
  }
  if (!f.queue.empty() && !scope.Allows(f.queue)) return domain::QueueScope::Denied();
  PgArrayBuilder statuses, scope_queues;
  for (int s : f.statuses) statuses.Add(std::to_string(s));
  for (const auto& q : scope.queues()) scope_queues.Add(q);
  const std::string order_column = f.newest_first ? "created_at" : "resolution_due_at";
  const std::string sql =
      std::string("SELECT ") + kColumns + ", epoch_us(" + order_column +
      ") FROM complaints WHERE ($1 = '' OR queue = $1) "
      "AND (cardinality($2::smallint[]) = 0 OR status = ANY($2::smallint[])) "
      "AND ($3 = '' OR assignee_id = $3) AND ($4 = 0 OR priority = $4) "
      "AND ($5 = '' OR customer_id = $5) "
      "AND (NOT $6 OR first_response_breached OR resolution_breached) "
      "AND ($10 OR queue = ANY($11::text[])) "
      "AND ($7 = '' OR (" + order_column + ", id) " + (f.newest_first ? "<" : ">") +
      " (to_timestamp($8::bigint / 1000000.0), NULLIF($7, '')::uuid)) ORDER BY " +
      order_column +
      // Qualified: a bare "id" would mean the id::text output column.
      (f.newest_first ? " DESC, complaints.id DESC" : ", complaints.id") + " LIMIT $9";
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<Page<Complaint>> {
    pqxx::read_transaction tx(conn.get());
    pqxx::result rows = tx.exec_params(sql, f.queue, statuses.Build(), f.assignee_id,
                                       f.priority, f.customer_id, f.breached_only, after_id,
                                       after_micros, page_size + 1, scope.all(),
                                       scope_queues.Build());
    Page<Complaint> page;
    for (size_t i = 0; i < rows.size() && static_cast<int>(i) < page_size; ++i) {
      page.items.push_back(ComplaintFromRow(rows[i]));
    }
    if (static_cast<int>(rows.size()) > page_size) {
      const pqxx::row& last = rows[page_size - 1];
      page.next_page_token =
          Cursor(absl::FromUnixMicros(last[last.size() - 1].as<int64_t>()),  // the order column
                 last[0].as<std::string>());
    }
    return page;
  });
}

absl::StatusOr<Page<ComplaintEventRecord>> ComplaintStore::ListEvents(const domain::QueueScope& scope, 
    const std::string& complaint_id, int page_size, const std::string& page_token) {
  int64_t after = 0;
  if (!page_token.empty() && !absl::SimpleAtoi(page_token, &after)) {
    return absl::InvalidArgumentError("page_token: is not valid");
  }
  return RunWithConnection(
      pool_, [&](PooledConnection& conn) -> absl::StatusOr<Page<ComplaintEventRecord>> {
        if (!LooksLikeUuid(complaint_id)) return Missing(scope, "complaint_id", "complaint");
        pqxx::read_transaction tx(conn.get());
        const pqxx::result owner =
            tx.exec_params("SELECT queue FROM complaints WHERE id = $1::uuid", complaint_id);
        if (owner.empty()) return Missing(scope, "complaint_id", "complaint");
        if (!scope.Allows(owner[0][0].as<std::string>())) return domain::QueueScope::Denied();
        pqxx::result rows = tx.exec_params(
            std::string("SELECT ") + kEventColumns +
                " FROM complaint_events e WHERE e.complaint_id = $1::uuid AND e.id > $2 "
                "ORDER BY e.id LIMIT $3",
            complaint_id, after, page_size + 1);
        Page<ComplaintEventRecord> page;
        for (size_t i = 0; i < rows.size() && static_cast<int>(i) < page_size; ++i) {
          page.items.push_back(EventFromRow(rows[i]));
        }
        if (static_cast<int>(rows.size()) > page_size) {
          page.next_page_token = std::to_string(page.items.back().id);
        }
        return page;
      });
}

absl::StatusOr<std::vector<ComplaintEventRecord>> ComplaintStore::GetEvents(
    const std::vector<int64_t>& event_ids) {
  if (event_ids.empty()) return std::vector<ComplaintEventRecord>{};
  PgArrayBuilder ids;
  for (int64_t id : event_ids) ids.Add(std::to_string(id));
  return RunWithConnection(
      pool_, [&](PooledConnection& conn) -> absl::StatusOr<std::vector<ComplaintEventRecord>> {
        pqxx::read_transaction tx(conn.get());
        const pqxx::result rows = tx.exec_params(
            std::string("SELECT ") + kEventColumns +
                " FROM complaint_events e WHERE e.id = ANY ($1::bigint[]) ORDER BY e.id",
            ids.Build());
        std::vector<ComplaintEventRecord> events;
        events.reserve(rows.size());
        for (const auto& row : rows) events.push_back(EventFromRow(row));
        return events;
      });
}

absl::Status NothingToClaim() {
  return absl::NotFoundError("queues: no unassigned complaint waiting");
}

absl::StatusOr<Complaint> ComplaintStore::ClaimNext(const std::vector<std::string>& queues,
                                                    const std::string& agent, absl::Time now) {
  const ClaimRequest request{queues, agent};
  absl::StatusOr<std::vector<std::optional<Complaint>>> claimed =
      ClaimBatch(std::span<const ClaimRequest>(&request, 1), now);
  if (!claimed.ok()) return claimed.status();
  if (!claimed->front()) return NothingToClaim();
  return *std::move(claimed->front());
}

absl::StatusOr<std::vector<std::optional<Complaint>>> ComplaintStore::ClaimBatch(
    std::span<const ClaimRequest> claims, absl::Time now) {
  // Claims naming the same queues (in any order) share one query; groups in
  // the order of their first claim.
  std::vector<std::pair<std::vector<std::string>, std::vector<size_t>>> groups;
  std::map<std::vector<std::string>, size_t> group_of;
  for (size_t i = 0; i < claims.size(); ++i) {
    std::vector<std::string> queues = claims[i].queues;
    std::sort(queues.begin(), queues.end());
    queues.erase(std::unique(queues.begin(), queues.end()), queues.end());
    auto [it, added] = group_of.try_emplace(queues, groups.size());
    if (added) groups.emplace_back(std::move(queues), std::vector<size_t>{});
    groups[it->second].second.push_back(i);
  }
  using Claimed = std::vector<std::optional<Complaint>>;
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<Claimed> {
    pqxx::work tx(conn.get());
    // The first $2 of each queue in claim order (complaints_claim_idx: a
    // short index scan per queue, locking what it takes), then the best $2
    // of those. One scan over all the queues at once would sort every
    // waiting complaint of them on each claim.
    static const std::string sql =
        std::string("SELECT c.* FROM unnest($1::text[]) AS q(queue) "
                    "CROSS JOIN LATERAL (SELECT ") +
        kColumns +
        ", resolution_breached AS o1, first_response_breached AS o2, "
        "resolution_due_at AS o3, complaints.id AS o4 FROM complaints "
        "WHERE complaints.queue = q.queue AND assignee_id IS NULL AND status IN (1, 2) "
        "ORDER BY resolution_breached DESC, first_response_breached DESC, "
        "resolution_due_at, complaints.id LIMIT $2 FOR UPDATE SKIP LOCKED) AS c "
        "ORDER BY o1 DESC, o2 DESC, o3, o4 LIMIT $2";
    conn.Prepare(kClaimNext, sql.c_str());
    // Its generic plan is the right one for every list of queues and batch
    // size, but the planner, guessing the list is long, would plan each
    // call anew; and guessing the LIMIT takes a tenth of a queue, it would
    // JIT-compile every execution (~17 ms, for a query of ~0.3 ms).
    tx.exec("SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL jit = off");
    std::optional<domain::SlaPolicies> policies;
    Claimed out(claims.size());
    for (const auto& [queues, members] : groups) {
      PgArrayBuilder queue_array;
      for (const auto& q : queues) queue_array.Add(q);
      const pqxx::result rows =
          tx.exec_prepared(kClaimNext, queue_array.Build(), static_cast<int>(members.size()));
      // The most urgent complaint goes to the claim that came first.
      std::vector<Complaint> before, after;
      before.reserve(rows.size());
      after.reserve(rows.size());
      for (size_t k = 0; k < rows.size(); ++k) {
        Complaint c = ComplaintFromRow(rows[k]);
        before.push_back(c);
        c.assignee_id = claims[members[k]].agent;
        if (c.status == ComplaintStatus::kNew) {
          if (!policies) policies = ReadPolicies(conn, tx);
          if (absl::Status st =
                  domain::ApplyTransition(c, ComplaintStatus::kInProgress, "", *policies, now);
              !st.ok()) {
            return st;
          }
        }
        c.updated_at = now;
        ++c.version;
        after.push_back(std::move(c));
      }
      if (after.empty()) continue;
      // Written before the next group's query, which then passes them by.
      UpdateComplaints(conn, tx, after);
      std::vector<EventRecord> events;
      events.reserve(after.size());
      for (size_t k = 0; k < after.size(); ++k) {
        events.push_back({&before[k], &after[k], EventKind::kClaimed, claims[members[k]].agent,
                          now, ""});
      }
      InsertEvents(conn, tx, events);
      for (size_t k = 0; k < after.size(); ++k) out[members[k]] = std::move(after[k]);
    }
    tx.commit();
    return out;
  });
}

namespace {

struct NothingAfter {
  void operator()(PooledConnection&, pqxx::work&, const Complaint&) const {}
};

// Locks complaint `id`, checks `etag` (unless empty), applies `change`,
// writes the new version with its event and then runs `after` (work the
// change causes, recorded after it), all in one transaction.
template <typename Change, typename After = NothingAfter>
absl::StatusOr<Complaint> Modify(ConnectionPool& pool, const domain::QueueScope& scope,
                                 const std::string& id,
                                 const std::string& etag, EventKind kind,
                                 const std::string& actor, absl::Time now, Change change,
                                 After after = {}) {
  return RunWithConnection(pool, [&](PooledConnection& conn) -> absl::StatusOr<Complaint> {
    pqxx::work tx(conn.get());
    std::optional<Complaint> c = LockComplaint(conn, tx, id);
    if (!c) return Missing(scope, "id", "complaint");
    if (!scope.Allows(c->queue)) return domain::QueueScope::Denied();
    if (!etag.empty() && etag != std::to_string(c->version)) {
      return absl::AbortedError("etag: the complaint changed since it was read; read it again");
    }
    const Complaint before = *c;
    std::string detail;
    if (absl::Status st = change(conn, tx, *c, detail); !st.ok()) return st;
    c->updated_at = now;
    ++c->version;
    UpdateComplaint(conn, tx, *c);
    InsertEvent(conn, tx, before, *c, kind, actor, now, detail);
    after(conn, tx, *c);
    tx.commit();
    return *c;
  });
}

}  // namespace

absl::StatusOr<Complaint> ComplaintStore::Assign(const domain::QueueScope& scope, const std::string& id, const std::string& etag,
                                                 const std::string& assignee,
                                                 const std::string& actor, absl::Time now) {
  return Modify(pool_, scope, id, etag, EventKind::kAssigned, actor, now,
                [&](PooledConnection&, pqxx::work&, Complaint& c, std::string&) {
                  c.assignee_id = assignee;
                  return absl::OkStatus();
                });
}

absl::StatusOr<std::pair<NoteRecord, Complaint>> ComplaintStore::AddNote(const domain::QueueScope& scope, 
    const std::string& id, const std::string& body, bool is_public, const std::string& actor,
    absl::Time now) {
  NoteRecord note{domain::NewFeedbackId(now), id, actor, body, is_public, now};
  absl::StatusOr<Complaint> c = Modify(
      pool_, scope, id, "", EventKind::kNoteAdded, actor, now,
      [&](PooledConnection& conn, pqxx::work& tx, Complaint& c, std::string& detail) {
        tx.exec_params(
            "INSERT INTO complaint_notes (id, complaint_id, author, body, visibility, "
            "created_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::timestamptz)",
            note.id, c.id, actor, body, is_public ? 2 : 1, PgTime(now));
        domain::ApplyNote(c, is_public, now);
        detail = note.id;
        return absl::OkStatus();
      });
  if (!c.ok()) return c.status();
  return std::make_pair(note, *c);
}

absl::StatusOr<Complaint> ComplaintStore::Transition(const domain::QueueScope& scope, const std::string& id,
                                                     const std::string& etag,
                                                     ComplaintStatus to,
                                                     const std::string& resolution_code,
                                                     const std::string& note,
                                                     const std::string& actor, absl::Time now) {
  return Modify(
      pool_, scope, id, etag, EventKind::kTransitioned, actor, now,
      [&](PooledConnection& conn, pqxx::work& tx, Complaint& c, std::string& detail) {
        if (absl::Status st = domain::ApplyTransition(c, to, resolution_code, ReadPolicies(conn, tx), now);
            !st.ok()) {
          return st;
        }
        if (!note.empty()) {
          const std::string note_id = domain::NewFeedbackId(now);
          tx.exec_params(
              "INSERT INTO complaint_notes (id, complaint_id, author, body, visibility, "
              "created_at) VALUES ($1::uuid, $2::uuid, $3, $4, 1, $5::timestamptz)",
              note_id, c.id, actor, note, PgTime(now));
          detail = note_id;
        }
        return absl::OkStatus();
      },
      [&](PooledConnection& conn, pqxx::work& tx, const Complaint& c) {
        if (to == ComplaintStatus::kResolved) {
          // Ask the customer how the complaint was handled.
          InsertFollowUp(conn, tx, c, 3, now + kSurveyDelay, "resolution survey", actor, now);
        }
      });
}

absl::StatusOr<Complaint> ComplaintStore::Escalate(const domain::QueueScope& scope, const std::string& id, const std::string& etag,
                                                   const std::string& reason,
                                                   const std::string& actor, absl::Time now) {
  return Modify(pool_, scope, id, etag, EventKind::kEscalated, actor, now,
                [&](PooledConnection& conn, pqxx::work& tx, Complaint& c, std::string& detail) {
                  if (c.status == ComplaintStatus::kClosed) {
                    return absl::FailedPreconditionError(
                        "id: a CLOSED complaint cannot be escalated");
                  }
                  domain::ApplyEscalation(c, ReadPolicies(conn, tx));
                  detail = reason;
                  return absl::OkStatus();
                });
}

absl::StatusOr<FollowUpRecord> ComplaintStore::ScheduleFollowUp(const domain::QueueScope& scope, 
    const std::string& complaint_id, int kind, absl::Time due_at, const std::string& note,
    const std::string& actor, absl::Time now) {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<FollowUpRecord> {
    pqxx::work tx(conn.get());
    std::optional<Complaint> c = LockComplaint(conn, tx, complaint_id);
    if (!c) return Missing(scope, "complaint_id", "complaint");
    if (!scope.Allows(c->queue)) return domain::QueueScope::Denied();
    FollowUpRecord f = InsertFollowUp(conn, tx, *c, kind, due_at, note, actor, now);
    tx.commit();
    return f;
  });
}

absl::StatusOr<FollowUpRecord> ComplaintStore::CompleteFollowUp(const domain::QueueScope& scope, const std::string& id,
                                                                const std::string& outcome,
                                                                const std::string& actor,
                                                                absl::Time now) {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<FollowUpRecord> {
    if (!LooksLikeUuid(id)) return Missing(scope, "follow_up_id", "follow-up");
    pqxx::work tx(conn.get());
    pqxx::result r = tx.exec_params(
        std::string("SELECT ") + kFollowUpColumns +
            " FROM follow_ups f JOIN complaints c ON c.id = f.complaint_id "
            "WHERE f.id = $1::uuid FOR UPDATE OF f",
        id);
    if (r.empty()) return Missing(scope, "follow_up_id", "follow-up");
    FollowUpRecord f = FollowUpFromRow(r[0]);
    if (!scope.Allows(f.queue)) return domain::QueueScope::Denied();
    if (f.done) return absl::FailedPreconditionError("follow_up_id: already completed");
    f.done = true;
    f.outcome = outcome;
    f.completed_at = now;
    tx.exec_params(
        "UPDATE follow_ups SET status = 2, outcome = $2, completed_at = $3::timestamptz "
        "WHERE id = $1::uuid",
        f.id, outcome, PgTime(now));
    std::optional<Complaint> c = LockComplaint(conn, tx, f.complaint_id);
    if (c) InsertEvent(conn, tx, *c, *c, EventKind::kFollowUpCompleted, actor, now, f.id);
    tx.commit();
    return f;
  });
}

absl::StatusOr<Page<FollowUpRecord>> ComplaintStore::ListFollowUps(const domain::QueueScope& scope, const FollowUpFilter& filter,
                                                                   int page_size,
                                                                   const std::string& page_token,
                                                                   absl::Time now) {
  int64_t after_micros = 0;
  std::string after_id;
  if (!page_token.empty() && !ParseCursor(page_token, after_micros, after_id)) {
    return absl::InvalidArgumentError("page_token: is not valid");
  }
  if (!filter.complaint_id.empty() && !LooksLikeUuid(filter.complaint_id)) {
    return Page<FollowUpRecord>{};
  }
  if (!filter.queue.empty() && !scope.Allows(filter.queue)) return domain::QueueScope::Denied();
  PgArrayBuilder scope_queues;
  for (const auto& q : scope.queues()) scope_queues.Add(q);
  return RunWithConnection(
      pool_, [&](PooledConnection& conn) -> absl::StatusOr<Page<FollowUpRecord>> {
        pqxx::read_transaction tx(conn.get());
        pqxx::result rows = tx.exec_params(
            std::string("SELECT ") + kFollowUpColumns +
                " FROM follow_ups f JOIN complaints c ON c.id = f.complaint_id "
                "WHERE ($1 = '' OR f.complaint_id = NULLIF($1, '')::uuid) "
                "AND ($2 = '' OR c.queue = $2) AND (NOT $3 OR f.status = 1) "
                "AND ($9 OR c.queue = ANY($10::text[])) "
                "AND (NOT $4 OR (f.status = 1 AND f.due_at < $5::timestamptz)) "
                "AND ($6 = '' OR (f.due_at, f.id) > "
                "(to_timestamp($7::bigint / 1000000.0), NULLIF($6, '')::uuid)) "
                "ORDER BY f.due_at, f.id LIMIT $8",
            filter.complaint_id, filter.queue, filter.pending_only, filter.overdue_only,
            PgTime(now), after_id, after_micros, page_size + 1, scope.all(),
            scope_queues.Build());
        Page<FollowUpRecord> page;
        for (size_t i = 0; i < rows.size() && static_cast<int>(i) < page_size; ++i) {
          page.items.push_back(FollowUpFromRow(rows[i]));
        }
        if (static_cast<int>(rows.size()) > page_size) {
          page.next_page_token = Cursor(page.items.back().due_at, page.items.back().id);
        }
        return page;
      });
}

namespace {

// The system's own changes: locks the complaints `select` returns (rows
// other replicas hold are skipped), applies `apply` to each and writes those
// it changed with an event of `kind` by "system", in one transaction.
// `apply` returns the event detail, or nullopt for "no change".
template <typename Apply>
absl::StatusOr<int> ChangeLockedBySystem(ConnectionPool& pool, const std::string& select,
                                         const std::string& at, int limit, EventKind kind,
                                         absl::Time now, Apply apply) {
  return RunWithConnection(pool, [&](PooledConnection& conn) -> absl::StatusOr<int> {
    pqxx::work tx(conn.get());
    const pqxx::result rows = tx.exec_params(
        std::string("SELECT ") + kColumns + " FROM complaints " + select +
            " LIMIT $2 FOR UPDATE SKIP LOCKED",
        at, limit);
    if (rows.empty()) return 0;
    const domain::SlaPolicies policies = ReadPolicies(conn, tx);
    // All changes in one UPDATE and one event INSERT: the complaint
    // triggers then run once per chunk, not once per complaint.
    std::vector<Complaint> before, after;
    std::vector<std::string> details;
    before.reserve(rows.size());
    after.reserve(rows.size());
    details.reserve(rows.size());
    for (const auto& row : rows) {
      Complaint c = ComplaintFromRow(row);
      Complaint original = c;
      std::optional<std::string> detail = apply(c, policies);
      if (!detail) continue;
      ++c.version;
      before.push_back(std::move(original));
      after.push_back(std::move(c));
      details.push_back(*std::move(detail));
    }
    if (after.empty()) return 0;
    UpdateComplaints(conn, tx, after);
    std::vector<EventRecord> events;
    events.reserve(after.size());
    for (size_t k = 0; k < after.size(); ++k) {
      events.push_back({&before[k], &after[k], kind, "system", now, details[k]});
    }
    InsertEvents(conn, tx, events);
    tx.commit();
    return static_cast<int>(after.size());
  });
}

}  // namespace

absl::StatusOr<int> ComplaintStore::MarkBreaches(absl::Time now, int limit) {
  return ChangeLockedBySystem(
      pool_,
      // Each target's candidates from its own partial index (an OR of the
      // two walked every open complaint, breached ones included: 0.4 s per
      // pass at 300k open complaints).
      "WHERE id IN ("
      "(SELECT id FROM complaints WHERE first_response_at IS NULL AND "
      "NOT first_response_breached AND status < 4 AND first_response_due_at < $1::timestamptz "
      "ORDER BY first_response_due_at LIMIT $2) UNION ALL "
      "(SELECT id FROM complaints WHERE status < 4 AND NOT sla_paused AND "
      "NOT resolution_breached AND resolution_due_at < $1::timestamptz "
      "ORDER BY resolution_due_at LIMIT $2)) "
      "AND status < 4 AND ("
      "(first_response_at IS NULL AND NOT first_response_breached AND "
      "first_response_due_at < $1::timestamptz) OR "
      "(NOT sla_paused AND NOT resolution_breached AND resolution_due_at < $1::timestamptz)) "
      "ORDER BY resolution_due_at",
      PgTime(now), limit, EventKind::kSlaBreached, now,
      [&](Complaint& c, const domain::SlaPolicies& policies) -> std::optional<std::string> {
        const std::vector<std::string> breaches = domain::ApplyBreaches(c, policies, now);
        if (breaches.empty()) return std::nullopt;
        std::string detail;
        for (const auto& b : breaches) detail += (detail.empty() ? "" : ",") + b;
        return detail;
      });
}

absl::StatusOr<int> ComplaintStore::AutoClose(absl::Time resolved_before, absl::Time now,
                                              int limit) {
  return ChangeLockedBySystem(
      pool_, "WHERE status = 4 AND resolved_at < $1::timestamptz ORDER BY resolved_at",
      PgTime(resolved_before), limit, EventKind::kAutoClosed, now,
      [&](Complaint& c, const domain::SlaPolicies& policies) -> std::optional<std::string> {
        if (!domain::ApplyTransition(c, ComplaintStatus::kClosed, "", policies, now).ok()) {
          return std::nullopt;
        }
        return std::string();
      });
}

}  // namespace feedback::storage
