-- Human reviews: a reviewer starts from the automatic evaluation, overrides items (the automatic
-- answer stays beside the human one), comments per item and overall, saves drafts, submits.
-- Every change is also written to audit_log.

ALTER TABLE evaluations
  ADD COLUMN reviewer_id bigint REFERENCES users (id),
  -- the automatic evaluation a review started from
  ADD COLUMN based_on bigint REFERENCES evaluations (id) ON DELETE SET NULL,
  ADD COLUMN comment text,
  ADD COLUMN submitted_at timestamptz;

-- One open review per reviewer, call and scorecard version.
CREATE UNIQUE INDEX evaluations_review_once ON evaluations (call_id, scorecard_id, reviewer_id)
  WHERE source = 'review';

ALTER TABLE evaluation_items
  -- on a review: what the machine answered (NULL on automatic evaluations, where `result` is it)
  ADD COLUMN auto_result text CHECK (auto_result IN ('pass', 'fail', 'na', 'pending'));
