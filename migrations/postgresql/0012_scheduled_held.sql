-- PostgreSQL twin of ../0012_scheduled_held.sql: the announcement a schedule was confirmed
-- against, and the 'held' state.
ALTER TABLE scheduled_posts ADD COLUMN known_announcement BIGINT;

UPDATE scheduled_posts s SET known_announcement = (
    SELECT MAX(a.id) FROM announcements a WHERE a.channel = s.channel AND a.posted_at <= s.created_at
);

ALTER TABLE scheduled_posts DROP CONSTRAINT scheduled_posts_state_check;

ALTER TABLE scheduled_posts ADD CONSTRAINT scheduled_posts_state_check
    CHECK (state IN ('open', 'asked', 'posting', 'done', 'cancelled', 'failed', 'held'));
