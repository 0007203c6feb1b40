-- Two voices told apart on one channel (a mono recording, or a stereo one whose channels do not
-- hold one party each): how far apart the voices sat (standard deviations between the cluster
-- centres) and the first voice's share of the speech (workers/stages/diarize.ts). NULL: one party
-- per channel. Reviewers see it next to the per-party figures it produced.
ALTER TABLE calls ADD COLUMN diarization jsonb;
