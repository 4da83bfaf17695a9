package scrittabot.matrix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import scrittabot.Config;
import scrittabot.ConfigFile;
import scrittabot.Json;
import scrittabot.console.ConsoleProcess;

/** Password login against a real Synapse, and the keys it gives written into a config. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LoginIT {
  private static final String PASSWORD = "correct horse 'battery' #staple";

  @TempDir
  static Path dir;

  static Synapse synapse;

  @BeforeAll
  static void startSynapse() throws Exception {
    synapse = Synapse.start(dir.resolve("synapse"));
    synapse.register("bot", PASSWORD, false);
  }

  @AfterAll
  static void stopSynapse() {
    if (synapse != null) {
      synapse.close();
    }
  }

  private static Map<String, Object> whoami(String token) throws Exception {
    var answer = synapse.call("GET", "/_matrix/client/v3/account/whoami", token, null);
    assertEquals(200, answer.statusCode(), answer.body());
    return Json.parseObject(answer.body());
  }

  @Test
  void theRightPasswordGivesKeysThatWork() throws Exception {
    var keys = Login.passwordLogin(synapse.url() + "/", "bot", PASSWORD, null);

    assertEquals(synapse.url(), keys.get("homeserver"));
    assertEquals("@bot:localhost", keys.get("user_id"));
    var me = whoami(keys.get("access_token"));
    assertEquals("@bot:localhost", me.get("user_id"));
    assertEquals(keys.get("device_id"), me.get("device_id"));
  }

  @Test
  void aWrongPasswordIsAClearErrorWithoutThePassword() {
    var e = assertThrows(IOException.class,
        () -> Login.passwordLogin(synapse.url(), "@bot:localhost", "not " + PASSWORD, null));

    assertTrue(e.getMessage().contains("wrong user or password"), e.getMessage());
    assertFalse(e.getMessage().contains(PASSWORD), e.getMessage());
  }

  @Test
  void aReLoginWithTheDeviceIdKeepsTheDevice() throws Exception {
    var first = Login.passwordLogin(synapse.url(), "bot", PASSWORD, null);

    var again = Login.passwordLogin(synapse.url(), "@bot:localhost", PASSWORD,
        first.get("device_id"));

    assertEquals(first.get("device_id"), again.get("device_id"));
    assertNotEquals(first.get("access_token"), again.get("access_token"));
    assertEquals(first.get("device_id"), whoami(again.get("access_token")).get("device_id"));
  }

  @Test
  void theKeysWrittenIntoAConfigMakeAValidMatrixConfig() throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(file, """
        # the bot's config
        openai_url: http://localhost:8080
        model_llm: gemma
        room_id: '#bots:localhost'
        """);

    ConfigFile.update(file, Login.passwordLogin(synapse.url(), "bot", PASSWORD, null));

    Config config = Config.load(file, false);
    assertEquals("@bot:localhost", config.userId());
    assertEquals(List.of("#bots:localhost"), config.rooms());
    assertEquals("@bot:localhost", whoami(config.accessToken()).get("user_id"));
  }

  @Test
  void theJarLogsInWithThePasswordFromStdinAndKeepsTheRestOfTheConfig() throws Exception {
    Path botDir = Files.createDirectories(dir.resolve("jar-login"));
    Path config = botDir.resolve("config.yaml");
    String mine = "# my bot\nmodel_llm: gemma   # the model\nopenai_url: http://llm:8080\n"
        + "room_id: '#lobby:localhost'\n";
    Files.writeString(config, mine);
    try (var jar = ConsoleProcess.start(botDir, "--config", "config.yaml", "--login",
        synapse.url(), "bot")) {
      jar.type(PASSWORD); // without a terminal the password is one line of stdin
      assertEquals(0, jar.awaitExit(Duration.ofSeconds(60)), jar.log());
      assertFalse((jar.output() + jar.log()).contains("battery"), "the password is not shown");
    }
    assertTrue(Files.readString(config).startsWith(mine), Files.readString(config));
    Config loaded = Config.load(config, false);
    assertEquals("@bot:localhost", whoami(loaded.accessToken()).get("user_id"));
    assertEquals(synapse.url(), loaded.homeserver());
  }

  @Test
  void theJarImportsTheCredentialsOfMatrixCommander() throws Exception {
    var keys = Login.passwordLogin(synapse.url(), "bot", PASSWORD, null);
    Path botDir = Files.createDirectories(dir.resolve("jar-import"));
    Files.writeString(botDir.resolve("credentials.json"), Json.write(Map.of(
        "homeserver", keys.get("homeserver"), "device_id", keys.get("device_id"),
        "user_id", keys.get("user_id"), "room_id", "!room:localhost",
        "access_token", keys.get("access_token"))));
    Files.writeString(botDir.resolve("config.yaml"), "model_llm: gemma\nopenai_url: http://llm\n");
    try (var jar = ConsoleProcess.start(botDir, "--config", "config.yaml",
        "--import-credentials", "credentials.json")) {
      assertEquals(0, jar.awaitExit(Duration.ofSeconds(60)), jar.log());
    }
    Config loaded = Config.load(botDir.resolve("config.yaml"), false);
    assertEquals(List.of("!room:localhost"), loaded.rooms());
    assertEquals(keys.get("device_id"), loaded.deviceId());
    assertEquals("@bot:localhost", whoami(loaded.accessToken()).get("user_id"));
  }
}
