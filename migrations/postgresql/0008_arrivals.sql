-- PostgreSQL twin of ../0008_arrivals.sql: member counts over time, counts only (no person named).
CREATE TABLE member_counts (
    kind     TEXT             NOT NULL CHECK (kind IN ('channel', 'service')),
    source   TEXT             NOT NULL,
    at       DOUBLE PRECISION NOT NULL,
    members  BIGINT           NOT NULL CHECK (members >= 0),
    PRIMARY KEY (kind, source, at)
);
