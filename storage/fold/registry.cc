#include "storage/fold/registry.h"

#include <array>

namespace feedback::storage::fold {
namespace {

// The facts of the window [$1, $2) and, for recounts, those folded in a
// snapshot whose watermark is $1.
#define WINDOW_FEEDBACK "f.fold_xid >= $1::xid8 AND f.fold_xid < $2::xid8"
#define FOLDED_FEEDBACK "f.fold_xid < $1::xid8"

// ---- complaint_folded -----------------------------------------------------

constexpr char kComplaintFoldedFold[] = R"sql(
INSERT INTO complaint_folded AS t
SELECT s.* FROM complaint_states s WHERE s.id IN (SELECT t.id FROM complaints_touched($1::xid8, $2::xid8) AS t(id))
ON CONFLICT (id) DO UPDATE SET
  created_at = excluded.created_at, channel = excluded.channel, queue = excluded.queue,
  category = excluded.category, assignee = excluded.assignee,
  customer_id = excluded.customer_id, resolved_at = excluded.resolved_at,
  reopened = excluded.reopened, escalated = excluded.escalated, fr = excluded.fr,
  res = excluded.res, fr_seconds = excluded.fr_seconds, res_seconds = excluded.res_seconds,
  rated = excluded.rated, satisfied = excluded.satisfied)sql";

// ---- score_slots ------------------------------------------------------------

#define SCORE_SLOT_ROWS(WHERE)                                                            \
  "SELECT report_slot(f.occurred_at), f.kind, f.channel, coalesce(f.agent_id, ''), "     \
  "coalesce(f.queue, ''), f.score, count(*)::bigint FROM feedback f WHERE " WHERE        \
  " GROUP BY 1, 2, 3, 4, 5, 6"

constexpr char kScoreSlotsFold[] =
    "INSERT INTO score_slots AS t (slot, kind, channel, agent_id, queue, score, responses) "
    SCORE_SLOT_ROWS(WINDOW_FEEDBACK)
    " ON CONFLICT (slot, kind, channel, agent_id, queue, score) "
    "DO UPDATE SET responses = t.responses + excluded.responses";

// ---- score_days -------------------------------------------------------------

#define SCORE_DAY_ROWS(WHERE)                                                                 \
  "SELECT z.zone, g.dims, f.kind, (f.occurred_at AT TIME ZONE z.zone)::date, "               \
  "(CASE WHEN g.dims = 1 THEN f.channel ELSE 0 END)::smallint, "                             \
  "CASE WHEN g.dims = 2 THEN coalesce(f.agent_id, '') ELSE '' END, "                         \
  "CASE WHEN g.dims = 4 THEN coalesce(f.queue, '') ELSE '' END, f.score, count(*)::bigint "  \
  "FROM feedback f CROSS JOIN report_zones z "                                               \
  "CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint), (4::smallint)) AS g(dims) " \
  "WHERE " WHERE " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"

constexpr char kScoreDaysFold[] =
    "INSERT INTO score_days AS t (zone, dims, kind, day, channel, agent_id, queue, score, "
    "responses) " SCORE_DAY_ROWS(WINDOW_FEEDBACK)
    " ON CONFLICT (zone, dims, kind, day, channel, agent_id, queue, score) "
    "DO UPDATE SET responses = t.responses + excluded.responses";

// ---- customer_slots ---------------------------------------------------------

constexpr char kCustomerSlotsFold[] =
    "INSERT INTO customer_slots (slot, customer_id) "
    "SELECT report_slot(f.occurred_at), f.customer_id FROM feedback f "
    "WHERE f.customer_id IS NOT NULL AND " WINDOW_FEEDBACK
    " UNION SELECT report_slot(c.created_at), c.customer_id "
    "FROM complaint_changes($1::xid8, $2::xid8) c WHERE c.sign = 1 AND c.customer_id IS NOT NULL "
    "ON CONFLICT DO NOTHING";

constexpr char kCustomerSlotsRecount[] =
    "SELECT report_slot(f.occurred_at), f.customer_id FROM feedback f "
    "WHERE f.customer_id IS NOT NULL AND " FOLDED_FEEDBACK
    " UNION SELECT report_slot(created_at), customer_id FROM complaint_folded "
    "WHERE customer_id IS NOT NULL";

// ---- complaint_days, complaint_period_times, complaint_day_resolved ---------
// From complaint_day_keys: the window's changes, or (recount) every
// complaint as folded.

#define COMPLAINT_DAY_ROWS(KEYS)                                                          \
  "SELECT zone, dims, day, k_channel, k_queue, k_category, k_assignee, sum(sign)::bigint, " \
  "coalesce(sum(sign) FILTER (WHERE resolved_on IS NOT NULL), 0)::bigint, "               \
  "coalesce(sum(sign) FILTER (WHERE reopened), 0)::bigint, "                              \
  "coalesce(sum(sign) FILTER (WHERE escalated), 0)::bigint, "                             \
  "coalesce(sum(sign) FILTER (WHERE fr = 1), 0)::bigint, "                                \
  "coalesce(sum(sign) FILTER (WHERE fr = -1), 0)::bigint, "                               \
  "coalesce(sum(sign) FILTER (WHERE res = 1), 0)::bigint, "                               \
  "coalesce(sum(sign) FILTER (WHERE res = -1), 0)::bigint, "                              \
  "sum(sign * rated)::bigint, sum(sign * satisfied)::bigint FROM " KEYS                   \
  " x GROUP BY 1, 2, 3, 4, 5, 6, 7"
#define COMPLAINT_DAY_SUMS \
  "(opened, resolved, reopened, escalated, fr_met, fr_missed, res_met, res_missed, rated, satisfied)"
#define NOT_ALL_ZERO " <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)"

constexpr char kComplaintDaysFold[] =
    "INSERT INTO complaint_days AS t SELECT * FROM (" COMPLAINT_DAY_ROWS(
        "complaint_day_keys($1::xid8, $2::xid8)") ") d(zone, dims, day, channel, queue, category, "
    "assignee, opened, resolved, reopened, escalated, fr_met, fr_missed, res_met, res_missed, "
    "rated, satisfied) WHERE " COMPLAINT_DAY_SUMS NOT_ALL_ZERO
    " ON CONFLICT (zone, dims, day, channel, queue, category, assignee) DO UPDATE SET "
    "opened = t.opened + excluded.opened, resolved = t.resolved + excluded.resolved, "
    "reopened = t.reopened + excluded.reopened, escalated = t.escalated + excluded.escalated, "
    "fr_met = t.fr_met + excluded.fr_met, fr_missed = t.fr_missed + excluded.fr_missed, "
    "res_met = t.res_met + excluded.res_met, res_missed = t.res_missed + excluded.res_missed, "
    "rated = t.rated + excluded.rated, satisfied = t.satisfied + excluded.satisfied";

#define COMPLAINT_TIME_ROWS(KEYS)                                                            \
  "SELECT k.zone, p.grain, k.dims, retention_period(p.grain, k.day), k.k_channel, k.k_queue, " \
  "k.k_category, k.k_assignee, m.metric, time_bin(m.seconds), sum(k.sign)::bigint FROM " KEYS \
  " k CROSS JOIN retention_grains() AS p(grain) "                                            \
  "CROSS JOIN LATERAL (VALUES (1::smallint, k.fr_seconds), (2::smallint, k.res_seconds)) "   \
  "AS m(metric, seconds) WHERE m.seconds IS NOT NULL "                                       \
  "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 HAVING sum(k.sign) <> 0"

constexpr char kComplaintTimesFold[] =
    "INSERT INTO complaint_period_times AS t " COMPLAINT_TIME_ROWS(
        "complaint_day_keys($1::xid8, $2::xid8)")
    " ON CONFLICT (zone, grain, dims, period, channel, queue, category, assignee, metric, bin) "
    "DO UPDATE SET n = t.n + excluded.n";

#define COMPLAINT_RESOLVED_ROWS(KEYS)                                                       \
  "SELECT zone, dims, day, resolved_on, k_channel, k_queue, k_category, k_assignee, "       \
  "sum(sign)::bigint FROM " KEYS " x WHERE resolved_on IS NOT NULL "                          \
  "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 HAVING sum(sign) <> 0"

constexpr char kComplaintResolvedFold[] =
    "INSERT INTO complaint_day_resolved AS t " COMPLAINT_RESOLVED_ROWS(
        "complaint_day_keys($1::xid8, $2::xid8)")
    " ON CONFLICT (zone, dims, day, resolved_on, channel, queue, category, assignee) "
    "DO UPDATE SET resolved = t.resolved + excluded.resolved";

// The recounts read every complaint as folded ($1 is bound, unused).
#define ALL_FOLDED "(SELECT * FROM complaint_day_keys(NULL, NULL) WHERE $1::xid8 IS NOT NULL)"

// ---- retention in report zones ------------------------------------------

constexpr char kCustomerPeriodsFold[] =
    "SELECT retention_fold_activity(array_agg(a.c), array_agg(a.t)) FROM ("
    "SELECT f.customer_id, f.occurred_at FROM feedback f "
    "WHERE f.customer_id IS NOT NULL AND " WINDOW_FEEDBACK
    " UNION ALL SELECT c.customer_id, c.created_at FROM complaint_changes($1::xid8, $2::xid8) c "
    "WHERE c.sign = 1 AND c.customer_id IS NOT NULL) AS a(c, t)";

constexpr char kCustomerPeriodsRecount[] =
    "SELECT z.zone, g.grain, retention_period(g.grain, (a.t AT TIME ZONE z.zone)::date), a.c, "
    "min((a.t AT TIME ZONE z.zone)::date) FROM ("
    "SELECT f.customer_id, f.occurred_at FROM feedback f "
    "WHERE f.customer_id IS NOT NULL AND " FOLDED_FEEDBACK
    " UNION ALL SELECT customer_id, created_at FROM complaint_folded WHERE customer_id IS NOT NULL"
    ") AS a(c, t) CROSS JOIN report_zones z CROSS JOIN retention_grains() AS g(grain) "
    "GROUP BY 1, 2, 3, 4";

constexpr char kComplainantPeriodsRecount[] =
    "SELECT z.zone, g.grain, retention_period(g.grain, (c.created_at AT TIME ZONE z.zone)::date), "
    "c.customer_id, count(*)::integer, (count(*) FILTER (WHERE c.resolved_at IS NULL))::integer "
    "FROM complaint_folded c CROSS JOIN report_zones z CROSS JOIN retention_grains() AS g(grain) "
    "WHERE c.customer_id IS NOT NULL AND $1::xid8 IS NOT NULL GROUP BY 1, 2, 3, 4";

constexpr std::array<DerivedTable, 10> kRegistry = {{
    {"complaint_folded",
     "each complaint as the tables below count it; the complaint report outside report "
     "zones and for two or more dimensions, retention's complainants outside report zones",
     kComplaintFoldedFold, "SELECT s.* FROM complaint_states s WHERE $1::xid8 IS NOT NULL",
     "SELECT * FROM complaint_folded",
     "id NOT IN (SELECT t.id FROM complaints_touched($1::xid8, '18446744073709551615') AS t(id))",
     "UPDATE complaint_folded SET customer_id = NULL WHERE customer_id = $1", false},
    {"score_slots", "CSAT and NPS reports outside report zones or the daily path",
     kScoreSlotsFold, SCORE_SLOT_ROWS(FOLDED_FEEDBACK),
     "SELECT * FROM score_slots WHERE responses <> 0", nullptr, nullptr, false},
    {"score_days", "CSAT and NPS reports over whole local days of a report zone, at most one "
                   "dimension",
     kScoreDaysFold, SCORE_DAY_ROWS(FOLDED_FEEDBACK),
     "SELECT * FROM score_days WHERE responses <> 0", nullptr, nullptr, true},
    {"customer_slots", "retention outside report zones, and periods of report zones the tail "
                       "touches",
     kCustomerSlotsFold, kCustomerSlotsRecount, "SELECT * FROM customer_slots", nullptr,
     "DELETE FROM customer_slots WHERE customer_id = $1", false},
    {"complaint_days", "the complaint report over whole local days of a report zone",
     kComplaintDaysFold, COMPLAINT_DAY_ROWS(ALL_FOLDED),
     "SELECT * FROM complaint_days WHERE " COMPLAINT_DAY_SUMS NOT_ALL_ZERO, nullptr, nullptr,
     true},
    {"complaint_period_times", "the complaint report's time percentiles on the daily path",
     kComplaintTimesFold, COMPLAINT_TIME_ROWS(ALL_FOLDED),
     "SELECT * FROM complaint_period_times WHERE n <> 0", nullptr, nullptr, true},
    {"complaint_day_resolved", "the complaint report's backlog at the end on the daily path",
     kComplaintResolvedFold, COMPLAINT_RESOLVED_ROWS(ALL_FOLDED),
     "SELECT * FROM complaint_day_resolved WHERE resolved <> 0", nullptr, nullptr, true},
    {"customer_periods", "retention in report zones (kept with retention_counts)",
     kCustomerPeriodsFold, kCustomerPeriodsRecount, "SELECT * FROM customer_periods", nullptr,
     nullptr, true},
    {"complainant_periods", "retention's complainants in report zones (kept with "
                            "retention_counts)",
     "SELECT retention_fold_complaint_changes($1::xid8, $2::xid8)", kComplainantPeriodsRecount,
     "SELECT * FROM complainant_periods", nullptr, nullptr, true},
    {"retention_counts", "retention in report zones; kept by the folds of complainant_periods "
                         "and customer_periods, erased with them",
     nullptr, "SELECT * FROM retention_counts_recount() WHERE $1::xid8 IS NOT NULL",
     "SELECT * FROM retention_counts WHERE (active, returning_customers, complainants_resolved, "
     "resolved_returned, complainants_unresolved, unresolved_returned) <> (0, 0, 0, 0, 0, 0)",
     nullptr, "SELECT retention_forget($1)", true},
}};

}  // namespace

std::span<const DerivedTable> Registry() { return kRegistry; }

}  // namespace feedback::storage::fold
