-- The unix second a CVM's process started, derived from the uptime the vmm reported and when it was seen. The
-- uptime shown is computed from it at read time, so a ping that sees a VM merely a little older writes nothing.
-- NULL until the next look (and for a VM whose uptime is not a duration, e.g. "never": its text stays in uptime).
ALTER TABLE cvms ADD COLUMN started_at INTEGER;
