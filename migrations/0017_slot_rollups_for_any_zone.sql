-- Reports in zones that are not report zones, and complaint reports that
-- group by two or more dimensions, are summed from the 15-minute slots.
-- Two of their numbers still read the complaints themselves:
--   * the complaint report's backlog needs the cohort's complaints resolved
--     at or after the end of the range (they were open at its end);
--   * the retention report needs each complainant's complaints per bucket
--     and whether all of them are resolved now.
-- Two slot rollups answer them instead, kept by the complaint triggers in
-- the same transaction as the change.

-- Complaint writers wait until the rows are filled and the triggers keep
-- them; readers go on.
LOCK TABLE complaints IN SHARE MODE;

-- Resolved complaints per slot of creation, slot of resolution and group.
-- resolved_at >= E exactly when the resolution slot is E or later, for any
-- E on a slot boundary (report ranges are). One upsert per changed group:
-- resolutions come one agent action at a time. A reopened complaint's row
-- may stay at 0 (readers sum, the check skips zeros).
CREATE TABLE complaint_resolved_rollup (
  resolved_slot timestamptz NOT NULL,
  slot          timestamptz NOT NULL,  -- slot of creation
  channel       smallint    NOT NULL,
  queue         text        NOT NULL,
  category      text        NOT NULL,
  assignee      text        NOT NULL,  -- '' when unassigned
  resolved      bigint      NOT NULL,
  PRIMARY KEY (resolved_slot, slot, channel, queue, category, assignee)
);

-- Complaints per customer and slot of creation, and how many of them are
-- unresolved now (a row goes when its customer has no complaint in it).
CREATE TABLE complainant_slots (
  slot         timestamptz NOT NULL,
  customer_id  text        NOT NULL,
  complaints   integer     NOT NULL,
  unresolved   integer     NOT NULL,
  PRIMARY KEY (slot, customer_id)
);

-- 0008's slot rollup function (complaint_rollup_apply_rows since 0012)
-- stays as it is under a new name; the name the dispatchers of 0012 call
-- now runs it and then the resolution slots, only for statements that
-- touch a resolved complaint (claims and new complaints skip it).
ALTER FUNCTION complaint_rollup_apply_rows(complaints[], complaints[])
  RENAME TO complaint_rollup_counts_rows;
CREATE FUNCTION complaint_rollup_apply_rows(added complaints[], removed complaints[])
  RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  PERFORM complaint_rollup_counts_rows(added, removed);
  IF EXISTS (SELECT 1 FROM unnest(added) x WHERE x.resolved_at IS NOT NULL)
     OR EXISTS (SELECT 1 FROM unnest(removed) x WHERE x.resolved_at IS NOT NULL) THEN
    INSERT INTO complaint_resolved_rollup AS r
      (resolved_slot, slot, channel, queue, category, assignee, resolved)
    SELECT report_slot(c.resolved_at), report_slot(c.created_at), c.channel, c.queue,
           c.category, coalesce(c.assignee_id, ''), sum(c.sign)
    FROM (SELECT a.*, 1 AS sign FROM unnest(added) a
          UNION ALL
          SELECT o.*, -1 AS sign FROM unnest(removed) o) c
    WHERE c.resolved_at IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6
    HAVING sum(c.sign) <> 0
    ORDER BY 1, 2, 3, 4, 5, 6  -- one lock order for all writers
    ON CONFLICT (resolved_slot, slot, channel, queue, category, assignee)
      DO UPDATE SET resolved = r.resolved + excluded.resolved;
  END IF;
END
$$;

-- 0010's complainant periods function (retention_complaints_apply_rows
-- since 0012) likewise, followed by the complainant slots. Its callers
-- hold the customers' locks (retention_lock), so no two transactions
-- change one customer's rows at once.
ALTER FUNCTION retention_complaints_apply_rows(text[], timestamptz[], boolean[], integer)
  RENAME TO retention_complaints_periods_rows;
CREATE FUNCTION retention_complaints_apply_rows(customers text[], created timestamptz[],
                                                open boolean[], sign integer)
  RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  PERFORM retention_complaints_periods_rows(customers, created, open, sign);
  INSERT INTO complainant_slots AS s (slot, customer_id, complaints, unresolved)
  SELECT report_slot(a.t), a.c, sign * count(*), sign * count(*) FILTER (WHERE a.o)
  FROM unnest(customers, created, open) AS a(c, t, o)
  WHERE a.c IS NOT NULL
  GROUP BY 1, 2
  ORDER BY 1, 2
  ON CONFLICT (slot, customer_id)
    DO UPDATE SET complaints = s.complaints + excluded.complaints,
                  unresolved = s.unresolved + excluded.unresolved;
  IF sign < 0 THEN
    DELETE FROM complainant_slots s
    USING unnest(customers, created) AS a(c, t)
    WHERE s.slot = report_slot(a.t) AND s.customer_id = a.c AND s.complaints <= 0;
  END IF;
END
$$;

-- What is already there.
INSERT INTO complaint_resolved_rollup
SELECT report_slot(resolved_at), report_slot(created_at), channel, queue, category,
       coalesce(assignee_id, ''), count(*)
FROM complaints WHERE resolved_at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO complainant_slots
SELECT report_slot(created_at), customer_id, count(*), count(*) FILTER (WHERE resolved_at IS NULL)
FROM complaints WHERE customer_id IS NOT NULL
GROUP BY 1, 2;
ANALYZE complaint_resolved_rollup;
ANALYZE complainant_slots;
