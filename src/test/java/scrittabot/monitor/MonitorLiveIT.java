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
  private final RecordingChannel channel = new RecordingChannel();

  @BeforeEach
  void start() throws Exception {
    llm = ScriptedLlmServer.start();
    llm.respond(r -> {
      String said = r.lastUserText();
      int at = said.lastIndexOf("say ");
      return at < 0 ? "```python\nsleep()\n```" : "Answering.\n```python\nsend_message('"
          + said.substring(at + 4, said.indexOf('<', at)).strip() + "')\nprint('sent')\n"
          + "sleep()\n```";
    });
    var raw = new HashMap<String, Object>(Map.of("openai_url", llm.url(), "model_llm", "m",
        "model_rerank", "none", "monitor_port", 0, "state_dir", dir.resolve("state").toString(),
        "files_dir", dir.resolve("files").toString(), "logs_dir", dir.resolve("logs").toString(),
        "max_llm_calls_per_hour", 100_000));
    Config config = Config.fromMap(raw, true);
    memory = new Memory(TestDatabase.open("monitor_live"), config);
    var library = Bot.library(config, memory);
    library.start();
    monitor = Monitor.start(config, memory, library);
    queue = new EventQueue(memory);
    bot = new Bot(config, memory, library, queue, channel);
    bot.watch(monitor.live());
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

  private String cookie() throws Exception {
    return Access.COOKIE + "=" + Files.readString(dir.resolve("state/monitor-token")).strip();
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
  }

  @Test
  void aPageThatStopsReadingDoesNotSlowTheKernel() throws Exception {
    URI uri = URI.create(monitor.url());
    try (var socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setReceiveBufferSize(1024);
      socket.getOutputStream().write(("GET /api/live HTTP/1.1\r\nHost: 127.0.0.1:"
          + uri.getPort() + "\r\nCookie: " + cookie() + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      var in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
          StandardCharsets.UTF_8));
      assertTrue(in.readLine().startsWith("HTTP/1.1 200"));
      // from here on it reads nothing, while the agent answers message after message
      String longWords = "word ".repeat(200).strip();
      for (int i = 0; i < 40; i++) {
        say("say " + i + " " + longWords);
        awaitSent(i + 1);
      }
      assertEquals(40, channel.sent().size());
    }
  }

  @Test
  void inABrowserTheStepAppearsLive() throws Exception {
    var browser = MonitorIT.browser(dir.resolve("chromium"));
    try {
      browser.get(monitor.url() + "?token=" + Files.readString(dir.resolve(
          "state/monitor-token")).strip());
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-state")).getText()
          .equals("waiting for events"), "the live view connects");
      say("please say hello from the page");
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-reply")).getText()
          .contains("send_message('hello from the page')"), "the reply, streamed");
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-runs")).getText()
          .contains("sent"), "the code's output");
      MonitorIT.waitFor(() -> browser.findElement(By.id("now-state")).getText()
          .startsWith("asleep after step 1"), "the step's end: the agent rests");
      // the row comes with a snapshot once the step is written (the memory writes behind)
      MonitorIT.waitFor(() -> browser.findElements(By.cssSelector("#steps tbody tr td.text"))
          .stream().anyMatch(e -> e.getText().contains("hello from the page")),
          "the step in the timeline");
      Files.write(Path.of("target/monitor-live.png"),
          browser.getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
    } finally {
      browser.quit();
    }
  }

  private void awaitSent(int n) throws Exception {
    MonitorIT.waitFor(() -> channel.sent().size() >= n, n + " messages sent");
  }
}
