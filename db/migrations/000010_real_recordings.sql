-- Real recordings break the assumptions the sample calls let us make (issue "real recordings").
-- channel_check: what the stereo channel check found (dual mono, one channel silent, or two
-- parties) with its measurements; a call whose channels do not hold one party each is analysed as
-- one channel and says so here, so no figure pretends otherwise.
ALTER TABLE calls ADD COLUMN channel_check jsonb;

-- How far a transcript can be trusted. Supplied transcripts are (true, confidence NULL); local
-- speech recognition gets the mean word posterior of its decoder, and below the threshold
-- (workers/stages/transcribe.ts) the text is kept and shown but nothing automatic is derived from
-- it: no sentiment, phrase items pending for a reviewer. NULL: no transcript.
ALTER TABLE calls ADD COLUMN transcript_confidence real;
ALTER TABLE calls ADD COLUMN transcript_trusted boolean;
UPDATE calls SET transcript_trusted = true WHERE transcript_status IN ('supplied', 'asr');

-- Trends count the calls whose text-based figures were left out.
ALTER TABLE daily_call_stats ADD COLUMN low_confidence_calls integer NOT NULL DEFAULT 0;

-- Holds apart from dead air: a silence the agent announced, or filled with music, is a hold
-- (workers/stages/detect-holds.ts); dead air is what is left. hold_episodes keeps each one with
-- why it is a hold (the phrase and when, or music), for the reviewer and the evidence of items.
ALTER TABLE call_metrics ADD COLUMN hold_count integer NOT NULL DEFAULT 0;
ALTER TABLE call_metrics ADD COLUMN hold_total_ms integer NOT NULL DEFAULT 0;
ALTER TABLE call_metrics ADD COLUMN hold_longest_ms integer NOT NULL DEFAULT 0;
ALTER TABLE call_metrics ADD COLUMN hold_episodes jsonb NOT NULL DEFAULT '[]';
ALTER TABLE daily_call_stats ADD COLUMN hold_ms_sum bigint NOT NULL DEFAULT 0;
ALTER TABLE daily_call_stats ADD COLUMN hold_calls integer NOT NULL DEFAULT 0;

-- Who is the agent on a stereo call, and why: 'metadata' (the metadata said, or --layout named
-- the channels), 'manual' (a swap), or the evidence the call gave (workers/stages/detect-roles.ts:
-- what each party says, who speaks first) with the vote's margin.
ALTER TABLE calls ADD COLUMN role_decision jsonb;
