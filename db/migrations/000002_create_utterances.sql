-- What was said: utterances from a supplied transcript (later also local ASR), with personal data
-- redacted before storage. `text_redacted` is what everything reads; `text` (the original) stays
-- NULL unless a deployment chooses to keep it. `redactions` keeps each redacted span's kind and
-- time so the audio can be silenced there too.

CREATE TABLE utterances (
  call_id        bigint NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
  seq            integer NOT NULL,
  speaker        text NOT NULL CHECK (speaker IN ('agent', 'customer', 'speaker')),
  start_ms       integer NOT NULL,
  end_ms         integer NOT NULL,
  text           text,
  text_redacted  text NOT NULL,
  -- [{"word", "start_ms", "end_ms"}], already redacted
  words          jsonb,
  -- [{"kind", "start_ms", "end_ms"}]
  redactions     jsonb NOT NULL DEFAULT '[]',
  language       text,
  sentiment      real,
  arousal        real,
  PRIMARY KEY (call_id, seq),
  CHECK (end_ms >= start_ms)
);

ALTER TABLE calls
  ADD COLUMN transcript_status text NOT NULL DEFAULT 'none'
    CHECK (transcript_status IN ('none', 'supplied', 'failed')),
  ADD COLUMN transcript_format text,
  ADD COLUMN transcript_source text,
  ADD COLUMN transcript_error text,
  -- a copy of the recording with every redacted span silenced (storage key), when configured
  ADD COLUMN redacted_audio_uri text;
