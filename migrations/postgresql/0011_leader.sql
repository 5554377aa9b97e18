-- PostgreSQL twin of ../0011_leader.sql: one row once a leader was elected; epoch is the fencing
-- token, one more at each election (kooch/store/leader.py).
CREATE TABLE leader (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    epoch   BIGINT  NOT NULL,
    holder  TEXT    NOT NULL,
    since   DOUBLE PRECISION NOT NULL
);
