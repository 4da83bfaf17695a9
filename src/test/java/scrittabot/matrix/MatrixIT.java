package scrittabot.matrix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import scrittabot.Json;
import scrittabot.console.ConsoleProcess;
import scrittabot.llm.ScriptedLlmServer;
import scrittabot.memory.TestDatabase;

/**
 * The bot as users run it (the jar, in a folder of its own) against a real Synapse, with a
 * matrix-nio client as the human and the scripted LLM as the agent's mind. Each test has its
 * own bot user and room, so one test's leftovers cannot answer for another.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class MatrixIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  /** A message tag with its attributes and text, as the agent sees it. */
  private static final Pattern MESSAGE = Pattern.compile(
      "<message user=\"([^\"]*)\" room=\"([^\"]*)\" time=\"[^\"]*\" id=\"([^\"]*)\"[^>]*>\n(.*?)\n"
          + "</message>", Pattern.DOTALL);
  private static final AtomicInteger NEXT = new AtomicInteger();

  private static Synapse synapse;
  private static Synapse.Account alice;
  private static Human aliceClient;

  private ScriptedLlmServer llm;
  private String database;
  private Synapse.Account bot;
  private String alias;
  private String room;
  @TempDir
  Path dir;
  private final List<ConsoleProcess> bots = new ArrayList<>();

  @BeforeAll
  static void homeserver(@TempDir Path synapseDir) throws Exception {
    synapse = Synapse.start(synapseDir);
    alice = synapse.register("alice", "alice-password", false);
    aliceClient = Human.start(synapse, alice);
  }

  @AfterAll
  static void closeHomeserver() {
    if (aliceClient != null) {
      aliceClient.close();
    }
    if (synapse != null) {
      synapse.close();
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    int n = NEXT.incrementAndGet();
    bot = synapse.register("bot" + n, "bot-password", false);
    alias = "lobby" + n;
    room = aliceClient.createRoom("Lobby " + n, alias, List.of(bot.userId()));
    llm = ScriptedLlmServer.start().respond(MatrixIT::agent);
    database = TestDatabase.create("matrix_it");
  }

  @AfterEach
  void tearDown() {
    bots.forEach(ConsoleProcess::close);
    llm.close();
  }

  /**
   * The scripted agent: answers each new message by what it says, then sleeps. "hello" gets
   * Markdown with a table; "report" gets a file; "ack" a reaction; "burst" ten messages; files
   * and images are acknowledged by name; anything else is echoed.
   */
  private static String agent(ScriptedLlmServer.Request request) {
    String events = request.lastUserText();
    var code = new StringBuilder();
    Matcher m = MESSAGE.matcher(events);
    while (m.find()) {
      String text = m.group(4).strip();
      String id = m.group(3);
      code.append(switch (text) {
        case "hello" -> "send_message(" + py("""
            **Hello!** Here is what I can do:

            - talk
            - remember

            | tool | use |
            |------|-----|
            | `send_message` | talk |

            ```python
            print(1)
            ```""") + ")\n";
        case "report" -> "send_file(\"report.txt\")\n";
        case "ack" -> "react(" + py(id) + ", \"👍\")\n";
        case "read the guide" -> "print(read_file(\"guide.md\", start=0, length=60))\n";
        case "read the birds" -> "print(read_file(\"birds.pdf\", length=200))\n";
        case "burst" -> "for i in range(10):\n    send_message(f\"part {i}\")\n";
        default -> "send_message(" + py("echo: " + text) + ")\n";
      });
    }
    Matcher f = Pattern.compile("<(file|image) [^>]*filename=\"([^\"]*)\"").matcher(events);
    while (f.find()) {
      code.append("send_message(").append(py("got " + f.group(1) + " " + f.group(2)))
          .append(")\n");
    }
    // what read_file prints must come back in a step: code that ends in sleep() would leave
    // its output waiting until something else wakes the agent
    boolean reads = code.indexOf("read_file(") >= 0;
    return "```python\n" + code + (reads ? "" : "sleep()\n") + "```";
  }

  private static String py(String text) {
    return Json.write(text); // a JSON string is a Python string literal
  }

  /** Starts the bot's jar with a config for this test's bot user; waits until it listens. */
  private ConsoleProcess startBot(Map<String, Object> extra) throws Exception {
    var process = launchBot(extra);
    awaitLog(process, "listening");
    return process;
  }

  private ConsoleProcess launchBot(Map<String, Object> extra) throws Exception {
    var config = new LinkedHashMap<String, Object>();
    config.put("homeserver", synapse.url());
    config.put("user_id", bot.userId());
    config.put("access_token", bot.accessToken());
    config.put("device_id", bot.deviceId());
    config.put("room_id", "#" + alias + ":" + synapse.serverName());
    config.put("openai_url", llm.url());
    config.put("model_llm", "scripted");
    config.put("database_url", database);
    config.put("sandbox_time_limit", 60);
    config.putAll(extra);
    Files.writeString(dir.resolve("config.yaml"), Json.write(config)); // JSON is YAML
    var process = ConsoleProcess.start(dir, "--config", "config.yaml");
    bots.add(process);
    return process;
  }

  private ConsoleProcess startBot() throws Exception {
    return startBot(Map.of());
  }

  private static void awaitLog(ConsoleProcess process, String text) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!process.log().contains(text)) {
      if (System.nanoTime() > deadline || !process.process().isAlive()) {
        throw new AssertionError("the bot did not log '" + text + "':\n" + process.log());
      }
      Thread.sleep(50);
    }
  }

  private Predicate<Map<String, Object>> fromBot(String inRoom) {
    return Human.messageFrom(bot.userId()).and(r -> inRoom.equals(r.get("room")));
  }

  private static Predicate<Map<String, Object>> body(String text) {
    return r -> text.equals(Json.at(r, "content", "body"));
  }

  private long repliesSaying(String text) {
    return aliceClient.reports().stream().filter(fromBot(room).and(body(text))).count();
  }

  @Test
  void helloGetsMarkdownAsHtmlAfterTypingThenAReadReceipt() throws Exception {
    startBot();
    String hello = aliceClient.send(room, "hello");
    var reply = aliceClient.await(fromBot(room), WAIT);
    var content = (Map<?, ?>) reply.get("content");
    assertTrue(content.get("body").toString().startsWith("**Hello!**"), "body is the Markdown");
    assertEquals("org.matrix.custom.html", content.get("format"));
    String html = content.get("formatted_body").toString();
    assertTrue(html.contains("<strong>Hello!</strong>"), html);
    assertTrue(html.contains("<li>talk</li>"), html);
    assertTrue(html.contains("<table>") && html.contains("<code>send_message</code>"), html);
    assertTrue(html.contains("<pre><code class=\"language-python\">print(1)"), html);

    var reports = aliceClient.reports();
    int typing = indexOf(reports, r -> "typing".equals(r.get("kind"))
        && ((List<?>) r.get("users")).contains(bot.userId()));
    int answer = indexOf(reports, fromBot(room));
    assertTrue(typing >= 0 && typing < answer, "typing is seen before the reply: " + reports);
    aliceClient.await(r -> "receipt".equals(r.get("kind")) && bot.userId().equals(r.get("user"))
        && hello.equals(r.get("event_id")), WAIT);

    String prompt = llm.requests().stream().map(ScriptedLlmServer.Request::lastUserText)
        .filter(text -> text.contains("<message")).findFirst().orElseThrow();
    assertTrue(prompt.contains("<message user=\"" + alice.userId() + "\" room=\"#" + alias + ":"
        + synapse.serverName() + "\""), prompt);
    assertTrue(prompt.contains("id=\"" + hello + "\""), prompt);
  }

  @Test
  void aRefusedTokenIsOneLineThatSaysHowToLogInAgain() throws Exception {
    var process = launchBot(Map.of("access_token", "syt_not_a_real_token"));
    assertEquals(2, process.awaitExit(WAIT));
    String log = process.log();
    assertTrue(log.contains("refused the access_token (M_UNKNOWN_TOKEN)")
        && log.contains("--login"), log);
    assertFalse(log.contains("syt_not_a_real_token"), "the token is not logged");
    assertFalse(log.contains("\tat "), "no stack trace: " + log);
  }

  @Test
  void filesAndImagesReachThePromptAndTheFilesFolder() throws Exception {
    startBot(Map.of("max_file_size", "1m"));
    Path text = dir.resolve("upload-notes.txt");
    Files.writeString(text, "milk, eggs, bread\n");
    Path image = dir.resolve("upload-photo.png");
    Files.write(image, png(640, 480));
    aliceClient.sendFile(room, text, "text/plain");
    aliceClient.await(fromBot(room).and(body("got file upload-notes.txt")), WAIT);
    aliceClient.sendFile(room, image, "image/png");
    aliceClient.await(fromBot(room).and(body("got image upload-photo.png")), WAIT);

    assertEquals("milk, eggs, bread\n", Files.readString(dir.resolve("files/upload-notes.txt")));
    assertArrayEquals(Files.readAllBytes(image), Files.readAllBytes(
        dir.resolve("files/upload-photo.png")));
    var withImage = llm.requests().stream()
        .filter(r -> r.lastUserText().contains("<image ")).findFirst().orElseThrow();
    assertTrue(withImage.lastUserText().contains("type=\"image/png\""), withImage.lastUserText());
    var images = withImage.messages().getLast().imageUrls();
    assertEquals(1, images.size(), "the image goes to the multimodal LLM");
    byte[] seen = java.util.Base64.getDecoder().decode(images.getFirst().substring(
        images.getFirst().indexOf(',') + 1));
    BufferedImage small = ImageIO.read(new java.io.ByteArrayInputStream(seen));
    assertEquals(256, small.getWidth(), "scaled to at most 256 px");
    assertEquals(192, small.getHeight());

    // the same bytes under another name: one copy on disk, both names open
    Path copy = dir.resolve("upload-copy.txt");
    Files.copy(text, copy);
    aliceClient.sendFile(room, copy, "text/plain");
    aliceClient.await(fromBot(room).and(body("got file upload-copy.txt")), WAIT);
    assertEquals(Files.readAttributes(dir.resolve("files/upload-notes.txt"),
        java.nio.file.attribute.BasicFileAttributes.class).fileKey(),
        Files.readAttributes(dir.resolve("files/upload-copy.txt"),
        java.nio.file.attribute.BasicFileAttributes.class).fileKey());

    // too large: the person is told at once, and nothing is left on disk
    Path big = dir.resolve("upload-big.bin");
    Files.write(big, new byte[3 << 19]);
    aliceClient.sendFile(room, big, "application/octet-stream");
    aliceClient.await(fromBot(room).and(r -> Json.at(r, "content", "body") instanceof String b
        && b.startsWith("I could not keep the file upload-big.bin: ")
        && b.contains("max_file_size")), WAIT);
    assertFalse(Files.exists(dir.resolve("files/upload-big.bin")));
    try (var incoming = Files.list(dir.resolve("files/.incoming"))) {
      assertEquals(0, incoming.count());
    }
  }

  @Test
  void uploadedDocumentsAreIndexedRecalledAndRead() throws Exception {
    var process = startBot();
    var guide = new StringBuilder("# Guide to the garden\n\n");
    for (String part : List.of("Roses", "Tulips", "Compost", "Watering")) {
      guide.append("## ").append(part).append("\n\n");
      for (int p = 0; p < 6; p++) {
        guide.append(part).append(" need care in paragraph ").append(p)
            .append(". This is said at some length, so that each part is a chunk of its own, ")
            .append("and the guide runs over several chunks as a real one would.\n\n");
      }
    }
    guide.append("## Tools\n\nThe green wheelbarrow lives in the shed behind the kiwi vines.\n");
    Path md = dir.resolve("guide.md");
    Files.writeString(md, guide);
    Path pdf = scrittabot.library.ExtractionTest.pdf(dir.resolve("birds.pdf"), List.of(
        "Page one is about sparrows.", "The herons nest in the reeds by the eastern pond."));
    aliceClient.sendFile(room, md, "text/markdown");
    aliceClient.sendFile(room, pdf, "application/pdf");
    awaitLog(process, "indexed guide.md");
    awaitLog(process, "indexed birds.pdf");

    aliceClient.send(room, "Where does the wheelbarrow live, and where do herons nest?");
    aliceClient.await(fromBot(room).and(body(
        "echo: Where does the wheelbarrow live, and where do herons nest?")), WAIT);
    String asked = llm.requests().stream().map(ScriptedLlmServer.Request::lastUserText)
        .filter(t -> t.contains("Where does the wheelbarrow live")).findFirst().orElseThrow();
    String recalled = asked.substring(asked.indexOf("From your memory"));
    assertTrue(recalled.contains("guide.md from character") && recalled.contains(
        "The green wheelbarrow lives in the shed behind the kiwi vines."), recalled);
    assertTrue(recalled.contains("birds.pdf from character") && recalled.contains(
        "The herons nest in the reeds by the eastern pond."), recalled);

    aliceClient.send(room, "read the guide");
    aliceClient.send(room, "read the birds");
    long deadline = System.nanoTime() + WAIT.toNanos();
    String output = "";
    while (!(output.contains("Guide to the garden") && output.contains("herons nest"))
        && System.nanoTime() < deadline) {
      Thread.sleep(200);
      output = llm.requests().stream().map(ScriptedLlmServer.Request::lastUserText)
          .filter(t -> t.contains("<python>")).reduce("", String::concat);
    }
    assertTrue(output.contains("# Guide to the garden\n\n## Roses\n\nRoses need care"), output);
    assertTrue(output.contains("[more follows: read_file(\"guide.md\", start=60)]"), output);
    assertTrue(output.contains("Page one is about sparrows.") && output.contains(
        "The herons nest in the reeds by the eastern pond."), output);
  }

  @Test
  void sendFileAndReactReachTheHuman() throws Exception {
    Files.createDirectories(dir.resolve("files"));
    Files.writeString(dir.resolve("files/report.txt"), "all is well\n");
    startBot();
    aliceClient.send(room, "report");
    var file = aliceClient.await(fromBot(room), WAIT);
    var content = (Map<?, ?>) file.get("content");
    assertEquals("m.file", content.get("msgtype"));
    assertEquals("report.txt", content.get("body"));
    assertEquals("all is well\n", new String(aliceClient.download(content.get("url").toString())));

    String ack = aliceClient.send(room, "ack");
    var reaction = aliceClient.await(r -> "m.reaction".equals(r.get("type"))
        && bot.userId().equals(r.get("sender")), WAIT);
    assertEquals(ack, Json.at(reaction, "content", "m.relates_to", "event_id"));
    assertEquals("👍", Json.at(reaction, "content", "m.relates_to", "key"));
  }

  @Test
  void repliesEditsReactionsAndThreadsAreNamedAndMalformedEventsSkipped() throws Exception {
    startBot();
    String first = aliceClient.send(room, "first");
    aliceClient.await(fromBot(room).and(body("echo: first")), WAIT);
    // Synapse refuses messages without a string body or msgtype; these it lets through.
    aliceClient.send(room, "m.reaction", Map.of("key", "no relation"));
    aliceClient.send(room, "m.room.message", Map.of("msgtype", "m.text", "body", "junk relation",
        "m.relates_to", "not an object"));
    aliceClient.await(fromBot(room).and(body("echo: junk relation")), WAIT);
    aliceClient.send(room, "m.room.message", Map.of("msgtype", "m.text",
        "body", "> <" + alice.userId() + "> first\n\nsecond",
        "m.relates_to", Map.of("m.in_reply_to", Map.of("event_id", first))));
    aliceClient.await(fromBot(room).and(body("echo: second")), WAIT);
    aliceClient.send(room, "m.room.message", Map.of("msgtype", "m.text", "body", "* third",
        "m.new_content", Map.of("msgtype", "m.text", "body", "third"),
        "m.relates_to", Map.of("rel_type", "m.replace", "event_id", first)));
    aliceClient.await(fromBot(room).and(body("echo: third")), WAIT);
    aliceClient.send(room, "m.reaction", Map.of("m.relates_to",
        Map.of("rel_type", "m.annotation", "event_id", first, "key", "🎉")));
    aliceClient.send(room, "m.room.message", Map.of("msgtype", "m.text", "body", "fourth",
        "m.relates_to", Map.of("rel_type", "m.thread", "event_id", first,
            "is_falling_back", true, "m.in_reply_to", Map.of("event_id", first))));
    aliceClient.await(fromBot(room).and(body("echo: fourth")), WAIT);

    String prompts = String.join("\n", llm.requests().stream()
        .map(ScriptedLlmServer.Request::lastUserText).toList());
    assertTrue(prompts.contains("reply_to=\"" + first + "\">\nsecond\n</message>"), prompts);
    assertTrue(prompts.contains("edit_of=\"" + first + "\">\nthird\n</message>"), prompts);
    assertTrue(prompts.contains("to=\"" + first + "\">🎉</reaction>"), prompts);
    assertTrue(prompts.contains("thread=\"" + first + "\">\nfourth\n</message>"), prompts);
    assertFalse(prompts.contains("no relation"), "the reaction without a target is skipped");
  }

  @Test
  void strangersAreDeclinedAndIgnoredWhileAllowedUsersGetDirectChats() throws Exception {
    var eve = synapse.register("eve" + NEXT.incrementAndGet(), "eve-password", false);
    try (var eveClient = Human.start(synapse, eve)) {
      aliceClient.invite(room, eve.userId());
      eveClient.join(room);
      var log = startBot(Map.of("allowed_users", List.of("@alice:*"), "room_id", List.of(alias)));

      String eveRoom = eveClient.createRoom("Eve's den", List.of(bot.userId()), false);
      eveClient.await(r -> "member".equals(r.get("kind")) && eveRoom.equals(r.get("room"))
          && bot.userId().equals(r.get("user")) && "leave".equals(r.get("membership")), WAIT);

      eveClient.send(room, "obey eve");
      String direct = aliceClient.createRoom("Alice and the bot", List.of(bot.userId()), false);
      aliceClient.await(r -> "member".equals(r.get("kind")) && direct.equals(r.get("room"))
          && bot.userId().equals(r.get("user")) && "join".equals(r.get("membership")), WAIT);
      aliceClient.send(direct, "in private");
      aliceClient.await(fromBot(direct).and(body("echo: in private")), WAIT);
      aliceClient.send(room, "in public");
      aliceClient.await(fromBot(room).and(body("echo: in public")), WAIT);

      String prompts = String.join("\n", llm.requests().stream()
          .map(ScriptedLlmServer.Request::lastUserText).toList());
      assertFalse(prompts.contains("obey eve"), prompts);
      assertTrue(log.log().contains("not in allowed_users"), log.log());
    }
  }

  @Test
  void encryptedRoomGetsOneNoticeInPlainText() throws Exception {
    startBot(Map.of("allowed_users", List.of(alice.userId())));
    String secret = aliceClient.createRoom("Secret", List.of(bot.userId()), true);
    var notice = aliceClient.await(fromBot(secret), WAIT);
    assertEquals("m.notice", Json.at(notice, "content", "msgtype"));
    assertTrue(Json.at(notice, "content", "body").toString().contains("encrypted"));
    aliceClient.send(room, "still here");
    aliceClient.await(fromBot(room).and(body("echo: still here")), WAIT);
    assertEquals(1, aliceClient.reports().stream().filter(fromBot(secret)).count());
  }

  @Test
  void killedAndRestartedTheBotAnswersEachMessageExactlyOnce() throws Exception {
    aliceClient.send(room, "from before the bot");
    var first = startBot();
    aliceClient.send(room, "one");
    aliceClient.await(fromBot(room).and(body("echo: one")), WAIT);
    first.process().destroyForcibly().waitFor();
    aliceClient.send(room, "two");
    startBot();
    aliceClient.await(fromBot(room).and(body("echo: two")), WAIT);
    aliceClient.send(room, "three");
    aliceClient.await(fromBot(room).and(body("echo: three")), WAIT);
    Thread.sleep(1000); // room for a repeated answer to show up, which it must not
    for (String text : List.of("one", "two", "three")) {
      assertEquals(1, repliesSaying("echo: " + text), "answered once: " + text);
    }
    assertEquals(0, repliesSaying("echo: from before the bot"), "history is not answered");
  }

  @Test
  void aRoomAddedLaterHasItsHistoryLeftUnanswered() throws Exception {
    startBot().stop(WAIT);
    String later = aliceClient.createRoom("Later", alias + "-later", List.of(bot.userId()));
    aliceClient.send(later, "old news");
    startBot(Map.of("room_id", List.of(alias, alias + "-later")));
    aliceClient.send(later, "new news");
    aliceClient.await(fromBot(later).and(body("echo: new news")), WAIT);
    Thread.sleep(1000);
    assertEquals(0, aliceClient.reports().stream().filter(fromBot(later)
        .and(body("echo: old news"))).count(), "history from before the join is not answered");
  }

  @Test
  void aRateLimitStormIsRiddenOutWithoutLosingOrDoublingMessages() throws Exception {
    var admin = synapse.register("admin" + NEXT.incrementAndGet(), "admin-password", true);
    synapse.overrideRateLimit(admin, bot.userId(), 1, 1);
    var process = startBot();
    aliceClient.send(room, "burst");
    for (int i = 0; i < 10; i++) {
      aliceClient.await(fromBot(room).and(body("part " + i)), WAIT);
    }
    var parts = aliceClient.reports().stream().filter(fromBot(room))
        .map(r -> Json.at(r, "content", "body")).toList();
    assertEquals(List.of("part 0", "part 1", "part 2", "part 3", "part 4", "part 5", "part 6",
        "part 7", "part 8", "part 9"), parts, "in order, each once");
    assertTrue(process.log().contains("rate limited"), "the storm was real: " + process.log());
  }

  @Test
  void theBotCarriesOnAfterTheHomeserverWasAwayForAMinute() throws Exception {
    var process = startBot(Map.of("monitor_port", 0));
    aliceClient.send(room, "before");
    aliceClient.await(fromBot(room).and(body("echo: before")), WAIT);
    long stopped = System.nanoTime();
    synapse.stop();
    // the monitor page says so, and goes on answering
    long deadline = System.nanoTime() + Duration.ofSeconds(50).toNanos();
    Object trouble = null;
    while (trouble == null && System.nanoTime() < deadline) {
      Thread.sleep(500);
      trouble = Json.at(monitorSnapshot(process), "health", "channel");
    }
    assertTrue(String.valueOf(trouble).startsWith("the homeserver does not answer since"),
        String.valueOf(trouble));
    Thread.sleep(Math.max(0, 60_000 - (System.nanoTime() - stopped) / 1_000_000));
    assertTrue(process.process().isAlive(), "the bot lives through the outage");
    synapse.restart();
    aliceClient.send(room, "after");
    aliceClient.await(fromBot(room).and(body("echo: after")), Duration.ofSeconds(90));
    assertEquals(1, repliesSaying("echo: after"));
    assertNull(Json.at(monitorSnapshot(process), "health", "channel"), "back to normal");
  }

  /** The monitor page's snapshot, by the link the bot's log printed. */
  private static Map<String, Object> monitorSnapshot(ConsoleProcess process) throws Exception {
    Matcher link = Pattern.compile("monitor: (http://\\S+/)\\?token=(\\S+)")
        .matcher(process.log());
    assertTrue(link.find(), "the log has the monitor's link");
    var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
        .newBuilder(java.net.URI.create(link.group(1) + "api/snapshot"))
        .header("Authorization", "Bearer " + link.group(2)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return Json.parseObject(response.body());
  }

  private static int indexOf(List<Map<String, Object>> reports,
      Predicate<Map<String, Object>> match) {
    for (int i = 0; i < reports.size(); i++) {
      if (match.test(reports.get(i))) {
        return i;
      }
    }
    return -1;
  }

  private static byte[] png(int width, int height) throws IOException {
    var image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    var g = image.createGraphics();
    g.setColor(java.awt.Color.ORANGE);
    g.fillOval(10, 10, width - 20, height - 20);
    g.dispose();
    var out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }
}
