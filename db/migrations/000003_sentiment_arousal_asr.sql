-- How it sounded and how it felt: prosody and arousal per speech segment (no transcript needed),
-- the call-level sentiment summary, and transcripts from local speech recognition.

ALTER TABLE segments
  ADD COLUMN loudness_db real,
  ADD COLUMN pitch_hz real,
  -- syllable nuclei per second
  ADD COLUMN speech_rate real,
  -- [-1, 1], elevation over the speaker's own resting level in the call; NULL for short segments
  -- and mono recordings (both speakers on one channel have no single baseline)
  ADD COLUMN arousal real,
  ADD COLUMN agitated boolean NOT NULL DEFAULT false;

ALTER TABLE call_metrics
  -- customer sentiment: mean over the first and last quarter of the call, the lowest utterance,
  -- end − start; the agent's mean; NULL when there is no transcript or no customer utterance
  ADD COLUMN customer_sentiment_start real,
  ADD COLUMN customer_sentiment_end real,
  ADD COLUMN customer_sentiment_min real,
  ADD COLUMN customer_sentiment_trend real,
  ADD COLUMN agent_sentiment_mean real,
  ADD COLUMN customer_arousal_max real,
  ADD COLUMN agitated_segments integer,
  -- the most aroused agitated segments: [{"speaker", "start_ms", "end_ms", "arousal"}]
  ADD COLUMN arousal_peaks jsonb;

-- 'asr': the utterances come from the local speech recogniser (transcript_format names the engine).
ALTER TABLE calls DROP CONSTRAINT calls_transcript_status_check;
ALTER TABLE calls ADD CONSTRAINT calls_transcript_status_check
  CHECK (transcript_status IN ('none', 'supplied', 'asr', 'failed'));

-- Agent and customer swapped for this call (a per-call correction of the channel layout and of the
-- transcript's speaker mapping); kept so a re-run keeps the correction.
ALTER TABLE calls ADD COLUMN speakers_swapped boolean NOT NULL DEFAULT false;
