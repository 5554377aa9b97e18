-- Privacy to the letter: who tried an operator command without being one is kept as a pseudonym,
-- never as their id nor with what they typed; and nothing keeps a forgotten user's id as a key.

-- The audit log. An operator's action (or the bot's own, operator_id 0) keeps its operator id and
-- the command as sent. A refused attempt by someone who is not an operator keeps neither: its
-- operator_id is NULL, pseudonym is the keyed hash of their id (kooch.insight.pseudonym, scope
-- "audit"; '?' when it is not known), and detail is empty: the action names the command.
CREATE TABLE audit_new (
    id           INTEGER PRIMARY KEY,
    at           REAL    NOT NULL,
    operator_id  INTEGER,
    pseudonym    TEXT,
    action       TEXT    NOT NULL,
    detail       TEXT    NOT NULL DEFAULT '',
    result       TEXT    NOT NULL,
    CHECK ((operator_id IS NULL) <> (pseudonym IS NULL))
);

-- Refused attempts recorded before carried the id and up to 4,096 characters of what was typed:
-- they keep their time, command and result, and lose the rest (who it was cannot be said now).
INSERT INTO audit_new (id, at, operator_id, pseudonym, action, detail, result)
SELECT id, at,
       CASE WHEN result = 'refused: not an operator' THEN NULL ELSE operator_id END,
       CASE WHEN result = 'refused: not an operator' THEN '?' END,
       action,
       CASE WHEN result = 'refused: not an operator' THEN '' ELSE detail END,
       result
FROM audit;

DROP TABLE audit;
ALTER TABLE audit_new RENAME TO audit;

-- The retention job deletes by time; /forget by operator id or pseudonym.
CREATE INDEX audit_by_time ON audit (at);
CREATE INDEX audit_by_operator ON audit (operator_id);
CREATE INDEX audit_by_pseudonym ON audit (pseudonym);

-- Subscribers, without a rowid: in a rowid table the user id is the rowid, and SQLite keeps rowids
-- as divider keys in the table's interior pages, where a deleted row's id can stay for good. In a
-- WITHOUT ROWID table a deleted key leaves the tree with its row.
CREATE TABLE subscribers_new (
    user_id       INTEGER PRIMARY KEY,
    language      TEXT,
    source        TEXT,
    started_at    REAL    NOT NULL,
    last_seen_at  REAL    NOT NULL,
    blocked       INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

INSERT INTO subscribers_new (user_id, language, source, started_at, last_seen_at, blocked)
SELECT user_id, language, source, started_at, last_seen_at, blocked FROM subscribers;

DROP TABLE subscribers;
ALTER TABLE subscribers_new RENAME TO subscribers;

CREATE INDEX subscribers_by_last_seen ON subscribers (last_seen_at);
