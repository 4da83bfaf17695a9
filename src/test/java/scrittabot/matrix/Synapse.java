package scrittabot.matrix;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import scrittabot.Json;

/**
 * A real, throwaway Synapse homeserver for end-to-end tests: its own folder (config, SQLite
 * database, media, logs), a free port on 127.0.0.1, registration through the shared-secret admin
 * API and rate limits raised out of the way. Needs the venv made by
 * {@code scripts/matrix-test-env}.
 */
public final class Synapse implements AutoCloseable {
  public record Account(String userId, String accessToken, String deviceId, String password) {}

  private static final String SERVER_NAME = "localhost";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final Path ENV_SCRIPT = Path.of("scripts/matrix-test-env");
  // Every Synapse this JVM started and has not seen exit: killed by the shutdown hook.
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
  private static Path venv;

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly)));
  }

  // Runs Synapse in the same interpreter after starting a thread that waits for end of stdin:
  // when the JVM goes away however it ends (even SIGKILL), the pipe closes and Synapse stops.
  private static final String LAUNCHER = """
      import os, runpy, signal, sys, threading
      def watch():
          sys.stdin.buffer.read()
          os.kill(os.getpid(), signal.SIGTERM)
      threading.Thread(target=watch, daemon=True).start()
      sys.argv = ["synapse.app.homeserver"] + sys.argv[1:]
      runpy.run_module("synapse.app.homeserver", run_name="__main__", alter_sys=True)
      """;

  private final Path dir;
  private final int port;
  private final String sharedSecret;
  private final List<String> command;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();
  private Process process;

  private Synapse(Path dir, int port, String sharedSecret, List<String> command) {
    this.dir = dir;
    this.port = port;
    this.sharedSecret = sharedSecret;
    this.command = command;
  }

  /** The venv with Synapse and matrix-nio: property, env var, else made by the script. */
  public static synchronized Path venv() {
    if (venv != null) {
      return venv;
    }
    String given = System.getProperty("scrittabot.matrixVenv");
    if (given == null || given.isBlank()) {
      given = System.getenv("SCRITTABOT_MATRIX_VENV");
    }
    if (given == null || given.isBlank()) {
      given = runEnvScript();
    }
    Path path = Path.of(given).toAbsolutePath();
    if (!Files.isExecutable(path.resolve("bin/python"))) {
      throw new IllegalStateException("no venv with Synapse at " + path + " (bin/python missing)");
    }
    venv = path;
    return venv;
  }

  public static Path python() {
    return venv().resolve("bin/python");
  }

  /** Makes (or reuses) the venv with scripts/matrix-test-env; its last line is the path. */
  private static String runEnvScript() {
    if (!Files.isExecutable(ENV_SCRIPT)) {
      throw new IllegalStateException("set -Dscrittabot.matrixVenv or SCRITTABOT_MATRIX_VENV,"
          + " or run from the project folder (no " + ENV_SCRIPT.toAbsolutePath() + ")");
    }
    try {
      Process p = new ProcessBuilder(ENV_SCRIPT.toAbsolutePath().toString())
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IllegalStateException(
            ENV_SCRIPT + " failed (exit " + p.exitValue() + "): " + out);
      }
      List<String> lines = out.strip().lines().toList();
      return lines.getLast();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + ENV_SCRIPT + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while making the Matrix venv", e);
    }
  }

  /** A homeserver with the test settings. */
  public static Synapse start(Path dir) throws IOException, InterruptedException {
    return start(dir, "");
  }

  /**
   * A homeserver with the test settings plus {@code extraConfig}, YAML whose top-level keys
   * replace the test settings' (Synapse merges its config files key by key), e.g.
   * {@code "rc_message: {per_second: 0.5, burst_count: 2}"} for a strict server-wide limit.
   */
  public static Synapse start(Path dir, String extraConfig)
      throws IOException, InterruptedException {
    dir = dir.toAbsolutePath();
    Files.createDirectories(dir);
    Path config = dir.resolve("homeserver.yaml");
    if (!Files.exists(config)) {
      // Writes the config, the signing key and secrets; the overrides below do the rest.
      run(dir, List.of(python().toString(), "-m", "synapse.app.homeserver",
          "--server-name", SERVER_NAME, "--config-path", config.toString(),
          "--generate-config", "--report-stats=no"));
    }
    int port = freePort();
    String secret = secret();
    Files.writeString(dir.resolve("test.yaml"), testConfig(dir, port, secret));
    Files.writeString(dir.resolve("log.yaml"), logConfig(dir));
    Files.writeString(dir.resolve("extra.yaml"),
        extraConfig.isBlank() ? "{}\n" : extraConfig + "\n");
    var command = List.of(python().toString(), "-c", LAUNCHER,
        "-c", config.toString(), "-c", dir.resolve("test.yaml").toString(),
        "-c", dir.resolve("extra.yaml").toString());
    var synapse = new Synapse(dir, port, secret, command);
    synapse.launch();
    return synapse;
  }

  private static String testConfig(Path dir, int port, String secret) {
    return """
        listeners:
          - port: %d
            bind_addresses: ['127.0.0.1']
            type: http
            tls: false
            x_forwarded: false
            resources: [{names: [client], compress: false}]
        public_baseurl: http://127.0.0.1:%d/
        log_config: %s
        registration_shared_secret: %s
        enable_registration: false
        bcrypt_rounds: 4
        rc_message: UNLIMITED
        rc_registration: UNLIMITED
        rc_login: {address: UNLIMITED, account: UNLIMITED, failed_attempts: UNLIMITED}
        rc_joins: {local: UNLIMITED, remote: UNLIMITED}
        rc_invites: {per_room: UNLIMITED, per_user: UNLIMITED, per_sender: UNLIMITED}
        trusted_key_servers: []
        suppress_key_server_warning: true
        federation_domain_whitelist: []
        url_preview_enabled: false
        max_upload_size: 50M
        """.formatted(port, port, Json.write(dir.resolve("log.yaml").toString()), Json.write(secret))
        .replace("UNLIMITED", "{per_second: 9999, burst_count: 9999}");
  }

  // The generated log config buffers INFO lines for up to 5 s; a plain file handler does not,
  // so logTail shows what just happened.
  private static String logConfig(Path dir) {
    return """
        version: 1
        formatters:
          precise:
            format: '%%(asctime)s - %%(name)s - %%(levelname)s - %%(request)s - %%(message)s'
        handlers:
          file:
            class: logging.FileHandler
            formatter: precise
            filename: %s
            encoding: utf8
        loggers:
          synapse.storage.SQL:
            level: INFO
        root:
          level: INFO
          handlers: [file]
        disable_existing_loggers: false
        """.formatted(Json.write(dir.resolve("homeserver.log").toString()));
  }

  private void launch() throws IOException, InterruptedException {
    process = new ProcessBuilder(command).directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("synapse.out").toFile()))
        .start();
    LIVE.add(process);
    Process started = process;
    process.onExit().thenRun(() -> LIVE.remove(started));
    awaitReady();
  }

  private void awaitReady() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    var request = HttpRequest.newBuilder(URI.create(url() + "/_matrix/client/versions"))
        .timeout(Duration.ofSeconds(2)).build();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("Synapse in " + dir + " exited with " + process.exitValue()
            + " before it was ready:\n" + logTail(40));
      }
      try {
        if (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    kill();
    throw new IOException("Synapse in " + dir + " not ready in " + READY_TIMEOUT.toSeconds()
        + " s:\n" + logTail(40));
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public String serverName() {
    return SERVER_NAME;
  }

  public Path dir() {
    return dir;
  }

  /** Registers a user through the shared-secret admin API: no login needed afterwards. */
  public Account register(String localpart, String password, boolean admin)
      throws IOException, InterruptedException {
    var nonceResponse = call("GET", "/_synapse/admin/v1/register", null, null);
    String nonce = (String) Json.at(Json.parse(expectOk(nonceResponse, "register nonce")), "nonce");
    String mac = hmacSha1(sharedSecret,
        nonce + "\0" + localpart + "\0" + password + "\0" + (admin ? "admin" : "notadmin"));
    var body = new LinkedHashMap<String, Object>();
    body.put("nonce", nonce);
    body.put("username", localpart);
    body.put("password", password);
    body.put("admin", admin);
    body.put("mac", mac);
    var result = Json.parseObject(expectOk(call("POST", "/_synapse/admin/v1/register", null, body),
        "register " + localpart));
    return new Account((String) result.get("user_id"), (String) result.get("access_token"),
        (String) result.get("device_id"), password);
  }

  /**
   * Sets the user's event-sending limit (Synapse's rc_message, per user). It can make the limit
   * stricter as well as looser: with 1/s and burst 1, a quick second message gets a 429
   * M_LIMIT_EXCEEDED. It covers sending events (messages, state, redactions), not /sync, typing,
   * receipts or uploads. 0 and 0 exempt the user entirely.
   */
  public void overrideRateLimit(Account admin, String userId, int messagesPerSecond, int burstCount)
      throws IOException, InterruptedException {
    var body = Map.<String, Object>of("messages_per_second", messagesPerSecond,
        "burst_count", burstCount);
    expectOk(call("POST", "/_synapse/admin/v1/users/" + encode(userId) + "/override_ratelimit",
        admin.accessToken(), body), "override_ratelimit for " + userId);
  }

  /**
   * One client-server request: {@code path} after the base URL, the token as a Bearer header
   * when not null, the body written as JSON when not null.
   */
  public HttpResponse<String> call(String method, String path, String token, Object body)
      throws IOException, InterruptedException {
    var request = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(Json.write(body)));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A path part such as a user id, room id or alias, percent-encoded ({@code %20} for spaces). */
  public static String encode(String part) {
    return URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String expectOk(HttpResponse<String> response, String what) throws IOException {
    if (response.statusCode() != 200) {
      throw new IOException(what + ": HTTP " + response.statusCode() + " " + response.body());
    }
    return response.body();
  }

  /** SIGTERM and wait; SIGKILL when it has not exited after 15 s. */
  public void stop() throws InterruptedException {
    if (process == null || !process.isAlive()) {
      return;
    }
    process.destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  /** SIGKILL, as a crash would. */
  public void kill() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Starts it again (stopping it first if it runs): same port, same data. */
  public void restart() throws IOException, InterruptedException {
    stop();
    launch();
  }

  public boolean running() {
    return process != null && process.isAlive();
  }

  /** The last lines of Synapse's own output (start-up errors) and of its log. */
  public String logTail(int lines) {
    return "--- synapse.out ---\n" + tail(dir.resolve("synapse.out"), lines)
        + "\n--- homeserver.log ---\n" + tail(dir.resolve("homeserver.log"), lines);
  }

  private static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(" + file.getFileName() + ": " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      kill();
      Thread.currentThread().interrupt();
    }
  }

  private static String secret() {
    byte[] bytes = new byte[16];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private static int freePort() throws IOException {
    try (var socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static void run(Path dir, List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("failed: " + String.join(" ", command) + "\n" + out);
    }
  }

  private static String hmacSha1(String key, String message) {
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
      return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA1 unavailable", e);
    }
  }
}
