package scrittabot.matrix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import scrittabot.Json;

class MatrixHttpTest {
  private static final String TOKEN = "syt_secret_token_123";
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private Homeserver server;
  private MatrixHttp http;

  @BeforeEach
  void start() throws IOException {
    server = new Homeserver();
    http = new MatrixHttp(server.url(), TOKEN);
  }

  @AfterEach
  void stop() {
    http.close();
    server.close();
  }

  @Test
  void aRateLimitWaitsAsLongAsAskedThenRetries() throws Exception {
    server.answer(Homeserver.json(429, "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"retry_after_ms\":300}"),
        Homeserver.json(200, "{\"ok\":true}"));
    long start = System.nanoTime();
    var answer = http.retrying("GET", "/_matrix/client/v3/account/whoami", null, TIMEOUT);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(Map.of("ok", true), answer);
    assertEquals(2, server.requests.size());
    assertTrue(millis >= 300 && millis < 900, "waited " + millis + " ms");
  }

  @Test
  void theRetryAfterHeaderCountsWhenTheBodyHasNoWait() throws Exception {
    server.answer(Homeserver.json(429, "{\"errcode\":\"M_LIMIT_EXCEEDED\"}")
            .with("Retry-After", "7"),
        Homeserver.json(429, "{\"retry_after_ms\":2500}").with("Retry-After", "7"),
        Homeserver.json(429, "{\"retry_after_ms\":999999999}"));
    assertEquals(Duration.ofSeconds(7), rateLimit().retryAfter());
    assertEquals(Duration.ofMillis(2500), rateLimit().retryAfter(), "the body comes first");
    assertEquals(Duration.ofMinutes(10), rateLimit().retryAfter(), "a wait is capped");
  }

  @Test
  void serverErrorsAreRetried() throws Exception {
    server.answer(Homeserver.json(500, "{\"errcode\":\"M_UNKNOWN\",\"error\":\"db down\"}"),
        Homeserver.json(200, "{\"room_id\":\"!r:s\"}"));
    var answer = http.retrying("POST", "/_matrix/client/v3/join/%23a%3As", Map.of(), TIMEOUT);
    assertEquals("!r:s", answer.get("room_id"));
    assertEquals(2, server.requests.size());
  }

  @Test
  void aForbiddenCallIsThrownAtOnce() {
    server.answer(Homeserver.json(403, "{\"errcode\":\"M_FORBIDDEN\",\"error\":\"not in room\"}"));
    var e = assertThrows(MatrixException.class, () -> http.retrying("PUT",
        "/_matrix/client/v3/rooms/!r/send/m.room.message/1", Map.of("body", "hi"), TIMEOUT));
    assertEquals(403, e.status());
    assertEquals("M_FORBIDDEN", e.errcode());
    assertNull(e.retryAfter());
    assertTrue(e.getMessage().contains("HTTP 403 M_FORBIDDEN: not in room"), e.getMessage());
    assertEquals(1, server.requests.size());
  }

  @Test
  void anErrorWithoutJsonKeepsItsStatus() {
    server.answer(Homeserver.raw(502, "text/html", "<html>Bad Gateway</html>"));
    var e = assertThrows(MatrixException.class,
        () -> http.call("GET", "/_matrix/client/v3/sync?since=s1", null, TIMEOUT));
    assertEquals(502, e.status());
    assertEquals("", e.errcode());
    assertFalse(e.getMessage().contains("since=s1"), "the query is left out of messages");
  }

  @Test
  void theTokenGoesOnlyInTheAuthorizationHeader() throws Exception {
    server.answer(Homeserver.json(200, "{\"event_id\":\"$e\"}"),
        Homeserver.json(401, "{\"errcode\":\"M_UNKNOWN_TOKEN\",\"error\":\"bad token\"}"));
    http.call("PUT", "/_matrix/client/v3/rooms/!r/send/m.room.message/1?ts=1",
        Map.of("msgtype", "m.text", "body", "hi"), TIMEOUT);
    var e = assertThrows(MatrixException.class,
        () -> http.call("GET", "/_matrix/client/v3/sync?since=x", null, TIMEOUT));
    for (var request : server.requests) {
      assertEquals("Bearer " + TOKEN, request.header("Authorization"));
      assertFalse(request.uri().contains(TOKEN), request.uri());
      assertFalse(request.body().contains(TOKEN));
    }
    assertEquals("/_matrix/client/v3/rooms/!r/send/m.room.message/1?ts=1",
        server.requests.get(0).uri());
    assertEquals(Map.of("msgtype", "m.text", "body", "hi"),
        Json.parseObject(server.requests.get(0).body()));
    assertEquals("application/json", server.requests.get(0).header("Content-Type"));
    assertEquals("M_UNKNOWN_TOKEN", e.errcode());
    assertFalse(e.getMessage().contains(TOKEN));
  }

  @Test
  void aBodyThatIsNoJsonObjectIsAnIOException() {
    server.answer(Homeserver.raw(200, "text/html", "<html>captive portal</html>"),
        Homeserver.json(200, "[1, 2]"));
    for (int i = 0; i < 2; i++) {
      var e = assertThrows(IOException.class,
          () -> http.call("GET", "/_matrix/client/v3/account/whoami", null, TIMEOUT));
      assertFalse(e instanceof MatrixException, e.toString());
      assertTrue(e.getMessage().contains("not JSON"), e.getMessage());
    }
  }

  @Test
  void aWaitForTheRateLimitEndsWhenInterrupted() throws Exception {
    server.answer(Homeserver.json(429, "{\"retry_after_ms\":60000}"));
    var thrown = new AtomicReference<Throwable>();
    Thread caller = Thread.ofPlatform().start(() -> {
      try {
        http.retrying("GET", "/_matrix/client/v3/sync", null, TIMEOUT);
      } catch (Throwable t) {
        thrown.set(t);
      }
    });
    while (server.requests.isEmpty()) {
      Thread.sleep(10);
    }
    caller.interrupt();
    caller.join(2000);
    assertFalse(caller.isAlive());
    assertTrue(thrown.get() instanceof InterruptedException, String.valueOf(thrown.get()));
  }

  @Test
  void downloadsAreLimitedInSize() throws Exception {
    byte[] data = new byte[2000];
    data[1999] = 7;
    server.answer(Homeserver.bytes("image/png", data), Homeserver.bytes("image/png", data));
    var download = http.download("/_matrix/client/v1/media/download/s/m", 2000, TIMEOUT);
    assertArrayEquals(data, download.data());
    assertEquals("image/png", download.contentType());
    var e = assertThrows(IOException.class,
        () -> http.download("/_matrix/client/v1/media/download/s/m", 1999, TIMEOUT));
    assertTrue(e.getMessage().contains("1999"), e.getMessage());
  }

  /** Media may redirect to a CDN (spec v1.11); the access token must stay with the homeserver. */
  @Test
  void aRedirectToAnotherHostDoesNotCarryTheToken() throws Exception {
    try (var cdn = new Homeserver()) {
      cdn.answer(Homeserver.bytes("image/png", new byte[] {1, 2, 3}));
      server.answer(Homeserver.raw(302, "text/plain", "").with("Location", cdn.url() + "/m"));
      var download = http.download("/_matrix/client/v1/media/download/s/m", 100, TIMEOUT);
      assertArrayEquals(new byte[] {1, 2, 3}, download.data());
      assertNull(cdn.requests.get(0).header("Authorization"), "the token went to the CDN");
    }
  }

  private MatrixException rateLimit() {
    return assertThrows(MatrixException.class,
        () -> http.call("GET", "/_matrix/client/v3/sync", null, TIMEOUT));
  }

  /**
   * A homeserver in this process: answers scripted in order, then those of {@link #route};
   * every request is recorded. By default it knows no endpoint (404 M_UNRECOGNIZED).
   */
  static final class Homeserver implements AutoCloseable {
    record Request(String method, String uri, Headers headers, String body) {
      String header(String name) {
        return headers.getFirst(name);
      }

      String path() {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
      }
    }

    record Answer(int status, Map<String, String> headers, byte[] body) {
      Answer with(String name, String value) {
        var all = new LinkedHashMap<>(headers);
        all.put(name, value);
        return new Answer(status, all, body);
      }
    }

    static final Answer UNRECOGNIZED =
        json(404, "{\"errcode\":\"M_UNRECOGNIZED\",\"error\":\"Unrecognized request\"}");

    final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Deque<Answer> script = new ConcurrentLinkedDeque<>();
    private volatile Function<Request, Answer> routes = request -> UNRECOGNIZED;
    private final HttpServer server;

    Homeserver() throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext("/", this::serve);
      server.start();
    }

    static Answer json(int status, String json) {
      return raw(status, "application/json", json);
    }

    static Answer raw(int status, String contentType, String body) {
      return new Answer(status, Map.of("Content-Type", contentType),
          body.getBytes(StandardCharsets.UTF_8));
    }

    static Answer bytes(String contentType, byte[] data) {
      return new Answer(200, Map.of("Content-Type", contentType), data);
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void answer(Answer... answers) {
      script.addAll(List.of(answers));
    }

    void route(Function<Request, Answer> routes) {
      this.routes = routes;
    }

    private void serve(HttpExchange exchange) throws IOException {
      try (exchange) {
        var request = new Request(exchange.getRequestMethod(),
            exchange.getRequestURI().getRawPath() + (exchange.getRequestURI().getRawQuery() == null
                ? "" : "?" + exchange.getRequestURI().getRawQuery()),
            exchange.getRequestHeaders(),
            new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        requests.add(request);
        Answer answer = script.poll();
        if (answer == null) {
          answer = routes.apply(request);
        }
        answer.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
        exchange.sendResponseHeaders(answer.status(),
            answer.body().length == 0 ? -1 : answer.body().length);
        exchange.getResponseBody().write(answer.body());
      }
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
