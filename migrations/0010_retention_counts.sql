-- Return-rate counts per local day, week (Monday) and month of each report
-- zone, kept by the writing statements. The retention report used to
-- count distinct customers per bucket from customer_activity at report
-- time (seconds at 10M scores); it now sums a few rows per bucket.
--
-- For grain g ('d' day, 'w' week, 'm' month) and a period p of it, the
-- rows keyed (p, day) count:
--   active                  customers active in p (a score or a complaint)
--                           whose first active local day in p is `day`
--   returning_customers     ... of those, active in the period before too
--   complainants_resolved   customers who filed a complaint in p, all of
--                           that period's complaints resolved now (day = p)
--   complainants_unresolved customers with an unresolved complaint of p
--                           (day = p)
--   resolved_returned       resolved complainants of p whose first active
--   unresolved_returned     day in the period after p is `day` (likewise)
-- Keyed by first day, the rows answer a range that ends inside a period
-- too (the current week or month): a customer belongs to the part of the
-- period before `end` iff their first day in it is before `end`.
--
-- Exact, not estimated: customer_days remembers the local days each
-- customer was active (per report zone), complainant_periods each
-- customer's complaints and unresolved complaints per period, and every
-- statement that changes them adds the change of the counts as delta rows
-- (merged by the monitor, as in 0008).
--
-- Two transactions adding neighbouring periods of one customer would each
-- miss the other's day and count the return twice or not at all, so every
-- change first locks the customer's row in retention_customers (in sorted
-- order, once per statement: a batch's follow-up complaints belong to
-- customers its scores already locked).

-- Writers wait until the rows are filled and the triggers keep them.
LOCK TABLE feedback, complaints IN SHARE MODE;

-- A row per customer seen by a writer since (the lock; created on demand).
CREATE TABLE retention_customers (
  customer_id  text PRIMARY KEY
);

CREATE TABLE customer_days (
  zone         text NOT NULL,
  customer_id  text NOT NULL,
  day          date NOT NULL,
  PRIMARY KEY (customer_id, zone, day)
);

CREATE TABLE complainant_periods (
  zone         text    NOT NULL,
  customer_id  text    NOT NULL,
  grain        "char"  NOT NULL,
  period       date    NOT NULL,
  complaints   integer NOT NULL,
  unresolved   integer NOT NULL,
  PRIMARY KEY (customer_id, zone, grain, period)
);

CREATE TABLE retention_counts (
  zone                     text   NOT NULL,
  grain                    "char" NOT NULL,
  period                   date   NOT NULL,
  day                      date   NOT NULL,
  active                   bigint NOT NULL,
  returning_customers      bigint NOT NULL,
  complainants_resolved    bigint NOT NULL,
  resolved_returned        bigint NOT NULL,
  complainants_unresolved  bigint NOT NULL,
  unresolved_returned      bigint NOT NULL
);
CREATE INDEX retention_counts_key_idx ON retention_counts (zone, grain, period, day);

CREATE FUNCTION retention_grains() RETURNS SETOF "char" LANGUAGE sql IMMUTABLE AS $$
  VALUES ('d'::"char"), ('w'::"char"), ('m'::"char")
$$;

-- The period of grain g holding local day d, and its neighbours (plain
-- SQL expressions the planner inlines: the triggers call them per row).
CREATE FUNCTION retention_period(g "char", d date) RETURNS date LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE g WHEN 'd' THEN d
                WHEN 'w' THEN d - (extract(isodow FROM d)::integer - 1)
                ELSE d - (extract(day FROM d)::integer - 1) END
$$;
CREATE FUNCTION retention_next(g "char", p date) RETURNS date LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE g WHEN 'd' THEN p + 1 WHEN 'w' THEN p + 7 ELSE (p + interval '1 month')::date END
$$;
CREATE FUNCTION retention_prev(g "char", p date) RETURNS date LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE g WHEN 'd' THEN p - 1 WHEN 'w' THEN p - 7 ELSE (p - interval '1 month')::date END
$$;

-- Locks the customers' rows (creating them), in sorted order.
CREATE FUNCTION retention_lock(customers text[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO retention_customers (customer_id)
  SELECT DISTINCT c FROM unnest(customers) AS c WHERE c IS NOT NULL ORDER BY 1
  ON CONFLICT (customer_id) DO UPDATE SET customer_id = excluded.customer_id WHERE false
$$;

-- Customers active at the given times (locked by the caller): their new
-- days and the change of the counts those make. One statement: every part
-- of it reads the days as they were before it.
CREATE FUNCTION retention_activity_apply(customers text[], times timestamptz[])
  RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  WITH seen AS (
    SELECT DISTINCT z.zone, a.c AS customer_id, (a.t AT TIME ZONE z.zone)::date AS day
    FROM unnest(customers, times) AS a(c, t), report_zones z
    WHERE a.c IS NOT NULL AND a.t IS NOT NULL
  ), new_days AS (
    SELECT s.* FROM seen s
    WHERE NOT EXISTS (SELECT 1 FROM customer_days d
                      WHERE (d.customer_id, d.zone, d.day) = (s.customer_id, s.zone, s.day))
  ), stored AS (
    INSERT INTO customer_days (zone, customer_id, day) SELECT zone, customer_id, day FROM new_days
  ), touched AS (
    SELECT n.zone, n.customer_id, g.grain, retention_period(g.grain, n.day) AS period,
           min(n.day) AS first_new
    FROM new_days n, retention_grains() AS g(grain)
    GROUP BY 1, 2, 3, 4
  ), firsts AS (
    -- First day in the period (f) and in the one before (p), before (0)
    -- and after (1) this statement. A new day is a new period of its own.
    SELECT t.zone, t.customer_id, t.grain, t.period, b.f0, least(b.f0, t.first_new) AS f1,
           b.p0, least(b.p0, tp.first_new) AS p1
    FROM touched t
    CROSS JOIN LATERAL (
      SELECT CASE WHEN t.grain <> 'd' THEN
               (SELECT min(d.day) FROM customer_days d
                WHERE d.customer_id = t.customer_id AND d.zone = t.zone
                  AND d.day >= t.period AND d.day < retention_next(t.grain, t.period)) END AS f0,
             (SELECT min(d.day) FROM customer_days d
              WHERE d.customer_id = t.customer_id AND d.zone = t.zone
                AND d.day >= retention_prev(t.grain, t.period) AND d.day < t.period) AS p0) b
    LEFT JOIN touched tp
      ON (tp.zone, tp.customer_id, tp.grain, tp.period)
       = (t.zone, t.customer_id, t.grain, retention_prev(t.grain, t.period))
  ), deltas AS (
    -- The customer moves from (period, f0) to (period, f1), returning or not ...
    SELECT zone, grain, period, f0 AS day, -1 AS active,
           -(p0 IS NOT NULL)::integer AS returning_customers, 0 AS rr, 0 AS ur
    FROM firsts WHERE f0 IS NOT NULL
    UNION ALL
    SELECT zone, grain, period, f1, 1, (p1 IS NOT NULL)::integer, 0, 0 FROM firsts
    UNION ALL
    -- ... a period after a newly active one (and not new itself) now counts
    -- the customer as returning ...
    SELECT f.zone, f.grain, n.period, n.first, 0, 1, 0, 0
    FROM firsts f
    CROSS JOIN LATERAL (
      SELECT retention_next(f.grain, f.period) AS period,
             (SELECT min(d.day) FROM customer_days d
              WHERE d.customer_id = f.customer_id AND d.zone = f.zone
                AND d.day >= retention_next(f.grain, f.period)
                AND d.day < retention_next(f.grain, retention_next(f.grain, f.period))) AS first) n
    WHERE f.f0 IS NULL AND n.first IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM touched t
                      WHERE (t.zone, t.customer_id, t.grain, t.period)
                          = (f.zone, f.customer_id, f.grain, n.period))
    UNION ALL
    -- ... and a complainant of the period before returned on day f1.
    SELECT f.zone, f.grain, cp.period, s.day, 0, 0, s.sign * (cp.unresolved = 0)::integer,
           s.sign * (cp.unresolved > 0)::integer
    FROM firsts f
    JOIN complainant_periods cp
      ON (cp.customer_id, cp.zone, cp.grain, cp.period)
       = (f.customer_id, f.zone, f.grain, retention_prev(f.grain, f.period))
    CROSS JOIN LATERAL (VALUES (f.f0, -1), (f.f1, 1)) AS s(day, sign)
    WHERE s.day IS NOT NULL
  )
  INSERT INTO retention_counts
  SELECT zone, grain, period, day, sum(active), sum(returning_customers), 0, sum(rr), 0, sum(ur)
  FROM deltas GROUP BY 1, 2, 3, 4
  HAVING (sum(active), sum(returning_customers), sum(rr), sum(ur)) <> (0, 0, 0, 0);
END $$;

-- Complaints counted in (sign +1) or out (-1) of their customers'
-- complainant periods (customers locked by the caller); `open` says
-- whether each is unresolved.
CREATE FUNCTION retention_complaints_apply(customers text[], created timestamptz[],
                                           open boolean[], sign integer)
  RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  WITH change AS (
    SELECT z.zone, a.c AS customer_id, g.grain,
           retention_period(g.grain, (a.t AT TIME ZONE z.zone)::date) AS period,
           sign * count(*) AS dn, sign * count(*) FILTER (WHERE a.o) AS du
    FROM unnest(customers, created, open) AS a(c, t, o), report_zones z,
         retention_grains() AS g(grain)
    WHERE a.c IS NOT NULL
    GROUP BY 1, 2, 3, 4
  ), states AS (
    SELECT ch.*, coalesce(cp.complaints, 0) AS n0, coalesce(cp.unresolved, 0) AS u0,
           (SELECT min(d.day) FROM customer_days d
            WHERE d.customer_id = ch.customer_id AND d.zone = ch.zone
              AND d.day >= retention_next(ch.grain, ch.period)
              AND d.day < retention_next(ch.grain, retention_next(ch.grain, ch.period))) AS back_on
    FROM change ch
    LEFT JOIN complainant_periods cp
      ON (cp.customer_id, cp.zone, cp.grain, cp.period)
       = (ch.customer_id, ch.zone, ch.grain, ch.period)
  ), stored AS (
    INSERT INTO complainant_periods (zone, customer_id, grain, period, complaints, unresolved)
    SELECT zone, customer_id, grain, period, n0 + dn, u0 + du FROM states WHERE n0 + dn > 0
    ON CONFLICT (customer_id, zone, grain, period)
      DO UPDATE SET complaints = excluded.complaints, unresolved = excluded.unresolved
  ), emptied AS (
    DELETE FROM complainant_periods cp USING states s
    WHERE s.n0 + s.dn <= 0
      AND (cp.customer_id, cp.zone, cp.grain, cp.period) = (s.customer_id, s.zone, s.grain, s.period)
  ), deltas AS (
    SELECT zone, grain, period, back_on,
           (n0 + dn > 0 AND u0 + du = 0)::integer - (n0 > 0 AND u0 = 0)::integer AS resolved,
           (u0 + du > 0)::integer - (u0 > 0)::integer AS unresolved
    FROM states
  ), keyed AS (
    -- Complainants under the period itself, returns under the first day back.
    SELECT zone, grain, period, period AS day, resolved, 0 AS rr, unresolved, 0 AS ur
    FROM deltas
    UNION ALL
    SELECT zone, grain, period, back_on, 0, resolved, 0, unresolved
    FROM deltas WHERE back_on IS NOT NULL
  )
  INSERT INTO retention_counts
  SELECT zone, grain, period, day, 0, 0, sum(resolved), sum(rr), sum(unresolved), sum(ur)
  FROM keyed GROUP BY 1, 2, 3, 4
  HAVING (sum(resolved), sum(rr), sum(unresolved), sum(ur)) <> (0, 0, 0, 0);
END $$;

-- Forgets a customer (erasure): their periods no longer count.
CREATE FUNCTION retention_forget(c text) RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  PERFORM retention_lock(ARRAY[c]);
  WITH periods AS (
    SELECT d.zone, g.grain, retention_period(g.grain, d.day) AS period, min(d.day) AS first
    FROM customer_days d, retention_grains() AS g(grain)
    WHERE d.customer_id = c
    GROUP BY 1, 2, 3
  ), deltas AS (
    SELECT p.zone, p.grain, p.period, p.first AS day, -1 AS active,
           -(EXISTS (SELECT 1 FROM periods q
                     WHERE (q.zone, q.grain, q.period)
                         = (p.zone, p.grain, retention_prev(p.grain, p.period))))::integer
             AS returning_customers,
           0 AS rr, 0 AS ur
    FROM periods p
    UNION ALL
    SELECT p.zone, p.grain, cp.period, p.first, 0, 0, -(cp.unresolved = 0)::integer,
           -(cp.unresolved > 0)::integer
    FROM periods p
    JOIN complainant_periods cp
      ON (cp.customer_id, cp.zone, cp.grain, cp.period)
       = (c, p.zone, p.grain, retention_prev(p.grain, p.period))
  )
  INSERT INTO retention_counts
  SELECT zone, grain, period, day, sum(active), sum(returning_customers), 0, sum(rr), 0, sum(ur)
  FROM deltas GROUP BY 1, 2, 3, 4;
  DELETE FROM customer_days WHERE customer_id = c;
  DELETE FROM complainant_periods WHERE customer_id = c;
  DELETE FROM retention_customers WHERE customer_id = c;
END $$;

CREATE FUNCTION feedback_retention_insert() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  cs text[];
  ts timestamptz[];
BEGIN
  SELECT array_agg(customer_id), array_agg(occurred_at) INTO cs, ts
  FROM new_rows WHERE customer_id IS NOT NULL;
  IF cs IS NOT NULL THEN
    PERFORM retention_lock(cs);
    PERFORM retention_activity_apply(cs, ts);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER feedback_retention_insert AFTER INSERT ON feedback
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION feedback_retention_insert();

CREATE FUNCTION complaints_retention_insert() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  cs text[];
  ts timestamptz[];
  os boolean[];
BEGIN
  SELECT array_agg(customer_id), array_agg(created_at), array_agg(resolved_at IS NULL)
    INTO cs, ts, os
  FROM new_rows WHERE customer_id IS NOT NULL;
  IF cs IS NOT NULL THEN
    PERFORM retention_lock(cs);
    -- The complainant periods first: their returns are read from the
    -- customers' days before this statement's, which the activity step
    -- then adds (and counts as returns of the periods as they are now).
    PERFORM retention_complaints_apply(cs, ts, os, 1);
    PERFORM retention_activity_apply(cs, ts);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER complaints_retention_insert AFTER INSERT ON complaints
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION complaints_retention_insert();

-- Only rows whose customer, creation time or resolvedness changed move
-- the counts (claims, notes and escalations do not).
CREATE FUNCTION complaints_retention_update() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  old_cs text[];
  old_ts timestamptz[];
  old_os boolean[];
  new_cs text[];
  new_ts timestamptz[];
  new_os boolean[];
BEGIN
  SELECT array_agg(o.customer_id), array_agg(o.created_at), array_agg(o.resolved_at IS NULL),
         array_agg(n.customer_id), array_agg(n.created_at), array_agg(n.resolved_at IS NULL)
    INTO old_cs, old_ts, old_os, new_cs, new_ts, new_os
  FROM old_rows o JOIN new_rows n ON n.id = o.id
  WHERE (o.customer_id, o.created_at, o.resolved_at IS NULL)
        IS DISTINCT FROM (n.customer_id, n.created_at, n.resolved_at IS NULL);
  IF old_cs IS NOT NULL THEN
    PERFORM retention_lock(old_cs || new_cs);
    PERFORM retention_complaints_apply(old_cs, old_ts, old_os, -1);
    PERFORM retention_complaints_apply(new_cs, new_ts, new_os, 1);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER complaints_retention_update AFTER UPDATE ON complaints
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION complaints_retention_update();

CREATE FUNCTION complaints_retention_delete() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  cs text[];
  ts timestamptz[];
  os boolean[];
BEGIN
  SELECT array_agg(customer_id), array_agg(created_at), array_agg(resolved_at IS NULL)
    INTO cs, ts, os
  FROM old_rows WHERE customer_id IS NOT NULL;
  IF cs IS NOT NULL THEN
    PERFORM retention_lock(cs);
    PERFORM retention_complaints_apply(cs, ts, os, -1);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER complaints_retention_delete AFTER DELETE ON complaints
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION complaints_retention_delete();

-- Recounts from the raw rows, for filling a zone, `rollups rebuild` and
-- `rollups check`.
CREATE FUNCTION customer_days_recount(z text)
  RETURNS TABLE (zone text, customer_id text, day date) LANGUAGE sql STABLE AS $$
  SELECT DISTINCT z, a.customer_id, (a.t AT TIME ZONE z)::date
  FROM (SELECT customer_id, occurred_at AS t FROM feedback WHERE customer_id IS NOT NULL
        UNION ALL
        SELECT customer_id, created_at FROM complaints WHERE customer_id IS NOT NULL) a
$$;

CREATE FUNCTION complainant_periods_recount(z text)
  RETURNS TABLE (zone text, customer_id text, grain "char", period date, complaints integer,
                 unresolved integer)
  LANGUAGE sql STABLE AS $$
  SELECT z, c.customer_id, g.grain, retention_period(g.grain, (c.created_at AT TIME ZONE z)::date),
         count(*)::integer, (count(*) FILTER (WHERE c.resolved_at IS NULL))::integer
  FROM complaints c, retention_grains() AS g(grain)
  WHERE c.customer_id IS NOT NULL
  GROUP BY 1, 2, 3, 4
$$;

-- The counts of zone z from customer days and complainant periods: a
-- recount of the raw rows, or (from_raw false) the stored ones.
CREATE FUNCTION retention_counts_recount(z text, from_raw boolean DEFAULT true)
  RETURNS TABLE (zone text, grain "char", period date, day date, active bigint,
                 returning_customers bigint, complainants_resolved bigint,
                 resolved_returned bigint, complainants_unresolved bigint,
                 unresolved_returned bigint)
  LANGUAGE sql STABLE AS $$
  WITH member AS MATERIALIZED (
    SELECT g.grain, d.customer_id, retention_period(g.grain, d.day) AS period,
           min(d.day) AS first
    FROM (SELECT r.customer_id, r.day FROM customer_days_recount(z) r WHERE from_raw
          UNION ALL
          SELECT s.customer_id, s.day FROM customer_days s WHERE NOT from_raw AND s.zone = z) d,
         retention_grains() AS g(grain)
    GROUP BY 1, 2, 3
  ), cp AS MATERIALIZED (
    SELECT r.customer_id, r.grain, r.period, r.unresolved
    FROM complainant_periods_recount(z) r WHERE from_raw
    UNION ALL
    SELECT s.customer_id, s.grain, s.period, s.unresolved
    FROM complainant_periods s WHERE NOT from_raw AND s.zone = z
  ), counted AS (
    SELECT m.grain, m.period, m.first AS day, 1 AS active,
           (p.customer_id IS NOT NULL)::integer AS returning_customers,
           0 AS cr, 0 AS rr, 0 AS cu, 0 AS ur
    FROM member m
    LEFT JOIN member p
      ON (p.grain, p.customer_id, p.period) = (m.grain, m.customer_id, retention_prev(m.grain, m.period))
    UNION ALL
    SELECT grain, period, period, 0, 0, (unresolved = 0)::integer, 0, (unresolved > 0)::integer, 0
    FROM cp
    UNION ALL
    SELECT cp.grain, cp.period, n.first, 0, 0, 0, (cp.unresolved = 0)::integer, 0,
           (cp.unresolved > 0)::integer
    FROM cp
    JOIN member n
      ON (n.grain, n.customer_id, n.period) = (cp.grain, cp.customer_id, retention_next(cp.grain, cp.period))
  )
  SELECT z, grain, period, day, sum(active), sum(returning_customers), sum(cr), sum(rr), sum(cu),
         sum(ur)
  FROM counted GROUP BY 2, 3, 4
$$;

-- The stored counts with their delta rows summed (what a report reads).
CREATE FUNCTION retention_counts_merged()
  RETURNS TABLE (zone text, grain "char", period date, day date, active bigint,
                 returning_customers bigint, complainants_resolved bigint,
                 resolved_returned bigint, complainants_unresolved bigint,
                 unresolved_returned bigint)
  LANGUAGE sql STABLE AS $$
  SELECT zone, grain, period, day, sum(active)::bigint, sum(returning_customers)::bigint,
         sum(complainants_resolved)::bigint, sum(resolved_returned)::bigint,
         sum(complainants_unresolved)::bigint, sum(unresolved_returned)::bigint
  FROM retention_counts GROUP BY 1, 2, 3, 4
  HAVING (sum(active), sum(returning_customers), sum(complainants_resolved), sum(resolved_returned),
          sum(complainants_unresolved), sum(unresolved_returned)) <> (0, 0, 0, 0, 0, 0)
$$;

-- Merges the delta rows of up to max_keys keys; returns the rows removed.
CREATE FUNCTION retention_counts_compact(max_keys integer) RETURNS bigint LANGUAGE sql AS $$
  WITH keys AS (
    SELECT zone, grain, period, day FROM retention_counts
    GROUP BY 1, 2, 3, 4 HAVING count(*) > 1 LIMIT max_keys
  ), gone AS (
    DELETE FROM retention_counts r USING keys k
    WHERE (r.zone, r.grain, r.period, r.day) = (k.zone, k.grain, k.period, k.day)
    RETURNING r.*
  ), merged AS (
    INSERT INTO retention_counts
    SELECT zone, grain, period, day, sum(active), sum(returning_customers),
           sum(complainants_resolved), sum(resolved_returned), sum(complainants_unresolved),
           sum(unresolved_returned)
    FROM gone GROUP BY 1, 2, 3, 4
    HAVING (sum(active), sum(returning_customers), sum(complainants_resolved),
            sum(resolved_returned), sum(complainants_unresolved), sum(unresolved_returned))
        <> (0, 0, 0, 0, 0, 0)
  )
  SELECT count(*) FROM gone
$$;

-- Fills one zone from the raw rows (this migration, `rollups add-zone`).
CREATE FUNCTION retention_fill(z text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO customer_days SELECT * FROM customer_days_recount(z);
  INSERT INTO complainant_periods SELECT * FROM complainant_periods_recount(z);
  INSERT INTO retention_counts SELECT * FROM retention_counts_recount(z, false);
$$;

SELECT retention_fill(zone) FROM report_zones;
ANALYZE retention_customers, customer_days, complainant_periods, retention_counts;
