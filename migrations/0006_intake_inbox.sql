-- The update intake's spool (polling mode): every update fetched from getUpdates is written here in
-- the commit that precedes confirming it to Telegram, and deleted once handled. What is left after
-- a crash is handled again at the next start. Keyed by the bot's id: update ids are per bot.
CREATE TABLE inbox (
    bot_id     INTEGER NOT NULL,
    update_id  INTEGER NOT NULL,
    body       TEXT    NOT NULL,
    spooled_at REAL    NOT NULL,
    PRIMARY KEY (bot_id, update_id)
) WITHOUT ROWID;

-- The getUpdates offset of the next start, per bot: every update below it is confirmed, in the
-- inbox, or handled.
CREATE TABLE intake_offsets (
    bot_id      INTEGER PRIMARY KEY,
    next_offset INTEGER NOT NULL
);
