-- Issue 23: an operator's gated action (announce, moved, schedule, remind) is audited as data, not
-- as an English sentence, so that /audit says it in each reader's language. The actor stays in
-- operator_id (one column, the Telegram user id, which /forget replaces by a pseudonym); the
-- request's requester, when another operator decided it, in requester_id (the same rule applies).
-- kind: the action; step: asked, requested, approved, refused, own, expired, stale, done,
-- cancelled, too-late; pending_id: the request or confirmation; codes: the outcome's codes as a
-- JSON array of strings; ids: the outcome's ids (messages, scheduled posts, campaign) as a JSON
-- array of integers; count: a count the step carries (the operators a request reached).
-- Rows written before, and the other commands' rows, keep these NULL: /audit shows their result.
ALTER TABLE audit ADD COLUMN kind TEXT;
ALTER TABLE audit ADD COLUMN step TEXT;
ALTER TABLE audit ADD COLUMN pending_id INTEGER;
ALTER TABLE audit ADD COLUMN requester_id INTEGER;
-- The requester once /forget replaced requester_id by their pseudonym (operator:<code>, the same
-- one their own rows get in pseudonym): the row's pseudonym column is the actor's, not theirs.
ALTER TABLE audit ADD COLUMN requester_pseudonym TEXT;
ALTER TABLE audit ADD COLUMN codes TEXT;
ALTER TABLE audit ADD COLUMN ids TEXT;
ALTER TABLE audit ADD COLUMN count INTEGER;
