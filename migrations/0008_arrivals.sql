-- Arrivals: member counts over time, of each Telegram channel and of each service's destination
-- channel on its own platform (Bale, Soroush+), read every arrivals_interval_s. Counts only: no
-- person is named here, so /forget and the retention job leave the series alone.
--   kind:    'channel' (a Telegram channel, source = its config key) or 'service' (a destination,
--            source = the service's config key)
--   at:      when it was read (Unix seconds)
--   members: the count the platform gave
CREATE TABLE member_counts (
    kind     TEXT    NOT NULL CHECK (kind IN ('channel', 'service')),
    source   TEXT    NOT NULL,
    at       REAL    NOT NULL,
    members  INTEGER NOT NULL CHECK (members >= 0),
    PRIMARY KEY (kind, source, at)
);
