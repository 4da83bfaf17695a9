package scrittabot.monitor;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Config;
import scrittabot.Json;
import scrittabot.Resources;
import scrittabot.kernel.Pause;
import scrittabot.kernel.Watcher;
import scrittabot.library.Library;
import scrittabot.llm.LlmScheduler;
import scrittabot.memory.Memory;

/**
 * The monitor: a web page of what the agent did and remembers, on the JDK's HttpServer with a
 * virtual thread per request (its default executor is one thread: one slow client would hold up
 * the rest). Everything it serves needs the token (see {@link Access}); the page is static HTML,
 * CSS and JavaScript from the jar, which reads JSON snapshots and writes all text as text.
 */
public final class Monitor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Monitor.class);
  /** No scripts but the page's own, no remote anything, no forms, no framing. */
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
      + "frame-ancestors 'none'";
  private static final String TEXT = "text/plain; charset=utf-8";
  private static final String JSON = "application/json; charset=utf-8";
  private static final Map<String, String> STATIC = Map.of(
      "/", "page.html", "/monitor.js", "monitor.js", "/monitor.css", "monitor.css");

  private final HttpServer server;
  private final ExecutorService executor;
  private final Access access;
  private final Memory memory;
  private final Library library;
  private final String url;
  private final Live live = new Live();
  private final Prompts prompts;
  private final Metrics metrics = new Metrics();
  private final Health health = new Health();
  /** Sent back by the page with each POST: another site cannot read it, so cannot forge one. */
  private final String csrf = Access.random();
  private volatile Controls controls;

  /**
   * What the page may see and do of the running bot: pause, resume and wake it ({@code wakeNow}
   * queues an event that wakes it), and nothing else; what is wrong with its channel, if
   * anything; its LLM calls so far.
   */
  public record Controls(Pause pause, Runnable wakeNow, Supplier<String> channelTrouble,
      Supplier<LlmScheduler.Calls> llmCalls) {}

  private Monitor(HttpServer server, ExecutorService executor, Access access, Memory memory,
      Library library, String url, int keepPrompts) {
    this.prompts = new Prompts(keepPrompts);
    this.server = server;
    this.executor = executor;
    this.access = access;
    this.memory = memory;
    this.library = library;
    this.url = url;
  }

  /**
   * Starts the page on monitor_bind:monitor_port; a port in use (or another failure) is a
   * warning and the bot goes on without it: returns null then.
   */
  public static Monitor start(Config config, Memory memory, Library library) {
    try {
      String token = Access.token(config.monitorToken(), config.stateDir());
      InetAddress bind = InetAddress.getByName(config.monitorBind());
      HttpServer server = HttpServer.create(new InetSocketAddress(bind, config.monitorPort()),
          0);
      int port = server.getAddress().getPort();
      var access = new Access(token, Access.hostsFor(config.monitorBind(), port), port);
      ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
      server.setExecutor(executor);
      String host = bind.isAnyLocalAddress() ? "127.0.0.1" : Access.hostName(bind.getHostAddress());
      var monitor = new Monitor(server, executor, access, memory, library,
          "http://" + host + ":" + port + "/", config.monitorPrompts());
      server.createContext("/", monitor::handle);
      server.start();
      log.info("monitor: {}?token={}", monitor.url, token);
      return monitor;
    } catch (BindException e) {
      log.warn("the monitor page is off: port {} on {} is in use (monitor_port; 0 picks a free "
          + "one)", config.monitorPort(), config.monitorBind());
    } catch (IOException | RuntimeException e) {
      log.warn("the monitor page is off: {}", e.toString());
    }
    return null;
  }

  /**
   * Watches the kernel's steps: live to the pages open now, the last prompts kept, latencies and
   * errors counted for /metrics.
   */
  public Watcher watcher() {
    return Watcher.all(List.of(live, prompts, metrics, health));
  }

  /** Attaches the running bot. */
  public void control(Controls controls) {
    this.controls = controls;
    health.channel(controls.channelTrouble());
    controls.pause().onChange(live::paused);
  }

  /** Pages following the agent live now. */
  public int pages() {
    return live.clients();
  }

  /** The page's address, without the token. */
  public String url() {
    return url;
  }

  /** One request; what fails is answered before the exchange closes. */
  private void handle(HttpExchange exchange) {
    try {
      serve(exchange);
    } catch (java.sql.SQLException e) {
      answer(exchange, 503, "the database is away: " + e.getMessage() + "\n");
    } catch (IOException e) {
      log.debug("monitor: a client went away: {}", e.getMessage());
    } catch (Access.BadRequest e) {
      answer(exchange, 400, e.getMessage() + "\n");
    } catch (RuntimeException e) {
      log.warn("monitor: {} failed", exchange.getRequestURI().getPath(), e);
      answer(exchange, 500, "the monitor failed; the bot's log says why\n");
    } finally {
      exchange.close();
    }
  }

  private void serve(HttpExchange exchange) throws IOException, java.sql.SQLException {
    var headers = exchange.getResponseHeaders();
    headers.set("Content-Security-Policy", CSP);
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("Referrer-Policy", "no-referrer");
    headers.set("Cache-Control", "no-store");
    Access.Refusal refusal = access.check(exchange);
    if (refusal != null) {
      send(exchange, refusal.status(), TEXT, refusal.reason() + "\n");
      return;
    }
    String path = exchange.getRequestURI().getPath();
    if (exchange.getRequestMethod().equals("POST")) {
      post(exchange, path);
      return;
    }
    if (!exchange.getRequestMethod().equals("GET")) {
      send(exchange, 405, TEXT, "only GET, and POST for pause, resume and wake\n");
      return;
    }
    if (Access.linkToken(exchange) != null) {
      // the token moves from the address (and the browser's history) into a cookie
      headers.add("Set-Cookie", access.cookie());
      headers.set("Location", path);
      send(exchange, 303, TEXT, "");
      return;
    }
    switch (path) {
      case "/api/snapshot" -> {
        var snapshot = Snapshot.read(memory, library);
        Controls c = controls;
        snapshot.put("pause", c == null ? null : c.pause().state());
        snapshot.put("csrf", csrf);
        snapshot.put("prompts", prompts.steps());
        snapshot.put("health", health.now());
        send(exchange, 200, JSON, Json.write(snapshot));
      }
      case "/api/live" -> live.stream(exchange);
      case "/api/notes" -> send(exchange, 200, JSON, Json.write(Views.notes(memory,
          parameter(exchange, "q"), String.valueOf(parameter(exchange, "order")))));
      case "/api/dialogue" -> send(exchange, 200, JSON, Json.write(Views.dialogue(memory,
          parameter(exchange, "q"), day(parameter(exchange, "day")))));
      case "/api/prompt" -> {
        long step = number(exchange, "step");
        List<Prompts.Message> prompt = prompts.of(step);
        if (prompt == null) {
          send(exchange, 404, TEXT, "the prompt of step " + step + " is not kept (the last "
              + "monitor_prompts are)\n");
        } else {
          send(exchange, 200, JSON, Json.write(Prompts.json(step, prompt)));
        }
      }
      case "/metrics" -> send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
          metrics.text(memory, live.clients(), controls));
      default -> {
        String resource = STATIC.get(path);
        if (resource == null) {
          send(exchange, 404, TEXT, "no such page\n");
        } else {
          send(exchange, 200, type(resource), Resources.text(Monitor.class, resource));
        }
      }
    }
  }

  /** A last answer, when the request failed: a client that went away meanwhile is fine. */
  private static void answer(HttpExchange exchange, int status, String text) {
    try {
      send(exchange, status, TEXT, text);
    } catch (IOException | RuntimeException e) {
      log.debug("monitor: no answer sent: {}", e.toString()); // already sent, or gone
    }
  }

  /** The dialogue view's day, or null for all; years PostgreSQL's dates hold. */
  private static java.time.LocalDate day(String day) {
    if (day == null || day.isBlank()) {
      return null;
    }
    try {
      var date = java.time.LocalDate.parse(day);
      if (date.getYear() >= 1 && date.getYear() <= 9999) {
        return date;
      }
    } catch (java.time.format.DateTimeParseException e) {
      // said below
    }
    throw new Access.BadRequest("day is a date such as 2026-12-03");
  }

  private static String parameter(HttpExchange exchange, String name) {
    return Access.parameter(exchange, name);
  }

  /** A whole number from the query, or -1. */
  private static long number(HttpExchange exchange, String name) {
    try {
      return Long.parseLong(String.valueOf(parameter(exchange, name)));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The page's three buttons: pause, resume, wake now. */
  private void post(HttpExchange exchange, String path) throws IOException {
    exchange.getRequestBody().readNBytes(4096); // nothing is read from it
    if (!Access.sameSecret(exchange.getRequestHeaders().getFirst("X-CSRF-Token"), csrf)) {
      send(exchange, 403, TEXT, "the page's CSRF token is missing or stale: reload the page\n");
      return;
    }
    Controls c = controls;
    if (c == null) {
      send(exchange, 503, TEXT, "the agent is not running yet\n");
      return;
    }
    Pause p = c.pause();
    switch (path) {
      case "/api/pause" -> p.set(true, "from the monitor page");
      case "/api/resume" -> p.set(false, "from the monitor page");
      case "/api/wake" -> c.wakeNow().run();
      default -> {
        send(exchange, 404, TEXT, "no such action\n");
        return;
      }
    }
    send(exchange, 200, JSON, Json.write(p.state()));
  }

  private static String type(String resource) {
    return resource.endsWith(".html") ? "text/html; charset=utf-8"
        : resource.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
  }

  private static void send(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
