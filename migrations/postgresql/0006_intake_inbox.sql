-- PostgreSQL twin of ../0006_intake_inbox.sql.
CREATE TABLE inbox (
    bot_id     BIGINT  NOT NULL,
    update_id  BIGINT  NOT NULL,
    body       TEXT    NOT NULL,
    spooled_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (bot_id, update_id)
);

CREATE TABLE intake_offsets (
    bot_id      BIGINT  PRIMARY KEY,
    next_offset BIGINT  NOT NULL
);
