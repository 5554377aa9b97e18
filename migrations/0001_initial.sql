-- Kooch's first schema. Times are Unix seconds (REAL). Channels are named by their config key.

-- One row per subscriber per channel who tapped "I've moved". Stored: only what the operator's
-- figures need (see /privacy). The primary key makes a repeated tap a no-op.
CREATE TABLE acks (
    channel     TEXT    NOT NULL,
    user_id     INTEGER NOT NULL,
    first_name  TEXT,
    language    TEXT,
    source      TEXT    NOT NULL,
    service     TEXT,
    acked_at    REAL    NOT NULL,
    PRIMARY KEY (channel, user_id)
) WITHOUT ROWID;

CREATE INDEX acks_by_time ON acks (channel, acked_at);
CREATE INDEX acks_by_user ON acks (user_id);

-- Users who started the bot in a private chat: the only people a bot may message.
CREATE TABLE subscribers (
    user_id       INTEGER PRIMARY KEY,
    language      TEXT,
    source        TEXT,
    started_at    REAL    NOT NULL,
    last_seen_at  REAL    NOT NULL,
    blocked       INTEGER NOT NULL DEFAULT 0
);

-- Every announcement posted; the newest per channel with current = 1 is the live one.
CREATE TABLE announcements (
    id            INTEGER PRIMARY KEY,
    channel       TEXT    NOT NULL,
    chat_id       INTEGER NOT NULL,
    message_id    INTEGER NOT NULL,
    posted_at     REAL    NOT NULL,
    posted_by     INTEGER NOT NULL,
    content_hash  TEXT    NOT NULL,
    pinned        INTEGER NOT NULL DEFAULT 0,
    current       INTEGER NOT NULL DEFAULT 1
);

CREATE INDEX announcements_current ON announcements (channel, current);

-- Operator actions waiting for a confirm button (e.g. /announce). Kept in the database so that a
-- confirmation is consumed exactly once, even across a restart.
CREATE TABLE pending_actions (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,
    operator_id  INTEGER NOT NULL,
    payload      TEXT    NOT NULL,
    created_at   REAL    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'open'
);

-- Who did what, when, and how it went.
CREATE TABLE audit (
    id           INTEGER PRIMARY KEY,
    at           REAL    NOT NULL,
    operator_id  INTEGER NOT NULL,
    action       TEXT    NOT NULL,
    detail       TEXT    NOT NULL DEFAULT '',
    result       TEXT    NOT NULL
);
