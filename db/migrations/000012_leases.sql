-- Each call is analysed by one process at a time (issue "loses nothing, lets nobody in"). A process
-- claims a call by setting status 'processing' with itself as lease_owner and a lease that it
-- renews while it works; nobody else claims the call while the lease is live, and the result is
-- saved only by the lease's owner. A process that dies leaves a lease that runs out within a
-- minute; the call is then claimed again, and after too many attempts it fails with the reason.
ALTER TABLE calls ADD COLUMN lease_owner text;
ALTER TABLE calls ADD COLUMN lease_expires_at timestamptz;
CREATE INDEX calls_unfinished ON calls (lease_expires_at) WHERE status IN ('queued', 'processing');
-- A swap asked for (API or CLI) is a property of the call, not of the process that was to run it:
-- a swap whose process died is still a swap when the call is claimed again.
ALTER TABLE calls ADD COLUMN swap_pending boolean NOT NULL DEFAULT false;
