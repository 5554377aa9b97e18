-- PostgreSQL twin of ../0015_reload_campaign_clicks.sql: an index of the reminder campaigns'
-- clicks (source 'campaign-<id>') for /campaigns.
CREATE INDEX clicks_by_campaign ON clicks (source, is_bot) WHERE source LIKE 'campaign-%';
