package scrittabot.llm;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Config.Endpoint;
import scrittabot.Json;

/**
 * The transport under every model request: one reused {@link HttpClient}, JSON POSTs, bounded
 * retries for what is worth retrying (no connection, timeouts, 429, 5xx), and a dump of every
 * request that finally failed. Other 4xx answers are not retried: they carry the server's message.
 */
final class LlmHttp {
  private static final Logger log = LoggerFactory.getLogger(LlmHttp.class);
  private static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(120);

  private final HttpClient client;
  private final Duration timeout;
  private final RequestDumps dumps;
  private final int maxTries;
  private final Duration firstBackoff;
  private volatile boolean aborted;
  private final ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1, r -> {
    var t = new Thread(r, "llm-read-watchdog");
    t.setDaemon(true);
    return t;
  });

  {
    watchdog.setRemoveOnCancelPolicy(true); // one alarm per streamed line: do not keep them all
  }

  /** A blocking read that may throw. */
  interface Read<T> {
    T read() throws IOException;
  }

  LlmHttp(Duration timeout, RequestDumps dumps, int maxTries, Duration firstBackoff) {
    this.client = HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(10))
        .version(HttpClient.Version.HTTP_1_1)
        .build();
    this.timeout = timeout;
    this.dumps = dumps;
    this.maxTries = maxTries;
    this.firstBackoff = firstBackoff;
  }

  Duration timeout() {
    return timeout;
  }

  RequestDumps dumps() {
    return dumps;
  }

  /** Makes every request, now and later, fail at once; used at shutdown. */
  void abort() {
    aborted = true;
  }

  boolean aborted() {
    return aborted;
  }

  /** POSTs JSON and returns the response body of a 2xx answer. */
  String post(Endpoint endpoint, String path, Map<String, Object> payload) throws LlmException {
    HttpResponse<InputStream> response = send(endpoint, path, payload);
    try (InputStream in = response.body()) {
      return new String(timedRead(in, in::readAllBytes), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw failure(endpoint, path, payload, response.statusCode(), "",
          "reading the response failed: " + e, e);
    }
  }

  /** POSTs JSON and returns a 2xx response whose body the caller reads and must close. */
  HttpResponse<InputStream> send(Endpoint endpoint, String path, Map<String, Object> payload)
      throws LlmException {
    String url = endpoint.url() + path;
    String body = Json.write(payload);
    for (int attempt = 1; ; attempt++) {
      if (aborted) {
        throw new LlmException("request to " + url + " cancelled: shutting down", 0, "", null, null);
      }
      Duration wait;
      String problem;
      int status = 0;
      String responseBody = "";
      Exception cause = null;
      try {
        HttpResponse<InputStream> response =
            client.send(request(endpoint, url, body), HttpResponse.BodyHandlers.ofInputStream());
        status = response.statusCode();
        if (status / 100 == 2) {
          return response;
        }
        responseBody = readErrorBody(response.body());
        problem = "HTTP " + status + ": " + serverMessage(responseBody);
        if (status != 429 && status < 500) {
          throw failure(endpoint, path, payload, status, responseBody, problem, null);
        }
        wait = retryAfter(response).orElse(backoff(attempt));
      } catch (ConnectException | HttpConnectTimeoutException e) {
        problem = "cannot connect to " + url + ": " + e;
        cause = e;
        wait = backoff(attempt);
      } catch (HttpTimeoutException e) {
        problem = "no answer from " + url + " within " + seconds(timeout);
        cause = e;
        wait = backoff(attempt);
      } catch (IOException e) {
        problem = "request to " + url + " failed: " + e;
        cause = e;
        wait = backoff(attempt);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LlmException("request to " + url + " interrupted", 0, "", null, e);
      }
      if (attempt >= maxTries) {
        throw failure(endpoint, path, payload, status, responseBody,
            problem + " (gave up after " + attempt + " tries)", cause);
      }
      log.warn("{}; try {} of {} in {} ms", problem, attempt + 1, maxTries, wait.toMillis());
      sleep(wait, url);
    }
  }

  /**
   * Runs a blocking read of {@code in}. The request timeout only covers the wait for headers, so
   * here a read that takes longer than it closes the stream and fails, instead of hanging.
   */
  <T> T timedRead(InputStream in, Read<T> read) throws IOException {
    // A flag, not alarm.isDone(): the reader wakes while the alarm is still closing the stream.
    var fired = new AtomicBoolean();
    ScheduledFuture<?> alarm = watchdog.schedule(() -> {
      fired.set(true);
      LlmClient.closeQuietly(in);
    }, timeout.toMillis(), TimeUnit.MILLISECONDS);
    try {
      return read.read();
    } catch (IOException e) {
      if (fired.get() && !aborted) {
        throw new IOException("no data for " + seconds(timeout), e);
      }
      throw e;
    } finally {
      alarm.cancel(false);
    }
  }

  static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() / 1000.0 + " s";
  }

  LlmException failure(Endpoint endpoint, String path, Map<String, Object> payload, int status,
      String response, String problem, Throwable cause) {
    var dump = dumps.write(endpoint, path, payload, status, response, problem);
    return new LlmException(problem, status, "", dump, cause);
  }

  private HttpRequest request(Endpoint endpoint, String url, String body) {
    var builder = HttpRequest.newBuilder(URI.create(url))
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (!endpoint.key().isEmpty()) {
      builder.header("Authorization", "Bearer " + endpoint.key());
    }
    return builder.build();
  }

  private Duration backoff(int attempt) {
    return firstBackoff.multipliedBy(1L << Math.min(attempt - 1, 6));
  }

  private static java.util.Optional<Duration> retryAfter(HttpResponse<?> response) {
    return response.headers().firstValue("Retry-After").flatMap(v -> {
      try {
        long seconds = Long.parseLong(v.strip());
        Duration d = Duration.ofSeconds(Math.max(0, seconds));
        return java.util.Optional.of(d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d);
      } catch (NumberFormatException e) {
        return java.util.Optional.empty();
      }
    });
  }

  private void sleep(Duration wait, String url) throws LlmException {
    try {
      Thread.sleep(wait.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LlmException("request to " + url + " interrupted", 0, "", null, e);
    }
  }

  /** The start of an error answer; a body that stalls must not hang the caller. */
  private String readErrorBody(InputStream in) {
    try (in) {
      return new String(timedRead(in, () -> in.readNBytes(64 * 1024)), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** The server's own words: error.message of an OpenAI-style error body, else the body itself. */
  static String serverMessage(String body) {
    try {
      Object message = Json.at(Json.parse(body), "error", "message");
      if (message == null) {
        message = Json.at(Json.parse(body), "error");
      }
      if (message instanceof String s) {
        return s;
      }
    } catch (IllegalArgumentException e) {
      // not JSON: fall through to the raw text
    }
    String text = body.strip();
    return text.isEmpty() ? "(empty body)" : Json.abbreviate(text, 500);
  }
}
