-- The CVM lists show only visible rows (status <> 'gone'), newest first (created_at DESC, id DESC), optionally of one
-- owner and/or one teepod, a page at a time. One index per filter combination, in answer order, lets each list walk
-- its index and stop after the page instead of sorting every visible row first. Partial: gone rows, kept for their
-- history, cost the lists nothing. status is stored too (as the last column), because SQLite checks a query's
-- status <> 'gone' against the index entry: with it a count, or "is there a newer CVM of this app", never reads the
-- table. The list queries are one statement per filter combination (no "@x IS NULL OR col = @x", for which SQLite
-- cannot pick an index); tests check each plan.
CREATE INDEX cvms_visible ON cvms (created_at DESC, id DESC, status) WHERE status <> 'gone';
CREATE INDEX cvms_visible_user ON cvms (user_id, created_at DESC, id DESC, status) WHERE status <> 'gone';
CREATE INDEX cvms_visible_teepod ON cvms (teepod_id, created_at DESC, id DESC, status) WHERE status <> 'gone';
CREATE INDEX cvms_visible_user_teepod ON cvms (user_id, teepod_id, created_at DESC, id DESC, status) WHERE status <> 'gone';

-- Apps are CVMs grouped by app id: one app's CVMs newest first (/apps/{id}), and for /apps whether a CVM is the
-- newest of its app, one index probe per candidate, for everyone's CVMs and for one owner's.
CREATE INDEX cvms_visible_app ON cvms (app_id, created_at DESC, id DESC, status) WHERE status <> 'gone';
CREATE INDEX cvms_visible_user_app ON cvms (user_id, app_id, created_at DESC, id DESC, status) WHERE status <> 'gone';
