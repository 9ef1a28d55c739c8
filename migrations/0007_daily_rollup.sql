-- Score counts per local day of each report zone, kept by the writing
-- statement next to the 15-minute slots. A manager's report over whole
-- local days in a report zone reads one row per (day, group, score)
-- instead of one per slot: at 10M scores a year, the slot rollup has about
-- as many rows as there are scores (every slot holds a few hundred scores
-- spread over thousands of channel x agent x queue combinations), so only
-- coarser time compresses.
--
-- Grouping sets, by `dims` (1 channel, 2 agent, 4 queue): 0 (all scores),
-- 1, 2 and 4 (one dimension each). Reports that group or filter by more
-- than one dimension, or whose range is not whole local days of a report
-- zone, are summed from the 15-minute slots as before.
CREATE TABLE report_zones (
  zone  text PRIMARY KEY CHECK (length(zone) BETWEEN 1 AND 64)
);
INSERT INTO report_zones (zone) VALUES ('UTC');

CREATE TABLE feedback_daily (
  zone       text     NOT NULL,
  day        date     NOT NULL,
  dims       smallint NOT NULL,
  kind       smallint NOT NULL,
  channel    smallint NOT NULL,  -- 0 unless dims = 1
  agent_id   text     NOT NULL,  -- '' unless dims = 2 (and '' for none)
  queue      text     NOT NULL,  -- '' unless dims = 4 (and '' for none)
  score      smallint NOT NULL,
  responses  bigint   NOT NULL,
  PRIMARY KEY (zone, dims, kind, day, channel, agent_id, queue, score)
);

-- The daily rows of `zone` as a recount of the feedback rows gives them.
CREATE FUNCTION feedback_daily_recount(z text)
  RETURNS TABLE (zone text, day date, dims smallint, kind smallint, channel smallint,
                 agent_id text, queue text, score smallint, responses bigint)
  LANGUAGE sql STABLE AS $$
  SELECT z, (f.occurred_at AT TIME ZONE z)::date, g.dims, f.kind,
         CASE WHEN g.dims = 1 THEN f.channel ELSE 0 END::smallint,
         CASE WHEN g.dims = 2 THEN coalesce(f.agent_id, '') ELSE '' END,
         CASE WHEN g.dims = 4 THEN coalesce(f.queue, '') ELSE '' END,
         f.score, count(*)
  FROM feedback f CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint), (4::smallint)) AS g(dims)
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
$$;

INSERT INTO feedback_daily SELECT * FROM feedback_daily_recount('UTC');
