-- The stretches behind two counts, so a reviewer sees where they are (issue "the app for all five
-- roles"): each dead air (a silence of at least the dead-air threshold that is not a hold) and each
-- overtalk (both parties at once for at least the overtalk minimum), as [{startMs, endMs}]. Calls
-- analysed before this migration have none stored until they are analysed again.
ALTER TABLE call_metrics ADD COLUMN dead_air_episodes jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE call_metrics ADD COLUMN overtalk_episodes jsonb NOT NULL DEFAULT '[]'::jsonb;
