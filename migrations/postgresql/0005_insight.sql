-- PostgreSQL twin of ../0005_insight.sql: the aggregate tables and the triggers that keep them.
-- A slot is floor(time / 900) * 900, as Python's int(t // 900) * 900 (PostgreSQL's CAST rounds).

CREATE TABLE ack_buckets (
    channel   TEXT    NOT NULL,
    service   TEXT    NOT NULL DEFAULT '',
    bucket    BIGINT  NOT NULL,
    live      BIGINT  NOT NULL DEFAULT 0,
    archived  BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, bucket, service)
);

CREATE TABLE ack_totals (
    channel   TEXT    NOT NULL,
    service   TEXT    NOT NULL DEFAULT '',
    live      BIGINT  NOT NULL DEFAULT 0,
    archived  BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, service)
);

CREATE FUNCTION ack_buckets_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE ack_buckets SET live = live - 1
        WHERE channel = OLD.channel AND service = COALESCE(OLD.service, '')
          AND bucket = floor(OLD.acked_at / 900)::bigint * 900;
        UPDATE ack_totals SET live = live - 1
        WHERE channel = OLD.channel AND service = COALESCE(OLD.service, '');
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO ack_buckets AS b (channel, service, bucket, live)
        VALUES (NEW.channel, COALESCE(NEW.service, ''), floor(NEW.acked_at / 900)::bigint * 900, 1)
        ON CONFLICT (channel, bucket, service) DO UPDATE SET live = b.live + 1;
        INSERT INTO ack_totals AS t (channel, service, live)
        VALUES (NEW.channel, COALESCE(NEW.service, ''), 1)
        ON CONFLICT (channel, service) DO UPDATE SET live = t.live + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ack_buckets_insert AFTER INSERT OR DELETE ON acks
    FOR EACH ROW EXECUTE FUNCTION ack_buckets_follow();
CREATE TRIGGER ack_buckets_update AFTER UPDATE OF channel, service, acked_at ON acks
    FOR EACH ROW EXECUTE FUNCTION ack_buckets_follow();

INSERT INTO ack_buckets (channel, service, bucket, live)
SELECT channel, COALESCE(service, ''), floor(acked_at / 900)::bigint * 900, COUNT(*)
FROM acks GROUP BY 1, 2, 3;

INSERT INTO ack_totals (channel, service, live)
SELECT channel, COALESCE(service, ''), COUNT(*) FROM acks GROUP BY 1, 2;

CREATE TABLE click_buckets (
    channel  TEXT    NOT NULL,
    service  TEXT    NOT NULL,
    bucket   BIGINT  NOT NULL,
    humans   BIGINT  NOT NULL DEFAULT 0,
    bots     BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, bucket, service)
);

CREATE TABLE click_totals (
    channel  TEXT    NOT NULL,
    service  TEXT    NOT NULL,
    humans   BIGINT  NOT NULL DEFAULT 0,
    bots     BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, service)
);

CREATE FUNCTION click_buckets_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE click_buckets
        SET humans = humans - (OLD.is_bot = 0)::int, bots = bots - (OLD.is_bot <> 0)::int
        WHERE channel = COALESCE(OLD.channel, '') AND service = OLD.service
          AND bucket = floor(OLD.at / 900)::bigint * 900;
        UPDATE click_totals
        SET humans = humans - (OLD.is_bot = 0)::int, bots = bots - (OLD.is_bot <> 0)::int
        WHERE channel = COALESCE(OLD.channel, '') AND service = OLD.service;
        RETURN NULL;
    END IF;
    INSERT INTO click_buckets AS b (channel, service, bucket, humans, bots)
    VALUES (COALESCE(NEW.channel, ''), NEW.service, floor(NEW.at / 900)::bigint * 900,
            (NEW.is_bot = 0)::int, (NEW.is_bot <> 0)::int)
    ON CONFLICT (channel, bucket, service) DO UPDATE
    SET humans = b.humans + (NEW.is_bot = 0)::int, bots = b.bots + (NEW.is_bot <> 0)::int;
    INSERT INTO click_totals AS t (channel, service, humans, bots)
    VALUES (COALESCE(NEW.channel, ''), NEW.service, (NEW.is_bot = 0)::int, (NEW.is_bot <> 0)::int)
    ON CONFLICT (channel, service) DO UPDATE
    SET humans = t.humans + (NEW.is_bot = 0)::int, bots = t.bots + (NEW.is_bot <> 0)::int;
    RETURN NULL;
END $$;

CREATE TRIGGER click_buckets_insert AFTER INSERT OR DELETE ON clicks
    FOR EACH ROW EXECUTE FUNCTION click_buckets_follow();

INSERT INTO click_buckets (channel, service, bucket, humans, bots)
SELECT COALESCE(channel, ''), service, floor(at / 900)::bigint * 900,
       SUM((is_bot = 0)::int), SUM((is_bot <> 0)::int)
FROM clicks GROUP BY 1, 2, 3;

INSERT INTO click_totals (channel, service, humans, bots)
SELECT COALESCE(channel, ''), service, SUM((is_bot = 0)::int), SUM((is_bot <> 0)::int)
FROM clicks GROUP BY 1, 2;

CREATE TABLE insight_counters (
    name   TEXT    PRIMARY KEY,
    value  BIGINT  NOT NULL
);

CREATE INDEX acks_by_acked_at ON acks (acked_at);
CREATE INDEX subscribers_by_last_seen ON subscribers (last_seen_at);
