-- The leader's term, for the work only one process may do (the campaign sender, the post sync,
-- scheduled posts, retention, setWebhook). On SQLite there is one process and it is the leader:
-- the table stays empty. On PostgreSQL (migrations/postgresql/0011_leader.sql) each new leader
-- adds one to epoch when it takes the election lock, and its writes check that the epoch is still
-- theirs (kooch/store/leader.py): an old leader that lost the lock cannot write any more.
-- Numbered 0011: 0008-0010 are other features' (arrivals, link checks, approval).
CREATE TABLE leader (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    epoch   INTEGER NOT NULL,
    holder  TEXT    NOT NULL,
    since   REAL    NOT NULL
);
