package scrittabot;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;
import scrittabot.context.Prompt;
import scrittabot.context.TokenEstimate;
import scrittabot.kernel.AgentState;
import scrittabot.kernel.Channel;
import scrittabot.kernel.Event;
import scrittabot.kernel.EventQueue;
import scrittabot.kernel.Flow;
import scrittabot.kernel.Journal;
import scrittabot.kernel.Kernel;
import scrittabot.kernel.Notices;
import scrittabot.kernel.Pause;
import scrittabot.library.Indexer;
import scrittabot.library.Library;
import scrittabot.library.Summarizer;
import scrittabot.library.WebFetch;
import scrittabot.llm.LlmClient;
import scrittabot.llm.LlmScheduler;
import scrittabot.memory.Memory;
import scrittabot.sandbox.Sandbox;
import scrittabot.tools.CoreTools;
import scrittabot.tools.LibraryTools;
import scrittabot.tools.MemoryTools;
import scrittabot.tools.ToolSet;

/**
 * Wires the parts of one bot together; a newcomer reads here what talks to what. What the last
 * run left in the journal (mood and goals, sleep, the prompt's dialogue) is taken up here, and
 * the queue takes up the events that waited, so the bot goes on where it stopped.
 */
public final class Bot implements AutoCloseable {
  private static final java.time.Duration WEB_TIMEOUT = java.time.Duration.ofSeconds(20);
  private final LlmClient llm;
  private final LlmClient backgroundLlm;
  private final Sandbox sandbox;
  private final Kernel kernel;
  private final Prompt prompt;
  private final Indexer indexer;
  private final Pause pause;
  private final EventQueue queue;
  private final LlmScheduler calls;

  public Bot(Config config, Memory memory, Library library, EventQueue queue, Channel channel) {
    this(config, memory, library, queue, channel, new LlmClient(config));
  }

  public Bot(Config config, Memory memory, Library library, EventQueue queue, Channel channel,
      LlmClient llm) {
    var state = new AgentState(json -> memory.save("agent", json));
    restore("mood and goals", () -> state.restore(memory.load("agent")));
    var flow = new Flow(channel, memory);
    restore("sleep", () -> flow.restore(memory.load("sleep")));
    var tools = new ToolSet(Stream.of(new CoreTools(channel, state, flow, library).all(),
        new MemoryTools(memory, flow).all(),
        new LibraryTools(library, memory, flow, webFetch(config)).all())
        .flatMap(List::stream).toList(), flow::called);
    this.llm = llm;
    this.sandbox = new Sandbox(new Sandbox.Settings(config.filesDir(), config.sandboxTimeLimit(),
        config.sandboxMemory(), config.sandboxJit()), tools);
    var estimate = new TokenEstimate();
    this.prompt = new Prompt(tools.reference(), config.contextLlm(), config.recallTokens(),
        estimate);
    prompt.checkFits();
    restore("the prompt's dialogue", () -> restorePrompt(memory, estimate));
    var calls = new LlmScheduler(config.maxLlmCallsPerHour(), config.indexCallShare(),
        config.indexAfterIdle());
    this.backgroundLlm = new LlmClient(config);
    int chunkChars = config.contextEmbedding() * 2;
    var summarizer = config.indexCallsPerDocument() == 0 || config.indexCallShare() == 0 ? null
        : new Summarizer(memory.database(), backgroundLlm, calls, config.indexCallsPerDocument(),
            config.contextLlm(), chunkChars);
    this.indexer = new Indexer(library, memory.database(), chunkChars, summarizer, queue::put);
    this.calls = calls;
    this.pause = new Pause(memory);
    pause.onChange(paused -> {
      calls.holdBackground(paused);
      indexer.hold(paused);
    });
    this.kernel = new Kernel(queue, memory, memory.recaller(), llm, sandbox, prompt, state, flow,
        estimate, calls, pause);
    this.queue = queue;
  }

  /** The library of files_dir, with its metadata in the memory's database; not started yet. */
  public static Library library(Config config, Memory memory) {
    return new Library(config.filesDir(), config.maxFileSize(), config.filesQuota(),
        memory.database());
  }

  /** The web for fetch_url: off unless web_fetch is true (a page could carry memory out). */
  private static WebFetch webFetch(Config config) {
    return config.webFetch() ? new WebFetch(config.webDomains(), false, WEB_TIMEOUT,
        config.maxFileSize()) : null;
  }

  /** A piece of saved state that cannot be read is logged and left at its default. */
  private static void restore(String what, Runnable restore) {
    try {
      restore.run();
    } catch (RuntimeException e) {
      LoggerFactory.getLogger(Bot.class).error("the saved {} cannot be read ({}); starting "
          + "without it", what, e.toString());
    }
  }

  /** The dialogue from where the last run's window started, and its token calibration. */
  private void restorePrompt(Journal journal, TokenEstimate estimate) {
    String saved = journal.load("prompt");
    Map<String, Object> state = saved == null ? Map.of() : Json.parseObject(saved);
    if (state.get("tokens_per_char") instanceof Number ratio) {
      estimate.restore(ratio.doubleValue());
    }
    long windowStart = state.get("window_start") instanceof Number n ? n.longValue() : 1;
    prompt.restore(windowStart, journal.steps(windowStart));
  }

  /** Starts the sandbox and the indexer in the background and runs the kernel until it stops. */
  public String run() {
    sandbox.start();
    indexer.start();
    return kernel.run();
  }

  /** Shows each step live to {@code watcher} (the monitor page). */
  public void watch(scrittabot.kernel.Watcher watcher) {
    kernel.watch(watcher);
  }

  /** The monitor's pause: no steps and no librarian work while it lasts. */
  public Pause pause() {
    return pause;
  }

  /** The LLM calls made since the start, the agent's and the librarian's. */
  public LlmScheduler.Calls llmCalls() {
    return calls.total();
  }

  /** Wakes the agent for a step now (from the monitor page); it waits out a pause. */
  public void wakeNow() {
    queue.put(new Event.SystemNotice(java.time.Instant.now(),
        Notices.text("woken-from-page"), true));
  }

  public void stop(String reason) {
    kernel.stop(reason);
  }

  public Sandbox sandbox() {
    return sandbox;
  }

  public Prompt prompt() {
    return prompt;
  }

  @Override
  public void close() {
    indexer.close();
    backgroundLlm.close();
    llm.close();
    sandbox.close();
  }
}
