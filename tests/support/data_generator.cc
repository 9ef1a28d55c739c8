#include "tests/support/data_generator.h"

#include <pqxx/connection>
#include <pqxx/stream_to>
#include <pqxx/transaction>

#include <array>
#include <random>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "domain/ids.h"
#include "storage/connection_pool.h"
#include "storage/pg_format.h"
#include "storage/fold/folder.h"

namespace feedback::testing {
namespace {

// Complaints in every state, with SLA outcomes, times and reopens that
// follow from their (random) history. Business time is taken as wall time.
constexpr char kComplaintsSql[] = R"sql(
INSERT INTO complaints (id, status, priority, queue, category, channel, customer_id, subject,
  assignee_id, created_at, updated_at, first_response_at, resolved_at, closed_at,
  first_response_due_at, resolution_due_at, first_response_breached, resolution_breached,
  escalation_level, reopen_count, first_response_seconds, resolution_seconds)
SELECT gen_random_uuid(), status, priority, queue, category, channel, customer_id, 'Generated',
  CASE WHEN status = 1 THEN NULL ELSE assignee END, created, created,
  CASE WHEN responded THEN created + fr * interval '1 second' END,
  CASE WHEN status IN (4, 5) THEN created + res * interval '1 second' END,
  CASE WHEN status = 5 THEN created + res * interval '1 second' + interval '7 days' END,
  created + interval '4 hours', created + interval '3 days',
  NOT responded AND created + interval '4 hours' < $4::timestamptz,
  status < 4 AND created + interval '3 days' < $4::timestamptz,
  CASE WHEN r5 < 0.1 THEN 1 ELSE 0 END, CASE WHEN r5 > 0.95 THEN 1 ELSE 0 END,
  CASE WHEN responded THEN fr::bigint END, CASE WHEN status IN (4, 5) THEN res::bigint END
FROM (
  SELECT *, status <> 1 AS responded
  FROM (
    -- Resolved more than 7 days before the end: closed, as the SLA worker
    -- would have done (--auto_close_days).
    SELECT *, CASE WHEN drawn = 4 AND created + res * interval '1 second' + interval '7 days'
                                      < $4::timestamptz THEN 5 ELSE drawn END AS status
    FROM (
    SELECT
      CASE WHEN r1 < 0.10 THEN 1 WHEN r1 < 0.25 THEN 2 WHEN r1 < 0.30 THEN 3
           WHEN r1 < 0.90 THEN 4 ELSE 5 END AS drawn,
      1 + floor(r2 * 4)::int AS priority,
      (ARRAY['general', 'billing', 'vip'])[1 + floor(r3 * 3)::int] AS queue,
      (ARRAY['delivery', 'billing', 'product', 'service'])[1 + floor(r4 * 4)::int] AS category,
      1 + floor(r2 * 6)::int AS channel,
      'cust-' || floor(r7 * $2)::int AS customer_id,
      'agent-' || floor(r8 * $3)::int AS assignee,
      $4::timestamptz - r9 * $5 * interval '1 day' AS created,
      floor(exp(r3 * 11))::bigint AS fr,
      floor(exp(r3 * 11) + exp(r4 * 13))::bigint AS res,
      r5
    FROM (SELECT random() r1, random() r2, random() r3, random() r4, random() r5, random() r6,
                 random() r7, random() r8, random() r9
          FROM generate_series(1, $1)) g
    ) d
  ) s
) t)sql";

// A third of the resolved customers rate the resolution (CSAT naming the
// complaint), mostly satisfied.
constexpr char kResolutionRatingsSql[] = R"sql(
INSERT INTO feedback (id, kind, score, channel, customer_id, complaint_id, api_key_id,
                      occurred_at, received_at)
SELECT gen_random_uuid(), 1, CASE WHEN r < 0.2 THEN 5 WHEN r < 0.25 THEN 4 ELSE 2 END, channel,
       customer_id, id::text, 1, resolved_at, resolved_at
FROM (SELECT *, random() AS r FROM complaints WHERE resolved_at IS NOT NULL) c
WHERE r < 0.33)sql";

}  // namespace

absl::Status GenerateData(const std::string& database_url, const GeneratorOptions& o) {
  try {
    pqxx::connection conn(database_url);
    std::mt19937_64 rng(o.seed);
    std::uniform_real_distribution<double> unit(0, 1);
    const int64_t span_us = absl::ToInt64Microseconds(absl::Hours(24) * o.days);
    // CSAT mostly 4-5, NPS spread like real answers.
    const std::array<double, 5> csat_weights = {0.06, 0.06, 0.12, 0.30, 0.46};
    std::discrete_distribution<int> csat(csat_weights.begin(), csat_weights.end());
    const std::array<double, 11> nps_weights = {2, 1, 1, 2, 2, 4, 6, 12, 16, 24, 30};
    std::discrete_distribution<int> nps(nps_weights.begin(), nps_weights.end());
    const std::array<const char*, 3> queues = {"general", "billing", "vip"};
    const std::vector<std::string> columns = {"id",       "kind",     "score",  "channel",
                                              "customer_id", "agent_id", "queue", "api_key_id",
                                              "occurred_at", "received_at"};
    for (int64_t done = 0; done < o.feedback_rows;) {
      const int64_t n = std::min(o.chunk, o.feedback_rows - done);
      pqxx::work tx(conn);
      pqxx::stream_to copy(tx, "feedback", columns);
      for (int64_t i = 0; i < n; ++i) {
        const absl::Time at =
            o.end - absl::Microseconds(static_cast<int64_t>(unit(rng) * static_cast<double>(span_us)));
        const bool is_nps = unit(rng) < 0.3;
        const int score = is_nps ? nps(rng) : 1 + csat(rng);
        const std::string when = storage::PgTime(at);
        copy << std::make_tuple(
            domain::NewFeedbackId(at), is_nps ? 2 : 1, score, 1 + static_cast<int>(unit(rng) * 6),
            absl::StrCat("cust-", static_cast<int>(unit(rng) * o.customers)),
            absl::StrCat("agent-", static_cast<int>(unit(rng) * o.agents)),
            std::string(queues[static_cast<size_t>(unit(rng) * 3)]), 1, when, when);
      }
      copy.complete();
      tx.commit();
      done += n;
    }
    if (o.complaints > 0) {
      pqxx::work tx(conn);
      tx.exec_params("SELECT setseed($1)", static_cast<double>(o.seed % 1000) / 1000.0);
      tx.exec_params(kComplaintsSql, o.complaints, o.customers, o.agents, storage::PgTime(o.end),
                     o.days);
      tx.exec(kResolutionRatingsSql);
      tx.commit();
    }
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("generating data: ", e.what()));
  }
  storage::ConnectionPool pool({database_url, 1});
  // Folded as a server would fold it.
  absl::StatusOr<int64_t> folded = storage::fold::Folder(pool).CatchUp(absl::Seconds(60));
  return folded.ok() ? absl::OkStatus() : folded.status();
}

}  // namespace feedback::testing
