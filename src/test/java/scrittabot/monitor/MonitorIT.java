package scrittabot.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import scrittabot.Config;
import scrittabot.Json;
import scrittabot.context.Step;
import scrittabot.kernel.Event;
import scrittabot.kernel.Journal;
import scrittabot.library.Library;
import scrittabot.llm.Completion;
import scrittabot.memory.Memory;
import scrittabot.memory.TestDatabase;

/** The monitor page over real HTTP, on a real PostgreSQL: who may see it, and what it shows. */
class MonitorIT {
  /** What the agent might write with set_page, echoing a stranger. */
  static final String CORNER = "# Status\n\n**busy** " + "<img src=x onerror=alert(1)> "
      + "<script>alert(2)</script> ![x](http://203.0.113.9/a.png) [home](javascript:alert(3)) "
      + "[docs](https://example.org/docs) <form><input name=q></form>";
  private static final String HOSTILE = "<img src=x onerror=alert(1)> <script>alert(2)</script>";
  private static final String SECRETS = "syt_matrix_secret sk-llm-secret";

  @TempDir
  Path dir;
  private Memory memory;
  private Monitor monitor;
  private Config config;
  private final HttpClient http = HttpClient.newBuilder()
      .followRedirects(HttpClient.Redirect.NEVER).build();

  @BeforeEach
  void start() throws Exception {
    memory = new Memory(scrittabot.memory.Database.open(scrittabot.memory.DatabaseUrl.parse(
        TestDatabase.create("monitor"))));
    var library = new Library(dir.resolve("files"), 1 << 20, 1 << 24, memory.database());
    library.start();
    long id = memory.arrived(new Event.UserMessage(Instant.now(), "@anna:test", "lobby",
        HOSTILE));
    var step = new Step(1, "<message>" + HOSTILE + "</message>", "I read: " + HOSTILE);
    memory.stepped(new Journal.StepRecord(step, List.of(id), Instant.now(), Instant.now(),
        new Completion.Usage(1200, 40, 1100, 900, 800), 1700, "{\"window_start\": 1}",
        "{\"moods\": {\"happy\": 3, \"sad\": 0}}",
        List.of(new Journal.Sent("lobby", "hello"))));
    memory.notes().make("Anna's note " + HOSTILE, List.of("hostile"));
    var old = memory.notes().make("The boiler is serviced in May", List.of("boiler"));
    memory.notes().replace(old.note().id(), "The boiler is serviced in June",
        List.of("boiler"));
    memory.arrived(new Event.UserMessage(Instant.parse("2026-01-05T10:00:00Z"), "@bob:test",
        "kitchen", "50% of the_plan, an old message"));
    memory.save("agent", Json.write(Map.of("moods", Map.of("happy", 3), "goals",
        List.of("learn <b>more</b>"), "page", CORNER)));
    assertTrue(memory.flush(Duration.ofSeconds(10)));
    var raw = new HashMap<String, Object>(Map.of("openai_url", "http://127.0.0.1:9",
        "model_llm", "m", "monitor_port", 0, "state_dir", dir.resolve("state").toString(),
        "access_token", "syt_matrix_secret", "openai_key", "sk-llm-secret"));
    config = Config.fromMap(raw, true);
    monitor = Monitor.start(config, memory, library);
    assertTrue(monitor != null, "the monitor starts on a free port");
  }

  @AfterEach
  void stop() {
    if (monitor != null) {
      monitor.close();
    }
    memory.close();
  }

  private String token() throws Exception {
    return Files.readString(dir.resolve("state/monitor-token")).strip();
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    var request = HttpRequest.newBuilder(URI.create(monitor.url() + path.substring(1)))
        .timeout(Duration.ofSeconds(20));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private String cookie() throws Exception {
    return Access.cookieName(URI.create(monitor.url()).getPort()) + "=" + token();
  }

  @Test
  void withoutTheTokenNothingIsShown() throws Exception {
    for (String path : List.of("/", "/api/snapshot", "/metrics", "/monitor.js", "/?token=wrong")) {
      var response = get(path);
      assertEquals(401, response.statusCode(), path);
      assertFalse(response.body().contains("happy"), path);
    }
    assertEquals(401, get("/api/snapshot", "Cookie",
        Access.cookieName(URI.create(monitor.url()).getPort()) + "=wrong").statusCode());
    assertEquals(401, get("/metrics", "Authorization", "Bearer wrong").statusCode());
  }

  @Test
  void theLinkSetsAnHttpOnlyCookieAndThePageComesWithItsPolicy() throws Exception {
    var link = get("/?token=" + token());
    assertEquals(303, link.statusCode());
    assertEquals("/", link.headers().firstValue("Location").orElse(""));
    String setCookie = link.headers().firstValue("Set-Cookie").orElse("");
    assertTrue(setCookie.startsWith(cookie() + ";") && setCookie.contains("HttpOnly")
        && setCookie.contains("SameSite=Lax"), setCookie);
    var page = get("/", "Cookie", cookie());
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains("<script src=\"/monitor.js\""), page.body());
    assertEquals(Monitor.CSP, page.headers().firstValue("Content-Security-Policy").orElse(""));
    assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(""));
    String script = get("/monitor.js", "Cookie", cookie()).body();
    assertFalse(script.contains("insertAdjacentHTML") || script.contains("document.write")
        || script.contains("outerHTML"), "the page writes text as text");
    assertEquals(List.of("    corner.innerHTML = snapshot.corner; // cleaned by the bot: see the "
        + "top of this file"), script.lines().filter(l -> l.contains("innerHTML =")).toList(),
        "the one HTML it writes is the agent's corner, which the bot cleaned (CornerTest)");
  }

  @Test
  void theSnapshotHoldsWhatWasSaidAsDataAndNoSecret() throws Exception {
    var response = get("/api/snapshot", "Cookie", cookie());
    assertEquals(200, response.statusCode());
    assertTrue(response.headers().firstValue("Content-Type").orElse("")
        .startsWith("application/json"));
    Map<String, Object> snapshot = Json.parseObject(response.body());
    assertEquals("ok", snapshot.get("database"));
    assertEquals(3.0, ((Number) Json.at(snapshot, "agent", "moods", "happy")).doubleValue());
    assertEquals("learn <b>more</b>", Json.at(snapshot, "agent", "goals", 0));
    assertEquals("I read: " + HOSTILE, Json.at(snapshot, "steps", 0, "reply"));
    assertEquals(1200.0, ((Number) Json.at(snapshot, "steps", 0, "prompt_tokens"))
        .doubleValue());
    assertEquals("Anna's note " + HOSTILE, Json.at(Json.parse(get("/api/notes", "Cookie",
        cookie()).body()), 1, "summary"));
    for (String secret : SECRETS.split(" ")) {
      assertFalse(response.body().contains(secret), secret);
      assertFalse(get("/", "Cookie", cookie()).body().contains(secret), secret);
    }
  }

  @Test
  void metricsAreInPrometheusTextFormatWithABearerToken() throws Exception {
    var response = get("/metrics", "Authorization", "Bearer " + token());
    assertEquals(200, response.statusCode());
    var values = new HashMap<String, Double>();
    for (String line : response.body().split("\n")) {
      if (line.startsWith("#")) {
        assertTrue(line.matches("# (HELP|TYPE) scrittabot_[a-z_]+ .+"), line);
      } else {
        assertTrue(line.matches("scrittabot_[a-z_]+(\\{[a-z]+=\"[a-z0-9.+Inf ]*\"})? -?[0-9.]+"),
            line);
        values.put(line.substring(0, line.lastIndexOf(' ')),
            Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
      }
    }
    assertEquals(1.0, values.get("scrittabot_steps_total"));
    assertEquals(1200.0, values.get("scrittabot_prompt_tokens_total"));
    assertEquals(2.0, values.get("scrittabot_notes"));
    assertEquals(1.0, values.get("scrittabot_up"));
  }

  @Test
  void memoryViewsFindNotesAndDialogueByWordsAndDay() throws Exception {
    assertEquals(List.of("The boiler is serviced in June"), field(get("/api/notes?q=BOILER",
        "Cookie", cookie()), "summary"), "current notes only, any case");
    assertEquals(List.of("The boiler is serviced in May"), field(get(
        "/api/notes?q=boiler&order=superseded", "Cookie", cookie()), "summary"));
    assertEquals(2, field(get("/api/notes?order=recalled", "Cookie", cookie()), "ref").size(),
        "two current notes, by recall");
    assertEquals(List.of(), field(get("/api/notes?q=%25", "Cookie", cookie()), "ref"),
        "a % is looked for as itself: no note has one");
    assertEquals(List.of("50% of the_plan, an old message"), field(get(
        "/api/dialogue?q=" + URLEncoder.encode("50% of the_", StandardCharsets.UTF_8),
        "Cookie", cookie()), "text"));
    assertEquals(List.of("50% of the_plan, an old message"), field(get(
        "/api/dialogue?day=2026-01-05", "Cookie", cookie()), "text"), "up to that day");
    assertEquals(List.of(), field(get("/api/dialogue?day=2026-01-04", "Cookie", cookie()),
        "text"));
    assertEquals(List.of("hello", HOSTILE, "50% of the_plan, an old message"), field(get(
        "/api/dialogue", "Cookie", cookie()), "text"), "all of it, newest first");
    assertEquals(400, get("/api/dialogue?day=yesterday", "Cookie", cookie()).statusCode());
  }

  private static List<Object> field(HttpResponse<String> response, String name) {
    assertEquals(200, response.statusCode(), response.body());
    return ((List<?>) Json.parse(response.body())).stream().map(r -> ((Map<?, ?>) r).get(name))
        .map(v -> (Object) v).toList();
  }

  @Test
  void anotherHostOrOriginIsRefused() throws Exception {
    assertEquals(403, get("/api/snapshot", "Cookie", cookie(), "Origin",
        "http://evil.example").statusCode());
    assertEquals(200, get("/api/snapshot", "Cookie", cookie(), "Origin",
        monitor.url().substring(0, monitor.url().length() - 1)).statusCode());
    // a DNS-rebinding page reaches the port under its own name: HttpClient will not send
    // another Host header, so the request is written by hand
    URI uri = URI.create(monitor.url());
    try (var socket = new Socket(uri.getHost(), uri.getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(("GET /api/snapshot HTTP/1.1\r\nHost: evil.example:" + uri.getPort()
          + "\r\nCookie: " + cookie() + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      var in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
          StandardCharsets.US_ASCII));
      assertTrue(in.readLine().startsWith("HTTP/1.1 421"));
    }
  }

  @Test
  void aBadlyWrittenRequestIsA400BeforeAndAfterTheToken() throws Exception {
    // HttpClient will not send a badly encoded address: written by hand, as any page could
    // (the JDK's server refuses these before the monitor sees them)
    URI uri = URI.create(monitor.url());
    for (String path : List.of("/?token=%", "/?token=%zz", "/api/snapshot?token=abc%")) {
      try (var socket = new Socket(uri.getHost(), uri.getPort())) {
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + uri.getPort()
            + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String response = new String(socket.getInputStream().readAllBytes(),
            StandardCharsets.UTF_8);
        assertTrue(response.startsWith("HTTP/1.1 400"), path + ": " + response);
      }
    }
    for (String path : List.of("/api/dialogue?day=%2B999999999-12-31",
        "/api/dialogue?day=%2B20000-01-01", "/api/dialogue?day=yesterday", "/api/notes?q=a%00b")) {
      var response = get(path, "Cookie", cookie());
      assertEquals(400, response.statusCode(), path + ": " + response.body());
      assertTrue(response.body().startsWith(path.contains("day") ? "day is a date"
          : "q holds a NUL"), response.body());
    }
    assertEquals(200, get("/api/dialogue?day=2026-12-03", "Cookie", cookie()).statusCode());
  }

  @Test
  void theTokenIsKeptOwnerOnlyAndABusyPortIsAWarning() throws Exception {
    Path file = dir.resolve("state/monitor-token");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(token(), Access.token(null, dir.resolve("state")), "the same after a restart");
    assertEquals("mine", Access.token("mine", dir.resolve("state")), "monitor_token wins");
    Files.writeString(dir.resolve("state/monitor-token.part"), "left by a crash");
    Files.setPosixFilePermissions(dir.resolve("state/monitor-token.part"),
        PosixFilePermissions.fromString("rw-rw-rw-"));
    Files.delete(file);
    String made = Access.token(null, dir.resolve("state"));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
        "a leftover's permissions are not taken over");
    assertEquals(made, Files.readString(file).strip());
    assertTrue(Access.hostsFor("127.0.0.2", 8).contains("127.0.0.2:8"), "any loopback address");
    assertTrue(Access.hostsFor("::1", 8).contains("[::1]:8"));
    assertTrue(Access.hostsFor("0:0:0:0:0:0:0:1", 8).contains("[::1]:8"));
    assertEquals(java.util.Set.of(), Access.hostsFor("0.0.0.0", 8), "any name: the token guards");
    var raw = new HashMap<String, Object>(Map.of("openai_url", "http://127.0.0.1:9",
        "model_llm", "m", "monitor_port", URI.create(monitor.url()).getPort(),
        "state_dir", dir.resolve("state").toString()));
    assertNull(Monitor.start(Config.fromMap(raw, true), memory, null), "port in use: off");
  }

  /**
   * The page in a real browser (Debian's headless Chromium through its chromedriver; make test
   * installs both): opened by its link, it draws the plot and the tables, connects the live
   * view, and what chat, notes and goals said stays text (an alert() that ran would fail the
   * next command). Without the cookie it is refused. A screenshot is kept in target/.
   */
  @Test
  void inABrowserThePageDrawsItsPlotAndHostileTextStaysText() throws Exception {
    ChromeDriver browser = browser(dir.resolve("chromium"));
    try {
      browser.get(monitor.url() + "?token=" + token());
      waitFor(() -> browser.findElement(By.id("status")).getText().startsWith("updated"),
          "the first snapshot");
      assertEquals(monitor.url(), browser.getCurrentUrl(), "the token left the address");
      assertEquals("happy 3/10", browser.findElement(By.id("mood")).getText());
      assertEquals("learn <b>more</b>", browser.findElement(By.cssSelector("#goals li"))
          .getText());
      assertEquals("I read: " + HOSTILE, browser.findElement(
          By.cssSelector("#steps tbody tr td.text")).getText());
      waitFor(() -> browser.findElements(By.cssSelector("#notes tbody td.text")).stream()
          .anyMatch(e -> e.getText().equals("Anna's note " + HOSTILE + " [hostile]")),
          "the hostile note, as text");
      assertEquals(0, browser.findElements(By.cssSelector("main img, main b, main script, "
          + "main td *, #corner form, #corner input, main [onerror]")).size(),
          "no markup from the data");
      waitFor(() -> !browser.findElements(By.cssSelector("#corner h1")).isEmpty(),
          "the agent's corner");
      assertEquals("Status", browser.findElement(By.cssSelector("#corner h1")).getText());
      assertEquals("busy", browser.findElement(By.cssSelector("#corner strong")).getText());
      String corner = browser.findElement(By.id("corner")).getText();
      assertTrue(corner.contains("<script>alert(2)</script>"), "escaped, as text: " + corner);
      assertEquals(List.of("https://example.org/docs"), browser.findElements(
          By.cssSelector("#corner a")).stream().map(a -> a.getDomAttribute("href"))
          .filter(h -> h != null).toList(), "only the web link stays a link");
      assertEquals(3, browser.findElements(By.cssSelector("#plot svg rect")).size(),
          "one step: its prompt, cached and completion bars");
      assertEquals(2, browser.findElements(By.cssSelector("#plot-latency svg rect")).size(),
          "the step's seconds: whole and LLM");
      assertEquals(1, browser.findElements(By.cssSelector("#plot-reuse svg circle")).size());
      assertEquals(1, browser.findElements(By.cssSelector("#plot-mood svg circle.mood-happy"))
          .size(), "happy, the one mood above 0");
      assertEquals(1, browser.findElements(By.cssSelector("#plot-hours svg rect")).size(),
          "this hour's LLM calls");
      waitFor(() -> browser.findElements(By.cssSelector("#dialogue tbody tr")).size() == 3,
          "the dialogue log");
      browser.findElement(By.id("notes-q")).sendKeys("boiler");
      waitFor(() -> browser.findElements(By.cssSelector("#notes tbody tr")).size() == 1,
          "notes found by a word");
      browser.findElement(By.cssSelector("#notes-order option[value=superseded]")).click();
      waitFor(() -> browser.findElement(By.cssSelector("#notes tbody tr")).getText()
          .contains("serviced in May"), "the replaced note");
      waitFor(() -> browser.findElement(By.cssSelector("#notes tbody tr")).getText()
          .contains(" by n"), "it says which note replaced it");
      waitFor(() -> browser.findElement(By.id("now-state")).getText()
          .equals("waiting for events"), "the live view connects");
      Files.write(Path.of("target/monitor-page.png"), browser.getScreenshotAs(OutputType.BYTES));
      browser.manage().deleteAllCookies();
      browser.get(monitor.url());
      assertTrue(browser.getPageSource().contains("the monitor needs its token"),
          browser.getPageSource());
      // the link clicked in another site (a web mail, a chat client) opens the page too
      browser.get("data:text/html,<a id=go href='" + monitor.url() + "?token=" + token()
          + "'>the monitor</a>");
      browser.findElement(By.id("go")).click();
      waitFor(() -> browser.findElement(By.id("status")).getText().startsWith("updated"),
          "the page, opened from another site");
    } finally {
      browser.quit();
    }
  }

  /** Headless Chromium from Debian; no driver is downloaded (Selenium Manager cannot here). */
  static ChromeDriver browser(Path profile) {
    var options = new ChromeOptions();
    options.setBinary(executable("chromium"));
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu",
        "--window-size=1400,1000", "--user-data-dir=" + profile);
    var service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new java.io.File(executable("chromedriver"))).build();
    return new ChromeDriver(service, options);
  }

  private static String executable(String name) {
    return java.util.stream.Stream.of(System.getenv("PATH").split(":"))
        .map(d -> Path.of(d, name)).filter(Files::isExecutable).findFirst()
        .map(Path::toString).orElseThrow(() -> new AssertionError(name + " is missing: "
            + "'make test' installs it (apt-get install chromium chromium-driver)"));
  }

  /** Waits up to 30 s; an element the page replaced meanwhile is looked for again. */
  static void waitFor(java.util.function.BooleanSupplier done, String what) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!holds(done)) {
      assertTrue(System.nanoTime() < deadline, "in 30 s: " + what);
      Thread.sleep(50);
    }
  }

  private static boolean holds(java.util.function.BooleanSupplier done) {
    try {
      return done.getAsBoolean();
    } catch (org.openqa.selenium.StaleElementReferenceException e) {
      return false;
    }
  }
}
