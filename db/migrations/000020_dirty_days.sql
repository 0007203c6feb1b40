-- Trend rollups rebuilt per day in the background, not per call inside each call's save (issue
-- "house step two"): a save marks its call's day here (one row, locked only until it commits), and
-- the days marked are rebuilt once each, however many calls they received (pipeline/rollups.ts).
CREATE TABLE daily_stats_dirty (
  day date PRIMARY KEY,
  marked_at timestamptz NOT NULL DEFAULT now()
);
