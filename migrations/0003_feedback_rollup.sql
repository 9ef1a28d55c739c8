-- Score counts per 15-minute UTC slot of occurred_at, kept in the same
-- transaction as the feedback rows, so reports never scan raw rows and
-- never disagree with them.
--
-- Why 15 minutes: every IANA zone's offset since 2000 is a multiple of
-- 15 minutes (Asia/Kolkata +5:30, Asia/Kathmandu +5:45, Australia/Eucla
-- +8:45), so each slot lies inside one local day, week and month of every
-- zone and local buckets are exact sums of whole slots. Coarser slots (an
-- hour) would split in :30 and :45 zones; finer ones only add rows.
CREATE TABLE feedback_rollup (
  slot        timestamptz NOT NULL,
  kind        smallint    NOT NULL,
  channel     smallint    NOT NULL,
  agent_id    text        NOT NULL,  -- '' when none
  queue       text        NOT NULL,  -- '' when none
  score       smallint    NOT NULL,
  responses   bigint      NOT NULL,
  PRIMARY KEY (slot, kind, channel, agent_id, queue, score)
);

INSERT INTO feedback_rollup (slot, kind, channel, agent_id, queue, score, responses)
SELECT date_bin('15 minutes', occurred_at, timestamptz '2000-01-01 00:00:00+00'), kind, channel,
       coalesce(agent_id, ''), coalesce(queue, ''), score, count(*)
FROM feedback
GROUP BY 1, 2, 3, 4, 5, 6;
