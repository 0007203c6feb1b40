-- Pending work is stated on the call (issue "one redesign step"): a call handed to a server's own
-- analysis (an upload, a swap over the API) says so, and a restarted server resumes exactly those.
-- Before, the server found them by reading the audit log, which is history, not a work list.
ALTER TABLE calls ADD COLUMN server_pending boolean NOT NULL DEFAULT false;
-- Calls a server had in hand when this migration runs: found the old way, once.
UPDATE calls c SET server_pending = true
WHERE c.status IN ('queued', 'processing')
  AND EXISTS (SELECT 1 FROM audit_log a WHERE a.entity = 'call' AND a.entity_id = c.id
                AND a.action IN ('call.upload', 'call.swap'));
