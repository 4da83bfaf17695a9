package scrittabot.monitor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import scrittabot.kernel.Watcher;
import scrittabot.llm.ChatMessage;

/**
 * The prompts of the last steps, exactly as they went to the LLM, for the page (monitor_prompts
 * of them; older steps show their record from the steps table). Kept in memory only: a prompt is
 * tens of kilobytes, and the record says what a step saw.
 */
final class Prompts implements Watcher {
  /** A message of a prompt; its images only counted (they can be megabytes each). */
  record Message(String role, String text, int images) {}

  private final int keep;
  private final LinkedHashMap<Long, List<Message>> kept = new LinkedHashMap<>();

  Prompts(int keep) {
    this.keep = keep;
  }

  @Override
  public void prompted(long step, List<ChatMessage> messages) {
    if (keep == 0) {
      return;
    }
    // the texts are shared, not copied: this runs on the kernel's thread
    List<Message> copy = messages.stream().map(m -> new Message(
        m.role().name().toLowerCase(), m.text(), m.images().size())).toList();
    synchronized (kept) {
      kept.put(step, copy);
      while (kept.size() > keep) {
        kept.pollFirstEntry();
      }
    }
  }

  /** The prompt of {@code step}, or null when it is not kept. */
  List<Message> of(long step) {
    synchronized (kept) {
      return kept.get(step);
    }
  }

  /** The steps whose prompts are kept, oldest first. */
  List<Long> steps() {
    synchronized (kept) {
      return List.copyOf(kept.sequencedKeySet());
    }
  }

  static Map<String, Object> json(long step, List<Message> messages) {
    var out = new LinkedHashMap<String, Object>();
    out.put("step", step);
    out.put("messages", messages.stream().map(m -> Map.<String, Object>of("role", m.role(),
        "text", m.text(), "images", m.images())).toList());
    return out;
  }
}
