-- PostgreSQL twin of ../0007_privacy.sql: a refused attempt keeps a pseudonym, never the id nor
-- what was typed. PostgreSQL alters the audit table in place; subscribers need no rebuild (SQLite's
-- rowid concern has no counterpart here).
ALTER TABLE audit ALTER COLUMN operator_id DROP NOT NULL;
ALTER TABLE audit ADD COLUMN pseudonym TEXT;

UPDATE audit SET operator_id = NULL, pseudonym = '?', detail = ''
WHERE result = 'refused: not an operator';

ALTER TABLE audit ADD CHECK ((operator_id IS NULL) <> (pseudonym IS NULL));

CREATE INDEX audit_by_time ON audit (at);
CREATE INDEX audit_by_operator ON audit (operator_id);
CREATE INDEX audit_by_pseudonym ON audit (pseudonym);
