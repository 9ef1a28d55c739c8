-- Concurrent score writers add to rows of their own.
--
-- Every batch of scores upserts the current 15-minute slot's rollup rows
-- and the current local day's rows, so two writer connections updated the
-- same rows (the day's all-scores row per score most of all) and the second
-- waited for the first to commit: at 64 calls in flight a third of the
-- sampled writer states were `Lock: transactionid`, and a second writer
-- thread added nothing.
--
-- `shard` splits each key's count: a writer thread adds to shard 1-15 (its
-- own while it runs, chosen by the service), the rebuild and the folding
-- below write shard 0. A key's count is the sum over its shards; every
-- reader sums already. The monitor folds the shards of slots and days more
-- than a day old into shard 0 (scores for them rarely arrive any more), so
-- a report over history reads one row per key, as before.

ALTER TABLE feedback_rollup
  ADD COLUMN shard smallint NOT NULL DEFAULT 0 CHECK (shard BETWEEN 0 AND 15),
  DROP CONSTRAINT feedback_rollup_pkey,
  ADD PRIMARY KEY (slot, kind, channel, agent_id, queue, score, shard);
CREATE INDEX feedback_rollup_shard_idx ON feedback_rollup (slot) WHERE shard <> 0;

ALTER TABLE feedback_daily
  ADD COLUMN shard smallint NOT NULL DEFAULT 0 CHECK (shard BETWEEN 0 AND 15),
  DROP CONSTRAINT feedback_daily_pkey,
  ADD PRIMARY KEY (zone, dims, kind, day, channel, agent_id, queue, score, shard);
CREATE INDEX feedback_daily_shard_idx ON feedback_daily (day) WHERE shard <> 0;

-- Moves up to max_rows shard rows of each table older than `before` (and
-- their local days a day before that) into shard 0; returns the rows moved.
-- A writer adding to a row being moved waits for the move and then adds a
-- new row (or the move waits and takes the added count along): no count is
-- lost or counted twice.
CREATE FUNCTION feedback_shards_fold(max_rows integer, before timestamptz)
  RETURNS bigint LANGUAGE sql AS $$
  WITH slot_rows AS (
    DELETE FROM feedback_rollup WHERE ctid = ANY (ARRAY(
      SELECT ctid FROM feedback_rollup WHERE shard <> 0 AND slot < before LIMIT max_rows))
    RETURNING slot, kind, channel, agent_id, queue, score, responses
  ), slots_folded AS (
    INSERT INTO feedback_rollup AS r (slot, kind, channel, agent_id, queue, score, responses)
    SELECT slot, kind, channel, agent_id, queue, score, sum(responses)
    FROM slot_rows GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (slot, kind, channel, agent_id, queue, score, shard)
    DO UPDATE SET responses = r.responses + excluded.responses
  ), day_rows AS (
    DELETE FROM feedback_daily WHERE ctid = ANY (ARRAY(
      SELECT ctid FROM feedback_daily
      WHERE shard <> 0 AND day < (before AT TIME ZONE 'UTC')::date - 1 LIMIT max_rows))
    RETURNING zone, day, dims, kind, channel, agent_id, queue, score, responses
  ), days_folded AS (
    INSERT INTO feedback_daily AS d (zone, day, dims, kind, channel, agent_id, queue, score,
                                     responses)
    SELECT zone, day, dims, kind, channel, agent_id, queue, score, sum(responses)
    FROM day_rows GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 3, 4, 2, 5, 6, 7, 8
    ON CONFLICT (zone, dims, kind, day, channel, agent_id, queue, score, shard)
    DO UPDATE SET responses = d.responses + excluded.responses
  )
  SELECT (SELECT count(*) FROM slot_rows) + (SELECT count(*) FROM day_rows)
$$;
