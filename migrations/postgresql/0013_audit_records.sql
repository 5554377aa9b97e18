-- PostgreSQL twin of ../0013_audit_records.sql: an operator's gated action audited as data.
ALTER TABLE audit ADD COLUMN kind TEXT;
ALTER TABLE audit ADD COLUMN step TEXT;
ALTER TABLE audit ADD COLUMN pending_id BIGINT;
ALTER TABLE audit ADD COLUMN requester_id BIGINT;
ALTER TABLE audit ADD COLUMN requester_pseudonym TEXT;
ALTER TABLE audit ADD COLUMN codes TEXT;
ALTER TABLE audit ADD COLUMN ids TEXT;
ALTER TABLE audit ADD COLUMN count BIGINT;
