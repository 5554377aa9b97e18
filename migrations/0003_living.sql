-- The living announcement (issue 3): posts kept in sync with the config, the channel's moved
-- state, and scheduled announcements. Times are Unix seconds (REAL).

-- What each posted announcement shows now, as far as Kooch knows: the hashes of its text and of
-- its buttons after the last successful post or edit. No row: the post is as it was posted
-- (announcements.content_hash). A deleted post is marked gone (and reported once); an edit that
-- Telegram refused for good is remembered with the content it tried, so it is not retried in a
-- loop, only when the content changes again.
CREATE TABLE announcement_sync (
    announcement_id  INTEGER PRIMARY KEY REFERENCES announcements (id),
    text_hash        TEXT,
    markup_hash      TEXT,
    synced_at        REAL    NOT NULL,
    gone_at          REAL,
    error            TEXT,
    error_hash       TEXT
);

-- A channel's title and description before /moved changed them, so /moved undo can restore them.
-- undone_at is set by the undo; a new /moved saves the originals again.
CREATE TABLE moved_state (
    channel               TEXT    PRIMARY KEY,
    chat_id               INTEGER NOT NULL,
    original_title        TEXT,
    original_description  TEXT    NOT NULL DEFAULT '',
    pinned_message_id     INTEGER,
    moved_at              REAL    NOT NULL,
    moved_by              INTEGER NOT NULL,
    undone_at             REAL
);

-- Announcements to post later (/announce … at/in …). The database, not the JobQueue, is the
-- source of truth: jobs are rebuilt from the open rows at start-up.
CREATE TABLE scheduled_posts (
    id           INTEGER PRIMARY KEY,
    channel      TEXT    NOT NULL,
    due_at       REAL    NOT NULL,
    created_at   REAL    NOT NULL,
    created_by   INTEGER NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'open'
                 CHECK (state IN ('open', 'asked', 'posting', 'done', 'cancelled', 'failed')),
    result       TEXT,
    finished_at  REAL
);

CREATE INDEX scheduled_posts_open ON scheduled_posts (state, due_at);
