#include "storage/report_store.h"

#include <pqxx/result>
#include <pqxx/transaction>

#include "storage/pg_array.h"
#include "storage/pg_format.h"
#include "storage/pg_status.h"

namespace feedback::storage {
namespace {

// The rollup as a recount of the raw rows would produce it.
constexpr char kRecount[] = R"sql(
SELECT date_bin('15 minutes', occurred_at, timestamptz '2000-01-01 00:00:00+00') AS slot, kind,
       channel, coalesce(agent_id, '') AS agent_id, coalesce(queue, '') AS queue, score,
       count(*)::bigint AS responses
FROM feedback GROUP BY 1, 2, 3, 4, 5, 6)sql";

bool Has(const domain::ReportQuery& q, domain::Dimension d) {
  return std::find(q.group_by.begin(), q.group_by.end(), d) != q.group_by.end();
}

}  // namespace

template <typename Add>
absl::Status ReportStore::Counts(const domain::ReportQuery& q, int kind, Add add) {
  std::string bucket = "$2::timestamptz";
  switch (q.bucket) {
    case domain::Bucket::kDay: bucket = "date_trunc('day', slot, $7)"; break;
    case domain::Bucket::kWeek: bucket = "date_trunc('week', slot, $7)"; break;
    case domain::Bucket::kMonth: bucket = "date_trunc('month', slot, $7)"; break;
    case domain::Bucket::kNone: break;
  }
  const bool by_channel = Has(q, domain::Dimension::kChannel);
  const bool by_agent = Has(q, domain::Dimension::kAgent);
  const bool by_queue = Has(q, domain::Dimension::kQueue);
  const std::string sql =
      "SELECT epoch_us(" + bucket + "), " + (by_channel ? "channel" : "0") + ", " +
      (by_agent ? "agent_id" : "''") + ", " + (by_queue ? "queue" : "''") +
      ", score, sum(responses)::bigint FROM feedback_rollup "
      "WHERE kind = $1 AND slot >= $2::timestamptz AND slot < $3::timestamptz "
      "AND (cardinality($4::smallint[]) = 0 OR channel = ANY($4::smallint[])) "
      "AND (cardinality($5::text[]) = 0 OR queue = ANY($5::text[])) "
      "AND (cardinality($6::text[]) = 0 OR agent_id = ANY($6::text[])) "
      // $7, the zone, is bound even when the bucket does not use it.
      "AND $7::text IS NOT NULL GROUP BY 1, 2, 3, 4, 5";
  PgArrayBuilder channels, queues, agents;
  for (int c : q.channels) channels.Add(std::to_string(c));
  for (const auto& v : q.queues) queues.Add(v);
  for (const auto& v : q.agent_ids) agents.Add(v);
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::Status {
    pqxx::read_transaction tx(conn.get());
    const pqxx::result rows =
        tx.exec_params(sql, kind, PgTime(q.start), PgTime(q.end), channels.Build(),
                       queues.Build(), agents.Build(), q.time_zone);
    for (const auto& r : rows) {
      ReportKey key{absl::FromUnixMicros(r[0].as<int64_t>()), r[1].as<int>(),
                    r[2].as<std::string>(), r[3].as<std::string>()};
      add(key, r[4].as<int>(), r[5].as<int64_t>());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::map<ReportKey, domain::CsatStats>> ReportStore::Satisfaction(
    const domain::ReportQuery& query) {
  std::map<ReportKey, domain::CsatStats> out;
  absl::Status st = Counts(query, 1, [&](const ReportKey& key, int score, int64_t n) {
    if (score >= 1 && score <= 5) out[key].counts[score - 1] += n;
  });
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<std::map<ReportKey, domain::NpsStats>> ReportStore::Nps(
    const domain::ReportQuery& query) {
  std::map<ReportKey, domain::NpsStats> out;
  absl::Status st = Counts(query, 2, [&](const ReportKey& key, int score, int64_t n) {
    if (score >= 0 && score <= 10) out[key].counts[score] += n;
  });
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<int64_t> ReportStore::RebuildRollup() {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<int64_t> {
    pqxx::work tx(conn.get());
    tx.exec("LOCK TABLE feedback IN SHARE MODE");  // writers wait; readers go on
    tx.exec("LOCK TABLE feedback_rollup IN EXCLUSIVE MODE");
    tx.exec("DELETE FROM feedback_rollup");
    const pqxx::result r = tx.exec(
        std::string("INSERT INTO feedback_rollup (slot, kind, channel, agent_id, queue, score, "
                    "responses) ") + kRecount);
    tx.commit();
    return static_cast<int64_t>(r.affected_rows());
  });
}

absl::StatusOr<int64_t> ReportStore::CheckRollup() {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<int64_t> {
    pqxx::read_transaction tx(conn.get());
    const pqxx::result r = tx.exec(
        std::string("WITH recount AS (") + kRecount +
        "), stored AS (SELECT slot, kind, channel, agent_id, queue, score, responses "
        "FROM feedback_rollup) SELECT count(*) FROM ("
        "(SELECT * FROM recount EXCEPT ALL SELECT * FROM stored) UNION ALL "
        "(SELECT * FROM stored EXCEPT ALL SELECT * FROM recount)) d");
    return r[0][0].as<int64_t>();
  });
}

}  // namespace feedback::storage
