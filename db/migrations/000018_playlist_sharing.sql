-- A trainer shares a playlist with a team (issue "the app for all five roles"): the agents whose
-- calls carry that team see it and play its clips, and nothing else of coaching. Null: trainers,
-- reviewers and managers only, as before.
ALTER TABLE playlists ADD COLUMN shared_with_team text;
