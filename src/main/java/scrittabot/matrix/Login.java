package scrittabot.matrix;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import scrittabot.Json;

/**
 * The Matrix keys of config.yaml (homeserver, user_id, device_id, access_token), from a password
 * login or matrix-commander's credentials.json. The password goes to the homeserver only: it is
 * never kept, logged or put in an exception message.
 */
public final class Login {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String LOGIN = "/_matrix/client/v3/login";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(TIMEOUT)
      .version(HttpClient.Version.HTTP_1_1).build();

  private Login() {}

  /**
   * Logs in; {@code user} is a user id or a localpart, a {@code deviceId} (or null) is kept. On a
   * 404 asks .well-known/matrix/client, since users often give their server name instead.
   */
  public static Map<String, String> passwordLogin(String homeserver, String user, String password,
      String deviceId) throws IOException, InterruptedException {
    String base = normalise(homeserver);
    var body = new LinkedHashMap<String, Object>(Map.of("type", "m.login.password",
        "password", password, "identifier", Map.of("type", "m.id.user", "user", user.strip()),
        "initial_device_display_name", "ScrittaBot"));
    if (deviceId != null && !deviceId.isBlank()) {
      body.put("device_id", deviceId.strip());
    }
    HttpResponse<String> answer = send(base + LOGIN, body);
    if (answer.statusCode() == 404 || answer.statusCode() == 405) {
      String discovered = discover(base);
      // The password must not be sent in the clear because a .well-known said so.
      if (discovered != null && base.startsWith("https:") && discovered.startsWith("http:")) {
        throw new IOException(base + "/.well-known/matrix/client names " + discovered
            + ", which is not https: give the homeserver URL yourself if that is right");
      }
      if (discovered == null || discovered.equals(base)) {
        throw new IOException(base + " has no Matrix login (HTTP " + answer.statusCode() + ") nor a "
            + ".well-known/matrix/client: give the client API URL, e.g. https://matrix.example.org");
      }
      base = discovered;
      answer = send(base + LOGIN, body);
    }
    return keys(base, answer, password);
  }

  /** The keys in matrix-commander's credentials.json, with room_id when it has one. */
  public static Map<String, String> importCredentials(Path credentialsJson) throws IOException {
    String text;
    try {
      text = Files.readString(credentialsJson);
    } catch (IOException e) {
      throw new IOException("cannot read " + credentialsJson + ": " + e, e);
    }
    // Without the parser's message: it may quote the file, and the file holds the token.
    if (!(parseOrNull(text) instanceof Map<?, ?> json)) {
      throw new IOException(credentialsJson + " is not JSON as matrix-commander --login writes");
    }
    var keys = strings(new LinkedHashMap<>(), json,
        List.of("homeserver", "user_id", "device_id", "access_token"), credentialsJson.toString());
    keys.put("homeserver", normalise(keys.get("homeserver")));
    if (json.get("room_id") instanceof String room && !room.isBlank()) {
      keys.put("room_id", room.strip());
    }
    return keys;
  }

  /**
   * Logs in with the homeserver and user from {@code args} (in that order) or asked on {@code out};
   * the password from the console without echo, or without a console (scripted) one line of {@code
   * in}. More than two args is an {@link IllegalArgumentException}.
   */
  public static Map<String, String> askAndLogin(List<String> args, BufferedReader in,
      PrintStream out, Console console) throws IOException, InterruptedException {
    return askAndLogin(args, null, in, out, console);
  }

  /** As above, keeping the device {@code deviceId} (null for a new one). */
  public static Map<String, String> askAndLogin(List<String> args, String deviceId,
      BufferedReader in, PrintStream out, Console console)
      throws IOException, InterruptedException {
    if (args.size() > 2) {
      throw new IllegalArgumentException("login takes a homeserver URL and a user, nothing more");
    }
    String homeserver = args.size() > 0 ? args.get(0)
        : ask("Homeserver URL (e.g. https://matrix.example.org)", in, out).strip();
    String user = args.size() > 1 ? args.get(1) : ask("User (@bot:example.org)", in, out).strip();
    char[] password = console != null ? console.readPassword("Password for %s: ", user)
        : ask("Password for " + user, in, out).toCharArray();
    if (password == null || password.length == 0) {
      throw new IOException("no password given: login cancelled");
    }
    try {
      return passwordLogin(homeserver, user, new String(password), deviceId);
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  private static String ask(String prompt, BufferedReader in, PrintStream out) throws IOException {
    out.print(prompt + ": ");
    out.flush();
    String line = in.readLine();
    if (line == null || line.isBlank()) {
      throw new IOException("no answer to '" + prompt + "': login cancelled");
    }
    return line;
  }

  private static Map<String, String> keys(String base, HttpResponse<String> answer,
      String password) throws IOException {
    Object json = parseOrNull(answer.body());
    int status = answer.statusCode();
    if (status == 200 && json instanceof Map<?, ?> map) {
      return strings(new LinkedHashMap<>(Map.of("homeserver", base)), map,
          List.of("user_id", "device_id", "access_token"), "the login answer of " + base);
    }
    if (!(Json.at(json, "errcode") instanceof String errcode)) {
      throw new IOException(base + " answered the login with HTTP " + status
          + " and no Matrix JSON: is it the homeserver's client URL?");
    }
    // The server's own words, though a server has no business repeating the password.
    String error = Json.at(json, "error") instanceof String s ? s : "";
    error = password.isEmpty() ? error : error.replace(password, "***");
    long waitMs = Json.at(json, "retry_after_ms") instanceof Number n ? n.longValue() : 0;
    throw new IOException(status == 429 || errcode.equals("M_LIMIT_EXCEEDED")
        ? base + " refuses more login attempts for now: try again "
            + (waitMs > 0 ? "in " + (waitMs + 999) / 1000 + " s" : "later")
        : errcode.equals("M_FORBIDDEN")
            ? "login to " + base + " refused: wrong user or password (" + error + ")"
            : "login to " + base + " failed: HTTP " + status + " " + errcode + ": " + error);
  }

  /** The homeserver that .well-known/matrix/client on the URL's host names, or null. */
  private static String discover(String base) throws IOException, InterruptedException {
    String root = base.replaceFirst("^(https?://[^/]+).*", "$1");
    HttpResponse<String> answer = send(root + "/.well-known/matrix/client", null);
    Object url = Json.at(parseOrNull(answer.body()), "m.homeserver", "base_url");
    return answer.statusCode() == 200 && url instanceof String s && !s.isBlank() ? normalise(s) : null;
  }

  /** GETs the URL, or POSTs {@code body} (when not null) there as JSON. */
  private static HttpResponse<String> send(String url, Object body)
      throws IOException, InterruptedException {
    var request = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT);
    if (body != null) {
      request.header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(Json.write(body)));
    }
    try {
      return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IOException("cannot reach " + url + " (" + why(e) + "): is the URL right and the "
          + "server running?", e);
    }
  }

  /** java.net.http hides the reason a few causes deep, often without any message. */
  private static String why(IOException e) {
    String why = e instanceof HttpTimeoutException ? "no answer in " + TIMEOUT.toSeconds() + " s"
        : e instanceof ConnectException ? "no connection" : e.getMessage();
    for (Throwable t = e; t != null; t = t.getCause()) {
      why = t instanceof UnresolvedAddressException ? "unknown host" : why;
    }
    return why != null ? why : e.toString();
  }

  /** Adds the keys' values to {@code into}, in order; names the first missing or blank one. */
  private static Map<String, String> strings(Map<String, String> into, Map<?, ?> json,
      List<String> keys, String source) throws IOException {
    for (String key : keys) {
      if (!(json.get(key) instanceof String value) || value.isBlank()) {
        throw new IOException(source + " has no " + key);
      }
      into.put(key, value.strip());
    }
    return into;
  }

  private static Object parseOrNull(String text) {
    try {
      return Json.parse(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Without trailing slashes; a bare server name, as users type it, gets https://. */
  static String normalise(String homeserver) throws IOException {
    String url = homeserver.strip().replaceAll("/+$", "");
    url = url.contains("://") ? url : "https://" + url;
    if (!url.matches("https?://[A-Za-z0-9.:\\[\\]-]+(/[A-Za-z0-9._~%/-]*)?")) {
      throw new IOException("'" + homeserver + "' is not a URL like https://matrix.example.org");
    }
    return url;
  }
}
