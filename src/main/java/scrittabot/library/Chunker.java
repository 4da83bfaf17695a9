package scrittabot.library;

import java.io.BufferedReader;
import java.io.Reader;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a text into chunks of at most {@code maxChars}, read as a stream (a 10 MB file never
 * sits in memory whole): at headings first, then at paragraphs (blank lines), then at
 * sentences, and only a sentence longer than a chunk is cut hard. A chunk that goes on from the
 * one before (no heading between them) begins with the previous chunk's last sentences, up to
 * {@code overlapChars}, so that a thought cut in two is whole in one of them. Each chunk knows
 * its offsets (in characters) into the text.
 */
public final class Chunker {
  /** One chunk: characters {@code start} (inclusive) to {@code end} (exclusive) of the text. */
  public record Chunk(long start, long end, String text) {}

  /** Receives the chunks in order. */
  public interface Sink {
    void accept(Chunk chunk) throws Exception;
  }

  private static final Pattern HEADING = Pattern.compile("^(#{1,6} |=+\\s*$|-{3,}\\s*$)");
  /** After . ! ? and their CJK forms, or after a line break inside a paragraph. */
  private static final Pattern SENTENCE_END =
      Pattern.compile("(?<=[.!?。！？])[\"')\\]»”’]*\\s+|(?<=[。！？])|\\n");

  private final int maxChars;
  private final int overlapChars;

  public Chunker(int maxChars, int overlapChars) {
    if (maxChars < 20 || overlapChars < 0 || overlapChars > maxChars / 2) {
      throw new IllegalArgumentException("maxChars " + maxChars + ", overlapChars "
          + overlapChars);
    }
    this.maxChars = maxChars;
    this.overlapChars = overlapChars;
  }

  /** A piece of text at an offset: a sentence or a whole paragraph. */
  private record Piece(long start, String text) {
    long end() {
      return start + text.length();
    }
  }

  /** Splits {@code in} and gives each chunk to {@code sink}; returns how many there were. */
  public int split(Reader reader, Sink sink) throws Exception {
    Reader in = reader instanceof BufferedReader ? reader : new BufferedReader(reader, 1 << 16);
    var state = new State(sink);
    var paragraph = new StringBuilder();
    long paragraphStart = 0;
    long offset = 0;
    var line = new StringBuilder();
    int c;
    boolean more = true;
    while (more) {
      c = in.read();
      more = c >= 0;
      if (more) {
        line.append((char) c);
        if (c != '\n' && line.length() < maxChars) {
          continue; // a line longer than a chunk is handled as a line of its own
        }
      }
      if (line.isEmpty()) {
        break;
      }
      String text = line.toString();
      long lineStart = offset;
      offset += text.length();
      line.setLength(0);
      if (text.isBlank() || HEADING.matcher(text).find()) {
        if (!paragraph.isEmpty()) {
          state.paragraph(new Piece(paragraphStart, paragraph.toString()));
          paragraph.setLength(0);
        }
        if (text.isBlank()) {
          continue;
        }
        if (text.startsWith("#")) {
          state.section(); // a heading ends the chunk before it
        }
      }
      if (paragraph.isEmpty()) {
        paragraphStart = lineStart;
      }
      paragraph.append(text);
      if (paragraph.length() >= 4 * maxChars) {
        // a paragraph without end: its whole sentences go on, the unfinished one stays
        List<Piece> done = sentences(new Piece(paragraphStart, paragraph.toString()));
        Piece open = done.removeLast();
        for (Piece sentence : done) {
          state.add(sentence);
        }
        paragraph.setLength(0);
        paragraph.append(open.text());
        paragraphStart = open.start();
      }
    }
    if (!paragraph.isEmpty()) {
      state.paragraph(new Piece(paragraphStart, paragraph.toString()));
    }
    state.end();
    return state.count;
  }

  /** The chunk being filled, and the sentences it may carry over into the next. */
  private final class State {
    private final Sink sink;
    private final List<Piece> pieces = new ArrayList<>();
    private int length;
    private int count;
    private boolean fresh = true; // holds nothing but overlap

    State(Sink sink) {
      this.sink = sink;
    }

    void paragraph(Piece p) throws Exception {
      if (p.text().length() <= maxChars) {
        add(p);
        return;
      }
      for (Piece sentence : sentences(p)) {
        add(sentence);
      }
    }

    void add(Piece p) throws Exception {
      if (length + p.text().length() > maxChars && !fresh) {
        emit();
        carryOver();
      }
      while (length + p.text().length() > maxChars && !pieces.isEmpty()) {
        length -= pieces.removeFirst().text().length(); // overlap that leaves no room goes
      }
      pieces.add(p);
      length += p.text().length();
      fresh = false;
    }

    /**
     * A heading or the end: the chunk ends here, and nothing carries over; but headings with
     * nothing under them yet ("# Title" right before "## Part") stay to begin the next chunk.
     */
    void section() throws Exception {
      if (!fresh && pieces.stream().allMatch(p -> p.text().startsWith("#")
          && p.text().strip().lines().count() == 1)) {
        return;
      }
      if (!fresh) {
        emit();
      }
      pieces.clear();
      length = 0;
      fresh = true;
    }

    /** The end of the text: whatever is left is a chunk, headings alone too. */
    void end() throws Exception {
      if (!fresh) {
        emit();
      }
    }

    private void emit() throws Exception {
      Piece first = pieces.getFirst();
      Piece last = pieces.getLast();
      var text = new StringBuilder();
      for (Piece p : pieces) {
        text.append(p.text());
      }
      // pieces are contiguous except where blank lines were skipped: the offsets hold them
      sink.accept(new Chunk(first.start(), last.end(), text.toString().strip()));
      count++;
    }

    /** The last sentences of the emitted chunk, up to the overlap, begin the next one. */
    private void carryOver() {
      Deque<Piece> kept = new ArrayDeque<>();
      int keptLength = 0;
      List<Piece> tail = sentences(pieces.getLast());
      for (int i = tail.size() - 1; i >= 0; i--) {
        Piece s = tail.get(i);
        if (keptLength + s.text().length() > overlapChars) {
          break;
        }
        kept.addFirst(s);
        keptLength += s.text().length();
      }
      pieces.clear();
      pieces.addAll(kept);
      length = keptLength;
      fresh = true;
    }
  }

  /** A paragraph's sentences; a sentence longer than a chunk is cut into chunk-sized parts. */
  private List<Piece> sentences(Piece p) {
    var out = new ArrayList<Piece>();
    String text = p.text();
    Matcher m = SENTENCE_END.matcher(text);
    int from = 0;
    while (from < text.length()) {
      int to = text.length();
      while (m.find()) {
        if (m.end() > from) {
          to = m.end();
          break;
        }
      }
      while (to - from > maxChars) {
        out.add(new Piece(p.start() + from, text.substring(from, from + maxChars)));
        from += maxChars;
      }
      if (to > from) {
        out.add(new Piece(p.start() + from, text.substring(from, to)));
      }
      from = to;
    }
    return out;
  }
}
