package scrittabot.bench;

import java.time.Instant;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import scrittabot.context.Prompt;
import scrittabot.context.TokenEstimate;
import scrittabot.kernel.AgentState;
import scrittabot.kernel.Channel;
import scrittabot.kernel.Event;
import scrittabot.kernel.Flow;
import scrittabot.library.Library;
import scrittabot.llm.ChatMessage;
import scrittabot.tools.CoreTools;
import scrittabot.tools.ToolSet;

/**
 * Prompt prefix reuse: a scripted, seeded 100-step conversation (user messages, code outputs,
 * replies with code, a few long outputs) goes through the real {@link Prompt}, built and recorded
 * as the kernel does. For each prompt: the share of its characters (messages serialised as role
 * and text, in order) that are identical to the start of the previous prompt, which is what a
 * server's prefix cache can reuse.
 */
final class PromptBench {
  private static final int STEPS = 100;
  private static final long SEED = 42;
  private static final String[] WORDS = ("the a bot memory room message python output goal mood"
      + " file list value error print result send user answer question time today about with"
      + " from some more data search note and to of in is it").split(" ");

  record Result(int contextTokens, boolean turnAsSent, int prompts, double mean, double min,
      int under50, int droppedTurns, int drops, double meanWithoutShrink,
      int longestPromptChars) {}

  private PromptBench() {}

  /**
   * {@code turnAsSent}: a what-if that Prompt does not do. The kernel records a step's events
   * without the state block that preceded them in the last message, so the previous prompt's
   * last message never matches; recording the message as it was sent (state and events) keeps
   * the whole previous prompt a prefix of the next one.
   */
  static Result run(int contextTokens, boolean turnAsSent) {
    var channel = new Channel() {
      @Override
      public void send(String room, String text) {}

      @Override
      public String defaultRoom() {
        return "lobby";
      }
    };
    var journal = new scrittabot.kernel.RamJournal();
    var state = new AgentState(json -> { });
    var tools = new ToolSet(new CoreTools(channel, state, new Flow(channel, journal),
        Library.offline(Path.of("files"))).all());
    var estimate = new TokenEstimate();
    var prompt = new Prompt(tools.reference(), contextTokens, estimate);
    prompt.checkFits();
    var random = new Random(SEED);
    var shares = new ArrayList<Double>();
    var sharesWithoutShrink = new ArrayList<Double>();
    Instant now = Instant.parse("2025-01-01T09:00:00Z");
    String previous = null;
    int drops = 0;
    int longest = 0;
    List<Event> events = List.of(user(now, random));
    for (int step = 0; step < STEPS; step++) {
      now = now.plusSeconds(5 + random.nextInt(60));
      String eventText = events.stream().map(Event::render).collect(Collectors.joining("\n"));
      String stateText = "<system time=\"" + Event.TIME.format(now) + "\">\n" + state.render()
          + "</system>";
      int droppedBefore = prompt.droppedTurns();
      List<ChatMessage> messages = prompt.build(stateText, eventText);
      boolean shrank = prompt.droppedTurns() > droppedBefore;
      drops += shrank ? 1 : 0;
      String serialised = serialise(messages);
      longest = Math.max(longest, serialised.length());
      if (previous != null) {
        double share = (double) commonPrefix(previous, serialised) / serialised.length();
        shares.add(share);
        if (!shrank) {
          sharesWithoutShrink.add(share);
        }
      }
      previous = serialised;
      long chars = messages.stream().mapToLong(m -> m.text().length()).sum();
      estimate.calibrate(chars, (int) (chars / 4)); // as the scripted server reports usage
      boolean withCode = random.nextInt(10) > 0;
      prompt.record(new scrittabot.context.Step(step + 1,
          turnAsSent ? messages.getLast().text() : eventText, reply(random, withCode)));
      if (random.nextInt(8) == 0) {
        state.changeMood(AgentState.MOODS.get(random.nextInt(AgentState.MOODS.size())), 1);
      }
      events = nextEvents(now, random, withCode);
    }
    double mean = shares.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    double min = shares.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    int under50 = (int) shares.stream().filter(s -> s < 0.5).count();
    double meanWithoutShrink = sharesWithoutShrink.stream().mapToDouble(Double::doubleValue)
        .average().orElse(0);
    return new Result(contextTokens, turnAsSent, shares.size(), mean, min, under50,
        prompt.droppedTurns(), drops, meanWithoutShrink, longest);
  }

  /** What follows a reply: its code output (if any), sometimes a user message, or a hint. */
  private static List<Event> nextEvents(Instant now, Random random, boolean withCode) {
    var events = new ArrayList<Event>();
    if (withCode) {
      int size = random.nextInt(10) == 0 ? 1500 + random.nextInt(1500) : random.nextInt(400);
      events.add(new Event.CodeOutput(now, words(random, size), random.nextInt(12) == 0
          ? "NameError: name 'x' is not defined" : null));
    } else {
      events.add(new Event.SystemNotice(now, "Your reply had no ```python code block, so nothing"
          + " happened. Act with code: send_message(...) to talk, sleep() to rest.", false));
    }
    if (random.nextInt(3) == 0) {
      events.add(user(now, random));
    }
    return events;
  }

  private static Event user(Instant now, Random random) {
    return new Event.UserMessage(now, "@alice:example.org", "lobby",
        words(random, 40 + random.nextInt(250)));
  }

  private static String reply(Random random, boolean withCode) {
    String thought = words(random, 40 + random.nextInt(200));
    if (!withCode) {
      return thought;
    }
    var code = new StringBuilder();
    int lines = 1 + random.nextInt(8);
    for (int i = 0; i < lines - 1; i++) {
      code.append("x").append(i).append(" = ").append(pythonString(words(random, 10
          + random.nextInt(40)))).append('\n');
    }
    code.append("send_message(").append(pythonString(words(random, 20 + random.nextInt(150))))
        .append(")\n");
    return thought + "\n```python\n" + code + "```";
  }

  private static String pythonString(String text) {
    return "'" + text.replace("'", "") + "'";
  }

  private static String words(Random random, int chars) {
    var out = new StringBuilder();
    while (out.length() < chars) {
      out.append(WORDS[random.nextInt(WORDS.length)]).append(random.nextInt(12) == 0 ? ".\n" : " ");
    }
    return out.toString().strip();
  }

  private static String serialise(List<ChatMessage> messages) {
    var out = new StringBuilder();
    for (ChatMessage m : messages) {
      out.append(m.role()).append('\n').append(m.text()).append('\n');
    }
    return out.toString();
  }

  private static int commonPrefix(String a, String b) {
    int max = Math.min(a.length(), b.length());
    int i = 0;
    while (i < max && a.charAt(i) == b.charAt(i)) {
      i++;
    }
    return i;
  }

  static void print(List<Result> results) {
    var table = new Table("Prompt prefix reuse over a scripted " + STEPS + "-step conversation"
        + " (share of each prompt identical to the start of the previous one)",
        "context_llm", "dialogue turn", "prompts", "mean", "min", "steps under 50%",
        "times the dialogue shrank", "turns dropped", "mean on steps without a shrink",
        "longest prompt");
    for (Result r : results) {
      table.row(r.contextTokens(),
          r.turnAsSent() ? "what-if: as sent, with state" : "events (as built)", r.prompts(),
          Table.percent(r.mean()), Table.percent(r.min()), r.under50(), r.drops(),
          r.droppedTurns(), Table.percent(r.meanWithoutShrink()),
          r.longestPromptChars() + " chars");
    }
    for (Result r : results.stream().filter(r -> !r.turnAsSent()).toList()) {
      table.goal("mean reuse 90% or more at context_llm " + r.contextTokens() + " ("
          + Table.percent(r.mean()) + ")", r.mean() >= 0.9);
    }
    table.print();
  }
}
