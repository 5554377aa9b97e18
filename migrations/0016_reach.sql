-- Reach (issue 26): the reminders a subscriber turned off, and the channels' audience as counts.
--   subscribers.reminders_off: 1 once they tapped "No reminders" (reminder campaigns skip them)
--   audience_days: per channel and UTC day (YYYY-MM-DD), chat_member updates counted: joins,
--     departures, and departures of people who had tapped "I've moved". Counts only: nobody who
--     joined or left is named or kept, so /forget and the retention job leave them alone.
--   reaction_counts: the anonymous reaction totals Telegram reports on an announcement
--     (message_reaction_count), one row per report: the total over time.
ALTER TABLE subscribers ADD COLUMN reminders_off INTEGER NOT NULL DEFAULT 0;
CREATE TABLE audience_days (
    channel            TEXT    NOT NULL,
    day                TEXT    NOT NULL,
    joined             INTEGER NOT NULL DEFAULT 0 CHECK (joined >= 0),
    left_channel       INTEGER NOT NULL DEFAULT 0 CHECK (left_channel >= 0),
    left_after_moving  INTEGER NOT NULL DEFAULT 0 CHECK (left_after_moving >= 0),
    PRIMARY KEY (channel, day)
);
CREATE TABLE reaction_counts (
    channel     TEXT    NOT NULL,
    message_id  INTEGER NOT NULL,
    at          REAL    NOT NULL,
    total       INTEGER NOT NULL CHECK (total >= 0),
    PRIMARY KEY (channel, message_id, at)
);
--   campaigns.free_rate: 1 when the operator chose to send a campaign unpaid at the free rate
--     (the bot's Stars were short of a paid broadcast, campaigns.paid)
ALTER TABLE campaigns ADD COLUMN free_rate INTEGER NOT NULL DEFAULT 0;
