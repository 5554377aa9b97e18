-- Issue 27 (across): arrivals confirmed per person on the destinations, and the channel mirrored
-- there. Numbered 0017: 0016 is issue 26's.
--
-- A move code: a random, single-use code in a personal link to the operator's bot on a destination
-- (https://ble.ir/<bot>?start=<code>). It maps to the Telegram user and channel only; nothing about
-- the person's account on the destination is ever stored (used_update is the destination update
-- that used it, so the same update handled again after a crash gets the same answer).
CREATE TABLE move_codes (
    code         TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL,
    channel      TEXT    NOT NULL,
    service      TEXT    NOT NULL,
    created_at   REAL    NOT NULL,
    expires_at   REAL    NOT NULL,
    used_at      REAL,
    used_update  INTEGER
);
CREATE INDEX move_codes_by_user ON move_codes (user_id, channel, service);

-- "Arrived on <service> at T" against the Telegram user: the only thing a used code leaves.
CREATE TABLE service_arrivals (
    channel     TEXT    NOT NULL,
    service     TEXT    NOT NULL,
    user_id     INTEGER NOT NULL,
    arrived_at  REAL    NOT NULL,
    PRIMARY KEY (channel, service, user_id)
);
CREATE INDEX service_arrivals_by_user ON service_arrivals (user_id);

-- The next getUpdates offset of each destination's bot (by service key): confirmed only once
-- the updates below it were handled.
CREATE TABLE destination_offsets (
    service      TEXT    PRIMARY KEY,
    next_offset  INTEGER NOT NULL
);

-- The mirror: one row per channel post and destination. state: pending (to send, or an edit to
-- follow: version > sent_version), sending (claimed before the HTTP call: resumed as a send after a
-- crash), sent, failed (a refusal that retrying cannot help). body is the post as JSON (kind,
-- text or caption, file id, album).
CREATE TABLE mirror_posts (
    channel          TEXT    NOT NULL,
    message_id       INTEGER NOT NULL,
    service          TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    version          INTEGER NOT NULL DEFAULT 0,
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    sent_version     INTEGER,
    dest_message_id  INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    created_at       REAL    NOT NULL,
    PRIMARY KEY (channel, message_id, service)
);
CREATE INDEX mirror_posts_by_state ON mirror_posts (state, service, created_at);
