-- Trends count the evaluation that stands for a call on a scorecard: the newest submitted review
-- outside calibration (disputes change it in place) over the automatic one, and one per card key
-- whatever the number of versions that scored the call (a `callqa rescore` with a new version used
-- to count each call twice). The rule is one SQL function that every rollup calls (the planner
-- inlines it like a LATERAL subquery). Most-failed items get their own per-day rollup: computed per
-- request they took 3.6 s over 50,000 calls (bench/api.ts).

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

-- The per-call lookup of that choice (automatic and review evaluations together).
CREATE INDEX evaluations_call ON evaluations (call_id);

ALTER TABLE daily_qa_stats ADD COLUMN reviewed_n integer NOT NULL DEFAULT 0;

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

-- Rebuild every day by the new rule.
DELETE FROM daily_qa_stats;
INSERT INTO daily_qa_stats (day, agent_id, team, queue, language, scorecard, qa_sum, qa_n, reviewed_n)
SELECT (coalesce(c.started_at, c.created_at) AT TIME ZONE 'UTC')::date, c.agent_id, c.team, c.queue,
       c.language, f.scorecard, sum(f.percent), count(*), count(*) FILTER (WHERE f.source = 'review')
FROM calls c CROSS JOIN LATERAL standing_evaluations(c.id) f
WHERE c.status = 'done'
GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO daily_item_stats (day, team, queue, scorecard, item_key, passed, failed)
SELECT (coalesce(c.started_at, c.created_at) AT TIME ZONE 'UTC')::date, c.team, c.queue, f.scorecard, i.item_key,
       count(*) FILTER (WHERE i.result = 'pass'), count(*) FILTER (WHERE i.result = 'fail')
FROM calls c CROSS JOIN LATERAL standing_evaluations(c.id) f
  JOIN evaluation_items i ON i.evaluation_id = f.id
WHERE c.status = 'done'
GROUP BY 1, 2, 3, 4, 5;
