-- PostgreSQL twin of ../0016_reach.sql: reminders turned off, and the channels' audience as
-- counts (joins, departures, departures after moving per day; reaction totals over time).
ALTER TABLE subscribers ADD COLUMN reminders_off INTEGER NOT NULL DEFAULT 0;
CREATE TABLE audience_days (
    channel            TEXT    NOT NULL,
    day                TEXT    NOT NULL,
    joined             BIGINT  NOT NULL DEFAULT 0 CHECK (joined >= 0),
    left_channel       BIGINT  NOT NULL DEFAULT 0 CHECK (left_channel >= 0),
    left_after_moving  BIGINT  NOT NULL DEFAULT 0 CHECK (left_after_moving >= 0),
    PRIMARY KEY (channel, day)
);
CREATE TABLE reaction_counts (
    channel     TEXT             NOT NULL,
    message_id  BIGINT           NOT NULL,
    at          DOUBLE PRECISION NOT NULL,
    total       BIGINT           NOT NULL CHECK (total >= 0),
    PRIMARY KEY (channel, message_id, at)
);
-- campaigns.free_rate: a campaign sent unpaid at the free rate though campaigns.paid is on.
ALTER TABLE campaigns ADD COLUMN free_rate INTEGER NOT NULL DEFAULT 0;
