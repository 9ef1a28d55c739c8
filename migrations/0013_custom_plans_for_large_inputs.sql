-- Inputs above 1000 rows (a bulk load, a backfill, an erasure) were meant to
-- get custom plans (0012), but they ran under the session's
-- plan_cache_mode = auto: after five calls PL/pgSQL's plan cache switches a
-- statement to its generic plan when that looks no costlier, and the
-- generic plan takes an array parameter for 100 rows. Its nested loops over
-- the statement's CTEs then ran a 200,000-row COPY's retention count for
-- over 20 minutes (the sixth chunk of the data generator, every time),
-- where the custom plan takes 6 s.
--
-- The dispatchers now force custom plans for what they call; the
-- small-input path keeps its generic plans, because the *_generic
-- functions' own SET overrides this one inside them.

ALTER FUNCTION complaint_rollup_apply(complaints[], complaints[])
  SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION complaint_daily_apply(complaints[], complaints[])
  SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION retention_activity_apply(text[], timestamptz[])
  SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION retention_complaints_apply(text[], timestamptz[], boolean[], integer)
  SET plan_cache_mode = force_custom_plan;
