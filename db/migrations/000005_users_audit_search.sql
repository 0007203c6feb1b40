-- Who may use the API (bearer tokens stored only as sha256 hashes), an append-only audit log of
-- every human change, and the indexes the review API's call list and search need.

CREATE TABLE users (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  role        text NOT NULL CHECK (role IN ('admin', 'manager', 'trainer', 'reviewer', 'agent')),
  -- sha256 (hex) of the bearer token; the token itself is shown once and never stored
  token_hash  text NOT NULL UNIQUE,
  -- agents see only calls whose calls.agent_id equals this (default: the user's name)
  agent_id    text,
  disabled    boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  user_id     bigint REFERENCES users (id),
  action      text NOT NULL,
  entity      text NOT NULL,
  entity_id   bigint,
  before      jsonb,
  after       jsonb
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, at);

-- Call list: newest first, filtered by the common columns.
CREATE INDEX calls_started ON calls ((coalesce(started_at, created_at)) DESC, id DESC);
CREATE INDEX calls_agent ON calls (agent_id, id DESC);
-- Transcript search ('simple' configuration: no stemming, any language split on spaces; Chinese
-- queries fall back to substring search).
CREATE INDEX utterances_text_search ON utterances USING gin (to_tsvector('simple', text_redacted));
