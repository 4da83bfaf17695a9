package scrittabot.context;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.llm.ChatMessage;

/**
 * Builds each prompt, ordered from the most stable part to the least so that the server's prefix
 * cache is reused: the system prompt and tool reference (never cut), the dialogue (append-only;
 * when it must shrink, a large block of the oldest turns goes at once), and last the current
 * state followed by the new events.
 */
public final class Prompt {
  private static final Logger log = LoggerFactory.getLogger(Prompt.class);
  /** When the dialogue must shrink, it shrinks to this share of what is left for it. */
  private static final double SHRINK_TO = 0.5;
  private static final int REPLY_TOKENS_MAX = 2048;

  private final String system;
  private final int contextTokens;
  private final TokenEstimate estimate;
  private final List<Turn> dialogue = new ArrayList<>();
  private int droppedTurns;

  public Prompt(String toolReference, int contextTokens, TokenEstimate estimate) {
    this.system = systemPrompt().replace("{{tools}}", toolReference.strip());
    this.contextTokens = contextTokens;
    this.estimate = estimate;
  }

  /** The instructions and the tool reference, the stable head of every prompt. */
  public String system() {
    return system;
  }

  /** Tokens left for a reply; the rest of the context is the prompt's. */
  public int replyTokens() {
    return Math.min(REPLY_TOKENS_MAX, contextTokens / 4);
  }

  /** Checked at start: the fixed part must leave room for dialogue and reply. */
  public void checkFits() {
    int fixed = estimate.tokens(system.length());
    if (fixed + replyTokens() > contextTokens * 3 / 4) {
      throw new IllegalStateException("the system prompt and tool reference alone take about "
          + fixed + " tokens, too much for context_llm " + contextTokens
          + "; raise context_llm");
    }
  }

  /** The messages for the next LLM call: system, the dialogue, then state and new events. */
  public List<ChatMessage> build(String state, String events) {
    return build(state, events, List.of());
  }

  /**
   * As {@link #build(String, String)}, with images that came with the new events. They are seen
   * in this step only; the dialogue keeps their tags, not their pixels.
   */
  public List<ChatMessage> build(String state, String events, List<ChatMessage.Image> images) {
    String last = state + "\n" + fitEvents(events);
    int budget = contextTokens - replyTokens() - estimate.tokens(system.length());
    int forDialogue = budget - estimate.tokens(last.length());
    if (estimate.tokens(dialogueChars()) > forDialogue) {
      shrink((int) (forDialogue * SHRINK_TO));
    }
    var messages = new ArrayList<ChatMessage>();
    messages.add(ChatMessage.system(system));
    dialogue.forEach(t -> messages.add(t.toMessage()));
    messages.add(new ChatMessage(ChatMessage.Role.USER, last, images));
    return messages;
  }

  /** Records a finished step: the events as the agent saw them (cut to fit), and its reply. */
  public void record(String events, String reply) {
    dialogue.add(new Turn(false, fitEvents(events)));
    dialogue.add(new Turn(true, reply));
  }

  /** Drops the older half of the dialogue now, e.g. when the server refused a prompt. */
  public void shrinkHard() {
    shrink((int) (estimate.tokens(dialogueChars()) * SHRINK_TO));
  }

  /** How many old turns were dropped from the prompt so far. */
  public int droppedTurns() {
    return droppedTurns;
  }

  /** Drops the oldest turns, a user-and-agent pair at a time, until the rest fits {@code target}. */
  private void shrink(int target) {
    int before = dialogue.size();
    while (!dialogue.isEmpty() && estimate.tokens(dialogueChars()) > target) {
      dialogue.remove(0);
      dialogue.remove(0);
    }
    droppedTurns += before - dialogue.size();
    log.info("prompt: dropped the {} oldest dialogue turns to fit context_llm {}",
        before - dialogue.size(), contextTokens);
  }

  /** New events may take at most half of what the fixed part leaves; more is cut. */
  private String fitEvents(String events) {
    int budget = contextTokens - replyTokens() - estimate.tokens(system.length());
    return cutMiddle(events, budget / 2);
  }

  /** Cuts the middle out of a text that would not fit, keeping its start and end. */
  private String cutMiddle(String text, int maxTokens) {
    int maxChars = (int) (maxTokens / Math.max(estimate.tokensPerChar(), 0.01));
    if (text.length() <= maxChars) {
      return text;
    }
    int keep = maxChars / 2;
    return text.substring(0, keep) + "\n[... " + (text.length() - 2 * keep)
        + " characters cut to fit the context ...]\n" + text.substring(text.length() - keep);
  }

  private long dialogueChars() {
    return dialogue.stream().mapToLong(t -> t.text().length()).sum();
  }

  private static String systemPrompt() {
    try (InputStream in = Objects.requireNonNull(
        Prompt.class.getResourceAsStream("system-prompt.md"), "system-prompt.md missing")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the system prompt resource", e);
    }
  }
}
