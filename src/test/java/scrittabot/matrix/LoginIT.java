package scrittabot.matrix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
