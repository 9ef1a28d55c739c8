#include "storage/report_store.h"

#include <pqxx/result>
#include <pqxx/transaction>

#include <optional>
#include <set>
#include <tuple>

#include "absl/time/civil_time.h"

#include "storage/pg_array.h"
#include "storage/pg_format.h"
#include "storage/pg_status.h"

namespace feedback::storage {
namespace {

bool Has(const domain::ReportQuery& q, domain::Dimension d) {
  return std::find(q.group_by.begin(), q.group_by.end(), d) != q.group_by.end();
}

// The local bucket start of `column` ($7 is the zone, $2 the range start).
std::string BucketOf(const domain::ReportQuery& q, const std::string& column) {
  switch (q.bucket) {
    case domain::Bucket::kDay: return "date_trunc('day', " + column + ", $7)";
    case domain::Bucket::kWeek: return "date_trunc('week', " + column + ", $7)";
    case domain::Bucket::kMonth: return "date_trunc('month', " + column + ", $7)";
    case domain::Bucket::kNone: break;
  }
  return "$2::timestamptz";
}

// A complaint report's group key of each row, joined as k (for FROM
// <table>), from the row's `bucket` and `assignee` expressions;
// kComplaintKey selects it.
std::string ComplaintKeyJoin(const domain::ReportQuery& q, const std::string& bucket,
                             const std::string& assignee) {
  return ", LATERAL (SELECT " + bucket + ", " +
         (Has(q, domain::Dimension::kChannel) ? "channel" : "0") + ", " +
         (Has(q, domain::Dimension::kAgent) ? assignee : "''") + ", " +
         (Has(q, domain::Dimension::kQueue) ? "queue" : "''") + ", " +
         (Has(q, domain::Dimension::kCategory) ? "category" : "''") +
         ") AS k(kb, kchannel, kagent, kqueue, kcategory) ";
}
constexpr char kComplaintKey[] = "epoch_us(k.kb), k.kchannel, k.kagent, k.kqueue, k.kcategory";

// Filters $4 channels, $5 queues, $6 agents ($7 bound even when unused).
std::string FilterClause(const std::string& agent_column) {
  return " AND (cardinality($4::smallint[]) = 0 OR channel = ANY($4::smallint[])) "
         "AND (cardinality($5::text[]) = 0 OR queue = ANY($5::text[])) "
         "AND (cardinality($6::text[]) = 0 OR " + agent_column + " = ANY($6::text[])) "
         "AND $7::text IS NOT NULL ";
}

ReportKey KeyFromRow(const pqxx::row& r) {
  return ReportKey{absl::FromUnixMicros(r[0].as<int64_t>()), r[1].as<int>(),
                   r[2].as<std::string>(), r[3].as<std::string>(), r[4].as<std::string>()};
}

// The filter arrays of a query.
struct FilterArrays {
  explicit FilterArrays(const domain::ReportQuery& q) {
    PgArrayBuilder c, qs, a;
    for (int v : q.channels) c.Add(std::to_string(v));
    for (const auto& v : q.queues) qs.Add(v);
    for (const auto& v : q.agent_ids) a.Add(v);
    channels = c.Build();
    queues = qs.Build();
    agents = a.Build();
  }
  std::string channels, queues, agents;
};

}  // namespace

namespace {

bool IsLocalMidnight(absl::Time t, absl::TimeZone zone) {
  return absl::FromCivil(absl::CivilSecond(absl::ToCivilDay(t, zone)), zone) == t;
}

// The grouping set of feedback_daily / complaint_daily (1 channel, 2 agent,
// 4 queue, 8 category) that answers `q`, when one does: whole local days
// in q's zone, at most one dimension grouped by or filtered on. Whether the
// zone is a report zone is asked of the database.
std::optional<int> DailyDims(const domain::ReportQuery& q) {
  int dims = 0;
  if (Has(q, domain::Dimension::kChannel) || !q.channels.empty()) dims |= 1;
  if (Has(q, domain::Dimension::kAgent) || !q.agent_ids.empty()) dims |= 2;
  if (Has(q, domain::Dimension::kQueue) || !q.queues.empty()) dims |= 4;
  // Category (8) exists in the complaint rollups only.
  if (Has(q, domain::Dimension::kCategory)) dims |= 8;
  if (dims != 0 && dims != 1 && dims != 2 && dims != 4 && dims != 8) return std::nullopt;
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(q.time_zone, &zone)) return std::nullopt;
  if (!IsLocalMidnight(q.start, zone) || !IsLocalMidnight(q.end, zone)) return std::nullopt;
  return dims;
}

std::string LocalDate(absl::Time t, const std::string& zone_name) {
  absl::TimeZone zone;
  absl::LoadTimeZone(zone_name, &zone);
  return absl::FormatCivilTime(absl::ToCivilDay(t, zone));
}

// The bucket of a daily row's local `day` in zone $7 ($9 is the range start,
// the one bucket of kNone).
std::string DailyBucket(const domain::ReportQuery& q) {
  switch (q.bucket) {
    case domain::Bucket::kDay: return "(day::timestamp AT TIME ZONE $7)";
    case domain::Bucket::kWeek: return "(date_trunc('week', day::timestamp) AT TIME ZONE $7)";
    case domain::Bucket::kMonth: return "(date_trunc('month', day::timestamp) AT TIME ZONE $7)";
    case domain::Bucket::kNone: break;
  }
  return "$9::timestamptz";
}

// The whole local weeks (from Monday) or months of a report by week or
// month: the periods starting on `first` up to `last` (exclusive; equal
// when there is none) and their grain in complaint_time_period.
struct WholePeriods {
  absl::CivilDay first, last;
  std::string grain;
};
std::optional<WholePeriods> WholePeriodsOf(const domain::ReportQuery& q) {
  if (q.bucket != domain::Bucket::kWeek && q.bucket != domain::Bucket::kMonth) return std::nullopt;
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(q.time_zone, &zone)) return std::nullopt;
  const absl::CivilDay from = absl::ToCivilDay(q.start, zone);
  const absl::CivilDay to = absl::ToCivilDay(q.end, zone);
  WholePeriods p;
  if (q.bucket == domain::Bucket::kWeek) {
    p.first = absl::NextWeekday(from - 1, absl::Weekday::monday);  // the first Monday >= from
    p.last = absl::PrevWeekday(to + 1, absl::Weekday::monday);     // the last Monday <= to
    p.grain = "w";
  } else {
    p.first = from.day() == 1 ? from : absl::CivilDay(absl::CivilMonth(from) + 1);
    p.last = absl::CivilDay(absl::CivilMonth(to));
    p.grain = "m";
  }
  if (p.first >= p.last) p.first = p.last = to;
  return p;
}

// Whether `zone` has daily rollups.
bool IsReportZone(pqxx::transaction_base& tx, const std::string& zone) {
  return tx.exec_params("SELECT 1 FROM report_zones WHERE zone = $1", zone).size() == 1;
}

}  // namespace

namespace {

// The highest xid8: "no end" for a window of the tail.
#define NO_END "'18446744073709551615'"

// The watermark of the report's snapshot: facts of transactions at or past
// it are not folded yet, and every report adds them from the facts. JIT is
// off: the tail's functions look costly to the planner, and compiling them
// took longer than running the report.
std::string Watermark(pqxx::transaction_base& tx) {
  tx.exec("SET LOCAL jit = off");
  return tx.exec("SELECT watermark::text FROM fold_state")[0][0].as<std::string>();
}

// A report's one snapshot.
using ReportTransaction = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

// The whole 15-minute slots of [start, end), as [first, second); empty
// (both `end`) when there is none, so [start, first) and [second, end) are
// the partial slots at the edges and never overlap.
std::pair<absl::Time, absl::Time> WholeSlots(absl::Time start, absl::Time end) {
  const absl::Time first = domain::SlotCeil(start), last = domain::SlotFloor(end);
  if (first >= last) return {end, end};
  return {first, last};
}

}  // namespace

template <typename Stats>
absl::StatusOr<std::map<ReportKey, Stats>> ReportStore::Counts(const domain::ReportQuery& q,
                                                              int kind, int lowest_score) {
  constexpr size_t kScores = std::tuple_size_v<decltype(Stats::counts)>;
  const bool by_channel = Has(q, domain::Dimension::kChannel);
  const bool by_agent = Has(q, domain::Dimension::kAgent);
  const bool by_queue = Has(q, domain::Dimension::kQueue);
  // One row per bucket and group with a count per score (a row per score
  // made a 365-day per-agent report read five or eleven times the rows).
  // The rows are summed per slot or day first and bucketed after: the
  // bucket's epoch (numeric arithmetic) per stored row was most of the
  // query's time.
  const std::string keys = std::string(by_channel ? "channel" : "0") + " AS channel, " +
                           (by_agent ? "agent_id" : "''") + " AS agent_id, " +
                           (by_queue ? "queue" : "''") + " AS queue";
  std::string per_score, sums;
  for (size_t i = 0; i < kScores; ++i) {
    const std::string n = std::to_string(i);
    per_score += ", coalesce(sum(responses) FILTER (WHERE score = " +
                 std::to_string(lowest_score + static_cast<int>(i)) + "), 0) AS n" + n;
    sums += ", sum(n" + n + ")::bigint";
  }
  auto bucketed = [&](const std::string& time_column, const std::string& bucket,
                      const std::string& rows) {
    return "SELECT epoch_us(" + bucket + "), channel, agent_id, queue" + sums + " FROM (SELECT " +
           time_column + ", " + keys + per_score + " FROM (" + rows + ") s WHERE true" +
           FilterClause("agent_id") + " GROUP BY 1, 2, 3, 4) g GROUP BY 1, 2, 3, 4";
  };
  // The folded whole slots of the range ($9 to $10) and the tail's scores
  // in them ($8 the watermark); the scores of the partial slots at its
  // edges ($2 to $9, $10 to $3), folded or not, from the facts.
  const std::string slot_sql = bucketed(
      "slot", BucketOf(q, "slot"),
      "SELECT slot, channel, agent_id, queue, score, responses FROM score_slots "
      "WHERE kind = $1 AND slot >= $9::timestamptz AND slot < $10::timestamptz "
      "UNION ALL "
      "SELECT report_slot(f.occurred_at), f.channel, coalesce(f.agent_id, ''), "
      "coalesce(f.queue, ''), f.score, 1 FROM feedback f "
      "WHERE f.fold_xid >= $8::xid8 AND f.kind = $1 AND f.occurred_at >= $9::timestamptz "
      "AND f.occurred_at < $10::timestamptz "
      "UNION ALL "
      "SELECT report_slot(f.occurred_at), f.channel, coalesce(f.agent_id, ''), "
      "coalesce(f.queue, ''), f.score, 1 FROM feedback f "
      "WHERE f.kind = $1 AND ((f.occurred_at >= $2::timestamptz AND f.occurred_at < $9::timestamptz) "
      "OR (f.occurred_at >= $10::timestamptz AND f.occurred_at < $3::timestamptz))");
  // The folded local days of report zone $7 (grouping set $8, $2 and $3
  // local dates) and the tail's scores in them ($9 to $10, watermark $11).
  const std::string daily_sql = bucketed(
      "day", DailyBucket(q),
      "SELECT day, channel, agent_id, queue, score, responses FROM score_days "
      "WHERE zone = $7 AND dims = $8 AND kind = $1 AND day >= $2::date AND day < $3::date "
      "UNION ALL "
      "SELECT (f.occurred_at AT TIME ZONE $7)::date, f.channel, coalesce(f.agent_id, ''), "
      "coalesce(f.queue, ''), f.score, 1 FROM feedback f "
      "WHERE f.fold_xid >= $11::xid8 AND f.kind = $1 AND f.occurred_at >= $9::timestamptz "
      "AND f.occurred_at < $10::timestamptz");
  const std::optional<int> dims = DailyDims(q);
  const FilterArrays f(q);
  const std::pair<absl::Time, absl::Time> whole = WholeSlots(q.start, q.end);
  return RunWithConnection(
      pool_, [&](PooledConnection& conn) -> absl::StatusOr<std::map<ReportKey, Stats>> {
        ReportTransaction tx(conn.get());
        const std::string wm = Watermark(tx);
        const bool daily = dims && *dims != 8 && IsReportZone(tx, q.time_zone);
        const pqxx::result rows =
            daily ? tx.exec_params(daily_sql, kind, LocalDate(q.start, q.time_zone),
                                   LocalDate(q.end, q.time_zone), f.channels, f.queues,
                                   f.agents, q.time_zone, *dims, PgTime(q.start), PgTime(q.end),
                                   wm)
                  : tx.exec_params(slot_sql, kind, PgTime(q.start), PgTime(q.end),
                                   f.channels, f.queues, f.agents, q.time_zone, wm,
                                   PgTime(whole.first), PgTime(whole.second));
        std::map<ReportKey, Stats> out;
        for (const auto& r : rows) {
          Stats& stats = out[ReportKey{absl::FromUnixMicros(r[0].as<int64_t>()), r[1].as<int>(),
                                       r[2].as<std::string>(), r[3].as<std::string>()}];
          for (size_t i = 0; i < kScores; ++i) {
            stats.counts[i] += r[4 + static_cast<int>(i)].as<int64_t>();
          }
        }
        return out;
      });
}

absl::StatusOr<std::map<ReportKey, domain::CsatStats>> ReportStore::Satisfaction(
    const domain::ReportQuery& query) {
  return Counts<domain::CsatStats>(query, 1, 1);
}

absl::StatusOr<std::map<ReportKey, domain::NpsStats>> ReportStore::Nps(
    const domain::ReportQuery& query) {
  return Counts<domain::NpsStats>(query, 2, 0);
}

absl::StatusOr<std::map<ReportKey, domain::ComplaintStats>> ReportStore::Complaints(
    const domain::ReportQuery& q) {
  // --- The daily path: whole local days of report zone $7, grouping set
  // $8 ($2, $3 local dates, $9 the range start), plus the tail's changes
  // (complaint_day_keys from watermark $1). By week or month, the whole
  // weeks or months of the range ($10 to $11, grain $12) read their own
  // time histograms and only the days outside them the days'.
  constexpr char kDailyParams[] =
      " AND $9::timestamptz IS NOT NULL AND $10::date IS NOT NULL AND $11::date IS NOT NULL "
      "AND $12::\"char\" IS NOT NULL ";
  const std::string daily_key = ComplaintKeyJoin(q, DailyBucket(q), "assignee");
  const std::string tail_days =
      " FROM complaint_day_keys($1::xid8, " NO_END ") "
      "WHERE zone = $7 AND dims = $8 AND day >= $2::date AND day < $3::date";
  const std::string daily_counts_sql =
      std::string("SELECT ") + kComplaintKey +
      ", sum(opened)::bigint, sum(resolved)::bigint, sum(reopened)::bigint, "
      "sum(escalated)::bigint, sum(fr_met)::bigint, sum(fr_missed)::bigint, "
      "sum(res_met)::bigint, sum(res_missed)::bigint, sum(rated)::bigint, "
      "sum(satisfied)::bigint, 0::bigint FROM ("
      "SELECT day, channel, queue, category, assignee, opened, resolved, reopened, escalated, "
      "fr_met, fr_missed, res_met, res_missed, rated, satisfied FROM complaint_days "
      "WHERE zone = $7 AND dims = $8 AND day >= $2::date AND day < $3::date "
      "UNION ALL "
      "SELECT day, k_channel, k_queue, k_category, k_assignee, sign, "
      "CASE WHEN resolved_on IS NOT NULL THEN sign ELSE 0 END, "
      "CASE WHEN reopened THEN sign ELSE 0 END, CASE WHEN escalated THEN sign ELSE 0 END, "
      "CASE WHEN fr = 1 THEN sign ELSE 0 END, CASE WHEN fr = -1 THEN sign ELSE 0 END, "
      "CASE WHEN res = 1 THEN sign ELSE 0 END, CASE WHEN res = -1 THEN sign ELSE 0 END, "
      "sign * rated, sign * satisfied" + tail_days + ") s" + daily_key + "WHERE true" +
      FilterClause("assignee") + kDailyParams + "GROUP BY 1, 2, 3, 4, 5 HAVING sum(opened) <> 0";
  const std::string daily_times_sql =
      std::string("SELECT ") + kComplaintKey + ", metric, bin, sum(n)::bigint FROM ("
      "SELECT period AS day, channel, queue, category, assignee, metric, bin, n "
      "FROM complaint_period_times WHERE zone = $7 AND dims = $8 AND grain = 'd' "
      "AND period >= $2::date AND period < $3::date AND (period < $10::date OR period >= $11::date) "
      "UNION ALL "
      "SELECT period, channel, queue, category, assignee, metric, bin, n "
      "FROM complaint_period_times WHERE zone = $7 AND dims = $8 AND grain = $12::\"char\" "
      "AND period >= $10::date AND period < $11::date "
      "UNION ALL "
      "SELECT day, k_channel, k_queue, k_category, k_assignee, m.metric, time_bin(m.seconds), sign "
      "FROM (SELECT *" + tail_days + ") k "
      "CROSS JOIN LATERAL (VALUES (1::smallint, k.fr_seconds), (2::smallint, k.res_seconds)) "
      "AS m(metric, seconds) WHERE m.seconds IS NOT NULL) s" +
      daily_key + "WHERE true" + FilterClause("assignee") + kDailyParams +
      "GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0";
  // Cohort complaints resolved on or after the end day were open at the end.
  const std::string daily_late_sql =
      std::string("SELECT ") + kComplaintKey + ", sum(resolved)::bigint FROM ("
      "SELECT day, channel, queue, category, assignee, resolved FROM complaint_day_resolved "
      "WHERE zone = $7 AND dims = $8 AND day >= $2::date AND day < $3::date "
      "AND resolved_on >= $3::date "
      "UNION ALL "
      "SELECT day, k_channel, k_queue, k_category, k_assignee, sign" + tail_days +
      " AND resolved_on >= $3::date) s" + daily_key + "WHERE true" + FilterClause("assignee") +
      kDailyParams + "GROUP BY 1, 2, 3, 4, 5";

  // --- Every other report: each complaint of the range as folded, or as it
  // is now when it changed since ($1 the watermark, $2 to $3 the range).
  const std::string effective_key = ComplaintKeyJoin(q, BucketOf(q, "created_at"), "assignee");
  const std::string effective =
      " FROM complaints_effective($1::xid8) e" + effective_key;
  const std::string in_range =
      "WHERE created_at >= $2::timestamptz AND created_at < $3::timestamptz" +
      FilterClause("assignee");
  const std::string effective_counts_sql =
      std::string("SELECT ") + kComplaintKey +
      ", count(*), count(*) FILTER (WHERE resolved_at IS NOT NULL), "
      "count(*) FILTER (WHERE reopened), count(*) FILTER (WHERE escalated), "
      "count(*) FILTER (WHERE fr = 1), count(*) FILTER (WHERE fr = -1), "
      "count(*) FILTER (WHERE res = 1), count(*) FILTER (WHERE res = -1), "
      "sum(rated)::bigint, sum(satisfied)::bigint, "
      "count(*) FILTER (WHERE resolved_at >= $3::timestamptz)" +
      effective + in_range + " GROUP BY 1, 2, 3, 4, 5";
  const std::string effective_times_sql =
      std::string("SELECT ") + kComplaintKey + ", m.metric, time_bin(m.seconds), count(*)" +
      effective +
      ", LATERAL (VALUES (1::smallint, e.fr_seconds), (2::smallint, e.res_seconds)) "
      "AS m(metric, seconds) " + in_range +
      " AND m.seconds IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7";

  const std::optional<int> dims = DailyDims(q);
  const std::optional<WholePeriods> periods = WholePeriodsOf(q);
  const FilterArrays f(q);
  return RunWithConnection(
      pool_, [&](PooledConnection& conn) -> absl::StatusOr<std::map<ReportKey, domain::ComplaintStats>> {
        std::map<ReportKey, domain::ComplaintStats> out;
        ReportTransaction tx(conn.get());
        const std::string wm = Watermark(tx);
        const bool daily = dims && IsReportZone(tx, q.time_zone);
        const std::string d2 = LocalDate(q.end, q.time_zone);
        auto run = [&](const std::string& daily_sql, const std::string& effective_sql) {
          if (!daily) {
            return tx.exec_params(effective_sql, wm, PgTime(q.start), PgTime(q.end), f.channels,
                                  f.queues, f.agents, q.time_zone);
          }
          return tx.exec_params(
              daily_sql, wm, LocalDate(q.start, q.time_zone), d2, f.channels, f.queues, f.agents,
              q.time_zone, *dims, PgTime(q.start),
              periods ? absl::FormatCivilTime(periods->first) : d2,
              periods ? absl::FormatCivilTime(periods->last) : d2,
              periods ? periods->grain : std::string("w"));
        };
        for (const auto& r : run(daily_counts_sql, effective_counts_sql)) {
          domain::ComplaintStats& s = out[KeyFromRow(r)];
          s.opened = r[5].as<int64_t>();
          s.resolved = r[6].as<int64_t>();
          s.reopened = r[7].as<int64_t>();
          s.escalated = r[8].as<int64_t>();
          s.first_response_met = r[9].as<int64_t>();
          s.first_response_missed = r[10].as<int64_t>();
          s.resolution_met = r[11].as<int64_t>();
          s.resolution_missed = r[12].as<int64_t>();
          s.ratings = r[13].as<int64_t>();
          s.ratings_satisfied = r[14].as<int64_t>();
          s.backlog_open_at_end = s.opened - s.resolved + r[15].as<int64_t>();
        }
        for (const auto& r : run(daily_times_sql, effective_times_sql)) {
          auto it = out.find(KeyFromRow(r));
          if (it == out.end()) continue;
          domain::TimeHistogram& h =
              r[5].as<int>() == 1 ? it->second.first_response : it->second.resolution;
          h.Add(r[6].as<int>(), r[7].as<int64_t>());
        }
        if (daily) {
          for (const auto& r : run(daily_late_sql, "")) {
            auto it = out.find(KeyFromRow(r));
            if (it != out.end()) it->second.backlog_open_at_end += r[5].as<int64_t>();
          }
        }
        return out;
      });
}

absl::StatusOr<std::map<absl::Time, domain::RetentionStats>> ReportStore::Retention(
    const domain::ReportQuery& q) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(q.time_zone, &zone)) {
    return absl::InvalidArgumentError("time_zone: unknown zone");
  }
  const char* unit = q.bucket == domain::Bucket::kMonth  ? "month"
                     : q.bucket == domain::Bucket::kWeek ? "week"
                                                         : "day";
  const char* step = q.bucket == domain::Bucket::kMonth  ? "1 month"
                     : q.bucket == domain::Bucket::kWeek ? "7 days"
                                                         : "1 day";
  // Sets of customers per local bucket of [$1, $2) ($1 a local midnight):
  // the folded activity slots up to the end's slot ($7) and the scores and
  // complaints of the tail and of that last partial slot; complainants from
  // every complaint as folded or as it is now ($6 the watermark). Each
  // bucket is compared with the one before it.
  constexpr char kSetsSql[] = R"sql(
WITH a AS MATERIALIZED (
  SELECT DISTINCT date_trunc($3, t, $4) AS b, customer_id FROM (
    SELECT slot AS t, customer_id FROM customer_slots
    WHERE slot >= $1::timestamptz AND slot < $7::timestamptz
    UNION ALL
    -- the partial slot at the end ($7 to $2), folded or not
    SELECT f.occurred_at, f.customer_id FROM feedback f
    WHERE f.customer_id IS NOT NULL
      AND f.occurred_at >= $7::timestamptz AND f.occurred_at < $2::timestamptz
    UNION ALL
    SELECT c.created_at, c.customer_id FROM complaints c
    WHERE c.customer_id IS NOT NULL
      AND c.created_at >= $7::timestamptz AND c.created_at < $2::timestamptz
    UNION ALL
    SELECT f.occurred_at, f.customer_id FROM feedback f
    WHERE f.fold_xid >= $6::xid8 AND f.customer_id IS NOT NULL
      AND f.occurred_at >= $1::timestamptz AND f.occurred_at < $2::timestamptz
    UNION ALL
    SELECT c.created_at, c.customer_id FROM complaint_changes($6::xid8, '18446744073709551615') c
    WHERE c.sign = 1 AND c.customer_id IS NOT NULL
      AND c.created_at >= $1::timestamptz AND c.created_at < $2::timestamptz) x
), c AS (
  SELECT date_trunc($3, created_at, $4) AS b, customer_id,
         bool_and(resolved_at IS NOT NULL) AS resolved
  FROM complaints_effective($6::xid8)
  WHERE customer_id IS NOT NULL AND created_at >= $1::timestamptz AND created_at < $2::timestamptz
  GROUP BY 1, 2
)
SELECT 1, epoch_us(b), count(*), 0, 0, 0 FROM a GROUP BY b
UNION ALL
SELECT 2, epoch_us(cur.b), count(*), 0, 0, 0
FROM a cur JOIN a prev ON prev.customer_id = cur.customer_id
  AND prev.b = ((cur.b AT TIME ZONE $4) - $5::interval) AT TIME ZONE $4
GROUP BY cur.b
UNION ALL
SELECT 3, epoch_us(((c.b AT TIME ZONE $4) + $5::interval) AT TIME ZONE $4),
       count(*) FILTER (WHERE c.resolved),
       count(*) FILTER (WHERE c.resolved AND n.customer_id IS NOT NULL),
       count(*) FILTER (WHERE NOT c.resolved),
       count(*) FILTER (WHERE NOT c.resolved AND n.customer_id IS NOT NULL)
FROM c LEFT JOIN a n ON n.customer_id = c.customer_id
  AND n.b = ((c.b AT TIME ZONE $4) + $5::interval) AT TIME ZONE $4
GROUP BY 2)sql";
  // The counts kept per local period of a report zone, keyed by the
  // customers' first day in it (so the last period may end at `end`);
  // complainants' returns count in the period after theirs.
  constexpr char kCountsSql[] = R"sql(
SELECT epoch_us(period::timestamp AT TIME ZONE $1),
       epoch_us(retention_next($2, period)::timestamp AT TIME ZONE $1),
       sum(active), sum(returning_customers), sum(complainants_resolved), sum(resolved_returned),
       sum(complainants_unresolved), sum(unresolved_returned)
FROM retention_counts
WHERE zone = $1 AND grain = $2 AND period >= $3::date AND period < $4::date AND day < $4::date
GROUP BY period)sql";
  // The local buckets of [$1, $2) the tail has activity or complaints in
  // ($5 the watermark).
  constexpr char kTailBucketsSql[] = R"sql(
SELECT DISTINCT epoch_us(date_trunc($3, t, $4)) FROM (
  SELECT f.occurred_at AS t FROM feedback f
  WHERE f.fold_xid >= $5::xid8 AND f.customer_id IS NOT NULL
  UNION ALL
  SELECT c.created_at FROM complaint_changes($5::xid8, '18446744073709551615') c
  WHERE c.customer_id IS NOT NULL) x
WHERE t >= $1::timestamptz AND t < $2::timestamptz)sql";
  const absl::Time first = domain::BucketStart(q.start, zone, q.bucket);
  const absl::Time lookback = domain::PreviousBucketStart(first, zone, q.bucket);
  const char* grain = q.bucket == domain::Bucket::kMonth  ? "m"
                      : q.bucket == domain::Bucket::kWeek ? "w"
                                                          : "d";
  const absl::Time end_day = absl::FromCivil(absl::ToCivilDay(q.end, zone), zone);
  return RunWithConnection(
      pool_, [&](PooledConnection& conn) -> absl::StatusOr<std::map<absl::Time, domain::RetentionStats>> {
        ReportTransaction tx(conn.get());
        const std::string wm = Watermark(tx);
        std::map<absl::Time, int64_t> active;
        std::map<absl::Time, domain::RetentionStats> out;
        // The sets of [from, to) into active/out; only bucket `only` when
        // given.
        auto sets = [&](absl::Time from, absl::Time to, std::optional<absl::Time> only) {
          for (const auto& r : tx.exec_params(kSetsSql, PgTime(from), PgTime(to), unit,
                                              q.time_zone, step, wm,
                                              PgTime(domain::SlotFloor(to)))) {
            const absl::Time b = absl::FromUnixMicros(r[1].as<int64_t>());
            if (only && b != *only) continue;
            domain::RetentionStats& s = out[b];
            switch (r[0].as<int>()) {
              case 1: active[b] = r[2].as<int64_t>(); break;
              case 2: s.returning = r[2].as<int64_t>(); break;
              default:
                s.complainants_resolved = r[2].as<int64_t>();
                s.complainants_resolved_returned = r[3].as<int64_t>();
                s.complainants_unresolved = r[4].as<int64_t>();
                s.complainants_unresolved_returned = r[5].as<int64_t>();
            }
          }
        };
        if (!IsReportZone(tx, q.time_zone)) {
          sets(lookback, q.end, std::nullopt);
        } else {
          // The folded counts, up to the end's local day ...
          for (const auto& r : tx.exec_params(kCountsSql, q.time_zone, grain,
                                              LocalDate(lookback, q.time_zone),
                                              LocalDate(end_day, q.time_zone))) {
            const absl::Time b = absl::FromUnixMicros(r[0].as<int64_t>());
            if (const int64_t n = r[2].as<int64_t>(); n != 0) active[b] = n;
            if (const int64_t n = r[3].as<int64_t>(); n != 0) out[b].returning = n;
            if (r[4].as<int64_t>() + r[6].as<int64_t>() != 0) {
              domain::RetentionStats& s = out[absl::FromUnixMicros(r[1].as<int64_t>())];
              s.complainants_resolved = r[4].as<int64_t>();
              s.complainants_resolved_returned = r[5].as<int64_t>();
              s.complainants_unresolved = r[6].as<int64_t>();
              s.complainants_unresolved_returned = r[7].as<int64_t>();
            }
          }
          // ... and, counted from the sets instead, every bucket the tail
          // touches (it and the one after it) and the last one when the
          // range ends inside a local day.
          std::set<absl::Time> exact;
          for (const auto& r : tx.exec_params(kTailBucketsSql, PgTime(lookback), PgTime(q.end),
                                              unit, q.time_zone, wm)) {
            const absl::Time b = absl::FromUnixMicros(r[0].as<int64_t>());
            exact.insert(b);
            exact.insert(domain::NextBucketStart(b, zone, q.bucket));
          }
          if (end_day < q.end) exact.insert(domain::BucketStart(end_day, zone, q.bucket));
          for (const absl::Time b : exact) {
            if (b < lookback || b >= q.end) continue;
            active.erase(b);
            out[b] = domain::RetentionStats{};
            sets(domain::PreviousBucketStart(b, zone, q.bucket),
                 std::min(domain::NextBucketStart(b, zone, q.bucket), q.end), b);
          }
        }
        for (const auto& [b, n] : active) {
          out[b].active = n;
          // The bucket after b compares with b.
          const absl::Time next = domain::NextBucketStart(b, zone, q.bucket);
          if (next < q.end) out[next].previous_active = n;
        }
        // Only the buckets of the range (not the look-back one, nor one
        // starting at the end), and only those with something in them.
        for (auto it = out.begin(); it != out.end();) {
          const domain::RetentionStats& s = it->second;
          const bool empty = s.active == 0 && s.previous_active == 0 && s.returning == 0 &&
                             s.complainants_resolved == 0 && s.complainants_unresolved == 0;
          it = (it->first < first || it->first >= q.end || empty) ? out.erase(it) : std::next(it);
        }
        return out;
      });
}

}  // namespace feedback::storage
