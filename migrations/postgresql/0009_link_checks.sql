-- PostgreSQL twin of ../0009_link_checks.sql: the last verdict of each configured destination URL.
CREATE TABLE link_checks (
    url          TEXT             NOT NULL PRIMARY KEY,
    service      TEXT             NOT NULL,
    field        TEXT             NOT NULL,
    kind         TEXT             NOT NULL,
    status       INTEGER,
    final_url    TEXT,
    detail       TEXT             NOT NULL DEFAULT '',
    checked_at   DOUBLE PRECISION NOT NULL,
    changed_at   DOUBLE PRECISION NOT NULL
);
