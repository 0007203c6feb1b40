-- Users and tokens have a lifecycle (issue "loses nothing, lets nobody in"): a token can expire
-- (CALLQA_TOKEN_DAYS) and be revoked; a user can be disabled (the column existed; now something
-- sets it). Revoking replaces the token's hash with one no token has.
ALTER TABLE users ADD COLUMN token_expires_at timestamptz;
ALTER TABLE users ADD COLUMN token_issued_at timestamptz NOT NULL DEFAULT now();
-- Retention deletes calls by age: the age of a call is its start time, else its arrival.
CREATE INDEX calls_age ON calls ((coalesce(started_at, created_at)));
