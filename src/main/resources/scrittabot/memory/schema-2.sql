-- Schema 2: the library. A document is one content (by sha256), stored and indexed once; a
-- file is one name under files_dir that a person sent it under (or the agent wrote), all of
-- them hard links to the same bytes. Schema 1's documents table was never written to.

ALTER TABLE scrittabot.documents DROP COLUMN original_name, DROP COLUMN sender,
  DROP COLUMN room;
ALTER TABLE scrittabot.documents ADD CONSTRAINT documents_sha256 UNIQUE (sha256);
COMMENT ON COLUMN scrittabot.documents.filename IS 'the first name it was stored under';

CREATE TABLE scrittabot.files (
  id bigserial PRIMARY KEY,
  filename text NOT NULL UNIQUE, -- relative to files_dir, as open() takes it
  document bigint NOT NULL REFERENCES scrittabot.documents (id),
  original_name text,            -- as the sender named it: data, never a path
  sender text,
  room text,
  received timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_document ON scrittabot.files (document);
