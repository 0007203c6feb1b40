-- Live rules stored and versioned like scorecards and taxonomies (issue "live calls"): the same
-- content is the same version, new content the next version of its key; one key is active, and
-- its newest version is what a server's live calls use (read when `callqa serve` starts).
CREATE TABLE live_rules (
  id                bigserial PRIMARY KEY,
  key               text NOT NULL,
  version           integer NOT NULL,
  definition        jsonb NOT NULL,
  definition_sha256 text NOT NULL,
  source            text,
  active            boolean NOT NULL DEFAULT false,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (key, version),
  UNIQUE (key, definition_sha256)
);
