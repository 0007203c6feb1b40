-- Live calls (issue "live calls"): audio streamed from a telephony platform while the call
-- happens (Genesys AudioHook, Twilio Media Streams, or a plain PCM stream), the alerts raised on
-- it, and the webhook outbox that carries alerts (and, later, follow-ups) to other systems.

-- A user of role `telephony` is a connector (FreeSWITCH, Asterisk, jambonz…): it may stream audio
-- and post live transcript lines, nothing else.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
  CHECK (role IN ('admin', 'manager', 'trainer', 'reviewer', 'agent', 'telephony'));

-- One live connection. `server_id` names the process holding it (host, pid, start time): a
-- session left open by a process that died is finished by the next one on that host. When the
-- call ends its recording becomes a call (`call_id`) and is analysed like any other, once.
CREATE TABLE live_sessions (
  id              bigserial PRIMARY KEY,
  protocol        text NOT NULL CHECK (protocol IN ('audiohook', 'twilio', 'stream')),
  external_id     text NOT NULL,
  conversation_id text,
  server_id       text NOT NULL,
  state           text NOT NULL DEFAULT 'live' CHECK (state IN ('live', 'ended', 'filed', 'empty')),
  agent_id        text,
  team            text,
  queue           text,
  language        text,
  direction       text,
  metadata        jsonb NOT NULL DEFAULT '{}',
  channels        text[] NOT NULL,
  recording_path  text,
  audio_ms        bigint NOT NULL DEFAULT 0,
  stretches       jsonb NOT NULL DEFAULT '[]',
  figures         jsonb NOT NULL DEFAULT '{}',
  started_at      timestamptz NOT NULL DEFAULT now(),
  ended_at        timestamptz,
  end_reason      text,
  call_id         bigint REFERENCES calls(id) ON DELETE SET NULL,
  UNIQUE (protocol, external_id)
);
CREATE INDEX live_sessions_live ON live_sessions (state) WHERE state = 'live';
CREATE INDEX live_sessions_call ON live_sessions (call_id);

-- An alert raised by a live rule: where in the call (`at_ms`), on what evidence, how severe; who
-- acknowledged it and when (audited). It stays with the call after the call is filed.
CREATE TABLE live_alerts (
  id              bigserial PRIMARY KEY,
  session_id      bigint NOT NULL REFERENCES live_sessions(id) ON DELETE CASCADE,
  rule            text NOT NULL,
  severity        text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  at_ms           bigint NOT NULL,
  evidence        jsonb NOT NULL DEFAULT '{}',
  raised_at       timestamptz NOT NULL DEFAULT now(),
  acknowledged_by bigint REFERENCES users(id),
  acknowledged_at timestamptz
);
CREATE INDEX live_alerts_session ON live_alerts (session_id, at_ms);

-- Webhook events waiting for (or done with) delivery: one row per event id, delivered at most
-- once as accepted (`delivered_at`), retried with backoff until then.
CREATE TABLE webhook_outbox (
  id              text PRIMARY KEY,
  event_type      text NOT NULL,
  payload         jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  last_status     integer,
  last_error      text
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE delivered_at IS NULL;
