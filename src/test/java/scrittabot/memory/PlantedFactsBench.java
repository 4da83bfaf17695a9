package scrittabot.memory;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import scrittabot.Config;
import scrittabot.bench.Table;
import scrittabot.context.Prompt;
import scrittabot.context.Step;
import scrittabot.context.TokenEstimate;
import scrittabot.kernel.AgentState;
import scrittabot.kernel.Channel;
import scrittabot.kernel.Event;
import scrittabot.kernel.Flow;
import scrittabot.kernel.Journal;
import scrittabot.kernel.RamJournal;
import scrittabot.kernel.RecordingChannel;
import scrittabot.kernel.Recaller;
import scrittabot.library.Library;
import scrittabot.llm.ScriptedLlmServer;
import scrittabot.tools.CoreTools;
import scrittabot.tools.MemoryTools;
import scrittabot.tools.Tool;
import scrittabot.tools.ToolSet;

/**
 * Does the bot still know what it was told thousands of turns ago? Fifty facts are planted in a
 * 5,000-turn conversation, then asked about with other words; a fact counts when its answer is in
 * the prompt the question would get: in the dialogue window, or recalled. Embeddings come from a
 * real small model (all-MiniLM-L6-v2, in-process, served by the scripted server's
 * /v1/embeddings), the prompt's window from the bot's own Prompt at the default context_llm.
 */
public final class PlantedFactsBench {
  private static final int TURNS = 5000;
  private static final long SEED = 42;
  private static final Instant START = Instant.parse("2026-01-05T08:00:00Z");

  public record Result(int turns, int facts, int inPrompt, int inWindow, int recalled,
      List<String> missed, double meanRecallMs, double embedSeconds) {}

  private PlantedFactsBench() {}

  public static Result run() throws Exception {
    var model = new AllMiniLmL6V2EmbeddingModel();
    try (var llm = ScriptedLlmServer.start()
        .embeddingModel(text -> model.embed(text).content().vector())) {
      Config config = Config.fromMap(Map.of("openai_url", llm.url(), "model_llm", "scripted",
          "model_rerank", "none"), true);
      try (Memory memory = new Memory(TestDatabase.open("planted_facts"), config)) {
        return run(memory, config);
      }
    }
  }

  private static Result run(Memory memory, Config config) throws Exception {
    var random = new Random(SEED);
    var prompt = botPrompt(config);
    var facts = PlantedFacts.ALL;
    // Each fact at its own turn, spread over the first 90% of the conversation.
    var plantedAt = new HashMap<Integer, PlantedFacts.Fact>();
    while (plantedAt.size() < facts.size()) {
      int turn = random.nextInt(TURNS * 9 / 10);
      plantedAt.putIfAbsent(turn, facts.get(plantedAt.size()));
    }
    long step = 0;
    for (int turn = 0; turn < TURNS; turn++) {
      var fact = plantedAt.get(turn);
      String said = fact != null ? fact.told() : Chatter.line(random);
      step = talk(memory, prompt, step, said, fact != null ? "I will remember that."
          : Chatter.reply(random));
    }
    long embedStart = System.nanoTime();
    awaitEmbedded(memory);
    double embedSeconds = (System.nanoTime() - embedStart) / 1e9;
    // Autovacuum analyzes a table that grew this much; here it is not left to its timing.
    memory.database().transaction(c -> c.createStatement().execute("ANALYZE"));
    int inWindow = 0;
    int recalled = 0;
    var missed = new ArrayList<String>();
    long recallNanos = 0;
    for (var fact : facts) {
      var question = message(step, fact.asked());
      String shown = prompt.fit(question.render());
      String window = prompt.build("STATE", shown).stream()
          .map(m -> m.text()).reduce("", String::concat);
      long start = System.nanoTime();
      Recaller.Recalled r = memory.recaller().recall(List.of(question), prompt.windowStart(),
          prompt.recallChars(shown));
      recallNanos += System.nanoTime() - start;
      if (window.contains(fact.told())) {
        inWindow++;
      } else if (r.text().contains(fact.answer())) {
        recalled++;
      } else {
        missed.add(fact.asked());
      }
      step = talk(memory, prompt, step, fact.asked(), "Let me think.");
    }
    return new Result(TURNS, facts.size(), inWindow + recalled, inWindow, recalled, missed,
        recallNanos / 1e6 / facts.size(), embedSeconds);
  }

  /** The prompt the bot builds, with its own system prompt and tool reference. */
  private static Prompt botPrompt(Config config) {
    Channel channel = new RecordingChannel();
    var flow = new Flow(channel, new RamJournal());
    var tools = new ArrayList<Tool>(new CoreTools(channel, new AgentState(json -> { }), flow,
        Library.offline(Path.of("files"))).all());
    tools.addAll(new MemoryTools(null, flow).all());
    return new Prompt(new ToolSet(tools).reference(), config.contextLlm(), config.recallTokens(),
        new TokenEstimate());
  }

  private static Event.UserMessage message(long step, String text) {
    return new Event.UserMessage(START.plusSeconds(step * 90), "@anna:example.org", "lobby",
        text);
  }

  /** One turn: the message arrives, the prompt is built, the step is recorded. */
  private static long talk(Memory memory, Prompt prompt, long step, String said,
      String replied) {
    var event = message(step, said);
    long id = memory.arrived(event);
    String shown = prompt.fit(event.render());
    prompt.build("STATE", shown);
    var record = new Step(step + 1, shown, replied);
    prompt.record(record);
    memory.stepped(new Journal.StepRecord(record, List.of(id), event.time(), event.time(), null,
        0, "{}", null, List.of(new Journal.Sent("lobby", replied))));
    return step + 1;
  }

  private static void awaitEmbedded(Memory memory) throws Exception {
    memory.flush(Duration.ofMinutes(2));
    while (true) {
      long left = memory.database().transaction(c -> {
        try (ResultSet r = c.createStatement().executeQuery("SELECT count(*) FROM dialogue "
            + "WHERE embedding IS NULL AND kind IN ('message', 'reply') AND NOT repeats")) {
          r.next();
          return r.getLong(1);
        }
      });
      if (left == 0) {
        return;
      }
      Thread.sleep(200);
    }
  }

  public static void print(Result r) {
    new Table("Planted facts (" + r.facts() + " facts in a " + r.turns() + "-turn conversation, "
        + "asked with other words; all-MiniLM-L6-v2 embeddings, default context_llm)",
        "facts in the prompt", "in the dialogue window", "recalled", "missed",
        "recall per question")
        .row(r.inPrompt() + " of " + r.facts(), r.inWindow(), r.recalled(), r.missed().size(),
            Table.ms(r.meanRecallMs()))
        .goal("48 of 50", r.inPrompt() >= 48)
        .note("Missed: " + (r.missed().isEmpty() ? "none" : String.join(" / ", r.missed())))
        .note("Embedding the " + 2 * r.turns() + " turns in the background took "
            + Table.num(r.embedSeconds(), 0) + " s after the last was stored.")
        .print();
  }

  /** Everyday small talk, seeded: what the facts must be found among. */
  static final class Chatter {
    private static final String[] WHO = {"My colleague", "A friend of mine", "My neighbour",
        "My cousin", "Someone at work", "The new intern", "My uncle", "Our landlord",
        "A man on the bus", "My old teacher"};
    private static final String[] DID = {"talked about", "complained about", "asked me about",
        "told a long story about", "could not stop thinking about", "laughed at",
        "wrote a blog post about", "showed me photos of", "recommended", "was worried about"};
    private static final String[] WHAT = {"the weather this week", "the price of coffee",
        "a film from the eighties", "the football results", "his new phone", "a recipe for soup",
        "the traffic on the ring road", "a podcast about history", "the election",
        "a broken washing machine", "the autumn leaves", "a trip to Berlin", "electric cars",
        "the noise from the street", "a crossword puzzle", "the local library", "her garden",
        "the bus timetable", "a documentary about whales", "the tax return"};
    private static final String[] WHEN = {"today", "yesterday", "this morning", "last night",
        "over lunch", "on Monday", "at the weekend", "for an hour"};
    private static final String[] REPLIES = {"Interesting!", "Tell me more.", "I see.",
        "That sounds nice.", "Oh dear.", "Ha, funny.", "How did that go?", "Good to know."};

    static String line(Random r) {
      return pick(r, WHO) + " " + pick(r, DID) + " " + pick(r, WHAT) + " " + pick(r, WHEN) + ".";
    }

    static String reply(Random r) {
      return pick(r, REPLIES);
    }

    private static String pick(Random r, String[] options) {
      return options[r.nextInt(options.length)];
    }
  }
}
