-- The rollup and retention functions the write triggers call run a handful
-- of statements each. PL/pgSQL plans them per call with the call's arrays
-- (a custom plan), because a generic plan's guess at an array's length
-- looks costlier: about 1 ms of planning for statements that then run in
-- 0.05 ms, on every batch a writer commits (a lone rating took 2.9 ms, of
-- which 2.4 ms was planning and running these).
--
-- Each function now dispatches on the size of its input: up to 1000 rows
-- (every ingest batch, claim batch and agent action) it runs under
-- plan_cache_mode = force_generic_plan, so each statement is planned once
-- per connection; larger inputs (a backfill, a bulk load, an erasure) keep
-- custom plans, which know how many rows are coming. The bodies are the
-- same functions, renamed.

ALTER FUNCTION complaint_rollup_apply(complaints[], complaints[])
  RENAME TO complaint_rollup_apply_rows;
ALTER FUNCTION complaint_daily_apply(complaints[], complaints[])
  RENAME TO complaint_daily_apply_rows;
ALTER FUNCTION retention_activity_apply(text[], timestamptz[])
  RENAME TO retention_activity_apply_rows;
ALTER FUNCTION retention_complaints_apply(text[], timestamptz[], boolean[], integer)
  RENAME TO retention_complaints_apply_rows;

-- The generic-plan entry points (a function's SET applies to everything it
-- calls).
CREATE FUNCTION complaint_rollup_apply_generic(added complaints[], removed complaints[])
  RETURNS void LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  PERFORM complaint_rollup_apply_rows(added, removed);
END $$;
CREATE FUNCTION complaint_daily_apply_generic(added complaints[], removed complaints[])
  RETURNS void LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  PERFORM complaint_daily_apply_rows(added, removed);
END $$;
CREATE FUNCTION retention_activity_apply_generic(cs text[], ts timestamptz[])
  RETURNS void LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  PERFORM retention_activity_apply_rows(cs, ts);
END $$;
CREATE FUNCTION retention_complaints_apply_generic(cs text[], ts timestamptz[], os boolean[],
                                                   s integer)
  RETURNS void LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  PERFORM retention_complaints_apply_rows(cs, ts, os, s);
END $$;

-- The names the triggers call.
CREATE FUNCTION complaint_rollup_apply(added complaints[], removed complaints[])
  RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(cardinality(added), 0) + coalesce(cardinality(removed), 0) <= 1000 THEN
    PERFORM complaint_rollup_apply_generic(added, removed);
  ELSE
    PERFORM complaint_rollup_apply_rows(added, removed);
  END IF;
END $$;
CREATE FUNCTION complaint_daily_apply(added complaints[], removed complaints[])
  RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(cardinality(added), 0) + coalesce(cardinality(removed), 0) <= 1000 THEN
    PERFORM complaint_daily_apply_generic(added, removed);
  ELSE
    PERFORM complaint_daily_apply_rows(added, removed);
  END IF;
END $$;
CREATE FUNCTION retention_activity_apply(cs text[], ts timestamptz[])
  RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(cardinality(cs), 0) <= 1000 THEN
    PERFORM retention_activity_apply_generic(cs, ts);
  ELSE
    PERFORM retention_activity_apply_rows(cs, ts);
  END IF;
END $$;
CREATE FUNCTION retention_complaints_apply(cs text[], ts timestamptz[], os boolean[], s integer)
  RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(cardinality(cs), 0) <= 1000 THEN
    PERFORM retention_complaints_apply_generic(cs, ts, os, s);
  ELSE
    PERFORM retention_complaints_apply_rows(cs, ts, os, s);
  END IF;
END $$;
