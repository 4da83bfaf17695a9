-- Schema 1. Nothing here is ever deleted by the bot: replaced notes are superseded, not removed.
-- Text passes through StoredText (a NUL is escaped); JSON is kept as text for the same reason.
-- Embedding columns get their dimension, and their HNSW indexes, from the first embedding the
-- server returns (Embeddings.java).

-- Every event the agent saw or will see, and every reply it wrote.
CREATE TABLE scrittabot.dialogue (
  id bigint PRIMARY KEY,
  time timestamptz NOT NULL,
  kind text NOT NULL,
  room text,
  sender text,
  channel_id text,             -- the channel's own event id, to recognise an event sent twice
  text text NOT NULL,          -- what was said, for search and recall
  event text,                  -- the whole event as JSON, to queue it again after a restart
  step bigint,                 -- the step that showed it to the agent; null while it waits
  dropped boolean NOT NULL DEFAULT false,  -- given up on: never shown
  answered boolean NOT NULL DEFAULT false, -- the agent sent an answer while it was shown
  repeats boolean NOT NULL DEFAULT false,  -- the same text as an earlier row: not embedded again
  embedding halfvec,
  words tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED
);
CREATE UNIQUE INDEX dialogue_channel_id ON scrittabot.dialogue (channel_id)
  WHERE channel_id IS NOT NULL;
CREATE INDEX dialogue_waiting ON scrittabot.dialogue (id) WHERE step IS NULL AND NOT dropped AND NOT answered;
CREATE INDEX dialogue_step ON scrittabot.dialogue (step);
CREATE INDEX dialogue_time ON scrittabot.dialogue (time);
CREATE INDEX dialogue_words ON scrittabot.dialogue USING gin (words);
CREATE INDEX dialogue_text_md5 ON scrittabot.dialogue (md5(text));
CREATE INDEX dialogue_unembedded ON scrittabot.dialogue (id)
  WHERE embedding IS NULL AND kind IN ('message', 'file', 'reply') AND NOT repeats;

-- One row a step: the events as the prompt showed them and the reply; the prompt's dialogue is
-- rebuilt from these after a restart.
CREATE TABLE scrittabot.steps (
  step bigint PRIMARY KEY,
  started timestamptz NOT NULL,
  ended timestamptz NOT NULL,
  shown text NOT NULL,
  reply text NOT NULL,
  prompt_tokens int,
  cached_tokens int,
  completion_tokens int,
  llm_ms int,
  info text                    -- JSON: recall, prompt sections (for the monitor)
);

-- The agent's own notes.
CREATE TABLE scrittabot.notes (
  id bigserial PRIMARY KEY,
  summary text NOT NULL,
  keywords text[] NOT NULL DEFAULT '{}',
  created timestamptz NOT NULL DEFAULT now(),
  updated timestamptz NOT NULL DEFAULT now(),
  last_recalled timestamptz,
  recall_count int NOT NULL DEFAULT 0,
  superseded timestamptz,      -- replaced or deleted then: kept, but no longer searched
  superseded_by bigint REFERENCES scrittabot.notes (id),
  embedding halfvec,
  words tsvector NOT NULL
);
CREATE INDEX notes_words ON scrittabot.notes USING gin (words);
CREATE INDEX notes_unembedded ON scrittabot.notes (id) WHERE embedding IS NULL;

-- Received documents, their chunks at each summary depth, and the edges between chunks.
CREATE TABLE scrittabot.documents (
  id bigserial PRIMARY KEY,
  filename text NOT NULL,
  original_name text,
  sender text,
  room text,
  received timestamptz NOT NULL DEFAULT now(),
  mime_type text,
  size bigint,
  sha256 text,
  state text NOT NULL DEFAULT 'new',
  progress text
);
CREATE TABLE scrittabot.chunks (
  id bigserial PRIMARY KEY,
  document bigint NOT NULL REFERENCES scrittabot.documents (id),
  depth int NOT NULL,
  start_offset bigint,
  end_offset bigint,
  text text NOT NULL,
  keywords text[] NOT NULL DEFAULT '{}',
  sha256 text,
  embedding halfvec,
  words tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED
);
CREATE INDEX chunks_document ON scrittabot.chunks (document, depth);
CREATE INDEX chunks_words ON scrittabot.chunks USING gin (words);
CREATE INDEX chunks_unembedded ON scrittabot.chunks (id) WHERE embedding IS NULL;
CREATE TABLE scrittabot.chunk_edges (
  from_chunk bigint NOT NULL REFERENCES scrittabot.chunks (id),
  to_chunk bigint NOT NULL REFERENCES scrittabot.chunks (id),
  kind text NOT NULL CHECK (kind IN ('parent', 'next')),
  PRIMARY KEY (from_chunk, kind, to_chunk)
);

-- Small named pieces of state, as JSON: mood and goals, sleep, the prompt's window, the Matrix
-- sync position and unsent messages.
CREATE TABLE scrittabot.state (
  key text PRIMARY KEY,
  value text NOT NULL,
  updated timestamptz NOT NULL DEFAULT now()
);
