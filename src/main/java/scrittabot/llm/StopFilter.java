package scrittabot.llm;

import java.util.List;

/**
 * Enforces stop sequences on the client side. Servers may accept only a few (OpenAI takes four),
 * and the bot's tags must never be faked by the model, so the stream is cut here as well: text is
 * held back while it could still be the start of a stop sequence.
 */
final class StopFilter {
  private final List<String> stops;
  private final int holdBack;
  private final StringBuilder pending = new StringBuilder();
  private String stoppedAt;

  StopFilter(List<String> stops) {
    this.stops = List.copyOf(stops);
    this.holdBack = stops.stream().mapToInt(String::length).max().orElse(1) - 1;
  }

  /** Takes a delta, returns the text that is safe to pass on now (possibly empty). */
  String accept(String delta) {
    if (stoppedAt != null) {
      return "";
    }
    pending.append(delta);
    int cut = -1;
    for (String stop : stops) {
      int i = pending.indexOf(stop);
      if (i >= 0 && (cut < 0 || i < cut)) {
        cut = i;
        stoppedAt = stop;
      }
    }
    if (cut >= 0) {
      String out = pending.substring(0, cut);
      pending.setLength(0);
      return out;
    }
    int safe = Math.max(0, pending.length() - holdBack);
    String out = pending.substring(0, safe);
    pending.delete(0, safe);
    return out;
  }

  /** At the end of the stream: what was held back, unless a stop sequence was found. */
  String flush() {
    String out = pending.toString();
    pending.setLength(0);
    return out;
  }

  /** The stop sequence that ended the text, or null. */
  String stoppedAt() {
    return stoppedAt;
  }
}
