-- One announcement per channel unless an operator says otherwise (issue 21), for scheduled posts:
-- known_announcement is the id of the channel's announcement the operator confirmed the schedule
-- against (NULL: the channel had none); a post that finds another one current at its time is
-- 'held' for the operators (not posted, and never fired again by a restart) instead of posted.
-- The rows scheduled before this migration know the announcement current when they were made.
-- Numbered 0012: 0010 and 0011 are other features'. SQLite cannot change a CHECK: the table is
-- rebuilt (no other table refers to it).
CREATE TABLE scheduled_posts_held (
    id                  INTEGER PRIMARY KEY,
    channel             TEXT    NOT NULL,
    due_at              REAL    NOT NULL,
    created_at          REAL    NOT NULL,
    created_by          INTEGER NOT NULL,
    state               TEXT    NOT NULL DEFAULT 'open'
                        CHECK (state IN ('open', 'asked', 'posting', 'done', 'cancelled', 'failed', 'held')),
    result              TEXT,
    finished_at         REAL,
    known_announcement  INTEGER
);

INSERT INTO scheduled_posts_held
    (id, channel, due_at, created_at, created_by, state, result, finished_at, known_announcement)
SELECT s.id, s.channel, s.due_at, s.created_at, s.created_by, s.state, s.result, s.finished_at,
       (SELECT MAX(a.id) FROM announcements a WHERE a.channel = s.channel AND a.posted_at <= s.created_at)
FROM scheduled_posts s;

DROP TABLE scheduled_posts;

ALTER TABLE scheduled_posts_held RENAME TO scheduled_posts;

CREATE INDEX scheduled_posts_open ON scheduled_posts (state, due_at);
