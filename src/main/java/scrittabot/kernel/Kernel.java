package scrittabot.kernel;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Json;
import scrittabot.context.Prompt;
import scrittabot.context.Step;
import scrittabot.context.TokenEstimate;
import scrittabot.llm.ChatMessage;
import scrittabot.llm.Completion;
import scrittabot.llm.LlmClient;
import scrittabot.llm.LlmException;
import scrittabot.llm.LlmScheduler;
import scrittabot.sandbox.Execution;
import scrittabot.sandbox.Sandbox;

/**
 * The scheduler: waits for events or the wake-up time, takes every pending event into one step,
 * builds the prompt, streams the LLM, runs each code block as its fence closes, and queues the
 * code's output as the next events. Each finished step goes into the {@link Journal}, which
 * already holds every event since it arrived.
 *
 * <p>Load control: a step in which nothing happened from outside and the agent did nothing with
 * an effect makes the kernel wait longer before the next one (1 s, 2 s, 4 s ... up to 10 min)
 * unless an event arrives; the {@link LlmScheduler} keeps the LLM calls within the hourly cap and
 * lets background work (the librarian) call the LLM only while the agent waits for events; a
 * failing LLM is retried after a growing pause without losing the events.
 */
public final class Kernel {
  private static final Logger log = LoggerFactory.getLogger(Kernel.class);
  private static final Duration MAX_IDLE_WAIT = Duration.ofMinutes(10);
  private static final Duration MAX_FAILURE_PAUSE = Duration.ofMinutes(5);
  private static final Duration SLEEP_CHECK = Duration.ofMinutes(10);
  /**
   * A waking agent waits this long for more events: a sync batch, or a client sending two
   * messages in a row (Synapse takes 70-100 ms to store each). Every wake-up pays it in latency.
   */
  private static final Duration SETTLE = Duration.ofMillis(150);
  private static final Duration MAX_SETTLE = Duration.ofSeconds(1);
  private static final int NUDGE_AFTER_STEPS = 3;
  /** Steps in a row with nothing from outside, after which the agent is put to rest. */
  static final int MAX_STEPS_ALONE = 10;
  private static final int MAX_SAME_FAILURES = 3;
  /** Shorter replies (a bare sleep(), a short answer) may rightly come again. */
  private static final int MIN_COPY_CHARS = 80;
  /** How much of each new message the end of the prompt repeats. */
  private static final int NEWEST_CHARS = 200;

  private final EventQueue queue;
  private final Journal journal;
  private final Recaller recaller;
  private final LlmClient llm;
  private final Sandbox sandbox;
  private final Prompt prompt;
  private final AgentState state;
  private final Flow flow;
  private final TokenEstimate estimate;
  private final LlmScheduler calls;
  private final Pause pause;
  private volatile boolean running;
  private volatile Thread thread;
  private long steps;
  private int idleSteps;
  private int stepsAlone;
  private String lastCode = "";
  private int sameCode;
  /** People's messages the agent has neither answered nor rested after, oldest first. */
  private final List<Event.UserMessage> toAnswer = new ArrayList<>();
  private int failures;
  private int sameFailures;
  private volatile Watcher watcher = Watcher.NONE;

  public Kernel(EventQueue queue, Journal journal, Recaller recaller, LlmClient llm,
      Sandbox sandbox, Prompt prompt, AgentState state, Flow flow, TokenEstimate estimate,
      LlmScheduler calls, Pause pause) {
    this.queue = queue;
    this.journal = journal;
    this.recaller = recaller;
    this.steps = journal.lastStep();
    this.llm = llm;
    this.sandbox = sandbox;
    this.prompt = prompt;
    this.state = state;
    this.flow = flow;
    this.estimate = estimate;
    this.calls = calls;
    this.pause = pause;
  }

  /** Someone to tell, live, what each step does (the monitor page). */
  public void watch(Watcher w) {
    watcher = w == null ? Watcher.NONE : w;
  }

  /** Runs until the agent shuts down or {@link #stop} is called; returns the reason. */
  public String run() {
    thread = Thread.currentThread();
    running = flow.shutdownReason() == null; // a stop may come before the loop starts
    try {
      while (running) {
        calls.agentIdle(); // background work may use the LLM while the agent waits
        if (pause.paused()) {
          pause.awaitResumed();
          continue;
        }
        List<Queued> events = nextEvents();
        if (events != null && pause.paused()) {
          queue.putFirst(events); // they wait for the resume
          continue;
        }
        if (events != null) {
          calls.agentBusy();
        }
        if (events != null && running) {
          stepSafely(events);
        }
        if (flow.shutdownReason() != null) {
          running = false;
        }
      }
    } catch (InterruptedException e) {
      log.debug("kernel interrupted: stopping");
    }
    String reason = flow.shutdownReason() != null ? flow.shutdownReason() : "stopped";
    log.info("kernel stopped after {} steps: {}", steps, reason);
    return reason;
  }

  /** Stops the loop from another thread: the LLM stream is cancelled, running code abandoned. */
  public void stop(String reason) {
    flow.shutdown(reason);
    running = false;
    llm.close();
    sandbox.close(); // ends code that is running now: its read returns when the child dies
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }

  /** Waits as the agent's state says; returns the events for a step, or null to wait again. */
  private List<Queued> nextEvents() throws InterruptedException {
    if (flow.sleeping()) {
      Instant until = flow.sleepUntil();
      Duration wait = until == null ? SLEEP_CHECK : Duration.between(Instant.now(), until);
      wait = wait.compareTo(SLEEP_CHECK) > 0 ? SLEEP_CHECK : wait;
      List<Queued> events = queue.await(positive(wait), false);
      if (!events.isEmpty()) {
        flow.wake();
        // People often send two or three messages in a row: one step answers them all.
        var all = new ArrayList<>(events);
        all.addAll(queue.settle(SETTLE, MAX_SETTLE));
        return all;
      }
      if (until != null && !Instant.now().isBefore(until)) {
        flow.wake();
        queue.put(new Event.WakeUp(Instant.now()));
        return queue.drain();
      }
      return null;
    }
    Duration idleWait = idleWait();
    List<Queued> events = queue.await(idleWait, idleWait.isZero());
    if (events.isEmpty()) {
      events = queue.drain();
    }
    if (events.isEmpty()) {
      // Nothing happened and nothing is waiting: rest until something does. A step here would
      // only invite the agent to talk to nobody.
      log.info("nothing new: the agent rests until an event arrives");
      flow.sleep(null, "nothing new happened");
      return null;
    }
    return events;
  }

  /**
   * A bug in one step (ours, not the agent's: those come back as text) must not end the daemon.
   * The step's events are dropped, since they may be what triggers the bug, and the next step
   * waits a growing pause so that a repeating failure does not spin.
   */
  private void stepSafely(List<Queued> pending) throws InterruptedException {
    Channel channel = flow.channel();
    List<Queued> batch = fitting(pending);
    List<Event> events = Queued.events(batch);
    channel.stepStarted(events);
    watcher.stepStarted(steps + 1, events);
    boolean handled = false; // also when interrupted: the events were not dealt with
    boolean crashed = false;
    long start = System.nanoTime();
    try {
      handled = step(batch, pending.size() - batch.size());
    } catch (RuntimeException e) {
      log.error("step {} failed; its {} events are dropped", steps, events.size(), e);
      journal.dropped(Queued.ids(batch));
      handled = true;
      crashed = true;
      watcher.failed(Watcher.Failure.STEP, e.toString());
    } finally {
      if (handled) {
        watcher.took(Watcher.Timing.STEP, Duration.ofNanos(System.nanoTime() - start));
      }
      // The turn is over when the agent rests or stops, or the step crashed (its events are
      // dropped); a step that only ran code to look something up is no answer yet. Sends count
      // at once, in the channel.
      boolean turnOver = handled && (crashed || flow.sleeping() || flow.shutdownReason() != null);
      channel.stepEnded(events, turnOver);
      watcher.stepEnded(steps, !flow.sleeping() ? null
          : flow.sleepUntil() == null ? Instant.EPOCH : flow.sleepUntil());
    }
    if (crashed) {
      pause();
    }
  }

  /**
   * One step: events in, LLM reply out, code run, outputs queued. {@code waiting} more events
   * arrived than the step can show. Returns false when the events went back to the queue for
   * another try.
   */
  boolean step(List<Queued> batch, int waiting) throws InterruptedException {
    steps++;
    flow.beginStep(Queued.ids(batch));
    List<Event> events = Queued.events(batch);
    boolean fromOutside = false;
    var images = new ArrayList<ChatMessage.Image>();
    for (Event e : events) {
      fromOutside |= e.wakes();
      if (e instanceof Event.UserMessage m) {
        flow.messageFrom(m.room(), steps, m.text());
      } else if (e instanceof Event.FileMessage f) {
        flow.messageFrom(f.room(), steps, f.caption());
        if (f.image() != null) {
          images.add(f.image());
        }
      }
    }
    String shown = events.stream().map(Event::render).collect(Collectors.joining("\n"));
    if (waiting > 0) {
      shown += "\n" + notice("more-events", Map.of("count", waiting)).render();
    }
    shown = prompt.fit(shown);
    Instant started = Instant.now();
    long recallStart = System.nanoTime();
    Recaller.Recalled recalled = recaller.recall(events, prompt.windowStart(),
        prompt.recallChars(shown));
    watcher.took(Watcher.Timing.RECALL, Duration.ofNanos(System.nanoTime() - recallStart));
    String stateText = "<system time=\"" + Event.TIME.format(started) + "\">\n"
        + state.render() + recalled.text() + toAnswer(events) + "</system>";
    List<ChatMessage> messages = prompt.build(stateText, shown, images);
    watcher.prompted(steps, messages);
    var blocks = new CodeBlocks();
    var outputs = new ArrayList<Event>();
    String reply;
    Completion.Usage usage = null;
    long llmStart = System.nanoTime();
    boolean askedAgain = false;
    try {
      // A first code block that copies one of an earlier step does not run: greedy decoding
      // copies again and again once it has begun. The LLM is asked once more, sampling varied.
      var held = new ArrayList<String>();
      Consumer<String> guarded = code -> runUnlessCopied(code, blocks, held, outputs);
      Completion completion = calls.agent(() -> llm.chat(messages, prompt.replyTokens(),
          delta -> {
            watcher.replied(delta);
            blocks.feed(delta).forEach(guarded);
          }));
      finishBlocks(blocks, cut(completion), outputs, guarded);
      if (!held.isEmpty() && running) {
        log.info("step {}: the reply's code copies an earlier step's; it did not run, and the "
            + "LLM is asked again with more varied sampling", steps);
        askedAgain = true;
        blocks.reset();
        completion = calls.agent(() -> llm.chat(messages, prompt.replyTokens(),
            llm.sampling().varied(),
            delta -> {
              watcher.replied(delta);
              blocks.feed(delta).forEach(code -> runCode(code, outputs));
            }));
        finishBlocks(blocks, cut(completion), outputs, code -> runCode(code, outputs));
      }
      reply = completion.text();
      usage = completion.usage();
      learnFrom(messages, completion);
      if (completion.stoppedAt() != null) {
        outputs.add(notice("stopped-at-tag", Map.of("tag", completion.stoppedAt())));
      }
      failures = 0;
    } catch (LlmException e) {
      if (!running) {
        queue.putFirst(batch);
        return false;
      }
      if (e.partialText().isEmpty()) {
        return failed(batch, e);
      }
      reply = e.partialText();
      finishBlocks(blocks, true, outputs, code -> runCode(code, outputs));
      outputs.add(notice("cut-by-server", Map.of("error", String.valueOf(e.getMessage()))));
    }
    sameFailures = 0;
    log.debug("agent replied:\n{}", reply);
    var info = info(messages, stateText, shown, recalled);
    info.put("code", Map.of("blocks", blocks.found(), "errors", outputs.stream()
        .filter(e -> e instanceof Event.CodeOutput c && c.error() != null).count()));
    info.put("tools", flow.toolsThisStep());
    if (askedAgain) {
      info.put("asked_again", "the first reply copied an earlier step's code");
    }
    long llmNanos = System.nanoTime() - llmStart;
    watcher.took(Watcher.Timing.LLM, Duration.ofNanos(llmNanos));
    // A reply without code, or with only comments, did nothing; a long reply that the dialogue
    // already holds word for word, and that sent nothing (a refused old answer), is a copy.
    // Kept in the dialogue, either would be an example that a small model copies, step after
    // step: its events stay, it goes.
    boolean didNothing = !blocks.acts() && outputs.stream().allMatch(Kernel::blank);
    boolean copied = reply.strip().length() >= MIN_COPY_CHARS && flow.sentThisStep().isEmpty()
        && prompt.holdsReply(reply);
    boolean leftOut = didNothing || copied;
    if (leftOut) {
      log.info("step {}: the reply {}; it is left out of the dialogue", steps,
          didNothing ? "had no code that acts" : "copies one the dialogue holds");
      info.put("reply_left_out", didNothing ? "did nothing" : "copied");
    }
    record(new Step(steps, shown, reply), batch, started, usage, llmNanos, info, leftOut);
    boolean restImposed = checkRepeated(blocks.code(), fromOutside, outputs);
    afterStep(blocks, fromOutside, restImposed, outputs);
    answered();
    return true;
  }

  /**
   * The events one step can show, from the oldest; the rest go back to the queue and follow in
   * the next steps (a burst of a thousand messages is seen in full, a part at a time).
   */
  private List<Queued> fitting(List<Queued> batch) {
    int fit = prompt.fitting(batch.stream().map(q -> q.event().render()).toList());
    if (fit < batch.size()) {
      log.info("step {}: {} of {} events fit into one step; the rest follow in the next",
          steps + 1, fit, batch.size());
      queue.putFirst(List.copyOf(batch.subList(fit, batch.size())));
    }
    return batch.subList(0, fit);
  }

  /** What the step's record says of its prompt: each section's size (estimated tokens), recall. */
  private Map<String, Object> info(List<ChatMessage> messages, String stateText, String shown,
      Recaller.Recalled recalled) {
    long dialogue = messages.subList(1, messages.size() - 1).stream()
        .mapToLong(m -> m.text().length()).sum();
    var info = new java.util.LinkedHashMap<String, Object>();
    info.put("sections", Map.of("system", estimate.tokens(messages.getFirst().text().length()),
        "dialogue", estimate.tokens(dialogue), "state", estimate.tokens(stateText.length()),
        "events", estimate.tokens(shown.length())));
    info.put("recall", recalled.info() == null ? null : Json.parse(recalled.info()));
    info.put("state", stateText);
    info.put("moods", state.moods()); // for the page's plot of mood over time
    info.put("sent", flow.sentThisStep().stream()
        .map(s -> Map.of("room", s.room(), "text", s.text())).toList());
    return info;
  }

  /** The step goes into the prompt's dialogue and the journal, with the prompt's window. */
  private void record(Step step, List<Queued> batch, Instant started, Completion.Usage usage,
      long llmNanos, Map<String, Object> info, boolean replyLeftOut) {
    prompt.record(replyLeftOut ? step.leavingOutReply() : step);
    String promptState = Json.write(Map.of("window_start", prompt.windowStart(),
        "tokens_per_char", estimate.tokensPerChar()));
    journal.stepped(new Journal.StepRecord(step, Queued.ids(batch), started, Instant.now(),
        usage, llmNanos / 1_000_000, promptState, Json.write(info),
        flow.sentThisStep()));
  }

  /**
   * The same code as in the last step, with nothing new from outside: a small model stuck on an
   * error writes it again and again. It is told once; the second time it rests.
   */
  private boolean checkRepeated(String code, boolean fromOutside, List<Event> outputs) {
    sameCode = !fromOutside && !code.isBlank() && code.equals(lastCode) ? sameCode + 1 : 0;
    lastCode = code;
    if (sameCode == 1) {
      outputs.add(notice("same-code"));
    } else if (sameCode >= 2) {
      log.warn("the agent ran the same code {} times in a row: it rests until an event",
          sameCode + 1);
      outputs.add(notice("same-code-rest", Map.of("times", sameCode + 1)));
      flow.sleep(null, "it ran the same code three times in a row");
      sameCode = 0;
      return true;
    }
    return false;
  }

  /** {@code restImposed}: the kernel put the agent to rest; a failure in its code does not wake it. */
  private void afterStep(CodeBlocks blocks, boolean fromOutside, boolean restImposed,
      List<Event> outputs) {
    if (blocks.found() == 0) {
      outputs.add(notice("no-code"));
    } else if (!blocks.acts()) {
      outputs.removeIf(Kernel::blank); // comments print nothing: the notice says it all
      outputs.add(notice("only-comments"));
    }
    for (String room : flow.overdue(steps, NUDGE_AFTER_STEPS)) {
      outputs.add(notice("no-answer-yet", Map.of("room", room)));
    }
    boolean silent = outputs.stream().allMatch(Kernel::blank);
    if (blocks.found() > 0 && silent && !flow.sleeping() && !flow.sentThisStep().isEmpty()) {
      // It answered and its code printed nothing: there is nothing for a next step to react
      // to, and small models often forget the sleep() that says so.
      log.debug("step {}: a message sent and nothing printed: the agent rests", steps);
      flow.sleep(null, "it answered and its code printed nothing");
    }
    stepsAlone = fromOutside ? 0 : stepsAlone + 1;
    if (stepsAlone >= MAX_STEPS_ALONE && !flow.sleeping()) {
      // A loop of its own (code, output, code ...) that nothing from outside feeds: small models
      // can go on like this for hours. The agent rests and is told why when it wakes.
      log.warn("{} steps in a row with nothing from outside: the agent rests until an event",
          stepsAlone);
      flow.sleep(null, MAX_STEPS_ALONE + " steps in a row with nothing from outside");
      outputs.add(notice("alone-rest", Map.of("steps", stepsAlone)));
      stepsAlone = 0;
    } else if (flow.sleeping()) {
      if (!restImposed && outputs.stream()
          .anyMatch(e -> e instanceof Event.CodeOutput c && c.error() != null)) {
        flow.wake(); // code that failed is not finished work, even if it called sleep()
      } else {
        // The agent is done: code that printed nothing needs no answer.
        outputs.removeIf(e -> e instanceof Event.CodeOutput c && c.output().isBlank());
      }
    }
    outputs.forEach(queue::put);
    idleSteps = fromOutside || flow.acted() ? 0 : idleSteps + 1;
  }

  /** Code output that says nothing: no text, no error. */
  private static boolean blank(Event e) {
    return e instanceof Event.CodeOutput c && c.output().isBlank() && c.error() == null;
  }

  /**
   * Runs a last block whose closing fence never came, unless the reply was cut short (a stop,
   * the token cap, a broken stream): then its last lines may be missing and it does not run.
   */
  private static boolean cut(Completion completion) {
    return completion.stoppedAt() != null || "length".equals(completion.finishReason());
  }

  private void finishBlocks(CodeBlocks blocks, boolean cut, List<Event> outputs,
      Consumer<String> run) {
    List<String> open = blocks.finish();
    if (!cut) {
      open.forEach(run);
    } else if (!open.isEmpty()) {
      outputs.add(notice("block-cut"));
    }
  }

  private void runUnlessCopied(String code, CodeBlocks blocks, List<String> held,
      List<Event> outputs) {
    if (held.isEmpty() && blocks.found() == 1 && code.strip().length() >= MIN_COPY_CHARS
        && prompt.holdsCode(code)) {
      held.add(code);
    } else if (held.isEmpty()) {
      runCode(code, outputs);
    }
  }

  private void runCode(String code, List<Event> outputs) {
    if (flow.shutdownReason() != null || !running) {
      return; // the agent shut down, or the bot is stopping: later blocks do not run
    }
    log.debug("running code:\n{}", code);
    long start = System.nanoTime();
    Execution result = sandbox.run(code);
    log.debug("code output:\n{}{}", result.output(),
        result.error() == null ? "" : "\nerror: " + result.error());
    watcher.took(Watcher.Timing.CODE, Duration.ofNanos(System.nanoTime() - start));
    watcher.ran(code, result.output(), result.error());
    if (result.error() != null) {
      watcher.failed(Watcher.Failure.CODE, result.error());
    }
    if (result.reset() != null) {
      watcher.failed(Watcher.Failure.SANDBOX_RESTART, result.reset());
    }
    outputs.add(new Event.CodeOutput(Instant.now(), result.output(), result.error()));
    if (result.reset() != null) {
      outputs.add(notice("sandbox-restarted"));
    }
  }

  /**
   * The LLM failed before saying anything. A server that is away, busy or overloaded gets the
   * same events again after a pause, however long it takes. A refusal (another 4xx, a malformed
   * or empty answer) would come again for the same prompt: after a few tries the events are
   * dropped (logged), the dialogue shrinks in case it was too long, and the agent is told.
   * Returns false when the events went back to the queue.
   */
  private boolean failed(List<Queued> batch, LlmException e) throws InterruptedException {
    List<Event> events = Queued.events(batch);
    log.error("LLM request failed: {}", e.getMessage());
    watcher.failed(Watcher.Failure.LLM, e.getMessage());
    int status = e.status();
    boolean busy = status == 0 || status == 408 || status == 429 || status == 503;
    if (!busy && events.stream().anyMatch(ev -> ev instanceof Event.FileMessage f
        && f.image() != null)) {
      // A model without vision may answer images with any error, 500 included: try once more
      // without the pictures (the tags stay) rather than fail on them forever.
      log.warn("the LLM server refused a prompt with images; trying again without them");
      queue.putFirst(batch.stream().map(q -> new Queued(q.id(), withoutImage(q.event())))
          .toList());
      return false;
    }
    boolean serverAway = status == 0 || status == 408 || status == 429 || status >= 500;
    boolean retry = serverAway || ++sameFailures < MAX_SAME_FAILURES;
    if (retry) {
      queue.putFirst(batch);
    } else {
      sameFailures = 0;
      events.forEach(ev -> log.warn("dropped after repeated LLM refusals: {}", ev.render()));
      journal.dropped(Queued.ids(batch));
      prompt.shrinkHard();
      queue.put(notice("refused", Map.of("error", String.valueOf(e.getMessage()),
          "count", events.size())));
    }
    pause();
    return !retry;
  }

  /** Waits 2 s, 4 s, 8 s ... up to 5 min after consecutive failures. */
  private void pause() throws InterruptedException {
    failures++;
    Duration pause = Duration.ofSeconds(1L << Math.min(failures, 8));
    pause = pause.compareTo(MAX_FAILURE_PAUSE) > 0 ? MAX_FAILURE_PAUSE : pause;
    log.info("next step in {} s", pause.toSeconds());
    Thread.sleep(pause.toMillis());
  }

  private void learnFrom(List<ChatMessage> messages, Completion completion) {
    if (completion.usage() != null) {
      long chars = messages.stream().mapToLong(m -> m.text().length()).sum();
      estimate.calibrate(chars, completion.usage().promptTokens());
      log.debug("usage: {} prompt tokens ({} cached), {} completion tokens",
          completion.usage().promptTokens(), completion.usage().cachedTokens(),
          completion.usage().completionTokens());
    }
  }

  private Duration idleWait() {
    if (idleSteps == 0) {
      return Duration.ZERO;
    }
    Duration wait = Duration.ofSeconds(1L << Math.min(idleSteps - 1, 20));
    return wait.compareTo(MAX_IDLE_WAIT) > 0 ? MAX_IDLE_WAIT : wait;
  }

  private static Event withoutImage(Event event) {
    return event instanceof Event.FileMessage f && f.image() != null
        ? new Event.FileMessage(f.time(), f.user(), f.room(), f.refs(), f.filename(), f.size(),
            f.mimeType(), f.caption(), null, f.problem())
        : event;
  }

  /**
   * The messages to answer, again, last in the prompt: with recall between them and the end, a
   * small model answered an old question that memory recalled instead of the new one. They stay
   * there until answered, until the agent rests (or is put to rest) or until newer messages
   * come: after an error the next step still says what the person asked, but an old request
   * never crowds out a new one.
   */
  private String toAnswer(List<Event> events) {
    List<Event.UserMessage> messages = events.stream()
        .filter(e -> e instanceof Event.UserMessage).map(e -> (Event.UserMessage) e).toList();
    if (!messages.isEmpty()) {
      toAnswer.clear();
      toAnswer.addAll(messages);
    }
    while (toAnswer.size() > 3) {
      toAnswer.removeFirst();
    }
    if (toAnswer.isEmpty()) {
      return "";
    }
    var text = new StringBuilder(toAnswer.size() == 1 ? "\nThe message to answer:\n"
        : "\nThe messages to answer:\n");
    for (Event.UserMessage m : toAnswer) {
      String said = m.text().strip().replaceAll("\\s+", " ");
      said = said.length() > NEWEST_CHARS ? said.substring(0, NEWEST_CHARS) + "..." : said;
      text.append("- ").append(Event.escape(m.user())).append(": ")
          .append(Event.escape(said)).append('\n');
    }
    return text.toString();
  }

  /** After a step: a room the agent sent to is answered; a rest answers everything. */
  private void answered() {
    if (flow.sleeping()) {
      toAnswer.clear();
      return;
    }
    var rooms = flow.sentThisStep().stream().map(Journal.Sent::room).toList();
    toAnswer.removeIf(m -> rooms.contains(m.room()));
  }

  /** The notice {@code name} of notices.md, its {words} filled from {@code values}. */
  private static Event notice(String name, Map<String, ?> values) {
    return new Event.SystemNotice(Instant.now(), Notices.text(name, values), false);
  }

  private static Event notice(String name) {
    return notice(name, Map.of());
  }

  private static Duration positive(Duration d) {
    return d.isNegative() ? Duration.ZERO : d;
  }
}
