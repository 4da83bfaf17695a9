package scrittabot.matrix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;
import scrittabot.Json;

/**
 * Login against a fake homeserver on loopback that answers as Synapse does: its client API under
 * /hs, a .well-known/matrix/client at the root pointing there, and HTML under /html.
 */
class LoginTest {
  private static final String PASSWORD = "pa'ss \"word\" #1: s3cret";
  private static final String TOKEN = "syt_Ym90_aBcDeFgHiJkLmNoPqRsT_0a1b2c";

  @TempDir Path dir;
  private HttpServer server;
  private String url;
  private volatile boolean wellKnown = true;
  private final List<Map<String, Object>> logins = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startFakeHomeserver() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/hs/_matrix/client/v3/login", this::login);
    server.createContext("/.well-known/matrix/client", exchange -> {
      if (wellKnown) {
        answer(exchange, 200, Json.write(Map.of("m.homeserver", Map.of("base_url", url + "/hs/"))));
      } else {
        answer(exchange, 404, "<html>Not Found</html>");
      }
    });
    server.createContext("/html/", exchange -> answer(exchange, 200, "<html>Welcome!</html>"));
    server.start();
    url = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  /** As Synapse: 200 with the keys, 403 M_FORBIDDEN, or 429 M_LIMIT_EXCEEDED for user "busy". */
  private void login(HttpExchange exchange) throws IOException {
    var body = Json.parseObject(new String(exchange.getRequestBody().readAllBytes(),
        StandardCharsets.UTF_8));
    logins.add(body);
    Object user = Json.at(body, "identifier", "user");
    if ("busy".equals(user)) {
      answer(exchange, 429, """
          {"errcode":"M_LIMIT_EXCEEDED","error":"Too Many Requests","retry_after_ms":2500}""");
    } else if ("echo".equals(user)) { // a careless server that repeats what it was sent
      answer(exchange, 403, Json.write(Map.of("errcode", "M_FORBIDDEN",
          "error", "Invalid password " + body.get("password"))));
    } else if (!PASSWORD.equals(body.get("password"))) {
      answer(exchange, 403, """
          {"errcode":"M_FORBIDDEN","error":"Invalid username or password"}""");
    } else {
      Object device = body.getOrDefault("device_id", "NEWDEVICE1");
      answer(exchange, 200, Json.write(Map.of("user_id", "@bot:localhost", "access_token", TOKEN,
          "home_server", "localhost", "device_id", device)));
    }
  }

  private static void answer(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type",
        body.startsWith("<") ? "text/html" : "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (var out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String failure(Executable login) {
    String message = assertThrows(IOException.class, login).getMessage();
    assertFalse(message.contains(PASSWORD), message);
    assertFalse(message.contains("s3cret"), message);
    return message;
  }

  @Test
  void aPasswordLoginSendsWhatSynapseExpectsAndReturnsTheConfigKeys() throws Exception {
    var keys = Login.passwordLogin(url + "/hs/", "bot", PASSWORD, null);

    assertEquals(Map.of("homeserver", url + "/hs", "user_id", "@bot:localhost",
        "device_id", "NEWDEVICE1", "access_token", TOKEN), keys);
    assertEquals(List.of("homeserver", "user_id", "device_id", "access_token"),
        List.copyOf(keys.keySet()), "the order they are appended to config.yaml");
    assertEquals(Map.of("type", "m.login.password",
        "identifier", Map.of("type", "m.id.user", "user", "bot"),
        "password", PASSWORD, "initial_device_display_name", "ScrittaBot"), logins.getFirst());
  }

  @Test
  void aReLoginAsksForTheSameDevice() throws Exception {
    var keys = Login.passwordLogin(url + "/hs", "@bot:localhost", PASSWORD, "KEEPME1234");

    assertEquals("KEEPME1234", keys.get("device_id"));
    assertEquals("KEEPME1234", logins.getFirst().get("device_id"));
    assertEquals("@bot:localhost", Json.at(logins.getFirst(), "identifier", "user"));
  }

  @Test
  void aWrongPasswordSaysSoWithoutTheTriedPassword() {
    String message = failure(() -> Login.passwordLogin(url + "/hs", "bot", PASSWORD + "x", null));

    assertTrue(message.contains("wrong user or password"), message);
    assertTrue(message.contains(url + "/hs"), message);
    assertFalse(message.contains(PASSWORD + "x"), message);
  }

  @Test
  void aServerRepeatingThePasswordDoesNotGetItIntoTheMessage() {
    String message = failure(() -> Login.passwordLogin(url + "/hs", "echo", PASSWORD, null));

    assertTrue(message.contains("Invalid password ***"), message);
  }

  @Test
  void aRateLimitSaysHowLongToWait() {
    String message = failure(() -> Login.passwordLogin(url + "/hs", "busy", PASSWORD, null));

    assertTrue(message.contains("try again in 3 s"), message);
  }

  @Test
  void aServerNameIsResolvedThroughWellKnown() throws Exception {
    var keys = Login.passwordLogin(url, "bot", PASSWORD, null);

    assertEquals(url + "/hs", keys.get("homeserver"));
    assertEquals(1, logins.size());
  }

  @Test
  void noLoginApiAndNoWellKnownAsksForTheClientUrl() {
    wellKnown = false;

    String message = failure(() -> Login.passwordLogin(url + "/nothing", "bot", PASSWORD, null));

    assertTrue(message.contains("HTTP 404"), message);
    assertTrue(message.contains("client API URL"), message);
  }

  @Test
  void aWebsiteInsteadOfAHomeserverIsNamed() {
    String message = failure(() -> Login.passwordLogin(url + "/html", "bot", PASSWORD, null));

    assertTrue(message.contains("no Matrix JSON"), message);
  }

  @Test
  void anUnreachableServerIsNamed() throws Exception {
    int port;
    try (var socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }

    String message = failure(() -> Login.passwordLogin("http://127.0.0.1:" + port, "bot",
        PASSWORD, null));

    assertTrue(message.startsWith("cannot reach http://127.0.0.1:" + port), message);
  }

  @Test
  void aHomeserverThatIsNoUrlIsRefusedBeforeAnyRequest() {
    String message = failure(() -> Login.passwordLogin("https://bad host/", "bot", PASSWORD, null));

    assertTrue(message.contains("'https://bad host/' is not a URL"), message);
  }

  @Test
  void aBareServerNameGetsHttps() throws Exception {
    assertEquals("https://matrix.example.org", Login.normalise(" matrix.example.org/ "));
    assertEquals("http://[::1]:8008/base", Login.normalise("http://[::1]:8008/base//"));
  }

  @Test
  void askAndLoginAsksForWhatTheArgumentsLackAndNeverEchoesThePassword() throws Exception {
    var in = new BufferedReader(new StringReader("bot\n" + PASSWORD + "\n"));
    var printed = new ByteArrayOutputStream();

    var keys = Login.askAndLogin(List.of(url + "/hs"), in, new PrintStream(printed, true), null);

    assertEquals(TOKEN, keys.get("access_token"));
    String shown = printed.toString(StandardCharsets.UTF_8);
    assertTrue(shown.contains("User") && shown.contains("Password for bot"), shown);
    assertFalse(shown.contains("s3cret"), shown);
    assertFalse(shown.contains("Homeserver"), shown);
  }

  @Test
  void askAndLoginStopsWhenTheInputEnds() {
    var in = new BufferedReader(new StringReader(url + "/hs\n"));
    var out = new PrintStream(new ByteArrayOutputStream(), true);

    String message = failure(() -> Login.askAndLogin(List.of(), in, out, null));

    assertTrue(message.contains("login cancelled"), message);
    assertTrue(logins.isEmpty());
  }

  @Test
  void importReadsMatrixCommanderCredentials() throws Exception {
    Path file = dir.resolve("credentials.json");
    // As matrix-commander --login writes it: one line, with the room given at login.
    Files.writeString(file, """
        {"homeserver": "https://matrix.example.org/", "device_id": "ABCDEFGHIJ", \
        "user_id": "@bot:example.org", "room_id": "!xYzAbC:example.org", \
        "access_token": "%s"}""".formatted(TOKEN));

    var keys = Login.importCredentials(file);

    assertEquals(Map.of("homeserver", "https://matrix.example.org", "user_id", "@bot:example.org",
        "device_id", "ABCDEFGHIJ", "access_token", TOKEN, "room_id", "!xYzAbC:example.org"), keys);
  }

  @Test
  void importWithoutRoomLeavesRoomOut() throws Exception {
    Path file = dir.resolve("credentials.json");
    Files.writeString(file, Json.write(Map.of("homeserver", "https://m.example",
        "device_id", "D", "user_id", "@b:m.example", "access_token", TOKEN)));

    assertFalse(Login.importCredentials(file).containsKey("room_id"));
  }

  @Test
  void importNamesTheFileAndTheMissingKey() throws Exception {
    Path file = dir.resolve("credentials.json");
    Files.writeString(file, Json.write(Map.of("homeserver", "https://m.example",
        "device_id", "D", "user_id", "@b:m.example")));

    var e = assertThrows(IOException.class, () -> Login.importCredentials(file));

    assertEquals(file + " has no access_token", e.getMessage());
  }

  @Test
  void importOfBadJsonNamesTheFileButNotItsText() throws Exception {
    Path file = dir.resolve("credentials.json");
    Files.writeString(file, "{\"access_token\": " + TOKEN + "}");

    var e = assertThrows(IOException.class, () -> Login.importCredentials(file));

    assertTrue(e.getMessage().startsWith(file + " is not JSON"), e.getMessage());
    assertFalse(e.getMessage().contains(TOKEN), e.getMessage());
  }

  @Test
  void importOfAMissingFileNamesIt() {
    Path file = dir.resolve("nope.json");

    var e = assertThrows(IOException.class, () -> Login.importCredentials(file));

    assertTrue(e.getMessage().startsWith("cannot read " + file), e.getMessage());
  }
}
