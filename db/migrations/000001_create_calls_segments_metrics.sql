-- The acoustic pipeline's tables: one row per recording (calls), the speech found by VAD
-- (segments) and the conversation metrics that trends aggregate (call_metrics).
-- Times are integer milliseconds from the call's start.

CREATE TABLE calls (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  external_id     text,
  -- sha256 of the recording's bytes: the idempotency key. NULL only for inputs that could not be read.
  sha256          text UNIQUE,
  source_name     text NOT NULL,
  storage_uri     text,
  started_at      timestamptz,
  duration_ms     integer,
  direction       text CHECK (direction IN ('inbound', 'outbound')),
  queue           text,
  team            text,
  agent_id        text,
  requested_layout text NOT NULL DEFAULT 'auto'
                  CHECK (requested_layout IN ('auto', 'stereo-agent-left', 'stereo-agent-right', 'mono')),
  channel_layout  text CHECK (channel_layout IN ('stereo-agent-left', 'stereo-agent-right', 'mono')),
  language        text,
  csat            smallint CHECK (csat BETWEEN 1 AND 5),
  disposition     text,
  audio_format    jsonb,
  status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'done', 'failed')),
  error_code      text,
  error_message   text,
  pipeline_version text,
  attempts        integer NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  processed_at    timestamptz
);
CREATE INDEX calls_status_idx ON calls (status);
CREATE INDEX calls_started_at_idx ON calls (started_at);
CREATE INDEX calls_external_id_idx ON calls (external_id);

CREATE TABLE segments (
  call_id   bigint NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
  speaker   text NOT NULL CHECK (speaker IN ('agent', 'customer', 'speaker')),
  start_ms  integer NOT NULL,
  end_ms    integer NOT NULL,
  PRIMARY KEY (call_id, speaker, start_ms),
  CHECK (end_ms > start_ms)
);

CREATE TABLE call_metrics (
  call_id                         bigint PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
  duration_ms                     integer NOT NULL,
  agent_talk_ms                   integer,
  customer_talk_ms                integer,
  speaker_talk_ms                 integer,
  agent_talk_ratio                double precision,
  talk_percent                    double precision NOT NULL,
  non_talk_ms                     integer NOT NULL,
  dead_air_count                  integer NOT NULL,
  dead_air_total_ms               integer NOT NULL,
  dead_air_longest_ms             integer NOT NULL,
  overtalk_count                  integer,
  overtalk_ms                     integer,
  agent_interruptions             integer,
  customer_interruptions          integer,
  agent_longest_monologue_ms      integer,
  customer_longest_monologue_ms   integer,
  agent_response_latency_mean_ms  integer,
  agent_response_latency_p90_ms   integer,
  agent_response_count            integer,
  last_speaker                    text,
  turns                           integer NOT NULL,
  -- the thresholds the metrics were computed with, so a figure can be explained later
  params                          jsonb NOT NULL
);
