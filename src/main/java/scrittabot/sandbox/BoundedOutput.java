package scrittabot.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Collects what Python prints, up to a limit; beyond it only counts, so a print flood is cheap. */
final class BoundedOutput extends OutputStream {
  private final int limit;
  private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
  private long dropped;

  BoundedOutput(int limit) {
    this.limit = limit;
  }

  @Override
  public synchronized void write(int b) {
    if (kept.size() < limit) {
      kept.write(b);
    } else {
      dropped++;
    }
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) {
    int room = Math.max(0, limit - kept.size());
    int take = Math.min(room, len);
    kept.write(b, off, take);
    dropped += len - take;
  }

  /** How many more bytes would be kept; a writer may count the rest with {@link #skip}. */
  synchronized int room() {
    return Math.max(0, limit - kept.size());
  }

  /** Counts bytes that were printed but not handed over, because there was no room for them. */
  synchronized void skip(long count) {
    dropped += count;
  }

  /** Returns what was collected since the last call and starts afresh. */
  synchronized String take() {
    String text = kept.toString(StandardCharsets.UTF_8);
    if (dropped > 0) {
      text += "\n[output cut: " + dropped + " more bytes were printed]";
    }
    kept.reset();
    dropped = 0;
    return text;
  }
}
