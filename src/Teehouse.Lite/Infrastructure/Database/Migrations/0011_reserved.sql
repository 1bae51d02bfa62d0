-- Placeholder only: migration 0011 belongs to another branch, and migration numbers must run without gaps. Drop this
-- file when that branch's 0011 is merged.
SELECT 1;
