-- Operator insight: counts that stay right after retention deletes personal rows, and stay fast
-- with millions of rows. These tables hold counts only (no user id, no name, no language).
--
-- Times are bucketed into 15-minute slots (bucket = start of the slot, Unix seconds): every real
-- time zone's offset is a multiple of 15 minutes (Tehran is +03:30), so slots add up exactly into
-- the configured zone's hours and days.

-- Acknowledgements per channel, service ('' when unknown) and slot.
--   live     = rows in acks right now (kept up to date by the triggers below; /forget lowers it)
--   archived = acknowledgements whose personal rows the retention job deleted
-- The figure shown is live + archived.
CREATE TABLE ack_buckets (
    channel   TEXT    NOT NULL,
    service   TEXT    NOT NULL DEFAULT '',
    bucket    INTEGER NOT NULL,
    live      INTEGER NOT NULL DEFAULT 0,
    archived  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, bucket, service)
) WITHOUT ROWID;

-- The same counts per channel and service over the whole campaign: a few rows, read by /stats.
CREATE TABLE ack_totals (
    channel   TEXT    NOT NULL,
    service   TEXT    NOT NULL DEFAULT '',
    live      INTEGER NOT NULL DEFAULT 0,
    archived  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, service)
) WITHOUT ROWID;

CREATE TRIGGER ack_buckets_insert AFTER INSERT ON acks BEGIN
    INSERT INTO ack_buckets (channel, service, bucket, live)
    VALUES (NEW.channel, COALESCE(NEW.service, ''), CAST(NEW.acked_at / 900 AS INTEGER) * 900, 1)
    ON CONFLICT (channel, bucket, service) DO UPDATE SET live = live + 1;
    INSERT INTO ack_totals (channel, service, live) VALUES (NEW.channel, COALESCE(NEW.service, ''), 1)
    ON CONFLICT (channel, service) DO UPDATE SET live = live + 1;
END;

CREATE TRIGGER ack_buckets_delete AFTER DELETE ON acks BEGIN
    UPDATE ack_buckets SET live = live - 1
    WHERE channel = OLD.channel AND service = COALESCE(OLD.service, '')
      AND bucket = CAST(OLD.acked_at / 900 AS INTEGER) * 900;
    UPDATE ack_totals SET live = live - 1
    WHERE channel = OLD.channel AND service = COALESCE(OLD.service, '');
END;

CREATE TRIGGER ack_buckets_update AFTER UPDATE OF channel, service, acked_at ON acks BEGIN
    UPDATE ack_buckets SET live = live - 1
    WHERE channel = OLD.channel AND service = COALESCE(OLD.service, '')
      AND bucket = CAST(OLD.acked_at / 900 AS INTEGER) * 900;
    UPDATE ack_totals SET live = live - 1
    WHERE channel = OLD.channel AND service = COALESCE(OLD.service, '');
    INSERT INTO ack_buckets (channel, service, bucket, live)
    VALUES (NEW.channel, COALESCE(NEW.service, ''), CAST(NEW.acked_at / 900 AS INTEGER) * 900, 1)
    ON CONFLICT (channel, bucket, service) DO UPDATE SET live = live + 1;
    INSERT INTO ack_totals (channel, service, live) VALUES (NEW.channel, COALESCE(NEW.service, ''), 1)
    ON CONFLICT (channel, service) DO UPDATE SET live = live + 1;
END;

INSERT INTO ack_buckets (channel, service, bucket, live)
SELECT channel, COALESCE(service, ''), CAST(acked_at / 900 AS INTEGER) * 900, COUNT(*)
FROM acks GROUP BY 1, 2, 3;

INSERT INTO ack_totals (channel, service, live)
SELECT channel, COALESCE(service, ''), COUNT(*) FROM acks GROUP BY 1, 2;

-- Clicks on the redirect links per channel ('' when none), service and slot: humans and bots
-- (link previews) apart. Kept up to date by triggers on the clicks table of migration 0004.
CREATE TABLE click_buckets (
    channel  TEXT    NOT NULL,
    service  TEXT    NOT NULL,
    bucket   INTEGER NOT NULL,
    humans   INTEGER NOT NULL DEFAULT 0,
    bots     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, bucket, service)
) WITHOUT ROWID;

-- And over the whole campaign, per channel and service: a few rows, read by /stats.
CREATE TABLE click_totals (
    channel  TEXT    NOT NULL,
    service  TEXT    NOT NULL,
    humans   INTEGER NOT NULL DEFAULT 0,
    bots     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, service)
) WITHOUT ROWID;

CREATE TRIGGER click_buckets_insert AFTER INSERT ON clicks BEGIN
    INSERT INTO click_buckets (channel, service, bucket, humans, bots)
    VALUES (COALESCE(NEW.channel, ''), NEW.service, CAST(NEW.at / 900 AS INTEGER) * 900,
            NEW.is_bot = 0, NEW.is_bot <> 0)
    ON CONFLICT (channel, bucket, service) DO UPDATE
    SET humans = humans + (NEW.is_bot = 0), bots = bots + (NEW.is_bot <> 0);
    INSERT INTO click_totals (channel, service, humans, bots)
    VALUES (COALESCE(NEW.channel, ''), NEW.service, NEW.is_bot = 0, NEW.is_bot <> 0)
    ON CONFLICT (channel, service) DO UPDATE
    SET humans = humans + (NEW.is_bot = 0), bots = bots + (NEW.is_bot <> 0);
END;

CREATE TRIGGER click_buckets_delete AFTER DELETE ON clicks BEGIN
    UPDATE click_buckets SET humans = humans - (OLD.is_bot = 0), bots = bots - (OLD.is_bot <> 0)
    WHERE channel = COALESCE(OLD.channel, '') AND service = OLD.service
      AND bucket = CAST(OLD.at / 900 AS INTEGER) * 900;
    UPDATE click_totals SET humans = humans - (OLD.is_bot = 0), bots = bots - (OLD.is_bot <> 0)
    WHERE channel = COALESCE(OLD.channel, '') AND service = OLD.service;
END;

INSERT INTO click_buckets (channel, service, bucket, humans, bots)
SELECT COALESCE(channel, ''), service, CAST(at / 900 AS INTEGER) * 900,
       SUM(is_bot = 0), SUM(is_bot <> 0)
FROM clicks GROUP BY 1, 2, 3;

INSERT INTO click_totals (channel, service, humans, bots)
SELECT COALESCE(channel, ''), service, SUM(is_bot = 0), SUM(is_bot <> 0) FROM clicks GROUP BY 1, 2;

-- Users who started the bot and whose row the retention job deleted (a count, nothing else), so
-- "users who started the bot" stays right.
CREATE TABLE insight_counters (
    name   TEXT    PRIMARY KEY,
    value  INTEGER NOT NULL
) WITHOUT ROWID;

-- The retention job and the export select old rows by time.
CREATE INDEX acks_by_acked_at ON acks (acked_at);
CREATE INDEX subscribers_by_last_seen ON subscribers (last_seen_at);
