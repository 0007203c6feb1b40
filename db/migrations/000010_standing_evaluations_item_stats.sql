-- The rule of migration 000009 — which evaluation stands for a call on a card — as one SQL
-- function that the rollups and the trend routes all call (the planner inlines it like the
-- LATERAL subquery it replaces); and per-day item tallies, so the most-failed items of 90 days
-- read a few thousand rows (bench/api.ts: 3.6 s per request over 50,000 calls without them).

CREATE FUNCTION standing_evaluations(p_call_id bigint)
RETURNS TABLE (id bigint, percent real, source text, scorecard text)
LANGUAGE sql STABLE
AS $$
  SELECT DISTINCT ON (s.key) e.id, e.percent, e.source, s.key
  FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id
  WHERE e.call_id = p_call_id
    AND (e.source = 'auto' OR (e.status = 'submitted' AND e.calibration_id IS NULL))
  ORDER BY s.key, (e.source = 'review') DESC, e.submitted_at DESC NULLS LAST, s.version DESC, e.id DESC
$$;

-- Item answers of the standing evaluations per day (UTC, of the call's start), team, queue and card.
CREATE TABLE daily_item_stats (
  day        date NOT NULL,
  team       text,
  queue      text,
  scorecard  text NOT NULL,
  item_key   text NOT NULL,
  passed     integer NOT NULL,
  failed     integer NOT NULL
);
CREATE INDEX daily_item_stats_day ON daily_item_stats (day, scorecard);

INSERT INTO daily_item_stats (day, team, queue, scorecard, item_key, passed, failed)
SELECT (coalesce(c.started_at, c.created_at) AT TIME ZONE 'UTC')::date, c.team, c.queue, f.scorecard, i.item_key,
       count(*) FILTER (WHERE i.result = 'pass'), count(*) FILTER (WHERE i.result = 'fail')
FROM calls c CROSS JOIN LATERAL standing_evaluations(c.id) f
  JOIN evaluation_items i ON i.evaluation_id = f.id
WHERE c.status = 'done'
GROUP BY 1, 2, 3, 4, 5;
