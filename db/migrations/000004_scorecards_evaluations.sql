-- Scorecards as data, versioned: loading a changed definition adds a version; evaluations keep the
-- version they were made with. Automatic evaluations come from the pipeline and `callqa rescore`;
-- reviews (issue 5) add rows with source 'review'.

CREATE TABLE scorecards (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key               text NOT NULL,
  version           integer NOT NULL CHECK (version >= 1),
  name              text NOT NULL,
  definition        jsonb NOT NULL,
  -- sha256 of the canonical JSON: the same content is the same version, whatever its formatting
  definition_sha256 text NOT NULL,
  -- the file it was loaded from, for authors
  source            text,
  -- only the newest version of a key is evaluated; set false to stop evaluating the key at all
  active            boolean NOT NULL DEFAULT true,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (key, version),
  UNIQUE (key, definition_sha256)
);

CREATE TABLE evaluations (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id         bigint NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
  scorecard_id    bigint NOT NULL REFERENCES scorecards (id),
  source          text NOT NULL CHECK (source IN ('auto', 'review')),
  status          text NOT NULL DEFAULT 'final' CHECK (status IN ('draft', 'submitted', 'final')),
  score           real NOT NULL,
  max_score       real NOT NULL,
  percent         real NOT NULL,
  passed          boolean NOT NULL,
  fatal_failed    boolean NOT NULL,
  critical_failed text[] NOT NULL DEFAULT '{}',
  -- items a reviewer still has to answer (manual)
  pending         integer NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
-- One automatic evaluation per call and scorecard version: re-scoring replaces it.
CREATE UNIQUE INDEX evaluations_auto_once ON evaluations (call_id, scorecard_id) WHERE source = 'auto';
CREATE INDEX evaluations_scorecard ON evaluations (scorecard_id, call_id);

CREATE TABLE evaluation_items (
  evaluation_id bigint NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
  seq           integer NOT NULL,
  section_key   text NOT NULL,
  item_key      text NOT NULL,
  kind          text NOT NULL,
  result        text NOT NULL CHECK (result IN ('pass', 'fail', 'na', 'pending')),
  -- weighted: weight earned; deduction: points taken
  points        real NOT NULL,
  max_points    real NOT NULL,
  occurrences   integer NOT NULL DEFAULT 0,
  critical      boolean NOT NULL DEFAULT false,
  fatal         boolean NOT NULL DEFAULT false,
  -- why: [{"type": "phrase", "text", "start_ms", "end_ms", …} | {"type": "metric", "value", …} | …]
  evidence      jsonb NOT NULL DEFAULT '[]',
  comment       text,
  PRIMARY KEY (evaluation_id, item_key)
);
