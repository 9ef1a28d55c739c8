-- Inputs above 1000 rows (a bulk load, a backfill, an erasure) were meant to
-- get custom plans (0012), but they ran under the session's
-- plan_cache_mode = auto: after five calls PL/pgSQL's plan cache switches a
-- statement to its generic plan when that looks no costlier, and the
-- generic plan takes an array parameter for 100 rows. Its nested loops over
-- the statement's CTEs then ran a 200,000-row COPY's retention count for
-- over 20 minutes (the sixth chunk of the data generator, every time),
-- where the custom plan takes 6 s.
--
-- The large-input path now forces custom plans, whatever the session says.

CREATE FUNCTION complaint_rollup_apply_custom(added complaints[], removed complaints[])
  RETURNS void LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  PERFORM complaint_rollup_apply_rows(added, removed);
END $$;
CREATE FUNCTION complaint_daily_apply_custom(added complaints[], removed complaints[])
  RETURNS void LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  PERFORM complaint_daily_apply_rows(added, removed);
END $$;
CREATE FUNCTION retention_activity_apply_custom(cs text[], ts timestamptz[])
  RETURNS void LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  PERFORM retention_activity_apply_rows(cs, ts);
END $$;
CREATE FUNCTION retention_complaints_apply_custom(cs text[], ts timestamptz[], os boolean[],
                                                  s integer)
  RETURNS void LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  PERFORM retention_complaints_apply_rows(cs, ts, os, s);
END $$;

CREATE OR REPLACE FUNCTION complaint_rollup_apply(added complaints[], removed complaints[])
  RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(cardinality(added), 0) + coalesce(cardinality(removed), 0) <= 1000 THEN
    PERFORM complaint_rollup_apply_generic(added, removed);
  ELSE
    PERFORM complaint_rollup_apply_custom(added, removed);
  END IF;
END $$;
CREATE OR REPLACE FUNCTION complaint_daily_apply(added complaints[], removed complaints[])
  RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(cardinality(added), 0) + coalesce(cardinality(removed), 0) <= 1000 THEN
    PERFORM complaint_daily_apply_generic(added, removed);
  ELSE
    PERFORM complaint_daily_apply_custom(added, removed);
  END IF;
END $$;
CREATE OR REPLACE FUNCTION retention_activity_apply(cs text[], ts timestamptz[])
  RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(cardinality(cs), 0) <= 1000 THEN
    PERFORM retention_activity_apply_generic(cs, ts);
  ELSE
    PERFORM retention_activity_apply_custom(cs, ts);
  END IF;
END $$;
CREATE OR REPLACE FUNCTION retention_complaints_apply(cs text[], ts timestamptz[], os boolean[],
                                                      s integer)
  RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(cardinality(cs), 0) <= 1000 THEN
    PERFORM retention_complaints_apply_generic(cs, ts, os, s);
  ELSE
    PERFORM retention_complaints_apply_custom(cs, ts, os, s);
  END IF;
END $$;
