-- Real recordings break the assumptions the sample calls let us make (issue "real recordings").
-- channel_check: what the stereo channel check found (dual mono, one channel silent, or two
-- parties) with its measurements; a call whose channels do not hold one party each is analysed as
-- one channel and says so here, so no figure pretends otherwise.
ALTER TABLE calls ADD COLUMN channel_check jsonb;
