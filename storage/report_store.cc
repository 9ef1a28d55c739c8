#include "storage/report_store.h"

#include <pqxx/result>
#include <pqxx/transaction>

#include <optional>
#include <tuple>

#include "absl/time/civil_time.h"

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

constexpr char kComplaintRecount[] = R"sql(
SELECT report_slot(created_at) AS slot, channel, queue, category,
       coalesce(assignee_id, '') AS assignee, count(*)::bigint AS opened,
       count(*) FILTER (WHERE resolved_at IS NOT NULL) AS resolved,
       count(*) FILTER (WHERE reopen_count > 0) AS reopened,
       count(*) FILTER (WHERE escalation_level > 0) AS escalated,
       count(*) FILTER (WHERE sla_outcome(first_response_at, first_response_due_at,
                                          first_response_breached) = 1) AS fr_met,
       count(*) FILTER (WHERE sla_outcome(first_response_at, first_response_due_at,
                                          first_response_breached) = -1) AS fr_missed,
       count(*) FILTER (WHERE sla_outcome(resolved_at, resolution_due_at,
                                          resolution_breached) = 1) AS res_met,
       count(*) FILTER (WHERE sla_outcome(resolved_at, resolution_due_at,
                                          resolution_breached) = -1) AS res_missed,
       sum(resolution_ratings)::bigint AS rated,
       sum(resolution_ratings_satisfied)::bigint AS satisfied
FROM complaints GROUP BY 1, 2, 3, 4, 5)sql";

constexpr char kComplaintTimeRecount[] = R"sql(
SELECT report_slot(created_at) AS slot, channel, queue, category,
       coalesce(assignee_id, '') AS assignee, m.metric::smallint AS metric,
       time_bin(m.seconds) AS bin, count(*)::bigint AS n
FROM complaints
CROSS JOIN LATERAL (VALUES (1, first_response_seconds), (2, resolution_seconds)) AS m(metric, seconds)
WHERE m.seconds IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7)sql";

constexpr char kActivityRecount[] = R"sql(
SELECT report_slot(occurred_at) AS slot, customer_id FROM feedback WHERE customer_id IS NOT NULL
UNION
SELECT report_slot(created_at), customer_id FROM complaints WHERE customer_id IS NOT NULL)sql";

constexpr char kResolvedRecount[] = R"sql(
SELECT report_slot(resolved_at) AS resolved_slot, report_slot(created_at) AS slot, channel,
       queue, category, coalesce(assignee_id, '') AS assignee, count(*)::bigint AS resolved
FROM complaints WHERE resolved_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6)sql";

constexpr char kComplainantRecount[] = R"sql(
SELECT report_slot(created_at) AS slot, customer_id, count(*)::integer AS complaints,
       (count(*) FILTER (WHERE resolved_at IS NULL))::integer AS unresolved
FROM complaints WHERE customer_id IS NOT NULL GROUP BY 1, 2)sql";

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
                      const std::string& from_where) {
    return "SELECT epoch_us(" + bucket + "), channel, agent_id, queue" + sums + " FROM (SELECT " +
           time_column + ", " + keys + per_score + from_where + " GROUP BY 1, 2, 3, 4) g " +
           "GROUP BY 1, 2, 3, 4";
  };
  const std::string slot_sql = bucketed(
      "slot", BucketOf(q, "slot"),
      " FROM feedback_rollup "
      "WHERE kind = $1 AND slot >= $2::timestamptz AND slot < $3::timestamptz" +
          FilterClause("agent_id"));
  const std::string daily_sql = bucketed(
      "day", DailyBucket(q),
      " FROM feedback_daily "
      "WHERE zone = $7 AND dims = $8 AND kind = $1 AND day >= $2::date AND day < $3::date "
      // $9, the range start, is bound even when the bucket does not use it.
      "AND $9::timestamptz IS NOT NULL" + FilterClause("agent_id"));
  const std::optional<int> dims = DailyDims(q);
  const FilterArrays f(q);
  return RunWithConnection(
      pool_, [&](PooledConnection& conn) -> absl::StatusOr<std::map<ReportKey, Stats>> {
        pqxx::read_transaction tx(conn.get());
        const bool daily = dims && *dims != 8 && IsReportZone(tx, q.time_zone);
        const pqxx::result rows =
            daily ? tx.exec_params(daily_sql, kind, LocalDate(q.start, q.time_zone),
                                   LocalDate(q.end, q.time_zone), f.channels, f.queues,
                                   f.agents, q.time_zone, *dims, PgTime(q.start))
                  : tx.exec_params(slot_sql, kind, PgTime(q.start), PgTime(q.end),
                                   f.channels, f.queues, f.agents, q.time_zone);
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
  constexpr char kSums[] =
      ", sum(opened)::bigint, sum(resolved)::bigint, sum(reopened)::bigint, "
      "sum(escalated)::bigint, sum(fr_met)::bigint, sum(fr_missed)::bigint, "
      "sum(res_met)::bigint, sum(res_missed)::bigint, sum(rated)::bigint, "
      "sum(satisfied)::bigint FROM ";
  // From the 15-minute slots ($2, $3 the range).
  const std::string slot_where =
      "WHERE slot >= $2::timestamptz AND slot < $3::timestamptz AND $1::int IS NOT NULL" +
      FilterClause("assignee");
  const std::string slot_key = ComplaintKeyJoin(q, BucketOf(q, "slot"), "assignee");
  // From the local days of report zone $7 ($2, $3 local dates, $8 the
  // grouping set, $9 the range start).
  const std::string daily_where =
      "WHERE zone = $7 AND dims = $8 AND day >= $2::date AND day < $3::date "
      "AND $9::timestamptz IS NOT NULL AND $1::int IS NOT NULL" + FilterClause("assignee");
  const std::string daily_key = ComplaintKeyJoin(q, DailyBucket(q), "assignee");
  auto counts_sql = [&](bool daily) {
    return std::string("SELECT ") + kComplaintKey + kSums +
           (daily ? "complaint_daily" + daily_key + daily_where
                  : "complaint_rollup" + slot_key + slot_where) +
           "GROUP BY 1, 2, 3, 4, 5 HAVING sum(opened) <> 0";
  };
  // Bins and counts: one of each per row from the slots, arrays of them
  // (one histogram) per row from the days. By week or month, the whole
  // weeks or months of the range ($10 to $11, grain $12) are read from
  // their own histograms (migration 0016) and only the days outside them
  // from the days'.
  const std::optional<WholePeriods> periods = WholePeriodsOf(q);
  auto times_sql = [&](bool daily) {
    if (daily && periods) {
      return std::string("SELECT ") + kComplaintKey +
             ", metric, bins, counts FROM complaint_time_daily" + daily_key + daily_where +
             "AND (day < $10::date OR day >= $11::date) UNION ALL SELECT " + kComplaintKey +
             ", metric, bins, counts FROM (SELECT *, period AS day FROM complaint_time_period "
             "WHERE grain = $12::\"char\") p" +
             daily_key + daily_where + "AND day >= $10::date AND day < $11::date";
    }
    return daily ? std::string("SELECT ") + kComplaintKey +
                       ", metric, bins, counts FROM complaint_time_daily" + daily_key + daily_where
                 : std::string("SELECT ") + kComplaintKey +
                       ", metric, bin, sum(n)::bigint FROM complaint_time_rollup" + slot_key +
                       slot_where + "GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0";
  };
  // Cohort complaints resolved at or after the end were open at the end:
  // counted per local day of resolution in the daily rollups, per slot of
  // resolution in the slot rollup (migration 0017; none when the range
  // ends now).
  auto late_sql = [&](bool daily) {
    return std::string("SELECT ") + kComplaintKey + ", sum(resolved)::bigint FROM " +
           (daily ? "complaint_resolved_daily" + daily_key + daily_where +
                        "AND resolved_on >= $3::date "
                  : "complaint_resolved_rollup" + slot_key + slot_where +
                        "AND resolved_slot >= $3::timestamptz ") +
           "GROUP BY 1, 2, 3, 4, 5";
  };
  const std::optional<int> dims = DailyDims(q);
  const FilterArrays f(q);
  return RunWithConnection(
      pool_, [&](PooledConnection& conn) -> absl::StatusOr<std::map<ReportKey, domain::ComplaintStats>> {
        std::map<ReportKey, domain::ComplaintStats> out;
        // One snapshot for all reads.
        pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn.get());
        const bool daily = dims && IsReportZone(tx, q.time_zone);
        auto run = [&](const std::string& sql) {
          return daily ? tx.exec_params(sql, 0, LocalDate(q.start, q.time_zone),
                                        LocalDate(q.end, q.time_zone), f.channels, f.queues,
                                        f.agents, q.time_zone, *dims, PgTime(q.start))
                       : tx.exec_params(sql, 0, PgTime(q.start), PgTime(q.end), f.channels,
                                        f.queues, f.agents, q.time_zone);
        };
        for (const auto& r : run(counts_sql(daily))) {
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
          s.backlog_open_at_end = s.opened - s.resolved;
        }
        std::vector<int64_t> bins, counts;
        const pqxx::result times =
            daily && periods
                ? tx.exec_params(times_sql(true), 0, LocalDate(q.start, q.time_zone),
                                 LocalDate(q.end, q.time_zone), f.channels, f.queues, f.agents,
                                 q.time_zone, *dims, PgTime(q.start),
                                 absl::FormatCivilTime(periods->first),
                                 absl::FormatCivilTime(periods->last), periods->grain)
                : run(times_sql(daily));
        for (const auto& r : times) {
          auto it = out.find(KeyFromRow(r));
          if (it == out.end()) continue;
          domain::TimeHistogram& h =
              r[5].as<int>() == 1 ? it->second.first_response : it->second.resolution;
          if (!daily) {
            h.Add(r[6].as<int>(), r[7].as<int64_t>());
            continue;
          }
          if (!ParseIntArray(r[6].c_str(), bins) || !ParseIntArray(r[7].c_str(), counts) ||
              bins.size() != counts.size()) {
            return absl::InternalError("complaint time histogram: malformed arrays");
          }
          h.Add(bins, counts);
        }
        for (const auto& r : run(late_sql(daily))) {
          auto it = out.find(KeyFromRow(r));
          if (it != out.end()) it->second.backlog_open_at_end += r[5].as<int64_t>();
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
  // Whole local buckets: the one holding start_time is compared with the
  // one before it, so activity is read from that one's start.
  constexpr char kSql[] = R"sql(
WITH a AS MATERIALIZED (
  SELECT DISTINCT date_trunc($3, slot, $4) AS b, customer_id FROM customer_activity
  WHERE slot >= $1::timestamptz AND slot < $2::timestamptz
), c AS (
  SELECT date_trunc($3, slot, $4) AS b, customer_id, bool_and(unresolved = 0) AS resolved
  FROM complainant_slots
  WHERE slot >= $1::timestamptz AND slot < $2::timestamptz
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
  // The counts kept per local period of a report zone (migration 0010),
  // keyed by the customers' first day in it (so the last period may end
  // at `end`); complainants' returns count in the period after theirs.
  constexpr char kCountsSql[] = R"sql(
SELECT epoch_us(period::timestamp AT TIME ZONE $1),
       epoch_us(retention_next($2, period)::timestamp AT TIME ZONE $1),
       sum(active), sum(returning_customers), sum(complainants_resolved), sum(resolved_returned),
       sum(complainants_unresolved), sum(unresolved_returned)
FROM retention_counts
WHERE zone = $1 AND grain = $2 AND period >= $3::date AND period < $4::date AND day < $4::date
GROUP BY period)sql";
  // A range ending inside a local day D (at E): the counts answer up to
  // D's midnight M; the customers active in [M, E) (one day's activity at
  // most) whose first day in E's period is D are added, with whether they
  // were active in the period before and a complainant of it.
  constexpr char kEndDaySql[] = R"sql(
WITH today AS (
  SELECT DISTINCT customer_id FROM customer_activity
  WHERE slot >= $1::timestamptz AND slot < $2::timestamptz
), first_today AS (
  SELECT t.customer_id FROM today t
  WHERE NOT EXISTS (SELECT 1 FROM customer_days d
                    WHERE d.customer_id = t.customer_id AND d.zone = $3
                      AND d.day >= $5::date AND d.day < $6::date)
)
SELECT count(*),
       count(*) FILTER (WHERE EXISTS (
         SELECT 1 FROM customer_days d
         WHERE d.customer_id = f.customer_id AND d.zone = $3
           AND d.day >= retention_prev($4, $5::date) AND d.day < $5::date)),
       count(*) FILTER (WHERE cp.unresolved = 0),
       count(*) FILTER (WHERE cp.unresolved > 0)
FROM first_today f
LEFT JOIN complainant_periods cp
  ON (cp.customer_id, cp.zone, cp.grain, cp.period)
   = (f.customer_id, $3, $4, retention_prev($4, $5::date)))sql";
  const absl::Time first = domain::BucketStart(q.start, zone, q.bucket);
  const absl::Time lookback = domain::PreviousBucketStart(first, zone, q.bucket);
  const char* grain = q.bucket == domain::Bucket::kMonth  ? "m"
                      : q.bucket == domain::Bucket::kWeek ? "w"
                                                          : "d";
  const absl::Time end_day = absl::FromCivil(absl::ToCivilDay(q.end, zone), zone);
  return RunWithConnection(
      pool_, [&](PooledConnection& conn) -> absl::StatusOr<std::map<absl::Time, domain::RetentionStats>> {
        // One snapshot for the counts and the end day's activity.
        pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn.get());
        std::map<absl::Time, int64_t> active;
        std::map<absl::Time, domain::RetentionStats> out;
        auto complainants = [&](absl::Time b, const pqxx::row& r, int col) {
          domain::RetentionStats& s = out[b];
          s.complainants_resolved = r[col].as<int64_t>();
          s.complainants_resolved_returned = r[col + 1].as<int64_t>();
          s.complainants_unresolved = r[col + 2].as<int64_t>();
          s.complainants_unresolved_returned = r[col + 3].as<int64_t>();
        };
        // Ranges of a report zone are counted already (up to the end's
        // local day, and that day's part from its activity); ranges in
        // other zones are counted here.
        if (IsReportZone(tx, q.time_zone)) {
          for (const auto& r : tx.exec_params(kCountsSql, q.time_zone, grain,
                                              LocalDate(lookback, q.time_zone),
                                              LocalDate(end_day, q.time_zone))) {
            const absl::Time b = absl::FromUnixMicros(r[0].as<int64_t>());
            if (const int64_t n = r[2].as<int64_t>(); n != 0) active[b] = n;
            if (const int64_t n = r[3].as<int64_t>(); n != 0) out[b].returning = n;
            if (r[4].as<int64_t>() + r[6].as<int64_t>() != 0) {
              complainants(absl::FromUnixMicros(r[1].as<int64_t>()), r, 4);
            }
          }
          if (end_day < q.end) {
            const absl::Time period = domain::BucketStart(end_day, zone, q.bucket);
            const pqxx::row r =
                tx.exec_params1(kEndDaySql, PgTime(end_day), PgTime(q.end), q.time_zone, grain,
                                LocalDate(period, q.time_zone), LocalDate(end_day, q.time_zone));
            if (const int64_t n = r[0].as<int64_t>(); n != 0) {
              active[period] += n;
              out[period].returning += r[1].as<int64_t>();
              out[period].complainants_resolved_returned += r[2].as<int64_t>();
              out[period].complainants_unresolved_returned += r[3].as<int64_t>();
            }
          }
        } else {
          for (const auto& r :
               tx.exec_params(kSql, PgTime(lookback), PgTime(q.end), unit, q.time_zone, step)) {
            const absl::Time b = absl::FromUnixMicros(r[1].as<int64_t>());
            switch (r[0].as<int>()) {
              case 1: active[b] = r[2].as<int64_t>(); break;
              case 2: out[b].returning = r[2].as<int64_t>(); break;
              default: complainants(b, r, 2);
            }
          }
        }
        for (const auto& [b, n] : active) {
          out[b].active = n;
          // The bucket after b compares with b.
          const absl::Time next = domain::NextBucketStart(b, zone, q.bucket);
          if (next < q.end) out[next].previous_active = n;
        }
        // Only the buckets of the range (not the look-back one, nor one
        // starting at the end).
        for (auto it = out.begin(); it != out.end();) {
          it = (it->first < first || it->first >= q.end) ? out.erase(it) : std::next(it);
        }
        return out;
      });
}

absl::StatusOr<int64_t> ReportStore::RebuildComplaintRollups() {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<int64_t> {
    pqxx::work tx(conn.get());
    tx.exec("LOCK TABLE complaints, feedback IN SHARE MODE");
    tx.exec("LOCK TABLE complaint_rollup, complaint_time_rollup, complaint_daily, "
            "complaint_time_daily, complaint_time_period, complaint_resolved_daily, "
            "complaint_resolved_rollup, customer_activity, complainant_slots, customer_days, "
            "complainant_periods, retention_counts IN EXCLUSIVE MODE");
    tx.exec("DELETE FROM complaint_rollup");
    tx.exec("DELETE FROM complaint_time_rollup");
    tx.exec("DELETE FROM complaint_daily");
    tx.exec("DELETE FROM complaint_time_daily");
    tx.exec("DELETE FROM complaint_time_period");
    tx.exec("DELETE FROM complaint_resolved_daily");
    tx.exec("DELETE FROM complaint_resolved_rollup");
    tx.exec("DELETE FROM customer_activity");
    tx.exec("DELETE FROM complainant_slots");
    tx.exec("DELETE FROM customer_days");
    tx.exec("DELETE FROM complainant_periods");
    tx.exec("DELETE FROM retention_counts");
    int64_t rows = 0;
    // The counts from the days and periods just recounted.
    for (const char* sql :
         {"INSERT INTO customer_days SELECT d.* FROM report_zones z, customer_days_recount(z.zone) d",
          "INSERT INTO complainant_periods SELECT d.* FROM report_zones z, "
          "complainant_periods_recount(z.zone) d",
          "INSERT INTO retention_counts SELECT d.* FROM report_zones z, "
          "retention_counts_recount(z.zone, false) d"}) {
      rows += static_cast<int64_t>(tx.exec(sql).affected_rows());
    }
    rows += static_cast<int64_t>(
        tx.exec("INSERT INTO complaint_daily SELECT d.* FROM report_zones z, "
                "complaint_daily_recount(z.zone) d")
            .affected_rows());
    rows += static_cast<int64_t>(
        tx.exec("INSERT INTO complaint_time_daily SELECT d.* FROM report_zones z, "
                "complaint_time_daily_recount(z.zone) d")
            .affected_rows());
    rows += static_cast<int64_t>(
        tx.exec("INSERT INTO complaint_time_period SELECT d.* FROM report_zones z, "
                "complaint_time_period_from_days(z.zone) d")
            .affected_rows());
    rows += static_cast<int64_t>(
        tx.exec("INSERT INTO complaint_resolved_daily SELECT d.* FROM report_zones z, "
                "complaint_resolved_daily_recount(z.zone) d")
            .affected_rows());
    rows += static_cast<int64_t>(
        tx.exec(std::string("INSERT INTO complaint_rollup (slot, channel, queue, category, "
                            "assignee, opened, resolved, reopened, escalated, fr_met, "
                            "fr_missed, res_met, res_missed, rated, satisfied) ") +
                kComplaintRecount)
            .affected_rows());
    rows += static_cast<int64_t>(
        tx.exec(std::string("INSERT INTO complaint_time_rollup (slot, channel, queue, category, "
                            "assignee, metric, bin, n) ") +
                kComplaintTimeRecount)
            .affected_rows());
    rows += static_cast<int64_t>(
        tx.exec(std::string("INSERT INTO customer_activity (slot, customer_id) ") +
                kActivityRecount)
            .affected_rows());
    rows += static_cast<int64_t>(
        tx.exec(std::string("INSERT INTO complaint_resolved_rollup ") + kResolvedRecount)
            .affected_rows());
    rows += static_cast<int64_t>(
        tx.exec(std::string("INSERT INTO complainant_slots ") + kComplainantRecount)
            .affected_rows());
    tx.commit();
    return rows;
  });
}

absl::StatusOr<int64_t> ReportStore::CheckComplaintRollups() {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<int64_t> {
    pqxx::read_transaction tx(conn.get());
    auto differing = [&](const std::string& recount, const std::string& stored) {
      return tx
          .exec("WITH recount AS (" + recount + "), stored AS (" + stored +
                ") SELECT count(*) FROM ((SELECT * FROM recount EXCEPT ALL SELECT * FROM stored) "
                "UNION ALL (SELECT * FROM stored EXCEPT ALL SELECT * FROM recount)) d")[0][0]
          .as<int64_t>();
    };
    return differing(kComplaintRecount,
                     "SELECT slot, channel, queue, category, assignee, sum(opened)::bigint, "
                     "sum(resolved)::bigint, sum(reopened)::bigint, sum(escalated)::bigint, "
                     "sum(fr_met)::bigint, sum(fr_missed)::bigint, sum(res_met)::bigint, "
                     "sum(res_missed)::bigint, sum(rated)::bigint, sum(satisfied)::bigint "
                     "FROM complaint_rollup GROUP BY 1, 2, 3, 4, 5 HAVING sum(opened) <> 0") +
           differing(kComplaintTimeRecount,
                     "SELECT slot, channel, queue, category, assignee, metric, bin, "
                     "sum(n)::bigint FROM complaint_time_rollup GROUP BY 1, 2, 3, 4, 5, 6, 7 "
                     "HAVING sum(n) <> 0") +
           differing(kActivityRecount, "SELECT slot, customer_id FROM customer_activity") +
           differing(kResolvedRecount,
                     "SELECT * FROM complaint_resolved_rollup WHERE resolved <> 0") +
           differing(kComplainantRecount, "SELECT * FROM complainant_slots") +
           differing("SELECT d.* FROM report_zones z, complaint_daily_recount(z.zone) d",
                     "SELECT zone, day, dims, channel, queue, category, assignee, "
                     "sum(opened)::bigint, sum(resolved)::bigint, sum(reopened)::bigint, "
                     "sum(escalated)::bigint, sum(fr_met)::bigint, sum(fr_missed)::bigint, "
                     "sum(res_met)::bigint, sum(res_missed)::bigint, sum(rated)::bigint, "
                     "sum(satisfied)::bigint FROM complaint_daily GROUP BY 1, 2, 3, 4, 5, 6, 7 "
                     "HAVING sum(opened) <> 0") +
           differing("SELECT d.* FROM report_zones z, complaint_time_daily_recount(z.zone) d",
                     "SELECT * FROM complaint_time_daily_merged()") +
           differing("SELECT d.* FROM report_zones z, complaint_time_period_recount(z.zone) d",
                     "SELECT * FROM complaint_time_period_merged()") +
           differing("SELECT d.* FROM report_zones z, complaint_resolved_daily_recount(z.zone) d",
                     "SELECT * FROM complaint_resolved_daily_merged()") +
           differing("SELECT d.* FROM report_zones z, customer_days_recount(z.zone) d",
                     "SELECT * FROM customer_days") +
           differing("SELECT d.* FROM report_zones z, complainant_periods_recount(z.zone) d",
                     "SELECT * FROM complainant_periods") +
           differing("SELECT d.* FROM report_zones z, retention_counts_recount(z.zone) d",
                     "SELECT * FROM retention_counts_merged()");
  });
}

absl::StatusOr<int64_t> ReportStore::CompactRollups(int max_keys) {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<int64_t> {
    pqxx::work tx(conn.get());
    const int64_t removed =
        tx.exec_params("SELECT complaint_rollup_compact($1) + complaint_daily_compact($1) + "
                       "complaint_time_period_compact($1) + complaint_resolved_daily_compact($1) + "
                       "retention_counts_compact($1) + "
                       "feedback_shards_fold($1, now() - interval '1 day')",
                       max_keys)[0][0].as<int64_t>();
    tx.commit();
    return removed;
  });
}

absl::StatusOr<bool> ReportStore::AddReportZone(const std::string& zone) {
  absl::TimeZone tz;
  if (zone.size() > 64 || !absl::LoadTimeZone(zone, &tz)) {
    return absl::InvalidArgumentError("zone: unknown IANA time zone");
  }
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<bool> {
    pqxx::work tx(conn.get());
    // Writers wait while it is filled.
    tx.exec("LOCK TABLE feedback, complaints IN SHARE MODE");
    const pqxx::result added = tx.exec_params(
        "INSERT INTO report_zones (zone) VALUES ($1) ON CONFLICT DO NOTHING RETURNING zone", zone);
    if (added.empty()) return false;
    tx.exec("ANALYZE report_zones");  // the rollup triggers plan with its row count
    tx.exec_params("INSERT INTO feedback_daily SELECT * FROM feedback_daily_recount($1)", zone);
    tx.exec_params("INSERT INTO complaint_daily SELECT * FROM complaint_daily_recount($1)", zone);
    tx.exec_params(
        "INSERT INTO complaint_time_daily SELECT * FROM complaint_time_daily_recount($1)", zone);
    tx.exec_params(
        "INSERT INTO complaint_time_period SELECT * FROM complaint_time_period_from_days($1)",
        zone);
    tx.exec_params(
        "INSERT INTO complaint_resolved_daily SELECT * FROM complaint_resolved_daily_recount($1)",
        zone);
    tx.exec_params("SELECT retention_fill($1)", zone);
    tx.commit();
    return true;
  });
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
    tx.exec("LOCK TABLE feedback_daily IN EXCLUSIVE MODE");
    tx.exec("DELETE FROM feedback_daily");
    const pqxx::result d = tx.exec(
        "INSERT INTO feedback_daily SELECT d.* FROM report_zones z, "
        "feedback_daily_recount(z.zone) d");
    tx.commit();
    return static_cast<int64_t>(r.affected_rows() + d.affected_rows());
  });
}

absl::StatusOr<int64_t> ReportStore::CheckRollup() {
  return RunWithConnection(pool_, [&](PooledConnection& conn) -> absl::StatusOr<int64_t> {
    pqxx::read_transaction tx(conn.get());
    const pqxx::result r = tx.exec(
        std::string("WITH recount AS (") + kRecount +
        "), stored AS (SELECT slot, kind, channel, agent_id, queue, score, "
        "sum(responses)::bigint FROM feedback_rollup GROUP BY 1, 2, 3, 4, 5, 6) "
        "SELECT count(*) FROM ("
        "(SELECT * FROM recount EXCEPT ALL SELECT * FROM stored) UNION ALL "
        "(SELECT * FROM stored EXCEPT ALL SELECT * FROM recount)) d");
    const pqxx::result daily = tx.exec(
        "WITH recount AS (SELECT d.* FROM report_zones z, feedback_daily_recount(z.zone) d), "
        "stored AS (SELECT zone, day, dims, kind, channel, agent_id, queue, score, "
        "sum(responses)::bigint FROM feedback_daily GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) "
        "SELECT count(*) FROM ("
        "(SELECT * FROM recount EXCEPT ALL SELECT * FROM stored) UNION ALL "
        "(SELECT * FROM stored EXCEPT ALL SELECT * FROM recount)) d");
    return r[0][0].as<int64_t>() + daily[0][0].as<int64_t>();
  });
}

}  // namespace feedback::storage
