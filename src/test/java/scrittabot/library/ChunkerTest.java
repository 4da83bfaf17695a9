package scrittabot.library;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Reader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkerTest {
  private static List<Chunker.Chunk> split(String text, int max, int overlap) throws Exception {
    var chunks = new ArrayList<Chunker.Chunk>();
    int n = new Chunker(max, overlap).split(new StringReader(text), chunks::add);
    assertEquals(chunks.size(), n);
    for (var c : chunks) {
      assertTrue(c.text().length() <= max, "at most " + max + ": " + c);
      assertEquals(squash(text.substring((int) c.start(), (int) c.end())), squash(c.text()),
          "the offsets point at the chunk's own text");
    }
    return chunks;
  }

  private static String squash(String s) {
    return s.replaceAll("\\s+", " ").strip();
  }

  @Test
  void aShortTextIsOneChunk() throws Exception {
    var chunks = split("Hello there.\nA second line.\n", 100, 20);
    assertEquals(1, chunks.size());
    assertEquals(new Chunker.Chunk(0, 28, "Hello there.\nA second line."), chunks.getFirst());
    assertEquals(List.of(), split("", 100, 20));
    assertEquals(List.of(), split("\n\n   \n", 100, 20));
  }

  @Test
  void headingsStartChunksAndNothingCarriesOverThem() throws Exception {
    String text = "# One\n\nAlpha beta.\n\n## Two\n\nGamma delta.\n\n## Three\n\nEpsilon.\n";
    var chunks = split(text, 100, 30);
    assertEquals(List.of("# One\nAlpha beta.", "## Two\nGamma delta.", "## Three\nEpsilon."),
        chunks.stream().map(Chunker.Chunk::text).toList());
    // a heading with nothing under it goes with the next part
    assertEquals(List.of("# Book\n## Part\nText.", "## Other\nMore."),
        split("# Book\n\n## Part\n\nText.\n\n## Other\n\nMore.\n", 100, 30).stream()
            .map(Chunker.Chunk::text).toList());
    assertEquals(List.of("# Only a title"), split("# Only a title\n", 100, 30).stream()
        .map(Chunker.Chunk::text).toList());
  }

  @Test
  void paragraphsFillChunksAndTheNextBeginsWithTheLastSentences() throws Exception {
    var text = new StringBuilder();
    for (int p = 0; p < 20; p++) {
      text.append("Paragraph ").append(p).append(" first sentence. And its second one here.\n\n");
    }
    var chunks = split(text.toString(), 200, 60);
    assertTrue(chunks.size() > 5, chunks.toString());
    for (int i = 1; i < chunks.size(); i++) {
      var before = chunks.get(i - 1);
      var next = chunks.get(i);
      assertTrue(next.start() < before.end(), "overlap: " + before + " / " + next);
      assertTrue(before.end() - next.start() <= 60 + 2, before + " / " + next);
      assertTrue(next.end() > before.end(), "progress");
    }
    assertTrue(chunks.getLast().text().endsWith("Paragraph 19 first sentence. And its second "
        + "one here."));
    assertTrue(chunks.getFirst().text().startsWith("Paragraph 0 first"));
  }

  @Test
  void longParagraphsSplitAtSentencesAndHugeWordsAreCut() throws Exception {
    String sentences = "This is one sentence of a long paragraph. ".repeat(30);
    var chunks = split(sentences, 150, 0);
    for (var c : chunks) {
      assertTrue(c.text().endsWith("paragraph."), c.text());
    }
    String word = "x".repeat(1000);
    var cut = split(word + "\n", 300, 50);
    assertEquals(1000, cut.stream().mapToInt(c -> c.text().length()).sum()
        - overlapOf(cut), cut.toString());
  }

  private static int overlapOf(List<Chunker.Chunk> chunks) {
    int overlap = 0;
    for (int i = 1; i < chunks.size(); i++) {
      overlap += (int) Math.max(0, chunks.get(i - 1).end() - chunks.get(i).start());
    }
    return overlap;
  }

  @Test
  void japaneseSplitsAtItsFullStops() throws Exception {
    String text = "今日は良い天気です。明日は雨が降るでしょう。".repeat(10);
    var chunks = split(text, 50, 0);
    for (var c : chunks) {
      assertTrue(c.text().endsWith("。"), c.text());
    }
    assertEquals(text.length(), chunks.getLast().end());
  }

  @Test
  void aLongStreamIsReadInOnePass() throws Exception {
    Reader tenMegabytes = new Reader() {
      private long left = 10L << 20;
      private final String line = "A line of a very long file, with words in it.\n\n";
      private int at;

      @Override
      public int read(char[] buf, int off, int len) {
        if (left <= 0) {
          return -1;
        }
        int n = (int) Math.min(len, left);
        for (int i = 0; i < n; i++) {
          buf[off + i] = line.charAt(at++ % line.length());
        }
        left -= n;
        return n;
      }

      @Override
      public void close() {}
    };
    long[] last = {0};
    int n = new Chunker(1024, 100).split(tenMegabytes, c -> last[0] = c.end());
    assertTrue(n > 10_000, "chunks: " + n);
    assertTrue(last[0] > (10L << 20) - 50, "up to the end: " + last[0]);
  }
}
