-- The destinations' links: the last verdict of each configured URL, so that the operators are
-- told once when a link breaks and once when it recovers, even across a restart.
-- Its PostgreSQL twin is postgresql/0009_link_checks.sql (times there are DOUBLE PRECISION).
CREATE TABLE link_checks (
    url          TEXT    NOT NULL PRIMARY KEY,
    -- Which service and field named it last (a URL may be shared; the first in the config wins).
    service      TEXT    NOT NULL,
    field        TEXT    NOT NULL,
    -- kooch.destinations.links.Kind: 'ok', 'redirected', 'http_error', 'tls_error', …
    kind         TEXT    NOT NULL,
    status       INTEGER,
    final_url    TEXT,
    detail       TEXT    NOT NULL DEFAULT '',
    checked_at   REAL    NOT NULL,
    -- When the verdict became what it is (broken since, or working since).
    changed_at   REAL    NOT NULL
);
