-- Clicks on Kooch's redirect links (/go/<service>). One row per request; bots and link previews
-- are stored too (is_bot = 1) but left out of the figures operators see.
CREATE TABLE clicks (
    id        INTEGER PRIMARY KEY,
    at        REAL    NOT NULL,
    service   TEXT    NOT NULL,
    channel   TEXT,
    source    TEXT,
    platform  TEXT    NOT NULL CHECK (platform IN ('android', 'ios', 'desktop', 'other')),
    is_bot    INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX clicks_by_service ON clicks (service, at);
CREATE INDEX clicks_by_channel ON clicks (channel, at);
