-- A pending action's id is never given twice (issue 23). Without AUTOINCREMENT, SQLite numbers a
-- new row max(id) + 1: once the newest rows are deleted (an operator's /forget, the retention job
-- emptying old confirmations) the next request gets an id the audit already names, and /audit says
-- both "refused #16 (schedule…)" and "approved #16 (announce…)". AUTOINCREMENT keeps the highest id
-- ever given in sqlite_sequence, so a deleted id stays used. SQLite cannot add it to a table: the
-- table is rebuilt (no other table refers to it). Copying the rows with their ids sets the
-- sequence to the highest id there now; ids deleted before this migration cannot be known.
-- The PostgreSQL twin has nothing to change: its identity column is a sequence already.
-- Numbered 0014: 0013 is the operator actions' (issue 23).
CREATE TABLE pending_actions_sequenced (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    operator_id  INTEGER NOT NULL,
    payload      TEXT    NOT NULL,
    created_at   REAL    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'open'
);

INSERT INTO pending_actions_sequenced (id, kind, operator_id, payload, created_at, state)
SELECT id, kind, operator_id, payload, created_at, state FROM pending_actions;

DROP TABLE pending_actions;

ALTER TABLE pending_actions_sequenced RENAME TO pending_actions;
