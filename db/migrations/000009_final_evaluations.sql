-- Trends count the evaluation that stands for a call on a scorecard: the newest submitted review
-- (disputes change it in place) over the automatic one, and one per card key whatever the number
-- of versions that scored the call (a `callqa rescore` with a new version used to count twice).
-- See finalEvaluations() in db/queries/daily-stats.ts; the rollups are rebuilt with it.

ALTER TABLE daily_qa_stats ADD COLUMN reviewed_n integer NOT NULL DEFAULT 0;

-- The per-call lookup of that choice (automatic and review evaluations together).
CREATE INDEX evaluations_call ON evaluations (call_id);

-- Rebuild every day from the new rule.
DELETE FROM daily_qa_stats;
INSERT INTO daily_qa_stats (day, agent_id, team, queue, language, scorecard, qa_sum, qa_n, reviewed_n)
SELECT (coalesce(c.started_at, c.created_at) AT TIME ZONE 'UTC')::date, c.agent_id, c.team, c.queue,
       c.language, f.scorecard, sum(f.percent), count(*), count(*) FILTER (WHERE f.source = 'review')
FROM calls c CROSS JOIN LATERAL (
  SELECT DISTINCT ON (s.key) e.id, e.percent, e.source, s.key AS scorecard
  FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id
  WHERE e.call_id = c.id
    AND (e.source = 'auto' OR (e.status = 'submitted' AND e.calibration_id IS NULL))
  ORDER BY s.key, (e.source = 'review') DESC, e.submitted_at DESC NULLS LAST, s.version DESC, e.id DESC
) f
WHERE c.status = 'done'
GROUP BY 1, 2, 3, 4, 5, 6;
