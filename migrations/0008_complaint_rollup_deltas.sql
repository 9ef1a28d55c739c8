-- Complaint rollups as delta rows.
--
-- Claims, assignments and transitions of complaints created in the same
-- 15-minute slot and group all changed one complaint_rollup row, so agents
-- working a queue at the same time waited on each other's row lock until
-- commit. Each statement now adds one row per changed group (an insert
-- never waits for another); readers sum the rows of a key, as they did
-- across slots. complaint_rollup_compact merges a key's rows into one
-- (run by feedbackd's monitor), so the tables stay about as small as before.

ALTER TABLE complaint_rollup DROP CONSTRAINT complaint_rollup_pkey;
CREATE INDEX complaint_rollup_key_idx
  ON complaint_rollup (slot, channel, queue, category, assignee);
ALTER TABLE complaint_time_rollup DROP CONSTRAINT complaint_time_rollup_pkey;
CREATE INDEX complaint_time_rollup_key_idx
  ON complaint_time_rollup (slot, channel, queue, category, assignee, metric, bin);

-- PL/pgSQL keeps the plan of its statement for the session; a LANGUAGE sql
-- function of this size was parsed and planned again on every call, which
-- was most of the cost of a claim.
CREATE OR REPLACE FUNCTION complaint_rollup_apply(added complaints[], removed complaints[])
  RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  WITH changes AS (
    SELECT a.*, 1 AS sign FROM unnest(added) a
    UNION ALL
    SELECT r.*, -1 AS sign FROM unnest(removed) r
  ), groups AS (
    SELECT report_slot(created_at) AS slot, channel, queue, category,
           coalesce(assignee_id, '') AS assignee,
           sum(sign) AS opened,
           sum(sign) FILTER (WHERE resolved_at IS NOT NULL) AS resolved,
           sum(sign) FILTER (WHERE reopen_count > 0) AS reopened,
           sum(sign) FILTER (WHERE escalation_level > 0) AS escalated,
           sum(sign) FILTER (WHERE sla_outcome(first_response_at, first_response_due_at,
                                               first_response_breached) = 1) AS fr_met,
           sum(sign) FILTER (WHERE sla_outcome(first_response_at, first_response_due_at,
                                               first_response_breached) = -1) AS fr_missed,
           sum(sign) FILTER (WHERE sla_outcome(resolved_at, resolution_due_at,
                                               resolution_breached) = 1) AS res_met,
           sum(sign) FILTER (WHERE sla_outcome(resolved_at, resolution_due_at,
                                               resolution_breached) = -1) AS res_missed,
           sum(sign * resolution_ratings) AS rated,
           sum(sign * resolution_ratings_satisfied) AS satisfied
    FROM changes GROUP BY 1, 2, 3, 4, 5
  ), counts AS (
    INSERT INTO complaint_rollup
      (slot, channel, queue, category, assignee, opened, resolved, reopened, escalated,
       fr_met, fr_missed, res_met, res_missed, rated, satisfied)
    SELECT slot, channel, queue, category, assignee, opened, coalesce(resolved, 0),
           coalesce(reopened, 0), coalesce(escalated, 0), coalesce(fr_met, 0),
           coalesce(fr_missed, 0), coalesce(res_met, 0), coalesce(res_missed, 0), rated, satisfied
    FROM groups
    WHERE (opened, coalesce(resolved, 0), coalesce(reopened, 0), coalesce(escalated, 0),
           coalesce(fr_met, 0), coalesce(fr_missed, 0), coalesce(res_met, 0),
           coalesce(res_missed, 0), rated, satisfied) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
  ), times AS (
    SELECT report_slot(created_at) AS slot, channel, queue, category,
           coalesce(assignee_id, '') AS assignee, m.metric, time_bin(m.seconds) AS bin,
           sum(sign) AS n
    FROM changes
    CROSS JOIN LATERAL (VALUES (1, first_response_seconds), (2, resolution_seconds))
      AS m(metric, seconds)
    WHERE m.seconds IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING sum(sign) <> 0
  )
  INSERT INTO complaint_time_rollup
    (slot, channel, queue, category, assignee, metric, bin, n)
  SELECT * FROM times;
END
$$;


-- Merges the delta rows of up to max_keys keys of each rollup into one row
-- per key (none when they sum to zero); returns the rows removed. Rows a
-- concurrent transaction adds meanwhile stay as they are, so the sums never
-- change; two compactions at once each merge only the rows they deleted.
CREATE FUNCTION complaint_rollup_compact(max_keys integer) RETURNS bigint LANGUAGE sql AS $$
  WITH keys AS (
    SELECT slot, channel, queue, category, assignee FROM complaint_rollup
    GROUP BY 1, 2, 3, 4, 5 HAVING count(*) > 1 LIMIT max_keys
  ), gone AS (
    DELETE FROM complaint_rollup r USING keys k
    WHERE (r.slot, r.channel, r.queue, r.category, r.assignee)
        = (k.slot, k.channel, k.queue, k.category, k.assignee)
    RETURNING r.*
  ), merged AS (
    INSERT INTO complaint_rollup
    SELECT slot, channel, queue, category, assignee, sum(opened), sum(resolved), sum(reopened),
           sum(escalated), sum(fr_met), sum(fr_missed), sum(res_met), sum(res_missed),
           sum(rated), sum(satisfied)
    FROM gone GROUP BY 1, 2, 3, 4, 5
    HAVING (sum(opened), sum(resolved), sum(reopened), sum(escalated), sum(fr_met),
            sum(fr_missed), sum(res_met), sum(res_missed), sum(rated), sum(satisfied))
        <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
  ), time_keys AS (
    SELECT slot, channel, queue, category, assignee, metric, bin FROM complaint_time_rollup
    GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING count(*) > 1 LIMIT max_keys
  ), time_gone AS (
    DELETE FROM complaint_time_rollup r USING time_keys k
    WHERE (r.slot, r.channel, r.queue, r.category, r.assignee, r.metric, r.bin)
        = (k.slot, k.channel, k.queue, k.category, k.assignee, k.metric, k.bin)
    RETURNING r.*
  ), time_merged AS (
    INSERT INTO complaint_time_rollup
    SELECT slot, channel, queue, category, assignee, metric, bin, sum(n)
    FROM time_gone GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0
  )
  SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM time_gone)
$$;
