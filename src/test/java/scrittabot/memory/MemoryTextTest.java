package scrittabot.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import scrittabot.kernel.Event;
import scrittabot.llm.ChatMessage;

/** The memory's pure parts: URLs, stored text, events as JSON, query words, fusion. */
class MemoryTextTest {
  private static final Instant T = Instant.parse("2026-03-02T09:15:00Z");

  @Test
  void theSeedsDatabaseUrlBecomesJdbcAndThePasswordNeverShows() {
    var url = DatabaseUrl.parse("postgresql://bot:p%40ss:w0rd@db.example:5433/memory");
    assertEquals("jdbc:postgresql://db.example:5433/memory", url.jdbc());
    assertEquals("bot", url.user());
    assertEquals("p@ss:w0rd", url.password());
    assertFalse(url.toString().contains("w0rd"), url.toString());
    assertEquals("jdbc:postgresql://h/db?sslmode=require",
        DatabaseUrl.parse("jdbc:postgresql://h/db?sslmode=require").jdbc());
    assertNull(DatabaseUrl.parse("postgres://h/db").user());
    var e = assertThrows(IllegalArgumentException.class,
        () -> DatabaseUrl.parse("mysql://u:secret@h/db"));
    assertFalse(e.getMessage().contains("secret"));
    e = assertThrows(IllegalArgumentException.class,
        () -> DatabaseUrl.parse("postgresql://u:se cret@h/db"));
    assertFalse(e.getMessage().contains("cret"), e.getMessage());
  }

  @Test
  void storedTextKeepsNulAndItsOwnEscapeCharacter() {
    for (String text : List.of("plain", "a\0b", "\uE000", "\uE0000", "\0\0\uE000\uE000", "")) {
      String stored = StoredText.encode(text);
      assertFalse(stored.contains("\0"), "no NUL reaches PostgreSQL");
      assertEquals(text, StoredText.decode(stored));
    }
  }

  @Test
  void everyKindOfEventComesBackFromJson() {
    var image = new ChatMessage.Image("image/png", new byte[] {1, 2, 3});
    List<Event> events = List.of(
        new Event.UserMessage(T, "@a:s", "lobby", "hi\0there", new Event.Refs("$1", "$0", null,
            "$t")),
        new Event.FileMessage(T, "@a:s", "lobby", Event.Refs.of("$2"), "cat.png", 3,
            "image/png", "my cat", image, null),
        new Event.Reaction(T, "@a:s", "lobby", Event.Refs.of("$3"), "$1", "👍"),
        new Event.CodeOutput(T, "42\n", "NameError: x"),
        new Event.WakeUp(T),
        new Event.SystemNotice(T, "note", true));
    for (Event e : events) {
      Event back = EventCodec.read(EventCodec.write(e));
      assertEquals(e.render(), back.render());
      assertEquals(e.time(), back.time());
    }
    var file = (Event.FileMessage) EventCodec.read(EventCodec.write(events.get(1)));
    assertEquals(List.of((byte) 1, (byte) 2, (byte) 3), List.of(file.image().data()[0],
        file.image().data()[1], file.image().data()[2]));
    assertThrows(IllegalArgumentException.class, () -> EventCodec.read("{\"kind\": \"x\", "
        + "\"time\": \"2026-03-02T09:15:00Z\"}"));
  }

  @Test
  void queryWordsLeaveOutShortAndCommonWordsAndCannotInjectOperators() {
    assertEquals("pelargonium | secret | code", Search.tsQuery(
        "What is the secret code? pelargonium!", Set.of("what", "the")));
    assertEquals("table | drop", Search.tsQuery("'); DROP TABLE & | !x:*", Set.of()));
    assertNull(Search.tsQuery("a an is", Set.of()));
  }

  @Test
  void japaneseIsSearchedByNeighbouringPairsOfCharacters() {
    assertEquals("(東 <-> 京) | (京 <-> に) | (に <-> 住) | (住 <-> む)",
        Search.tsQuery("東京に住む？", Set.of()));
    assertEquals("tokyo | (東 <-> 京) | 都", Search.tsQuery("Tokyo 東京 、都", Set.of()),
        "one character alone is itself; Latin words come first");
    assertEquals("(東 <-> 京)", Search.tsQuery("東京の", Set.of("の", "京")),
        "a pair of two common characters is left out, one common character is not enough");
    assertNull(Search.tsQuery("東京の", Set.of("の", "京", "東")), "all pairs common");
  }

  @Test
  void fusionRanksWhatBothListsFindFirstAndShowsNearDuplicatesOnce() {
    var a = new Search.Hit("message", "d1", T, null, null, "the red bicycle is in the yard", 0);
    var b = new Search.Hit("message", "d2", T, null, null, "the red bicycle is in the yard!", 0);
    var c = new Search.Hit("note", "n1", T, null, null, "Laura lives in Turku", 0);
    var d = new Search.Hit("message", "d3", T, null, null, "something else entirely", 0);
    var fused = Search.fuse(List.of(List.of(a, b, c), List.of(c, d)), 10);
    assertEquals(List.of("n1", "d1", "d3"), fused.stream().map(Search.Hit::ref).toList());
    assertTrue(fused.get(0).score() > fused.get(1).score());
  }

  private static Search.Hit part(String kind, String ref, long document, long start, long end) {
    return new Search.Hit(kind, ref, T, "file", null, ref + " says " + ref, 0,
        new Search.Part(document, start, end));
  }

  @Test
  void aSummaryComesAfterThePartsOfItsSpanThatWereFound() {
    var summary = part("summary", "c10", 1, 0, 800);
    var inside = part("document", "c2", 1, 235, 500);
    var outside = part("document", "c5", 1, 900, 1200);
    var otherFile = part("document", "c7", 2, 300, 400);
    var note = new Search.Hit("note", "n1", T, null, null, "Laura lives in Turku", 0);
    assertEquals(List.of("c2", "c10", "n1", "c5", "c7"), Search.fuse(List.of(
        List.of(summary, inside, note, outside, otherFile)), 10).stream()
        .map(Search.Hit::ref).toList());
    assertEquals(List.of("c10", "c5", "c7"), Search.fuse(List.of(
        List.of(summary, outside, otherFile)), 10).stream().map(Search.Hit::ref).toList(),
        "parts outside its span or of another file leave it where it is");
  }
}
