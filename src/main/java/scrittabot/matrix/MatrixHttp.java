package scrittabot.matrix;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Json;

/**
 * The client-server API over java.net.http: JSON in and out, the access token in a header (never
 * in a URL, so never in a log line), Matrix errors as {@link MatrixException}. {@link #retrying}
 * rides out rate limits, network errors and 5xx answers, however long the homeserver is away.
 */
final class MatrixHttp implements AutoCloseable {
  static final String CLIENT = "/_matrix/client/v3";
  private static final Logger log = LoggerFactory.getLogger(MatrixHttp.class);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration MAX_PAUSE = Duration.ofSeconds(30);
  private static final Duration MAX_RATE_LIMIT_WAIT = Duration.ofMinutes(10);

  private final String homeserver;
  private final String token;
  private final HttpClient http;
  /** Why the homeserver cannot be reached now, since when; null while it answers. */
  private volatile String trouble;

  MatrixHttp(String homeserver, String token) {
    this.homeserver = homeserver;
    this.token = token;
    this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
        .followRedirects(HttpClient.Redirect.NORMAL).build();
  }

  /** Why the homeserver cannot be reached now (for the monitor page); null while it answers. */
  String trouble() {
    return trouble;
  }

  /** A downloaded body with the server's content type. */
  record Download(byte[] data, String contentType) {}

  /** One call; any failure is thrown. {@code body} is a JSON-like value or null. */
  Map<String, Object> call(String method, String path, Object body, Duration timeout)
      throws IOException, InterruptedException {
    var publisher = body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(Json.write(body));
    var request = request(path, timeout).method(method, publisher)
        .header("Content-Type", "application/json").build();
    HttpResponse<String> response = http.send(request,
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (response.statusCode() / 100 != 2) {
      throw error(response.statusCode(), response.body(), response.headers().firstValue(
          "Retry-After").orElse(null), method, path);
    }
    try {
      return Json.parseObject(response.body().isEmpty() ? "{}" : response.body());
    } catch (IllegalArgumentException e) {
      throw new IOException(method + " " + shortPath(path) + ": the homeserver's answer is not "
          + "JSON: " + Json.abbreviate(response.body(), 200));
    }
  }

  /**
   * Calls until the homeserver answers: a 429 waits as long as the server asks, network errors
   * and 5xx answers wait 1 s, 2 s, 4 s ... 30 s between tries. Other errors are thrown.
   */
  Map<String, Object> retrying(String method, String path, Object body, Duration timeout)
      throws IOException, InterruptedException {
    for (int failures = 0; ; failures++) {
      try {
        Map<String, Object> answer = call(method, path, body, timeout);
        trouble = null;
        if (failures > 0) {
          log.info("{} {} went through after {} failed tries", method, shortPath(path), failures);
        }
        return answer;
      } catch (MatrixException e) {
        if (e.retryAfter() != null) {
          log.warn("rate limited by the homeserver on {}: waiting {} ms", shortPath(path),
              e.retryAfter().toMillis());
          Thread.sleep(e.retryAfter().toMillis());
        } else if (e.status() >= 500) {
          pause(failures, method, path, e);
        } else {
          throw e;
        }
      } catch (IOException e) {
        pause(failures, method, path, e);
      }
    }
  }

  /** GETs raw bytes, refusing bodies over {@code maxBytes}. */
  Download download(String path, long maxBytes, Duration timeout)
      throws IOException, InterruptedException {
    HttpResponse<InputStream> response = http.send(request(path, timeout).GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = response.body()) {
      if (response.statusCode() / 100 != 2) {
        throw error(response.statusCode(), new String(in.readNBytes(4096), StandardCharsets.UTF_8),
            null, "GET", path);
      }
      byte[] data = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
      if (data.length > maxBytes) {
        throw new IOException("larger than the limit of " + maxBytes + " bytes (max_file_size)");
      }
      return new Download(data, response.headers().firstValue("Content-Type")
          .orElse("application/octet-stream"));
    }
  }

  /** Uploads to the media repository; returns the mxc:// URI. */
  String upload(byte[] data, String contentType, String filename, Duration timeout)
      throws IOException, InterruptedException {
    var request = request("/_matrix/media/v3/upload?filename=" + segment(filename), timeout)
        .POST(HttpRequest.BodyPublishers.ofByteArray(data))
        .header("Content-Type", contentType).build();
    HttpResponse<String> response = http.send(request,
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (response.statusCode() / 100 != 2) {
      throw error(response.statusCode(), response.body(),
          response.headers().firstValue("Retry-After").orElse(null), "POST", "upload");
    }
    if (Json.at(Json.parseObject(response.body()), "content_uri") instanceof String uri) {
      return uri;
    }
    throw new IOException("upload: no content_uri in the homeserver's answer");
  }

  /** A path segment, percent-encoded: room ids, aliases, event ids, user ids. */
  static String segment(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Override
  public void close() {
    http.shutdownNow();
  }

  private HttpRequest.Builder request(String path, Duration timeout) {
    return HttpRequest.newBuilder(URI.create(homeserver + path)).timeout(timeout)
        .header("Authorization", "Bearer " + token);
  }

  private void pause(int failures, String method, String path, IOException e)
      throws InterruptedException {
    Duration pause = Duration.ofSeconds(1L << Math.min(failures, 5));
    pause = pause.compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause;
    String why = e instanceof MatrixException ? e.getMessage()
        : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    log.warn("{} {}{} failed ({}); trying again in {} s", method, homeserver, shortPath(path), why,
        pause.toSeconds());
    if (trouble == null) {
      trouble = "the homeserver does not answer since "
          + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + ": " + why;
    }
    Thread.sleep(pause.toMillis());
  }

  private static MatrixException error(int status, String body, String retryAfterHeader,
      String method, String path) {
    Map<String, Object> json;
    try {
      json = Json.parseObject(body);
    } catch (IllegalArgumentException e) {
      json = Map.of();
    }
    String errcode = json.get("errcode") instanceof String s ? s : "";
    String error = json.get("error") instanceof String s ? s : Json.abbreviate(body.strip(), 200);
    String message = method + " " + shortPath(path) + ": HTTP " + status
        + (errcode.isEmpty() ? "" : " " + errcode) + (error.isEmpty() ? "" : ": " + error);
    Duration retryAfter = status == 429
        ? retryAfter(json.get("retry_after_ms"), retryAfterHeader) : null;
    return new MatrixException(status, errcode, message, retryAfter);
  }

  private static Duration retryAfter(Object bodyMillis, String header) {
    Duration wait = Duration.ofSeconds(1);
    if (bodyMillis instanceof Number ms && ms.longValue() > 0) {
      wait = Duration.ofMillis(ms.longValue());
    } else if (header != null && header.strip().matches("\\d{1,6}")) {
      wait = Duration.ofSeconds(Long.parseLong(header.strip()));
    }
    return wait.compareTo(MAX_RATE_LIMIT_WAIT) > 0 ? MAX_RATE_LIMIT_WAIT : wait;
  }

  /** The path without its query, which may hold a long sync token or a filter. */
  private static String shortPath(String path) {
    int q = path.indexOf('?');
    return q < 0 ? path : path.substring(0, q);
  }
}
