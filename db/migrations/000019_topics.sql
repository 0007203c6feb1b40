-- What calls are about (issue "what calls are about"): problem taxonomies stored in versions like
-- scorecards, each call's category paths with their evidence, its urgency P0–P3 with the signals
-- behind it, its extractive summary and the agent's conduct; each utterance's sentiment
-- explained by the terms that drove it; the customer's id for repeat contacts.
CREATE TABLE taxonomies (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key               text NOT NULL,
  version           integer NOT NULL CHECK (version >= 1),
  name              text NOT NULL,
  definition        jsonb NOT NULL,
  definition_sha256 text NOT NULL,
  source            text,
  -- the newest version of the newest active key files calls; several keys may be stored
  active            boolean NOT NULL DEFAULT true,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (key, version),
  UNIQUE (key, definition_sha256)
);

-- One row per category path of a call (rank 1 is its main category).
CREATE TABLE call_topics (
  call_id      bigint NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
  rank         smallint NOT NULL CHECK (rank >= 1),
  taxonomy_id  bigint NOT NULL REFERENCES taxonomies (id),
  -- node keys, level 1 first
  path         text[] NOT NULL CHECK (cardinality(path) BETWEEN 1 AND 3),
  score        real NOT NULL,
  evidence     jsonb NOT NULL,
  PRIMARY KEY (call_id, rank)
);
CREATE INDEX call_topics_level1_idx ON call_topics ((path[1]), call_id);

CREATE TABLE call_insights (
  call_id           bigint PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
  taxonomy_id       bigint REFERENCES taxonomies (id),
  -- 0 = P0 (most urgent) … 3 = P3; null: no trusted transcript to judge it from
  urgency           smallint CHECK (urgency BETWEEN 0 AND 3),
  urgency_evidence  jsonb NOT NULL,
  -- null: no trusted transcript to summarise (the reason is in summary_note)
  summary           jsonb,
  summary_note      text,
  -- flagged agent language and the agent's sentiment trend
  conduct           jsonb NOT NULL,
  conduct_flags     integer NOT NULL DEFAULT 0,
  computed_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX call_insights_urgency_idx ON call_insights (urgency, call_id);

ALTER TABLE utterances ADD COLUMN sentiment_terms jsonb;

ALTER TABLE calls ADD COLUMN customer_id text;
CREATE INDEX calls_customer_idx ON calls (customer_id, started_at) WHERE customer_id IS NOT NULL;
