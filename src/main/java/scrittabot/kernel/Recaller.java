package scrittabot.kernel;

import java.util.List;

/**
 * What the kernel asks of memory at each step: what the new events bring to mind, as lines for
 * the state block at the end of the prompt (so the cached prefix stays intact).
 */
public interface Recaller {
  /**
   * Memories that fit in {@code maxChars}, from outside the prompt's dialogue (steps before
   * {@code windowStart}); never throws: without memory it recalls nothing.
   */
  Recalled recall(List<Event> events, long windowStart, int maxChars);

  /** The text for the state block ("" when nothing came to mind), and what was recalled as JSON. */
  record Recalled(String text, String info) {
    public static final Recalled NOTHING = new Recalled("", null);
  }

  Recaller NONE = (events, windowStart, maxChars) -> Recalled.NOTHING;
}
