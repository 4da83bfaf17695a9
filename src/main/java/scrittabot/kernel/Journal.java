package scrittabot.kernel;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import scrittabot.context.Step;
import scrittabot.llm.Completion;

/**
 * What the kernel keeps of the agent's life, so that a restart continues where it stopped: every
 * event the moment it arrives, every finished step, and small named pieces of state (mood and
 * goals, sleep, the prompt's window). The memory part keeps it in PostgreSQL.
 *
 * <p>Writes may be asynchronous (they must keep their order); reads are for start-up.
 */
public interface Journal {
  /**
   * Keeps an event that arrives and returns its id; 0 when its channel id arrived before (the
   * channel sent it twice: it is not queued again).
   */
  long arrived(Event event);

  /** True when an event with this channel id has arrived before. */
  boolean knows(String channelId);

  /** These events were given up on (refused again and again, or in a step that crashed). */
  void dropped(List<Long> ids);

  /**
   * The agent sent an answer in the step that shows these events: should the bot stop before the
   * step is recorded, they are not queued again (they would be answered twice).
   */
  void answered(List<Long> ids);

  /** A step is over: the events it showed, its reply, and what it cost. */
  void stepped(StepRecord record);

  /** Events that arrived and that no step has shown yet, oldest first: the last run's queue. */
  List<Queued> waiting();

  /** The steps from number {@code first} on, oldest first. */
  List<Step> steps(long first);

  /** The number of the last step recorded; 0 before the first. */
  long lastStep();

  /**
   * Waits, at most {@code timeout}, until what was written so far is in the database; at once
   * when the database is away. For writes that must be in before something leaves the bot.
   */
  void awaitWritten(Duration timeout);

  /** A named piece of state as JSON text, or null when it was never saved. */
  String load(String key);

  void save(String key, String json);

  /**
   * A finished step. {@code promptState} (JSON) is saved with it in one write, so that the
   * prompt's window after a restart fits the steps that were recorded; {@code info} (JSON, may
   * be null) says what was recalled, for the monitor, and when the reply was left out of the
   * dialogue ({@code "reply_left_out"}: it did nothing, or copied one): then the dialogue read
   * back after a restart keeps the step's events, not its reply. What the agent said is
   * {@code sent}: its side of the conversation in memory, without its code.
   */
  record StepRecord(Step step, List<Long> eventIds, Instant started, Instant ended,
      Completion.Usage usage, long llmMillis, String promptState, String info,
      List<Sent> sent) {}

  /** A message the agent sent to a room. */
  record Sent(String room, String text) {}
}
