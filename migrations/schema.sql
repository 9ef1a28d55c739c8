-- The schema after the last migration, as pg_dump --schema-only prints it
-- (without its version header and session settings). Generated: do not
-- edit; `scripts/dev.sh schema` rewrites it, and a test fails when the
-- migrations produce anything else. The migrations are the history.

--
-- PostgreSQL database dump
--

--
-- Name: complaint_changes(xid8, xid8); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.complaint_changes(lo xid8, hi xid8) RETURNS TABLE(sign integer, id uuid, created_at timestamp with time zone, channel smallint, queue text, category text, assignee text, customer_id text, resolved_at timestamp with time zone, reopened boolean, escalated boolean, fr smallint, res smallint, fr_seconds bigint, res_seconds bigint, rated bigint, satisfied bigint)
    LANGUAGE sql STABLE
    AS $$
  WITH t AS MATERIALIZED (SELECT t.id FROM complaints_touched(lo, hi) AS t(id))
  SELECT 1, s.* FROM complaint_states s WHERE s.id IN (SELECT id FROM t)
  UNION ALL
  SELECT -1, f.* FROM complaint_folded f WHERE f.id IN (SELECT id FROM t)
$$;

--
-- Name: complaint_day_keys(xid8, xid8); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.complaint_day_keys(lo xid8, hi xid8) RETURNS TABLE(sign integer, zone text, day date, dims smallint, k_channel smallint, k_queue text, k_category text, k_assignee text, resolved_on date, reopened boolean, escalated boolean, fr smallint, res smallint, fr_seconds bigint, res_seconds bigint, rated bigint, satisfied bigint)
    LANGUAGE sql STABLE
    AS $$
  SELECT x.sign, z.zone, (x.created_at AT TIME ZONE z.zone)::date, g.dims,
         (CASE WHEN g.dims = 1 THEN x.channel ELSE 0 END)::smallint,
         CASE WHEN g.dims = 4 THEN x.queue ELSE '' END,
         CASE WHEN g.dims = 8 THEN x.category ELSE '' END,
         CASE WHEN g.dims = 2 THEN x.assignee ELSE '' END,
         (x.resolved_at AT TIME ZONE z.zone)::date,
         x.reopened, x.escalated, x.fr, x.res, x.fr_seconds, x.res_seconds, x.rated, x.satisfied
  FROM (SELECT 1 AS sign, f.* FROM complaint_folded f WHERE lo IS NULL
        UNION ALL
        SELECT c.* FROM complaint_changes(lo, hi) c WHERE lo IS NOT NULL) x
  CROSS JOIN report_zones z
  CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint), (4::smallint), (8::smallint))
    AS g(dims)
$$;

--
-- Name: complaint_events_notify(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.complaint_events_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  PERFORM pg_notify('complaint_events', NEW.id::text);
  RETURN NULL;
END $$;

--
-- Name: complaint_folded; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.complaint_folded (
    id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    channel smallint NOT NULL,
    queue text NOT NULL,
    category text NOT NULL,
    assignee text NOT NULL,
    customer_id text,
    resolved_at timestamp with time zone,
    reopened boolean NOT NULL,
    escalated boolean NOT NULL,
    fr smallint NOT NULL,
    res smallint NOT NULL,
    fr_seconds bigint,
    res_seconds bigint,
    rated bigint NOT NULL,
    satisfied bigint NOT NULL
);

--
-- Name: complaints_effective(xid8); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.complaints_effective(wm xid8) RETURNS SETOF public.complaint_folded
    LANGUAGE sql STABLE
    AS $$
  WITH t AS MATERIALIZED (
    SELECT t.id FROM complaints_touched(wm, '18446744073709551615') AS t(id))
  SELECT f.* FROM complaint_folded f WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.id = f.id)
  UNION ALL
  SELECT s.* FROM complaint_states s WHERE s.id IN (SELECT id FROM t)
$$;

--
-- Name: complaints_stamp_fold_xid(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.complaints_stamp_fold_xid() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  NEW.fold_xid := pg_current_xact_id();
  RETURN NEW;
END $$;

--
-- Name: complaints_touched(xid8, xid8); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.complaints_touched(lo xid8, hi xid8) RETURNS SETOF uuid
    LANGUAGE sql STABLE
    AS $$
  SELECT c.id FROM complaints c WHERE c.fold_xid >= lo AND c.fold_xid < hi
  UNION
  SELECT c.id FROM feedback f JOIN complaints c ON c.id = try_uuid(f.complaint_id)
  WHERE f.fold_xid >= lo AND f.fold_xid < hi AND f.kind = 1 AND f.complaint_id IS NOT NULL
$$;

--
-- Name: epoch_us(timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.epoch_us(t timestamp with time zone) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT
    RETURN ((EXTRACT(epoch FROM t) * (1000000)::numeric))::bigint;

--
-- Name: report_slot(timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.report_slot(t timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE STRICT
    RETURN date_bin('00:15:00'::interval, t, '2000-01-01 00:00:00+00'::timestamp with time zone);

--
-- Name: retention_counts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.retention_counts (
    zone text NOT NULL,
    grain "char" NOT NULL,
    period date NOT NULL,
    day date NOT NULL,
    active bigint NOT NULL,
    returning_customers bigint NOT NULL,
    complainants_resolved bigint NOT NULL,
    resolved_returned bigint NOT NULL,
    complainants_unresolved bigint NOT NULL,
    unresolved_returned bigint NOT NULL
);

--
-- Name: retention_counts_recount(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.retention_counts_recount() RETURNS SETOF public.retention_counts
    LANGUAGE sql STABLE
    AS $$
  SELECT zone, grain, period, day, sum(a), sum(r), sum(cr), sum(rr), sum(cu), sum(ur)
  FROM (
    SELECT m.zone, m.grain, m.period, m.first_day AS day, 1 AS a,
           (p.customer_id IS NOT NULL)::integer AS r, 0 AS cr, 0 AS rr, 0 AS cu, 0 AS ur
    FROM customer_periods m
    LEFT JOIN customer_periods p
      ON (p.zone, p.grain, p.period, p.customer_id)
       = (m.zone, m.grain, retention_prev(m.grain, m.period), m.customer_id)
    UNION ALL
    SELECT zone, grain, period, period, 0, 0, (unresolved = 0)::integer, 0,
           (unresolved > 0)::integer, 0
    FROM complainant_periods
    UNION ALL
    SELECT cp.zone, cp.grain, cp.period, n.first_day, 0, 0, 0, (cp.unresolved = 0)::integer, 0,
           (cp.unresolved > 0)::integer
    FROM complainant_periods cp
    JOIN customer_periods n
      ON (n.zone, n.grain, n.period, n.customer_id)
       = (cp.zone, cp.grain, retention_next(cp.grain, cp.period), cp.customer_id)
  ) d
  GROUP BY 1, 2, 3, 4
  HAVING (sum(a), sum(r), sum(cr), sum(rr), sum(cu), sum(ur)) <> (0, 0, 0, 0, 0, 0)
$$;

--
-- Name: retention_fold_activity(text[], timestamp with time zone[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.retention_fold_activity(customers text[], times timestamp with time zone[]) RETURNS void
    LANGUAGE plpgsql
    SET jit TO 'off'
    AS $$
BEGIN
  WITH seen AS (
    SELECT z.zone, g.grain, retention_period(g.grain, (a.t AT TIME ZONE z.zone)::date) AS period,
           a.c AS customer_id, min((a.t AT TIME ZONE z.zone)::date) AS first
    FROM unnest(customers, times) AS a(c, t), report_zones z, retention_grains() AS g(grain)
    WHERE a.c IS NOT NULL AND a.t IS NOT NULL
    GROUP BY 1, 2, 3, 4
  ), moves AS MATERIALIZED (
    -- Periods whose first day moves: from f0 (NULL: newly active) to f1.
    SELECT s.zone, s.grain, s.period, s.customer_id, p.first_day AS f0,
           least(p.first_day, s.first) AS f1
    FROM seen s
    LEFT JOIN customer_periods p
      ON (p.zone, p.grain, p.period, p.customer_id) = (s.zone, s.grain, s.period, s.customer_id)
    WHERE p.first_day IS NULL OR s.first < p.first_day
  ), flagged AS MATERIALIZED (
    -- Whether the customer's period before / after moves too.
    SELECT m.*,
           coalesce(lag(m.period) OVER w = retention_prev(m.grain, m.period), false) AS prev_moved,
           coalesce(lead(m.period) OVER w = retention_next(m.grain, m.period), false) AS next_moved
    FROM moves m
    WINDOW w AS (PARTITION BY m.zone, m.grain, m.customer_id ORDER BY m.period)
  ), stored AS (
    INSERT INTO customer_periods (zone, grain, period, customer_id, first_day)
    SELECT zone, grain, period, customer_id, f1 FROM moves
    ON CONFLICT (zone, grain, period, customer_id) DO UPDATE SET first_day = excluded.first_day
  ), sides AS (
    -- Each move with whether the period before was active before (p0) and
    -- after (p1) this call.
    SELECT m.*, prev.customer_id IS NOT NULL AS p0,
           prev.customer_id IS NOT NULL OR m.prev_moved AS p1
    FROM flagged m
    LEFT JOIN customer_periods prev
      ON (prev.zone, prev.grain, prev.period, prev.customer_id)
       = (m.zone, m.grain, retention_prev(m.grain, m.period), m.customer_id)
  ), deltas AS (
    -- The customer moves from (period, f0) to (period, f1), returning or not ...
    SELECT zone, grain, period, f0 AS day, -1 AS a, -p0::integer AS r, 0 AS rr, 0 AS ur
    FROM sides WHERE f0 IS NOT NULL
    UNION ALL
    SELECT zone, grain, period, f1, 1, p1::integer, 0, 0 FROM sides
    UNION ALL
    -- ... a period after a newly active one, not moved itself, now counts
    -- the customer as returning ...
    SELECT m.zone, m.grain, n.period, n.first_day, 0, 1, 0, 0
    FROM flagged m
    JOIN customer_periods n
      ON (n.zone, n.grain, n.period, n.customer_id)
       = (m.zone, m.grain, retention_next(m.grain, m.period), m.customer_id)
    WHERE m.f0 IS NULL AND NOT m.next_moved
    UNION ALL
    -- ... and a complainant of the period before returned on day f1.
    SELECT m.zone, m.grain, cp.period, s.day, 0, 0, s.sign * (cp.unresolved = 0)::integer,
           s.sign * (cp.unresolved > 0)::integer
    FROM moves m
    JOIN complainant_periods cp
      ON (cp.zone, cp.grain, cp.period, cp.customer_id)
       = (m.zone, m.grain, retention_prev(m.grain, m.period), m.customer_id)
    CROSS JOIN LATERAL (VALUES (m.f0, -1), (m.f1, 1)) AS s(day, sign)
    WHERE s.day IS NOT NULL
  )
  INSERT INTO retention_counts AS t
  SELECT zone, grain, period, day, sum(a), sum(r), 0, sum(rr), 0, sum(ur)
  FROM deltas GROUP BY 1, 2, 3, 4
  HAVING (sum(a), sum(r), sum(rr), sum(ur)) <> (0, 0, 0, 0)
  ON CONFLICT (zone, grain, period, day) DO UPDATE SET
    active = t.active + excluded.active,
    returning_customers = t.returning_customers + excluded.returning_customers,
    resolved_returned = t.resolved_returned + excluded.resolved_returned,
    unresolved_returned = t.unresolved_returned + excluded.unresolved_returned;
END $$;

--
-- Name: retention_fold_complaint_changes(xid8, xid8); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.retention_fold_complaint_changes(lo xid8, hi xid8) RETURNS void
    LANGUAGE plpgsql
    SET jit TO 'off'
    AS $$
DECLARE
  old_cs text[];
  old_ts timestamptz[];
  old_os boolean[];
  new_cs text[];
  new_ts timestamptz[];
  new_os boolean[];
BEGIN
  -- Each complaint's two sides by grouping, not by joining the changes to
  -- themselves (the planner cannot know their number, and a nested loop
  -- over 100k new complaints never ended).
  SELECT array_agg(oc), array_agg(ot), array_agg(oo), array_agg(nc), array_agg(nt), array_agg(no)
    INTO old_cs, old_ts, old_os, new_cs, new_ts, new_os
  FROM (SELECT min(customer_id) FILTER (WHERE sign = -1) AS oc,
               min(created_at) FILTER (WHERE sign = -1) AS ot,
               bool_or(resolved_at IS NULL) FILTER (WHERE sign = -1) AS oo,
               min(customer_id) FILTER (WHERE sign = 1) AS nc,
               min(created_at) FILTER (WHERE sign = 1) AS nt,
               bool_or(resolved_at IS NULL) FILTER (WHERE sign = 1) AS no
        FROM complaint_changes(lo, hi) GROUP BY id) p
  WHERE (oc, ot, oo) IS DISTINCT FROM (nc, nt, no);
  IF new_cs IS NOT NULL THEN
    PERFORM retention_fold_complaints(old_cs, old_ts, old_os, -1);
    PERFORM retention_fold_complaints(new_cs, new_ts, new_os, 1);
  END IF;
END $$;

--
-- Name: retention_fold_complaints(text[], timestamp with time zone[], boolean[], integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.retention_fold_complaints(customers text[], created timestamp with time zone[], open boolean[], sign integer) RETURNS void
    LANGUAGE plpgsql
    SET jit TO 'off'
    AS $$
BEGIN
  WITH change AS (
    SELECT z.zone, g.grain,
           retention_period(g.grain, (a.t AT TIME ZONE z.zone)::date) AS period,
           a.c AS customer_id,
           sign * count(*) AS dn, sign * count(*) FILTER (WHERE a.o) AS du
    FROM unnest(customers, created, open) AS a(c, t, o), report_zones z,
         retention_grains() AS g(grain)
    WHERE a.c IS NOT NULL
    GROUP BY 1, 2, 3, 4
  ), states AS (
    SELECT ch.*, coalesce(cp.complaints, 0) AS n0, coalesce(cp.unresolved, 0) AS u0,
           back.first_day AS back_on
    FROM change ch
    LEFT JOIN complainant_periods cp
      ON (cp.zone, cp.grain, cp.period, cp.customer_id)
       = (ch.zone, ch.grain, ch.period, ch.customer_id)
    LEFT JOIN customer_periods back
      ON (back.zone, back.grain, back.period, back.customer_id)
       = (ch.zone, ch.grain, retention_next(ch.grain, ch.period), ch.customer_id)
  ), stored AS (
    INSERT INTO complainant_periods (zone, grain, period, customer_id, complaints, unresolved)
    SELECT zone, grain, period, customer_id, n0 + dn, u0 + du FROM states WHERE n0 + dn > 0
    ON CONFLICT (zone, grain, period, customer_id)
      DO UPDATE SET complaints = excluded.complaints, unresolved = excluded.unresolved
  ), emptied AS (
    DELETE FROM complainant_periods cp USING states s
    WHERE s.n0 + s.dn <= 0
      AND (cp.zone, cp.grain, cp.period, cp.customer_id) = (s.zone, s.grain, s.period, s.customer_id)
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
  INSERT INTO retention_counts AS t
  SELECT zone, grain, period, day, 0, 0, sum(resolved), sum(rr), sum(unresolved), sum(ur)
  FROM keyed GROUP BY 1, 2, 3, 4
  HAVING (sum(resolved), sum(rr), sum(unresolved), sum(ur)) <> (0, 0, 0, 0)
  ON CONFLICT (zone, grain, period, day) DO UPDATE SET
    complainants_resolved = t.complainants_resolved + excluded.complainants_resolved,
    resolved_returned = t.resolved_returned + excluded.resolved_returned,
    complainants_unresolved = t.complainants_unresolved + excluded.complainants_unresolved,
    unresolved_returned = t.unresolved_returned + excluded.unresolved_returned;
END $$;

--
-- Name: retention_forget(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.retention_forget(c text) RETURNS void
    LANGUAGE plpgsql
    SET jit TO 'off'
    AS $$
BEGIN
  WITH deltas AS (
    -- Their memberships, as active and returning customers ...
    SELECT p.zone, p.grain, p.period, p.first_day AS day, -1 AS a,
           -(prev.customer_id IS NOT NULL)::integer AS r, 0 AS cr, 0 AS rr, 0 AS cu, 0 AS ur
    FROM customer_periods p
    LEFT JOIN customer_periods prev
      ON (prev.zone, prev.grain, prev.period, prev.customer_id)
       = (p.zone, p.grain, retention_prev(p.grain, p.period), c)
    WHERE p.customer_id = c
    UNION ALL
    -- ... as complainants ...
    SELECT zone, grain, period, period, 0, 0, -(unresolved = 0)::integer, 0,
           -(unresolved > 0)::integer, 0
    FROM complainant_periods WHERE customer_id = c
    UNION ALL
    -- ... and as complainants who came back.
    SELECT cp.zone, cp.grain, cp.period, n.first_day, 0, 0, 0, -(cp.unresolved = 0)::integer,
           0, -(cp.unresolved > 0)::integer
    FROM complainant_periods cp
    JOIN customer_periods n
      ON (n.zone, n.grain, n.period, n.customer_id)
       = (cp.zone, cp.grain, retention_next(cp.grain, cp.period), c)
    WHERE cp.customer_id = c
  )
  INSERT INTO retention_counts AS t
  SELECT zone, grain, period, day, sum(a), sum(r), sum(cr), sum(rr), sum(cu), sum(ur)
  FROM deltas GROUP BY 1, 2, 3, 4
  ON CONFLICT (zone, grain, period, day) DO UPDATE SET
    active = t.active + excluded.active,
    returning_customers = t.returning_customers + excluded.returning_customers,
    complainants_resolved = t.complainants_resolved + excluded.complainants_resolved,
    resolved_returned = t.resolved_returned + excluded.resolved_returned,
    complainants_unresolved = t.complainants_unresolved + excluded.complainants_unresolved,
    unresolved_returned = t.unresolved_returned + excluded.unresolved_returned;
  DELETE FROM customer_periods WHERE customer_id = c;
  DELETE FROM complainant_periods WHERE customer_id = c;
END $$;

--
-- Name: retention_grains(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.retention_grains() RETURNS SETOF "char"
    LANGUAGE sql IMMUTABLE
    AS $$
  VALUES ('d'::"char"), ('w'::"char"), ('m'::"char")
$$;

--
-- Name: retention_next("char", date); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.retention_next(g "char", p date) RETURNS date
    LANGUAGE sql IMMUTABLE
    AS $$
  SELECT CASE g WHEN 'd' THEN p + 1 WHEN 'w' THEN p + 7 ELSE (p + interval '1 month')::date END
$$;

--
-- Name: retention_period("char", date); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.retention_period(g "char", d date) RETURNS date
    LANGUAGE sql IMMUTABLE
    AS $$
  SELECT CASE g WHEN 'd' THEN d
                WHEN 'w' THEN d - (extract(isodow FROM d)::integer - 1)
                ELSE d - (extract(day FROM d)::integer - 1) END
$$;

--
-- Name: retention_prev("char", date); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.retention_prev(g "char", p date) RETURNS date
    LANGUAGE sql IMMUTABLE
    AS $$
  SELECT CASE g WHEN 'd' THEN p - 1 WHEN 'w' THEN p - 7 ELSE (p - interval '1 month')::date END
$$;

--
-- Name: sla_outcome(timestamp with time zone, timestamp with time zone, boolean); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.sla_outcome(done_at timestamp with time zone, due_at timestamp with time zone, breached boolean) RETURNS integer
    LANGUAGE sql IMMUTABLE
    RETURN CASE WHEN ((done_at IS NOT NULL) AND (done_at <= due_at)) THEN 1 WHEN ((done_at IS NOT NULL) OR breached) THEN '-1'::integer ELSE 0 END;

--
-- Name: time_bin(bigint); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.time_bin(seconds bigint) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT
    RETURN CASE WHEN (seconds <= 0) THEN 0 ELSE (1 + (floor((ln((seconds)::double precision) / ln((1.02)::double precision))))::integer) END;

--
-- Name: try_uuid(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.try_uuid(t text) RETURNS uuid
    LANGUAGE sql IMMUTABLE STRICT
    RETURN CASE WHEN (t ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'::text) THEN (t)::uuid ELSE NULL::uuid END;

--
-- Name: admin_audit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.admin_audit (
    id bigint NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    target text NOT NULL
);

--
-- Name: admin_audit_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.admin_audit ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.admin_audit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: api_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_keys (
    id bigint NOT NULL,
    name text NOT NULL,
    role text NOT NULL,
    queues text[] DEFAULT '{}'::text[] NOT NULL,
    key_hash bytea NOT NULL,
    key_prefix text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    revoked_at timestamp with time zone,
    CONSTRAINT api_keys_key_hash_check CHECK ((length(key_hash) = 32)),
    CONSTRAINT api_keys_name_check CHECK (((length(name) >= 1) AND (length(name) <= 128))),
    CONSTRAINT api_keys_role_check CHECK ((role = ANY (ARRAY['ingest'::text, 'agent'::text, 'supervisor'::text, 'manager'::text, 'admin'::text])))
);

--
-- Name: api_keys_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.api_keys ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.api_keys_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: complainant_periods; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.complainant_periods (
    zone text NOT NULL,
    grain "char" NOT NULL,
    period date NOT NULL,
    customer_id text NOT NULL,
    complaints integer NOT NULL,
    unresolved integer NOT NULL
);

--
-- Name: complaint_day_resolved; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.complaint_day_resolved (
    zone text NOT NULL,
    dims smallint NOT NULL,
    day date NOT NULL,
    resolved_on date NOT NULL,
    channel smallint NOT NULL,
    queue text NOT NULL,
    category text NOT NULL,
    assignee text NOT NULL,
    resolved bigint NOT NULL
);

--
-- Name: complaint_days; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.complaint_days (
    zone text NOT NULL,
    dims smallint NOT NULL,
    day date NOT NULL,
    channel smallint NOT NULL,
    queue text NOT NULL,
    category text NOT NULL,
    assignee text NOT NULL,
    opened bigint NOT NULL,
    resolved bigint NOT NULL,
    reopened bigint NOT NULL,
    escalated bigint NOT NULL,
    fr_met bigint NOT NULL,
    fr_missed bigint NOT NULL,
    res_met bigint NOT NULL,
    res_missed bigint NOT NULL,
    rated bigint NOT NULL,
    satisfied bigint NOT NULL
);

--
-- Name: complaint_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.complaint_events (
    id bigint NOT NULL,
    complaint_id uuid NOT NULL,
    queue text NOT NULL,
    kind smallint NOT NULL,
    actor text NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    before jsonb DEFAULT '{}'::jsonb NOT NULL,
    after jsonb DEFAULT '{}'::jsonb NOT NULL,
    detail text DEFAULT ''::text NOT NULL
);

--
-- Name: complaint_events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.complaint_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.complaint_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: complaint_notes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.complaint_notes (
    id uuid NOT NULL,
    complaint_id uuid NOT NULL,
    author text NOT NULL,
    body text NOT NULL,
    visibility smallint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT complaint_notes_visibility_check CHECK ((visibility = ANY (ARRAY[1, 2])))
);

--
-- Name: complaint_period_times; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.complaint_period_times (
    zone text NOT NULL,
    grain "char" NOT NULL,
    dims smallint NOT NULL,
    period date NOT NULL,
    channel smallint NOT NULL,
    queue text NOT NULL,
    category text NOT NULL,
    assignee text NOT NULL,
    metric smallint NOT NULL,
    bin integer NOT NULL,
    n bigint NOT NULL,
    CONSTRAINT complaint_period_times_grain_check CHECK ((grain = ANY (ARRAY['d'::"char", 'w'::"char", 'm'::"char"])))
);

--
-- Name: complaints; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.complaints (
    id uuid NOT NULL,
    status smallint NOT NULL,
    priority smallint NOT NULL,
    queue text NOT NULL,
    category text DEFAULT ''::text NOT NULL,
    channel smallint NOT NULL,
    customer_id text,
    customer_phone text,
    customer_email text,
    customer_name text,
    interaction_id text,
    subject text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    assignee_id text,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    first_response_at timestamp with time zone,
    resolved_at timestamp with time zone,
    closed_at timestamp with time zone,
    first_response_due_at timestamp with time zone NOT NULL,
    resolution_due_at timestamp with time zone NOT NULL,
    sla_paused boolean DEFAULT false NOT NULL,
    paused_at timestamp with time zone,
    paused_business_seconds bigint DEFAULT 0 NOT NULL,
    first_response_breached boolean DEFAULT false NOT NULL,
    resolution_breached boolean DEFAULT false NOT NULL,
    escalation_level integer DEFAULT 0 NOT NULL,
    reopen_count integer DEFAULT 0 NOT NULL,
    source_feedback_id uuid,
    resolution_code text,
    version bigint DEFAULT 1 NOT NULL,
    first_response_seconds bigint,
    resolution_seconds bigint,
    fold_xid xid8 DEFAULT pg_current_xact_id() NOT NULL,
    CONSTRAINT complaints_priority_check CHECK (((priority >= 1) AND (priority <= 4))),
    CONSTRAINT complaints_status_check CHECK (((status >= 1) AND (status <= 5)))
);

--
-- Name: feedback; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.feedback (
    id uuid NOT NULL,
    kind smallint NOT NULL,
    score smallint NOT NULL,
    channel smallint NOT NULL,
    customer_id text,
    customer_phone text,
    customer_email text,
    customer_name text,
    interaction_id text,
    agent_id text,
    queue text,
    comment text,
    attributes jsonb DEFAULT '{}'::jsonb NOT NULL,
    complaint_id text,
    api_key_id bigint NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    received_at timestamp with time zone NOT NULL,
    fold_xid xid8 DEFAULT pg_current_xact_id() NOT NULL,
    CONSTRAINT feedback_channel_check CHECK (((channel >= 1) AND (channel <= 6))),
    CONSTRAINT feedback_check CHECK ((((kind = 1) AND ((score >= 1) AND (score <= 5))) OR ((kind = 2) AND ((score >= 0) AND (score <= 10))))),
    CONSTRAINT feedback_kind_check CHECK ((kind = ANY (ARRAY[1, 2])))
);

--
-- Name: complaint_states; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.complaint_states AS
 SELECT c.id,
    c.created_at,
    c.channel,
    c.queue,
    c.category,
    COALESCE(c.assignee_id, ''::text) AS assignee,
    c.customer_id,
    c.resolved_at,
    (c.reopen_count > 0) AS reopened,
    (c.escalation_level > 0) AS escalated,
    (public.sla_outcome(c.first_response_at, c.first_response_due_at, c.first_response_breached))::smallint AS fr,
    (public.sla_outcome(c.resolved_at, c.resolution_due_at, c.resolution_breached))::smallint AS res,
    c.first_response_seconds AS fr_seconds,
    c.resolution_seconds AS res_seconds,
    r.rated,
    r.satisfied
   FROM (public.complaints c
     CROSS JOIN LATERAL ( SELECT count(*) AS rated,
            count(*) FILTER (WHERE (f.score >= 4)) AS satisfied
           FROM public.feedback f
          WHERE ((f.kind = 1) AND (f.complaint_id IS NOT NULL) AND (public.try_uuid(f.complaint_id) = c.id))) r);

--
-- Name: customer_periods; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.customer_periods (
    zone text NOT NULL,
    grain "char" NOT NULL,
    period date NOT NULL,
    customer_id text NOT NULL,
    first_day date NOT NULL
);

--
-- Name: customer_slots; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.customer_slots (
    slot timestamp with time zone NOT NULL,
    customer_id text NOT NULL
);

--
-- Name: fold_state; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fold_state (
    singleton boolean DEFAULT true NOT NULL,
    watermark xid8 NOT NULL,
    folded_at timestamp with time zone NOT NULL,
    facts_folded bigint NOT NULL,
    CONSTRAINT fold_state_singleton_check CHECK (singleton)
);

--
-- Name: follow_ups; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.follow_ups (
    id uuid NOT NULL,
    complaint_id uuid NOT NULL,
    kind smallint NOT NULL,
    status smallint DEFAULT 1 NOT NULL,
    due_at timestamp with time zone NOT NULL,
    note text DEFAULT ''::text NOT NULL,
    outcome text DEFAULT ''::text NOT NULL,
    created_by text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    completed_at timestamp with time zone,
    CONSTRAINT follow_ups_kind_check CHECK (((kind >= 1) AND (kind <= 3))),
    CONSTRAINT follow_ups_status_check CHECK ((status = ANY (ARRAY[1, 2])))
);

--
-- Name: idempotency_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.idempotency_keys (
    api_key_id bigint NOT NULL,
    request_id text NOT NULL,
    kind smallint NOT NULL,
    payload_hash bytea NOT NULL,
    csat_feedback_id uuid,
    nps_feedback_id uuid,
    received_at timestamp with time zone NOT NULL,
    follow_up_complaint_id text,
    complaint_id uuid
);

--
-- Name: report_zones; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.report_zones (
    zone text NOT NULL,
    CONSTRAINT report_zones_zone_check CHECK (((length(zone) >= 1) AND (length(zone) <= 64)))
);

--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: score_days; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.score_days (
    zone text NOT NULL,
    dims smallint NOT NULL,
    kind smallint NOT NULL,
    day date NOT NULL,
    channel smallint NOT NULL,
    agent_id text NOT NULL,
    queue text NOT NULL,
    score smallint NOT NULL,
    responses bigint NOT NULL
);

--
-- Name: score_slots; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.score_slots (
    slot timestamp with time zone NOT NULL,
    kind smallint NOT NULL,
    channel smallint NOT NULL,
    agent_id text NOT NULL,
    queue text NOT NULL,
    score smallint NOT NULL,
    responses bigint NOT NULL
);

--
-- Name: sla_policies; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sla_policies (
    priority smallint NOT NULL,
    first_response_seconds bigint NOT NULL,
    resolution_seconds bigint NOT NULL,
    time_zone text NOT NULL,
    open_minutes integer[] NOT NULL,
    holidays date[] DEFAULT '{}'::date[] NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT sla_policies_first_response_seconds_check CHECK ((first_response_seconds > 0)),
    CONSTRAINT sla_policies_priority_check CHECK (((priority >= 1) AND (priority <= 4))),
    CONSTRAINT sla_policies_resolution_seconds_check CHECK ((resolution_seconds > 0))
);

--
-- Name: admin_audit admin_audit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.admin_audit
    ADD CONSTRAINT admin_audit_pkey PRIMARY KEY (id);

--
-- Name: api_keys api_keys_key_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash);

--
-- Name: api_keys api_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);

--
-- Name: complainant_periods complainant_periods_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complainant_periods
    ADD CONSTRAINT complainant_periods_pkey PRIMARY KEY (zone, grain, period, customer_id);

--
-- Name: complaint_day_resolved complaint_day_resolved_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint_day_resolved
    ADD CONSTRAINT complaint_day_resolved_pkey PRIMARY KEY (zone, dims, day, resolved_on, channel, queue, category, assignee);

--
-- Name: complaint_days complaint_days_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint_days
    ADD CONSTRAINT complaint_days_pkey PRIMARY KEY (zone, dims, day, channel, queue, category, assignee);

--
-- Name: complaint_events complaint_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint_events
    ADD CONSTRAINT complaint_events_pkey PRIMARY KEY (id);

--
-- Name: complaint_folded complaint_folded_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint_folded
    ADD CONSTRAINT complaint_folded_pkey PRIMARY KEY (id);

--
-- Name: complaint_notes complaint_notes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint_notes
    ADD CONSTRAINT complaint_notes_pkey PRIMARY KEY (id);

--
-- Name: complaint_period_times complaint_period_times_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint_period_times
    ADD CONSTRAINT complaint_period_times_pkey PRIMARY KEY (zone, grain, dims, period, channel, queue, category, assignee, metric, bin);

--
-- Name: complaints complaints_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaints
    ADD CONSTRAINT complaints_pkey PRIMARY KEY (id);

--
-- Name: complaints complaints_source_feedback_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaints
    ADD CONSTRAINT complaints_source_feedback_id_key UNIQUE (source_feedback_id);

--
-- Name: customer_periods customer_periods_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.customer_periods
    ADD CONSTRAINT customer_periods_pkey PRIMARY KEY (zone, grain, period, customer_id);

--
-- Name: customer_slots customer_slots_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.customer_slots
    ADD CONSTRAINT customer_slots_pkey PRIMARY KEY (slot, customer_id);

--
-- Name: feedback feedback_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.feedback
    ADD CONSTRAINT feedback_pkey PRIMARY KEY (id);

--
-- Name: fold_state fold_state_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fold_state
    ADD CONSTRAINT fold_state_pkey PRIMARY KEY (singleton);

--
-- Name: follow_ups follow_ups_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.follow_ups
    ADD CONSTRAINT follow_ups_pkey PRIMARY KEY (id);

--
-- Name: idempotency_keys idempotency_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.idempotency_keys
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (api_key_id, request_id);

--
-- Name: report_zones report_zones_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.report_zones
    ADD CONSTRAINT report_zones_pkey PRIMARY KEY (zone);

--
-- Name: retention_counts retention_counts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.retention_counts
    ADD CONSTRAINT retention_counts_pkey PRIMARY KEY (zone, grain, period, day);

--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

--
-- Name: score_days score_days_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.score_days
    ADD CONSTRAINT score_days_pkey PRIMARY KEY (zone, dims, kind, day, channel, agent_id, queue, score);

--
-- Name: score_slots score_slots_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.score_slots
    ADD CONSTRAINT score_slots_pkey PRIMARY KEY (slot, kind, channel, agent_id, queue, score);

--
-- Name: sla_policies sla_policies_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sla_policies
    ADD CONSTRAINT sla_policies_pkey PRIMARY KEY (priority);

--
-- Name: admin_audit_occurred_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX admin_audit_occurred_idx ON public.admin_audit USING btree (occurred_at);

--
-- Name: complainant_periods_customer_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complainant_periods_customer_idx ON public.complainant_periods USING btree (customer_id);

--
-- Name: complaint_events_complaint_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaint_events_complaint_idx ON public.complaint_events USING btree (complaint_id, id);

--
-- Name: complaint_folded_created_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaint_folded_created_idx ON public.complaint_folded USING btree (created_at);

--
-- Name: complaint_folded_customer_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaint_folded_customer_idx ON public.complaint_folded USING btree (customer_id) WHERE (customer_id IS NOT NULL);

--
-- Name: complaint_notes_complaint_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaint_notes_complaint_idx ON public.complaint_notes USING btree (complaint_id, created_at);

--
-- Name: complaints_assignee_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaints_assignee_idx ON public.complaints USING btree (assignee_id, resolution_due_at) WHERE (assignee_id IS NOT NULL);

--
-- Name: complaints_claim_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaints_claim_idx ON public.complaints USING btree (queue, resolution_breached DESC, first_response_breached DESC, resolution_due_at, id) WHERE ((assignee_id IS NULL) AND (status = ANY (ARRAY[1, 2])));

--
-- Name: complaints_created_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaints_created_idx ON public.complaints USING btree (created_at, id);

--
-- Name: complaints_customer_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaints_customer_idx ON public.complaints USING btree (customer_id) WHERE (customer_id IS NOT NULL);

--
-- Name: complaints_due_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaints_due_idx ON public.complaints USING btree (resolution_due_at, id);

--
-- Name: complaints_first_response_watch_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaints_first_response_watch_idx ON public.complaints USING btree (first_response_due_at) WHERE ((first_response_at IS NULL) AND (NOT first_response_breached) AND (status < 4));

--
-- Name: complaints_fold_xid_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaints_fold_xid_idx ON public.complaints USING btree (fold_xid);

--
-- Name: complaints_open_due_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaints_open_due_idx ON public.complaints USING btree (resolution_due_at, id) WHERE (status < 4);

--
-- Name: complaints_queue_due_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaints_queue_due_idx ON public.complaints USING btree (queue, resolution_due_at, id);

--
-- Name: complaints_resolution_watch_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaints_resolution_watch_idx ON public.complaints USING btree (resolution_due_at) WHERE ((status < 4) AND (NOT sla_paused) AND (NOT resolution_breached));

--
-- Name: complaints_resolved_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaints_resolved_at_idx ON public.complaints USING btree (resolved_at) WHERE (resolved_at IS NOT NULL);

--
-- Name: complaints_resolved_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX complaints_resolved_idx ON public.complaints USING btree (resolved_at) WHERE (status = 4);

--
-- Name: customer_periods_customer_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX customer_periods_customer_idx ON public.customer_periods USING btree (customer_id);

--
-- Name: customer_slots_customer_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX customer_slots_customer_idx ON public.customer_slots USING btree (customer_id);

--
-- Name: feedback_comment_received_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX feedback_comment_received_idx ON public.feedback USING btree (received_at) WHERE (comment IS NOT NULL);

--
-- Name: feedback_customer_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX feedback_customer_idx ON public.feedback USING btree (customer_id, occurred_at) WHERE (customer_id IS NOT NULL);

--
-- Name: feedback_fold_xid_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX feedback_fold_xid_idx ON public.feedback USING btree (fold_xid);

--
-- Name: feedback_occurred_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX feedback_occurred_at_idx ON public.feedback USING btree (occurred_at);

--
-- Name: feedback_rated_complaint_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX feedback_rated_complaint_idx ON public.feedback USING btree (public.try_uuid(complaint_id)) WHERE ((kind = 1) AND (complaint_id IS NOT NULL));

--
-- Name: feedback_rating_fold_xid_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX feedback_rating_fold_xid_idx ON public.feedback USING btree (fold_xid) WHERE ((kind = 1) AND (complaint_id IS NOT NULL));

--
-- Name: follow_ups_complaint_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX follow_ups_complaint_idx ON public.follow_ups USING btree (complaint_id, due_at);

--
-- Name: follow_ups_pending_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX follow_ups_pending_idx ON public.follow_ups USING btree (due_at, id) WHERE (status = 1);

--
-- Name: idempotency_keys_received_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idempotency_keys_received_at_idx ON public.idempotency_keys USING btree (received_at);

--
-- Name: complaint_events complaint_events_notify; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER complaint_events_notify AFTER INSERT ON public.complaint_events FOR EACH ROW EXECUTE FUNCTION public.complaint_events_notify();

--
-- Name: complaints complaints_stamp_fold_xid; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER complaints_stamp_fold_xid BEFORE UPDATE ON public.complaints FOR EACH ROW EXECUTE FUNCTION public.complaints_stamp_fold_xid();

--
-- Name: complaint_events complaint_events_complaint_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint_events
    ADD CONSTRAINT complaint_events_complaint_id_fkey FOREIGN KEY (complaint_id) REFERENCES public.complaints(id);

--
-- Name: complaint_notes complaint_notes_complaint_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint_notes
    ADD CONSTRAINT complaint_notes_complaint_id_fkey FOREIGN KEY (complaint_id) REFERENCES public.complaints(id);

--
-- Name: follow_ups follow_ups_complaint_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.follow_ups
    ADD CONSTRAINT follow_ups_complaint_id_fkey FOREIGN KEY (complaint_id) REFERENCES public.complaints(id);

--
-- PostgreSQL database dump complete
--
