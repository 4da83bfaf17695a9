package scrittabot.context;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Resources;
import scrittabot.llm.ChatMessage;

/**
 * Builds each prompt, ordered from the most stable part to the least so that the server's prefix
 * cache is reused: the system prompt and tool reference (never cut), the dialogue (append-only;
 * when it must shrink, a large block of the oldest turns goes at once), and last the new events
 * followed by the current state and a one-line reminder of what to do.
 *
 * <p>The dialogue keeps each step's events but not the state that followed them (it changes every
 * step and would fill the context with stale recall). Since the state comes after the events,
 * what the dialogue keeps is a prefix of what was sent, and the server's cache still holds it: a
 * step re-processes only the previous reply and its own new text.
 */
public final class Prompt {
  private static final Logger log = LoggerFactory.getLogger(Prompt.class);
  /** When the dialogue must shrink, it shrinks to this share of what is left for it. */
  private static final double SHRINK_TO = 0.5;
  private static final int REPLY_TOKENS_MAX = 2048;
  /** What the state block takes besides recall: the time, mood and goals. */
  private static final int STATE_TOKENS = 200;
  /** Room kept beside the events that fit for the notice that more follow. */
  private static final int NOTICE_CHARS = 300;

  private static final String REMINDER = Resources.text(Prompt.class, "reminder.md").strip();

  private final String system;
  private final int contextTokens;
  private final int recallTokens;
  private final TokenEstimate estimate;
  private final List<Step> dialogue = new ArrayList<>();
  private long windowStart = 1;
  private int droppedTurns;

  public Prompt(String toolReference, int contextTokens, TokenEstimate estimate) {
    this(toolReference, contextTokens, contextTokens / 8, estimate);
  }

  /** {@code recallTokens}: the share of the context for what memory recalls at each step. */
  public Prompt(String toolReference, int contextTokens, int recallTokens,
      TokenEstimate estimate) {
    this.system = Resources.text(Prompt.class, "system-prompt.md")
        .replace("{{tools}}", toolReference.strip());
    this.contextTokens = contextTokens;
    this.recallTokens = recallTokens;
    this.estimate = estimate;
  }

  /**
   * The characters that recalled memories may take in the state block beside these events:
   * recall_tokens, or less when the events leave less room (the dialogue can always shrink).
   */
  public int recallChars(String shown) {
    int room = eventsAndDialogueBudget() - estimate.tokens(shown.length()) - STATE_TOKENS;
    return (int) (Math.max(0, Math.min(recallTokens, room))
        / Math.max(estimate.tokensPerChar(), 0.01));
  }

  /** The instructions and the tool reference, the stable head of every prompt. */
  public String system() {
    return system;
  }

  /** Tokens left for a reply; the rest of the context is the prompt's. */
  public int replyTokens() {
    return Math.min(REPLY_TOKENS_MAX, contextTokens / 4);
  }

  /**
   * Checked at start: the fixed part, the reply and recall must leave at least an eighth of the
   * context for new events and dialogue.
   */
  public void checkFits() {
    int fixed = estimate.tokens(system.length());
    log.info("the system prompt and tool reference take about {} of context_llm's {} tokens",
        fixed, contextTokens);
    if (fixed + replyTokens() + recallTokens > contextTokens * 7 / 8) {
      throw new IllegalStateException("the system prompt and tool reference alone take about "
          + fixed + " tokens, with " + replyTokens() + " for the reply and recall_tokens "
          + recallTokens + " too much for context_llm " + contextTokens
          + "; raise context_llm (or lower recall_tokens)");
    }
  }

  /**
   * The messages for the next LLM call: system, the dialogue, then state and the new events
   * (already {@linkplain #fit fitted}), with images that came with them. Images are seen in this
   * step only; the dialogue keeps their tags, not their pixels.
   */
  public List<ChatMessage> build(String state, String shown, List<ChatMessage.Image> images) {
    String last = shown + "\n" + state + "\n" + REMINDER;
    int forDialogue = eventsAndDialogueBudget() - estimate.tokens(last.length());
    if (estimate.tokens(dialogueChars()) > forDialogue) {
      shrink((int) (forDialogue * SHRINK_TO));
    }
    var messages = new ArrayList<ChatMessage>();
    messages.add(ChatMessage.system(system));
    // A step whose reply was left out lends its events to the next user turn: chat templates
    // such as Gemma's refuse two user turns in a row. What was sent stays a prefix of this.
    var carried = new StringBuilder();
    for (Step step : dialogue) {
      carried.append(step.shown());
      if (step.replyLeftOut()) {
        carried.append('\n');
      } else {
        messages.add(ChatMessage.user(carried.toString()));
        messages.add(ChatMessage.assistant(step.reply()));
        carried.setLength(0);
      }
    }
    messages.add(new ChatMessage(ChatMessage.Role.USER, carried + last, images));
    return messages;
  }

  /** As {@link #build(String, String, List)} without images. */
  public List<ChatMessage> build(String state, String shown) {
    return build(state, shown, List.of());
  }

  /**
   * How many of these rendered events, from the first, one step can show: new events may take at
   * most half of what the fixed part leaves. At least one; the rest wait for the next step.
   */
  public int fitting(List<String> rendered) {
    long budget = eventChars() - NOTICE_CHARS;
    long used = 0;
    for (int i = 0; i < rendered.size(); i++) {
      used += rendered.get(i).length() + 1;
      if (used > budget) {
        return Math.max(i, 1);
      }
    }
    return rendered.size();
  }

  /** The events' text as the step shows it: one event too large to fit is cut in the middle. */
  public String fit(String events) {
    long maxChars = eventChars();
    if (events.length() <= maxChars) {
      return events;
    }
    int keep = (int) (maxChars / 2);
    return events.substring(0, keep) + "\n[... " + (events.length() - 2 * keep)
        + " characters cut to fit the context; the whole text is kept in memory ...]\n"
        + events.substring(events.length() - keep);
  }

  /** Whether a reply in the dialogue holds this code, word for word. */
  public boolean holdsCode(String code) {
    String stripped = code.strip();
    return dialogue.stream().anyMatch(s -> s.reply().contains(stripped));
  }

  /** Whether the dialogue holds this very reply. */
  public boolean holdsReply(String reply) {
    return dialogue.stream().anyMatch(s -> s.reply().equals(reply));
  }

  /** Records a finished step at the end of the dialogue. */
  public void record(Step step) {
    dialogue.add(step);
  }

  /** Puts back the dialogue of a run before a restart: its window start and its steps. */
  public void restore(long windowStart, List<Step> steps) {
    dialogue.clear();
    dialogue.addAll(steps);
    this.windowStart = windowStart;
  }

  /** The number of the first step the prompt's dialogue shows (or would show next). */
  public long windowStart() {
    return dialogue.isEmpty() ? windowStart : dialogue.getFirst().number();
  }

  /** Drops the older half of the dialogue now, e.g. when the server refused a prompt. */
  public void shrinkHard() {
    shrink((int) (estimate.tokens(dialogueChars()) * SHRINK_TO));
  }

  /** How many old turns (two a step) were dropped from the prompt so far. */
  public int droppedTurns() {
    return droppedTurns;
  }

  /** Drops the oldest steps until the rest fits {@code target}. */
  private void shrink(int target) {
    int before = dialogue.size();
    while (!dialogue.isEmpty() && estimate.tokens(dialogueChars()) > target) {
      windowStart = dialogue.removeFirst().number() + 1;
    }
    droppedTurns += 2 * (before - dialogue.size());
    log.info("prompt: dropped the {} oldest steps to fit context_llm {}; they stay in memory",
        before - dialogue.size(), contextTokens);
  }

  /**
   * What the dialogue, the state and the new events may take. A thirty-second of the context is
   * kept free: the chat template adds tokens to every message that no character count sees.
   */
  private int eventsAndDialogueBudget() {
    return contextTokens - replyTokens() - estimate.tokens(system.length()) - contextTokens / 32;
  }

  private long eventChars() {
    return (long) (eventsAndDialogueBudget() / 2 / Math.max(estimate.tokensPerChar(), 0.01));
  }

  private long dialogueChars() {
    return dialogue.stream().mapToLong(s -> s.shown().length() + s.reply().length()).sum();
  }

}
