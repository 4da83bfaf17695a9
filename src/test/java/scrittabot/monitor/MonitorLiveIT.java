package scrittabot.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import scrittabot.Bot;
import scrittabot.Config;
import scrittabot.Json;
import scrittabot.kernel.Event;
import scrittabot.kernel.EventQueue;
import scrittabot.kernel.RecordingChannel;
import scrittabot.llm.ScriptedLlmServer;
import scrittabot.memory.Memory;
import scrittabot.memory.TestDatabase;

/** The step in progress reaches the page live, and a page that stops reading slows nothing. */
class MonitorLiveIT {
  @TempDir
  Path dir;
  private ScriptedLlmServer llm;
  private Memory memory;
  private Monitor monitor;
  private Bot bot;
  private Thread loop;
  private EventQueue queue;
  private Config config;
  private scrittabot.library.Library library;
  private final RecordingChannel channel = new RecordingChannel();
  private final java.util.concurrent.atomic.AtomicBoolean divided =
      new java.util.concurrent.atomic.AtomicBoolean();

  @BeforeEach
  void start() throws Exception {
    llm = ScriptedLlmServer.start();
    llm.respond(r -> {
      String said = r.lastUserText();
      if (said.contains("please divide by zero") && !divided.getAndSet(true)) {
        return "```python\nprint(1 / 0)\n```";
      }
      int at = said.lastIndexOf("say ");
      // a long thought first: thousands of live events, for a page that stops reading
      String thought = said.contains("at length") ? "Thinking. ".repeat(2000) : "";
      return at < 0 ? "```python\nsleep()\n```" : thought + "Answering.\n```python\nsend_message('"
          + said.substring(at + 4, said.indexOf('<', at)).strip() + "')\nprint('sent')\n"
          + "sleep()\n```";
    });
    var raw = new HashMap<String, Object>(Map.of("openai_url", llm.url(), "model_llm", "m",
        "model_rerank", "none", "monitor_port", 0, "state_dir", dir.resolve("state").toString(),
        "files_dir", dir.resolve("files").toString(), "logs_dir", dir.resolve("logs").toString(),
        "max_llm_calls_per_hour", 100_000));
    config = Config.fromMap(raw, true);
    memory = new Memory(TestDatabase.open("monitor_live"), config);
    library = Bot.library(config, memory);
    library.start();
    monitor = Monitor.start(config, memory, library);
    startBot(config);
  }

  private void startBot(Config config) throws Exception {
    queue = new EventQueue(memory);
    bot = new Bot(config, memory, library, queue, channel);
    bot.watch(monitor.watcher());
    monitor.control(new Monitor.Controls(bot.pause(), bot::wakeNow, channel::trouble,
        bot::llmCalls));
    assertTrue(bot.sandbox().awaitReady());
    loop = Thread.ofPlatform().name("kernel-under-test").start(bot::run);
  }

  @AfterEach
  void stop() throws Exception {
    bot.stop("test over");
    loop.join(10_000);
    bot.close();
    monitor.close();
    memory.close();
    llm.close();
  }

  private String token() throws Exception {
    return Files.readString(dir.resolve("state/monitor-token")).strip();
  }

  private String cookie() throws Exception {
    return Access.cookieName(URI.create(monitor.url()).getPort()) + "=" + token();
  }

  /** The page in a headless Chromium, opened by its link. */
  private org.openqa.selenium.chrome.ChromeDriver openPage() throws Exception {
    var browser = MonitorIT.browser(dir.resolve("chromium"));
    try {
      browser.get(monitor.url() + "?token=" + token());
      return browser;
    } catch (RuntimeException e) {
      browser.quit();
      throw e;
    }
  }

  private void say(String text) {
    queue.put(new Event.UserMessage(Instant.now(), "@anna:test", "lobby", text));
  }

  @Test
  void aStepReachesThePageAsItHappens() throws Exception {
    var lines = new CopyOnWriteArrayList<String>();
    var request = HttpRequest.newBuilder(URI.create(monitor.url() + "api/live"))
        .header("Cookie", cookie()).build();
    var response = HttpClient.newHttpClient().send(request,
        HttpResponse.BodyHandlers.ofLines());
    assertEquals(200, response.statusCode());
    assertTrue(response.headers().firstValue("Content-Type").orElse("")
        .startsWith("text/event-stream"));
    Thread.ofVirtual().start(() -> {
      try {
        response.body().forEach(lines::add);
      } catch (java.io.UncheckedIOException e) {
        // the monitor closed at the end of the test
      }
    });
    MonitorIT.waitFor(() -> lines.contains("event: now"), "the page catches up on connecting");
    say("please say hello there");
    MonitorIT.waitFor(() -> lines.contains("event: ended"), "the step ends on the page");
    var events = new ArrayList<String>();
    var reply = new StringBuilder();
    Map<String, Object> ran = null;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith("event: ")) {
        String type = lines.get(i).substring(7);
        Map<String, Object> data = Json.parseObject(lines.get(i + 1).substring(6));
        if (events.isEmpty() || !events.getLast().equals(type)) {
          events.add(type);
        }
        if (type.equals("reply")) {
          reply.append(data.get("text"));
        } else if (type.equals("ran")) {
          ran = data;
        } else if (type.equals("step")) {
          assertTrue(String.valueOf(data.get("events")).contains("please say hello there"));
        }
      }
    }
    assertEquals(List.of("now", "step", "reply", "ran", "ended"), events,
        "the code runs as soon as its block closes, while the reply streams");
    assertTrue(reply.toString().startsWith("Answering.\n```python\nsend_message('hello there')"),
        reply.toString());
    assertEquals("sent\n", ran.get("output"));
    assertEquals(List.of("lobby: hello there"), channel.sent());

    // the step's prompt, exactly as sent, is kept
    var prompt = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
        monitor.url() + "api/prompt?step=1")).header("Cookie", cookie()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, prompt.statusCode());
    List<?> messages = (List<?>) Json.parseObject(prompt.body()).get("messages");
    var sent = llm.requests().getFirst();
    assertEquals(sent.messages().size(), messages.size());
    for (int i = 0; i < messages.size(); i++) {
      var m = (Map<?, ?>) messages.get(i);
      assertEquals(sent.messages().get(i).text(), m.get("text"), "message " + i);
      assertEquals(sent.messages().get(i).role(), m.get("role"), "message " + i);
    }
    assertEquals(404, HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
        monitor.url() + "api/prompt?step=99")).header("Cookie", cookie()).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode(), "a step not kept");
  }

  @Test
  void aPageThatStopsReadingDoesNotSlowTheKernel() throws Exception {
    URI uri = URI.create(monitor.url());
    try (var socket = new Socket()) {
      socket.setReceiveBufferSize(1024); // before connecting, or the window is already open
      socket.connect(new java.net.InetSocketAddress(uri.getHost(), uri.getPort()));
      socket.getOutputStream().write(("GET /api/live HTTP/1.1\r\nHost: 127.0.0.1:"
          + uri.getPort() + "\r\nCookie: " + cookie() + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      var in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
          StandardCharsets.UTF_8));
      assertTrue(in.readLine().startsWith("HTTP/1.1 200"));
      // from here on it reads nothing, while the agent answers message after message
      for (int i = 0; i < 20; i++) {
        say("say " + i + " at length");
        awaitSent(i + 1);
      }
      assertEquals(20, channel.sent().size());
      MonitorIT.waitFor(() -> monitor.pages() == 0, "the page that stopped reading was dropped");
      // and its connection is closed, not left with its thread and buffers: reading what the
      // socket still holds ends in end-of-stream, not in a wait for more
      socket.setSoTimeout(20_000);
      char[] rest = new char[65536];
      while (in.read(rest) >= 0) {
        continue;
      }
    }
  }

  @Test
  void inABrowserTheStepAppearsLive() throws Exception {
    var browser = openPage();
    try {
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-state")).getText()
          .equals("waiting for events"), "the live view connects");
      say("please say hello from the page");
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-reply")).getText()
          .contains("send_message('hello from the page')"), "the reply, streamed");
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-runs")).getText()
          .contains("sent"), "the code's output");
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-state")).getText()
          .startsWith("asleep after step 1"), "the step's end: the agent rests");
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-state")).getText()
          .endsWith("(it called sleep())"), "and why, from the saved sleep");
      // the row comes with a snapshot once the step is written (the memory writes behind)
      MonitorIT.waitFor(() -> browser.findElements(By.cssSelector("#steps tbody tr td.text"))
          .stream().anyMatch(e -> e.getText().contains("hello from the page")),
          "the step in the timeline");
      String row = browser.findElements(By.cssSelector("#steps tbody tr")).getLast().getText();
      assertTrue(row.contains("1 code; send_message, sleep"), "what the step did: " + row);
      browser.findElements(By.cssSelector("#steps tbody tr")).getLast().click();
      MonitorIT.waitFor(() -> browser.findElement(By.id("step-detail")).getText()
          .contains("The prompt as sent"), "the step's prompt opens");
      String detail = browser.findElement(By.id("step-detail")).getText();
      assertTrue(detail.contains("please say hello from the page"), detail);
      assertTrue(detail.contains("system"), detail);
      Files.write(Path.of("target/monitor-live.png"),
          browser.getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
    } finally {
      browser.quit();
    }
  }

  private HttpResponse<String> post(String action, String csrf, String origin)
      throws Exception {
    var request = HttpRequest.newBuilder(URI.create(monitor.url() + "api/" + action))
        .header("Cookie", cookie()).POST(HttpRequest.BodyPublishers.noBody());
    if (csrf != null) {
      request.header("X-CSRF-Token", csrf);
    }
    if (origin != null) {
      request.header("Origin", origin);
    }
    return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private String csrf() throws Exception {
    var request = HttpRequest.newBuilder(URI.create(monitor.url() + "api/snapshot"))
        .header("Cookie", cookie()).build();
    return (String) Json.parseObject(HttpClient.newHttpClient().send(request,
        HttpResponse.BodyHandlers.ofString()).body()).get("csrf");
  }

  @Test
  void aPauseHoldsStepsUntilResumedAndOutlastsARestart() throws Exception {
    String csrf = csrf();
    assertEquals(403, post("pause", null, null).statusCode(), "no CSRF token");
    assertEquals(403, post("pause", "forged", null).statusCode(), "a wrong one");
    String own = monitor.url().substring(0, monitor.url().length() - 1);
    assertEquals(403, post("pause", csrf, "http://evil.example").statusCode(), "another site");
    assertTrue(!bot.pause().paused(), "nothing was paused by the refused requests");
    var paused = post("pause", csrf, own);
    assertEquals(200, paused.statusCode(), paused.body());
    assertEquals(true, Json.parseObject(paused.body()).get("paused"));

    say("please say while paused");
    Thread.sleep(1500);
    assertEquals(List.of(), channel.sent(), "no step while paused");
    assertEquals(0, llm.requests().size(), "and no LLM call");

    // the pause is saved: a new bot on the same memory starts paused
    bot.stop("restart");
    loop.join(10_000);
    bot.close();
    memory.flush(Duration.ofSeconds(10));
    startBot(config);
    assertTrue(bot.pause().paused(), "the pause outlasted the restart");
    Thread.sleep(1000);
    assertEquals(List.of(), channel.sent(), "still no step after the restart");

    assertEquals(200, post("resume", csrf(), null).statusCode());
    awaitSent(1);
    assertEquals(List.of("lobby: while paused"), channel.sent(), "the message waited, kept");
  }

  @Test
  void inABrowserPauseResumeAndWakeNow() throws Exception {
    var browser = openPage();
    try {
      MonitorIT.waitFor(() -> browser.findElement(By.id("pause")).isDisplayed(),
          "the pause button");
      browser.findElement(By.id("pause")).click();
      MonitorIT.waitFor(() -> browser.findElement(By.id("pause-state")).getText()
          .startsWith("paused since"), "the page says it is paused");
      assertTrue(bot.pause().paused());
      Files.write(Path.of("target/monitor-paused.png"),
          browser.getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
      say("please say after the pause");
      Thread.sleep(1500);
      assertEquals(List.of(), channel.sent(), "no step while paused");
      browser.findElement(By.id("resume")).click();
      awaitSent(1);
      MonitorIT.waitFor(() -> browser.findElement(By.id("pause-state")).getText().isEmpty(),
          "the page says it runs");
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-state")).getText()
          .startsWith("asleep"), "the agent rests after answering");
      int before = llm.requests().size();
      browser.findElement(By.id("wake")).click();
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-events")).getText()
          .contains("You were woken from the monitor page."), "a step, woken from the page");
      MonitorIT.waitFor(() -> llm.requests().size() > before, "the LLM asked");
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-runs")).getText()
          .contains("sleep()\n(it printed nothing)"), "its code (sleep) printed nothing");
    } finally {
      browser.quit();
    }
  }

  @Test
  void metricsParseWithPrometheusClient() throws Exception {
    say("please say one");
    awaitSent(1);
    say("please divide by zero");
    MonitorIT.waitFor(() -> llm.requests().size() >= 3, "the error seen in a next step");
    MonitorIT.waitFor(() -> {
      try {
        return metrics().get("scrittabot_step_seconds").toString()
            .contains("(scrittabot_step_seconds_count, {}, 3.0)");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "three steps measured");
    Map<String, Object> families = metrics();
    assertEquals("histogram", type(families, "scrittabot_step_seconds"));
    assertEquals("histogram", type(families, "scrittabot_recall_seconds"));
    assertEquals("histogram", type(families, "scrittabot_step_llm_seconds"));
    assertEquals("histogram", type(families, "scrittabot_code_seconds"));
    assertEquals("counter", type(families, "scrittabot_errors"));
    assertEquals("counter", type(families, "scrittabot_steps"));
    String errors = families.get("scrittabot_errors").toString();
    assertTrue(errors.contains("{kind=code}, 1.0"), errors);
    assertTrue(errors.contains("{kind=llm}, 0.0"), errors);
    String steps = families.get("scrittabot_steps").toString();
    assertTrue(steps.contains("(scrittabot_steps_total, {}, 3.0)"), steps);
    assertTrue(families.get("scrittabot_paused").toString().contains("0.0"));
    String calls = families.get("scrittabot_llm_calls").toString();
    assertTrue(calls.contains("{who=agent}, 3.0") && calls.contains("{who=background}, 0.0"),
        calls);
    assertTrue(families.get("scrittabot_up").toString().contains("1.0"));
  }

  private static String type(Map<String, Object> families, String name) {
    return (String) ((Map<?, ?>) families.get(name)).get("type");
  }

  /** /metrics as prometheus_client's parser reads it: family name to type and samples. */
  private Map<String, Object> metrics() throws Exception {
    var request = HttpRequest.newBuilder(URI.create(monitor.url() + "metrics"))
        .header("Authorization", "Bearer " + token()).build();
    String text = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString())
        .body();
    var parser = new ProcessBuilder(scrittabot.matrix.Synapse.python().toString(), "-c", """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        print(json.dumps({f.name: {"type": f.type, "samples": [
            "(%s, {%s}, %s)" % (s.name, ",".join("%s=%s" % kv for kv in s.labels.items()),
                float(s.value)) for s in f.samples]}
            for f in text_string_to_metric_families(sys.stdin.read())}))
        """).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (var in = parser.getOutputStream()) {
      in.write(text.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(parser.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, parser.waitFor(), "prometheus_client could not parse:\n" + text);
    return Json.parseObject(out);
  }

  /**
   * The database stops, then the LLM server goes away: the page says so at the top and goes on
   * showing what it has; when the database is back, so is the page.
   */
  @Test
  void thePageSaysWhatIsDownAndGoesOn() throws Exception {
    var browser = openPage();
    try {
      MonitorIT.waitFor(() -> browser.findElement(By.id("status")).getText()
          .startsWith("updated"), "the first snapshot");
      assertTrue(!browser.findElement(By.id("trouble")).isDisplayed(), "nothing is down");
      scrittabot.memory.TestDatabase.stopServer();
      try {
        MonitorIT.waitFor(() -> browser.findElement(By.id("trouble")).getText()
            .startsWith("The database is away"), "the database is away, says the page");
        Files.write(Path.of("target/monitor-database-away.png"),
            browser.getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
      } finally {
        scrittabot.memory.TestDatabase.startServer();
      }
      MonitorIT.waitFor(() -> !browser.findElement(By.id("trouble")).isDisplayed(),
          "back with the database");

      llm.close();
      say("please say anything");
      MonitorIT.waitFor(() -> browser.findElement(By.id("trouble")).getText()
          .startsWith("The LLM server is failing since"), "the LLM is down, says the page");
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-state")).getText()
          .startsWith("awake: step 1"), "the live view shows the step that waits for it");
      Files.write(Path.of("target/monitor-llm-away.png"),
          browser.getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
    } finally {
      browser.quit();
    }
  }

  @Test
  void theLiveViewSurvivesAReload() throws Exception {
    var browser = openPage();
    try {
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-state")).getText()
          .equals("waiting for events"), "the live view connects");
      say("please say before the reload");
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-reply")).getText()
          .contains("before the reload"), "the first step, live");
      awaitSent(1);
      browser.navigate().refresh();
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-state")).getText()
          .startsWith("asleep after step 1"), "after the reload it catches up: step 1 is over");
      assertTrue(browser.findElement(By.id("now-reply")).getText()
          .contains("before the reload"), "with the reply of the last step");
      assertTrue(browser.findElement(By.id("now-events")).getText()
          .contains("please say before the reload"), "what it saw");
      assertTrue(browser.findElement(By.id("now-runs")).getText().contains("sent"),
          "and its code's output");
      say("please say after the reload");
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-reply")).getText()
          .contains("after the reload"), "the next step, live on the reloaded page");
      MonitorIT.waitFor(() -> monitor.pages() == 1, "the old page's stream was let go");
    } finally {
      browser.quit();
    }
  }

  private void awaitSent(int n) throws Exception {
    MonitorIT.waitFor(() -> channel.sent().size() >= n, n + " messages sent");
  }
}
