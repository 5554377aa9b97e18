-- Reminder campaigns: a message sent to many subscribers at Telegram's speed limit, never twice.

-- One campaign: what is sent, to whom, and where it stands. Recipients are chosen when it starts
-- running (queued → running), so a queued campaign does not remind users who moved meanwhile.
CREATE TABLE campaigns (
    id             INTEGER PRIMARY KEY,
    created_at     REAL    NOT NULL,
    created_by     INTEGER,                    -- operator id; NULL for a scheduled reminder
    reminder_key   TEXT,                       -- the scheduled reminder it came from, if any
    texts          TEXT    NOT NULL,           -- JSON {language: text}; "*" = for every language
    audience       TEXT    NOT NULL,           -- JSON, see kooch.campaigns.Audience
    state          TEXT    NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'running', 'done', 'cancelled')),
    started_at     REAL,
    finished_at    REAL,
    total          INTEGER NOT NULL DEFAULT 0,
    -- Sends that were in flight when Kooch stopped abruptly and were sent again on resume:
    -- the only recipients who may have received the message twice.
    resent         INTEGER NOT NULL DEFAULT 0
);

-- Delivery state per recipient. 'sending' is committed BEFORE the HTTP call and replaced by the
-- outcome once Telegram answered: after a crash, a row still 'sending' is the in-flight send.
CREATE TABLE campaign_recipients (
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    user_id      INTEGER NOT NULL,
    language     TEXT,
    state        TEXT    NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unreachable', 'skipped')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    updated_at   REAL,
    PRIMARY KEY (campaign_id, user_id)
) WITHOUT ROWID;

CREATE INDEX campaign_recipients_by_state ON campaign_recipients (campaign_id, state);
CREATE INDEX campaign_recipients_by_user ON campaign_recipients (user_id);

-- The operator messages that show a campaign's progress (edited every few seconds).
CREATE TABLE campaign_progress (
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    chat_id      INTEGER NOT NULL,
    message_id   INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, chat_id, message_id)
) WITHOUT ROWID;

-- Reminders scheduled in config.yaml (reminders:), kept here so that a restart neither forgets
-- nor repeats one, and an operator's cancel sticks. key = due time + audience.
CREATE TABLE reminders (
    key          TEXT    PRIMARY KEY,
    due_at       REAL    NOT NULL,
    texts        TEXT    NOT NULL,
    audience     TEXT    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'scheduled'
                 CHECK (state IN ('scheduled', 'started', 'missed', 'cancelled', 'removed')),
    campaign_id  INTEGER REFERENCES campaigns (id),
    updated_at   REAL    NOT NULL
);
