-- Follow-ups (issue "close the loop"): what a call revealed becomes a case with a team, an owner
-- and promised times (first response, resolution) from the SLA of its urgency; worked through
-- open → in progress → waiting for the customer → resolved → closed (and reopened), escalated when
-- a promise is missed or nothing moves, closed with a callback to the customer.

-- A user of role `integration` is a ticketing system or CRM: it may read follow-ups and update
-- their status, notes and its own reference, nothing else. Users gain a team (set from the
-- active follow-up rules' members).
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
  CHECK (role IN ('admin', 'manager', 'trainer', 'reviewer', 'agent', 'telephony', 'integration'));
ALTER TABLE users ADD COLUMN team text;

-- Follow-up rules, stored and versioned like live rules: the same content is the same version,
-- new content the next version of its key; one key is active.
CREATE TABLE follow_up_rules (
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

CREATE TABLE follow_ups (
  id                 bigserial PRIMARY KEY,
  -- the call that opened it (repeat contacts join through follow_up_calls)
  call_id            bigint REFERENCES calls (id) ON DELETE SET NULL,
  rules_id           bigint REFERENCES follow_up_rules (id),
  customer_id        text,
  -- the first reason that opened it: urgency, complaint, conduct, sentiment, fatal_item,
  -- live_alert or manual; every reason with its evidence in `reasons`
  reason             text NOT NULL,
  reasons            jsonb NOT NULL DEFAULT '[]',
  -- 0 = P0 … 3 = P3
  urgency            smallint NOT NULL CHECK (urgency BETWEEN 0 AND 3),
  -- the call's main category path, level 1 first, joined by '/'
  category           text,
  team               text,
  owner_id           bigint REFERENCES users (id) ON DELETE SET NULL,
  status             text NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'in_progress', 'waiting', 'resolved', 'closed', 'reopened')),
  escalation_level   integer NOT NULL DEFAULT 0,
  escalated_to       text[] NOT NULL DEFAULT '{}',
  escalated_at       timestamptz,
  opened_at          timestamptz NOT NULL,
  respond_due_at     timestamptz NOT NULL,
  resolve_due_at     timestamptz NOT NULL,
  -- the promised windows, ms (kept to report time to resolve against the promise)
  respond_ms         bigint NOT NULL,
  resolve_ms         bigint NOT NULL,
  first_response_at  timestamptz,
  -- the last change by a person or the integration (not reminders, not escalations)
  last_progress_at   timestamptz NOT NULL,
  -- set while waiting for the customer: the clocks are paused since then
  paused_at          timestamptz,
  paused_ms          bigint NOT NULL DEFAULT 0,
  resolved_at        timestamptz,
  closed_at          timestamptz,
  reopen_count       integer NOT NULL DEFAULT 0,
  -- the customer callback: {at, reached, satisfied, csat, note}
  callback           jsonb,
  root_cause         text,
  why                jsonb NOT NULL DEFAULT '[]',
  fix                text,
  external_ref       text,
  version            integer NOT NULL DEFAULT 1,
  created_by         bigint REFERENCES users (id) ON DELETE SET NULL,
  updated_at         timestamptz NOT NULL
);
CREATE INDEX follow_ups_status_idx ON follow_ups (status, resolve_due_at);
CREATE INDEX follow_ups_owner_idx ON follow_ups (owner_id, status);
CREATE INDEX follow_ups_team_idx ON follow_ups (team, status);
-- one active follow-up per customer: repeat contacts join it
CREATE UNIQUE INDEX follow_ups_customer_active ON follow_ups (customer_id)
  WHERE customer_id IS NOT NULL AND status NOT IN ('resolved', 'closed');

-- The calls of a follow-up: the one that opened it and repeat contacts. A call is in one at most.
CREATE TABLE follow_up_calls (
  follow_up_id bigint NOT NULL REFERENCES follow_ups (id) ON DELETE CASCADE,
  call_id      bigint NOT NULL UNIQUE REFERENCES calls (id) ON DELETE CASCADE,
  joined_at    timestamptz NOT NULL,
  how          text NOT NULL CHECK (how IN ('opened', 'repeat', 'manual')),
  PRIMARY KEY (follow_up_id, call_id)
);

-- Notes and what happened, in order: by a person, by the integration, or by callqa itself.
CREATE TABLE follow_up_events (
  id           bigserial PRIMARY KEY,
  follow_up_id bigint NOT NULL REFERENCES follow_ups (id) ON DELETE CASCADE,
  at           timestamptz NOT NULL,
  user_id      bigint REFERENCES users (id) ON DELETE SET NULL,
  kind         text NOT NULL,
  note         text,
  detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX follow_up_events_idx ON follow_up_events (follow_up_id, id);

-- Each reminder and escalation step, done once: servers racing for it insert the same key and
-- only one insert (and so one step, one webhook) wins, across restarts too.
CREATE TABLE follow_up_steps (
  follow_up_id bigint NOT NULL REFERENCES follow_ups (id) ON DELETE CASCADE,
  step         text NOT NULL,
  at           timestamptz NOT NULL,
  PRIMARY KEY (follow_up_id, step)
);
