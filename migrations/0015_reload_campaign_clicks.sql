-- Clicks per reminder campaign (issue 23, part "reload"): a reminder's link buttons lead through
-- /go/ with s=campaign-<id>, and /campaigns counts each campaign's clicks by people. Without an
-- index that count reads the whole clicks table: 0.93 to 1.06 s for ten campaigns at two million
-- clicks, a tenth of them campaigns' (three runs on a shared 2-core machine); with it 83 to 126 ms.
-- The index is partial: it holds only the campaigns' clicks, so the other clicks' writes do not
-- pay for it. The query repeats the index's condition word for word (SQLite and PostgreSQL use a
-- partial index only when they can see that the query implies its WHERE).
-- Numbered 0015: 0013 and 0014 are other parts' of issue 23.
CREATE INDEX clicks_by_campaign ON clicks (source, is_bot) WHERE source LIKE 'campaign-%';
