-- Schema 3: full-text search for languages written without spaces. PostgreSQL's 'simple'
-- configuration takes a run of Japanese or Chinese as one word, so "東京" would never match a
-- text that says "東京に住んでいます". search_words() makes every kana and CJK ideograph a word
-- of its own, at its own position; Search then asks for neighbouring pairs (東 <-> 京), which
-- is bigram search with nothing to install and whatever the database's locale.

CREATE FUNCTION scrittabot.search_words(t text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN to_tsvector('simple', regexp_replace(t,
    U&'([\3040-\30FF\3400-\4DBF\4E00-\9FFF\F900-\FAFF\FF66-\FF9F])', ' \1 ', 'g'));

-- A summary's keywords are searched with its text (array_to_string is only "stable" in
-- general, because of other element types; for text it is immutable).
CREATE FUNCTION scrittabot.search_words(t text, keywords text[]) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN scrittabot.search_words(t || ' ' || array_to_string(keywords, ' '));

DROP INDEX scrittabot.dialogue_words;
ALTER TABLE scrittabot.dialogue DROP COLUMN words;
ALTER TABLE scrittabot.dialogue ADD COLUMN words tsvector
  GENERATED ALWAYS AS (scrittabot.search_words(text)) STORED;
CREATE INDEX dialogue_words ON scrittabot.dialogue USING gin (words);

DROP INDEX scrittabot.chunks_words;
ALTER TABLE scrittabot.chunks DROP COLUMN words;
ALTER TABLE scrittabot.chunks ADD COLUMN words tsvector
  GENERATED ALWAYS AS (scrittabot.search_words(text, keywords)) STORED;
CREATE INDEX chunks_words ON scrittabot.chunks USING gin (words);

UPDATE scrittabot.notes SET words = scrittabot.search_words(summary, keywords);
