package scrittabot.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import scrittabot.Json;
import scrittabot.console.ConsoleProcess;
import scrittabot.llm.ScriptedLlmServer;
import scrittabot.memory.TestDatabase;
import scrittabot.matrix.Human;
import scrittabot.matrix.Synapse;

/**
 * Reaction latency through a real Synapse: the human sends "ping N", the bot (the jar, as users
 * run it) syncs it, asks the scripted LLM, which answers at once with {@code
 * send_message("pong N")}, and the human's matrix-nio client sees the pong. Timed from the
 * human's send: to Synapse's answer, to the LLM request's arrival, and to the pong's arrival.
 */
final class MatrixBench {
  private static final int MESSAGES = 200;
  private static final int WARM_UP = 10;
  private static final Pattern PING = Pattern.compile("\nping (\\d+)\n</message>");

  record Result(Samples sendReturned, Samples toLlm, Samples toReply) {}

  private MatrixBench() {}

  static Result run() throws Exception {
    Path dir = Files.createTempDirectory("scrittabot-matrix-bench");
    var requestAt = new ConcurrentHashMap<Integer, Long>();
    try (var synapse = Synapse.start(dir.resolve("synapse"));
        var llm = ScriptedLlmServer.start().respond(request -> {
          var m = PING.matcher(request.lastUserText());
          if (!m.find()) {
            return "```python\nsleep()\n```";
          }
          int n = Integer.parseInt(m.group(1));
          requestAt.putIfAbsent(n, System.nanoTime());
          return "```python\nsend_message(\"pong " + n + "\")\nsleep()\n```";
        })) {
      var bot = synapse.register("bot", "bot-password", false);
      var human = synapse.register("human", "human-password", false);
      try (var client = Human.start(synapse, human)) {
        String room = client.createRoom("Bench", "bench", List.of(bot.userId()));
        Path botDir = Files.createDirectories(dir.resolve("bot"));
        Files.writeString(botDir.resolve("config.yaml"), Json.write(Map.of(
            "homeserver", synapse.url(), "user_id", bot.userId(),
            "access_token", bot.accessToken(), "room_id", "#bench:" + synapse.serverName(),
            "openai_url", llm.url(), "model_llm", "scripted",
            "database_url", TestDatabase.create("matrix_bench"))));
        try (var process = ConsoleProcess.start(botDir, "--config", "config.yaml")) {
          // Messages from before the bot's first sync are history, which it does not answer.
          long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
          while (!process.log().contains("listening")) {
            if (System.nanoTime() > deadline || !process.process().isAlive()) {
              throw new IllegalStateException("the bot did not start:\n" + process.log());
            }
            Thread.sleep(50);
          }
          // The first ping is answered once the sandbox is up.
          client.send(room, "ping 0");
          client.await(r -> bot.userId().equals(r.get("sender"))
              && "pong 0".equals(Json.at(r, "content", "body")), Duration.ofSeconds(120));
          var sendReturned = new ArrayList<Long>();
          var toLlm = new ArrayList<Long>();
          var toReply = new ArrayList<Long>();
          for (int n = 1; n <= WARM_UP + MESSAGES; n++) {
            // The human's send is a plain HTTP PUT from here, so that the figures hold no
            // Python client time; the human's client still sees the reply.
            long sent = System.nanoTime();
            var put = synapse.call("PUT", "/_matrix/client/v3/rooms/" + Synapse.encode(room)
                + "/send/m.room.message/bench" + n, human.accessToken(),
                Map.of("msgtype", "m.text", "body", "ping " + n));
            long returned = System.nanoTime();
            if (put.statusCode() != 200) {
              throw new IllegalStateException("the human's send failed: " + put.body());
            }
            String pong = "pong " + n;
            var reply = client.await(r -> bot.userId().equals(r.get("sender"))
                && pong.equals(Json.at(r, "content", "body")), Duration.ofSeconds(60));
            if (n > WARM_UP) {
              sendReturned.add(returned - sent);
              toLlm.add(requestAt.get(n) - sent);
              toReply.add(((Number) reply.get("java_received_ns")).longValue() - sent);
            }
          }
          return new Result(Samples.of(sendReturned), Samples.of(toLlm), Samples.of(toReply));
        }
      }
    }
  }

  static void print(Result r) {
    var table = new Table("Reaction latency through Synapse (" + MESSAGES + " messages one after"
        + " the other, after " + WARM_UP + " to warm up; scripted LLM answers at once)",
        "from the human's send", "p50", "p99", "max");
    table.row("to Synapse's answer (the event is stored)",
        Table.ms(r.sendReturned().p50()), Table.ms(r.sendReturned().p99()),
        Table.ms(r.sendReturned().maxMs()));
    table.row("to the bot's LLM request", Table.ms(r.toLlm().p50()), Table.ms(r.toLlm().p99()),
        Table.ms(r.toLlm().maxMs()));
    table.row("to the bot's reply seen by the human", Table.ms(r.toReply().p50()),
        Table.ms(r.toReply().p99()), Table.ms(r.toReply().maxMs()));
    table.note("The human sends with an HTTP PUT from the benchmark's JVM; the reply is seen"
            + " by its matrix-nio client (another process, syncing). All rows include Synapse's"
            + " work; the last also the sandbox run, the bot's send and the human's sync. The"
            + " bot's own share of the second row is about its p50 minus the first's.")
        .goal("p50 to the LLM request under 100 ms (" + Table.ms(r.toLlm().p50()) + ")",
            r.toLlm().p50() < 100)
        .print();
  }
}
