-- An agent acknowledges a submitted review of their call (issue "the app for all five roles"):
-- when, and by whom. Acknowledging is not agreeing; a dispute is how an agent disagrees.
ALTER TABLE evaluations ADD COLUMN acknowledged_at timestamptz;
ALTER TABLE evaluations ADD COLUMN acknowledged_by bigint REFERENCES users (id) ON DELETE SET NULL;
