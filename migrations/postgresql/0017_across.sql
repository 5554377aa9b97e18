-- PostgreSQL twin of ../0017_across.sql: move codes, confirmed arrivals, the destinations'
-- polling offsets and the mirror.
CREATE TABLE move_codes (
    code         TEXT             PRIMARY KEY,
    user_id      BIGINT           NOT NULL,
    channel      TEXT             NOT NULL,
    service      TEXT             NOT NULL,
    created_at   DOUBLE PRECISION NOT NULL,
    expires_at   DOUBLE PRECISION NOT NULL,
    used_at      DOUBLE PRECISION,
    used_update  BIGINT
);
CREATE INDEX move_codes_by_user ON move_codes (user_id, channel, service);

CREATE TABLE service_arrivals (
    channel     TEXT             NOT NULL,
    service     TEXT             NOT NULL,
    user_id     BIGINT           NOT NULL,
    arrived_at  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (channel, service, user_id)
);
CREATE INDEX service_arrivals_by_user ON service_arrivals (user_id);

CREATE TABLE destination_offsets (
    service      TEXT    PRIMARY KEY,
    next_offset  BIGINT  NOT NULL
);

CREATE TABLE mirror_posts (
    channel          TEXT             NOT NULL,
    message_id       BIGINT           NOT NULL,
    service          TEXT             NOT NULL,
    body             TEXT             NOT NULL,
    version          INTEGER          NOT NULL DEFAULT 0,
    state            TEXT             NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    sent_version     INTEGER,
    dest_message_id  BIGINT,
    attempts         INTEGER          NOT NULL DEFAULT 0,
    error            TEXT,
    created_at       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (channel, message_id, service)
);
CREATE INDEX mirror_posts_by_state ON mirror_posts (state, service, created_at);
