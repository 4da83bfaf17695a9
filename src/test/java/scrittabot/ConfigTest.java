package scrittabot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import scrittabot.Config.ConfigException;

class ConfigTest {
  @TempDir Path dir;

  private static Map<String, Object> minimal() {
    var raw = new HashMap<String, Object>();
    raw.put("openai_url", "http://llm.example:8080");
    raw.put("model_llm", "gemma");
    return raw;
  }

  private static Map<String, Object> daemon() {
    var raw = minimal();
    raw.put("homeserver", "https://matrix.example");
    raw.put("user_id", "@bot:matrix.example");
    raw.put("access_token", "syt_TOKEN_s3cr3t");
    raw.put("room_id", "#room:matrix.example");
    return raw;
  }

  private static String failure(Map<String, Object> raw, boolean console) {
    return assertThrows(ConfigException.class, () -> Config.fromMap(raw, console)).getMessage();
  }

  @Test
  void aMonitorTokenThatALinkOrCookieWouldBreakIsRefusedWithoutBeingShown() throws Exception {
    for (String bad : List.of("too-short-1234", "a token with spaces in it", "semi;colon-0123456789",
        "plus+sign+0123456789", "percent%20-0123456789")) {
      var raw = minimal();
      raw.put("monitor_token", bad);
      String message = failure(raw, true);
      assertTrue(message.startsWith("monitor_token must be"), message);
      assertFalse(message.contains(bad), "the token is a secret: " + message);
    }
    var raw = minimal();
    raw.put("monitor_token", " Abc-def_ghi.jkl~0123 ");
    assertEquals("Abc-def_ghi.jkl~0123", Config.fromMap(raw, true).monitorToken());
    raw.put("monitor_token", "");
    assertEquals(null, Config.fromMap(raw, true).monitorToken(), "empty: one is made");
  }

  @Test
  void aMinimalConsoleConfigGetsTheDefaults() throws Exception {
    var config = Config.fromMap(minimal(), true);

    assertEquals("gemma", config.modelLlm());
    assertEquals(Config.DEFAULT_CONTEXT_LLM, config.contextLlm());
    assertEquals(Config.DEFAULT_REQUEST_TIMEOUT, config.requestTimeout());
    assertEquals("", config.llm().key());
    assertEquals(Path.of("logs"), config.logsDir());
    assertEquals(List.of(), config.rooms());
    assertEquals(List.of(), config.warnings());
  }

  @Test
  void missingModelLlmNamesTheKey() {
    var raw = minimal();
    raw.remove("model_llm");

    assertTrue(failure(raw, true).contains("model_llm"));
  }

  @Test
  void missingServerUrlNamesTheKey() {
    var raw = minimal();
    raw.remove("openai_url");

    assertTrue(failure(raw, true).contains("openai_url"));
  }

  @Test
  void aUrlWithoutSchemeNamesTheKeyItCameFrom() {
    var raw = minimal();
    raw.put("llm_url", "localhost:8080");
    assertTrue(failure(raw, true).contains("llm_url"));

    var viaOpenai = minimal();
    viaOpenai.put("openai_url", "localhost:8080");
    assertTrue(failure(viaOpenai, true).contains("openai_url"), failure(viaOpenai, true));
  }

  @Test
  void llmUrlDefaultsToOpenaiUrlWithoutATrailingV1() throws Exception {
    var raw = minimal();
    raw.put("openai_url", "http://llm.example:8080/v1/");

    var config = Config.fromMap(raw, true);

    assertEquals("http://llm.example:8080", config.llm().url());
    assertEquals("http://llm.example:8080", config.embedding().url());
    assertEquals("http://llm.example:8080", config.rerank().url());
  }

  @Test
  void eachEndpointCanHaveItsOwnUrlAndKey() throws Exception {
    var raw = minimal();
    raw.put("openai_key", "shared-key");
    raw.put("llm_url", "https://chat.example/v1");
    raw.put("llm_key", "chat-key");
    raw.put("embedding_url", "http://embed.example");
    raw.put("rerank_key", "rerank-key");

    var config = Config.fromMap(raw, true);

    assertEquals(new Config.Endpoint("https://chat.example", "chat-key"), config.llm());
    assertEquals(new Config.Endpoint("http://embed.example", "shared-key"), config.embedding());
    assertEquals(new Config.Endpoint("http://llm.example:8080", "rerank-key"), config.rerank());
  }

  @Test
  void onlyAnLlmUrlServesEmbeddingAndRerankToo() throws Exception {
    var raw = minimal();
    raw.remove("openai_url");
    raw.put("llm_url", "http://one.example:8080");

    var config = Config.fromMap(raw, true);

    assertEquals("http://one.example:8080", config.embedding().url());
    assertEquals("http://one.example:8080", config.rerank().url());
  }

  @Test
  void toStringNeverShowsKeysTokensOrTheDatabasePassword() throws Exception {
    var raw = daemon();
    raw.put("openai_key", "sk-OPENAI-s3cr3t");
    raw.put("llm_key", "sk-LLM-s3cr3t");
    raw.put("embedding_key", "sk-EMBED-s3cr3t");
    raw.put("database_url", "postgresql://bot:PG-s3cr3t@db.example:5432/bot");

    String shown = Config.fromMap(raw, false).toString();

    assertFalse(shown.contains("s3cr3t"), shown);
    assertTrue(shown.contains("llm.example"), "the rest is still shown: " + shown);
  }

  @Test
  void consoleModeDoesNotNeedMatrixKeys() throws Exception {
    var config = Config.fromMap(minimal(), true);

    assertEquals(null, config.homeserver());
    assertEquals(null, config.accessToken());
  }

  @ParameterizedTest
  @ValueSource(strings = {"homeserver", "user_id", "access_token", "room_id"})
  void daemonModeRequiresEachMatrixKey(String key) throws Exception {
    Config.fromMap(daemon(), false); // complete: accepted
    var raw = daemon();
    raw.remove(key);

    assertTrue(failure(raw, false).contains(key));
  }

  @Test
  void roomIdMayBeOneRoomOrAList() throws Exception {
    var one = daemon();
    assertEquals(List.of("#room:matrix.example"), Config.fromMap(one, false).rooms());

    var many = daemon();
    many.put("room_id", List.of("#a:matrix.example", "!b:matrix.example"));
    assertEquals(List.of("#a:matrix.example", "!b:matrix.example"),
        Config.fromMap(many, false).rooms());
  }

  @Test
  void allowedUsersAreUserIdsOrPatternsAndAbsentMeansTheRoomsPeople() throws Exception {
    assertEquals(null, Config.fromMap(daemon(), false).allowedUsers());
    var raw = daemon();
    raw.put("allowed_users", List.of("@alice:example.org", "@*:example.org"));
    assertEquals(List.of("@alice:example.org", "@*:example.org"),
        Config.fromMap(raw, false).allowedUsers());
    raw.put("allowed_users", "@bob:example.org");
    assertEquals(List.of("@bob:example.org"), Config.fromMap(raw, false).allowedUsers());
    raw.put("allowed_users", List.of("alice"));
    assertTrue(failure(raw, false).contains("allowed_users: 'alice' is not a user id"));
  }

  @Test
  void fileSizeAndStateDirHaveDefaultsAndSizesTakeUnits() throws Exception {
    var config = Config.fromMap(daemon(), false);
    assertEquals(50L << 20, config.maxFileSize());
    assertEquals(Path.of("state"), config.stateDir());
    var raw = daemon();
    raw.put("max_file_size", "2g");
    assertEquals(2L << 30, Config.fromMap(raw, false).maxFileSize());
    raw.put("max_file_size", "huge");
    assertTrue(failure(raw, false).contains("max_file_size"));
  }

  @Test
  void aMissingTokenSaysHowToLogIn() {
    var raw = daemon();
    raw.remove("access_token");
    assertTrue(failure(raw, false).contains("make login"));
  }

  @Test
  void anEmptyRoomListIsMissingInDaemonMode() {
    var raw = daemon();
    raw.put("room_id", List.of());

    assertTrue(failure(raw, false).contains("room_id"));
  }

  @Test
  void unknownKeysBecomeWarningsNotErrors() throws Exception {
    var raw = minimal();
    raw.put("model_lmm", "typo");

    var config = Config.fromMap(raw, true);

    assertEquals(1, config.warnings().size());
    assertTrue(config.warnings().getFirst().contains("model_lmm"));
  }

  @Test
  void badValuesNameTheirKey() {
    var values = Map.<String, Object>of("context_llm", -5, "request_timeout", "soon",
        "sandbox_memory", "lots", "log_level", "chatty", "sandbox_jit", "maybe",
        "model_llm", List.of("a", "b"));
    values.forEach((key, value) -> {
      var raw = minimal();
      raw.put(key, value);
      assertTrue(failure(raw, true).contains(key), key);
    });
  }

  @Test
  void secondsMayBeFractional() throws Exception {
    var raw = minimal();
    raw.put("request_timeout", 1.5);

    assertEquals(Duration.ofMillis(1500), Config.fromMap(raw, true).requestTimeout());
  }

  @Test
  void filesDirMayNotHoldTheConfigFileSinceTheSandboxReadsIt() throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(file, "openai_url: http://llm:8080\nmodel_llm: m\nfiles_dir: " + dir + "\n");
    var e = assertThrows(ConfigException.class, () -> Config.load(file, true));
    assertTrue(e.getMessage().contains("files_dir"), e.getMessage());
  }

  @Test
  void eachKeyGoesOnlyToItsOwnServer() throws Exception {
    var raw = new HashMap<String, Object>(minimal());
    raw.put("openai_url", "http://llm:8080");
    raw.put("openai_key", "llm-key");
    raw.put("embedding_url", "http://emb:8081");
    raw.put("embedding_key", "emb-key");
    var config = Config.fromMap(raw, true);
    assertEquals("llm-key", config.keyFor("http://llm:8080/v1/chat/completions"));
    assertEquals("emb-key", config.keyFor("http://emb:8081/v1/embeddings"));
    assertEquals("", config.keyFor("http://elsewhere:80/v1/chat/completions"));
  }

  @Test
  void loadReadsAYamlFile() throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(file, """
        openai_url: http://llm.example:8080/v1
        model_llm: gemma
        context_llm: 16000
        sandbox_jit: true
        """);

    var config = Config.load(file, true);

    assertEquals("http://llm.example:8080", config.llm().url());
    assertEquals(16000, config.contextLlm());
    assertTrue(config.sandboxJit());
  }

  @Test
  void aYamlFileThatIsNotAMappingIsRejected() throws Exception {
    Path list = dir.resolve("list.yaml");
    Files.writeString(list, "- openai_url\n- model_llm\n");
    Path empty = dir.resolve("empty.yaml");
    Files.writeString(empty, "");

    for (Path file : List.of(list, empty)) {
      var e = assertThrows(ConfigException.class, () -> Config.load(file, true));
      assertTrue(e.getMessage().contains("must be a YAML mapping"), e.getMessage());
    }
  }

  @Test
  void invalidYamlIsRejected() throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "model_llm: [unclosed\n");

    var e = assertThrows(ConfigException.class, () -> Config.load(file, true));
    assertTrue(e.getMessage().contains("not valid YAML"), e.getMessage());
  }

  @Test
  void anUnreadableFileIsRejected() {
    // A missing file and a directory: root can read any file whatever its permissions.
    for (Path file : List.of(dir.resolve("missing.yaml"), dir)) {
      var e = assertThrows(ConfigException.class, () -> Config.load(file, true));
      assertTrue(e.getMessage().contains("cannot read config file"), e.getMessage());
    }
  }
}
