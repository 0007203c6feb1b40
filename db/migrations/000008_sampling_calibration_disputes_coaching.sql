-- The human side of QA: samples of calls drawn by a reproducible rule and assigned to reviewers,
-- blind calibration sessions, disputes of submitted reviews, and coaching clips and playlists.
-- All of it is written only by the API, and every change is also written to audit_log.

-- A sample: the rule and seed it was drawn with (so the draw can be repeated and checked), and
-- how many calls were eligible.
CREATE TABLE samples (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name          text NOT NULL,
  -- {"method": "per_agent"|"random"|"stratified"|"risk", "n", "period", "strata", "filters", …}
  rule          jsonb NOT NULL,
  seed          text NOT NULL,
  -- the card the sampled calls are reviewed with
  scorecard_id  bigint REFERENCES scorecards (id),
  population    integer NOT NULL,
  created_by    bigint REFERENCES users (id),
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE review_assignments (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sample_id     bigint NOT NULL REFERENCES samples (id) ON DELETE CASCADE,
  call_id       bigint NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
  -- position in the draw (1 = drawn first)
  rank          integer NOT NULL,
  -- the call's weight in a risk-weighted draw (1 otherwise) and the stratum it was drawn from
  weight        real NOT NULL DEFAULT 1,
  stratum       text,
  reviewer_id   bigint REFERENCES users (id),
  -- the day the assignment falls on under the per-reviewer daily cap
  due_on        date,
  status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
  evaluation_id bigint,
  UNIQUE (sample_id, call_id)
);
CREATE INDEX review_assignments_queue ON review_assignments (reviewer_id, status, due_on, rank);
CREATE INDEX review_assignments_call ON review_assignments (call_id);

-- Calibration: several reviewers score the same call blind; results show once all have submitted.
CREATE TABLE calibration_sessions (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id       bigint NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
  scorecard_id  bigint NOT NULL REFERENCES scorecards (id),
  title         text,
  -- the participant whose review is the baseline the others are compared with (optional)
  expert_id     bigint REFERENCES users (id),
  status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'complete')),
  created_by    bigint REFERENCES users (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  completed_at  timestamptz
);

CREATE TABLE calibration_participants (
  session_id    bigint NOT NULL REFERENCES calibration_sessions (id) ON DELETE CASCADE,
  reviewer_id   bigint NOT NULL REFERENCES users (id),
  PRIMARY KEY (session_id, reviewer_id)
);

-- A calibration review is a review like any other, kept apart from the reviewer's own review of
-- the same call.
ALTER TABLE evaluations
  ADD COLUMN calibration_id bigint REFERENCES calibration_sessions (id) ON DELETE CASCADE;
DROP INDEX evaluations_review_once;
CREATE UNIQUE INDEX evaluations_review_once ON evaluations (call_id, scorecard_id, reviewer_id, coalesce(calibration_id, 0))
  WHERE source = 'review';

-- Disputes: an agent (or a manager for their team) contests items of a submitted review.
CREATE TABLE disputes (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  evaluation_id   bigint NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
  raised_by       bigint NOT NULL REFERENCES users (id),
  -- [{"item_key", "proposed": "pass"|"fail"|"na", "comment"}]
  items           jsonb NOT NULL,
  comment         text NOT NULL,
  status          text NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open', 'accepted', 'partially_accepted', 'rejected')),
  accepted_items  text[] NOT NULL DEFAULT '{}',
  decided_by      bigint REFERENCES users (id),
  decision_comment text,
  percent_before  real,
  percent_after   real,
  created_at      timestamptz NOT NULL DEFAULT now(),
  decided_at      timestamptz
);
CREATE INDEX disputes_evaluation ON disputes (evaluation_id, created_at);
-- At most one open dispute per evaluation.
CREATE UNIQUE INDEX disputes_one_open ON disputes (evaluation_id) WHERE status = 'open';
CREATE INDEX disputes_open ON disputes (status, created_at);

-- Coaching: clips of real calls that show a behaviour done well or badly, grouped in playlists.
CREATE TABLE clips (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id       bigint NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
  start_ms      integer NOT NULL CHECK (start_ms >= 0),
  end_ms        integer NOT NULL,
  title         text NOT NULL,
  note          text,
  tags          text[] NOT NULL DEFAULT '{}',
  -- the scorecard item the clip illustrates, and whether it shows it done well or badly
  scorecard_key text,
  item_key      text,
  polarity      text CHECK (polarity IN ('good', 'bad')),
  created_by    bigint REFERENCES users (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (end_ms > start_ms)
);
CREATE INDEX clips_tags ON clips USING gin (tags);
CREATE INDEX clips_item ON clips (scorecard_key, item_key);
CREATE INDEX clips_call ON clips (call_id);

CREATE TABLE playlists (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name          text NOT NULL,
  description   text,
  created_by    bigint REFERENCES users (id),
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE playlist_items (
  playlist_id   bigint NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
  clip_id       bigint NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
  position      integer NOT NULL,
  PRIMARY KEY (playlist_id, clip_id)
);
CREATE INDEX playlist_items_clip ON playlist_items (clip_id);
