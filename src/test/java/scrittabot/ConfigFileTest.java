package scrittabot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

class ConfigFileTest {
  @TempDir Path dir;

  private static final String CONFIG = """
      # ScrittaBot settings
      access_token: syt_old_token # For Matrix
      room_id: '#zonet:zeonzone.zonet' # For Matrix
      model_llm: zeonzone
      #model_llm: gemini-2.5-flash
      # user_id: '@example:server'
      openai_url: https://zeonzone.zonet:4001
      """;

  /** Parsed as Config.load parses. */
  private static Map<?, ?> parse(String yaml) {
    return (Map<?, ?>) new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
  }

  private static Map<String, String> ordered(String... keysAndValues) {
    var map = new LinkedHashMap<String, String>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }

  @Test
  void replacesInPlaceKeepingCommentsOrderAndOtherKeys() {
    String text = ConfigFile.withKeys(CONFIG, Map.of("access_token", "syt_new"));

    assertEquals(CONFIG.replace("syt_old_token", "'syt_new'"), text);
  }

  @Test
  void appendsMissingKeysInTheGivenOrderAndLeavesCommentedExamplesAlone() {
    String text = ConfigFile.withKeys(CONFIG,
        ordered("user_id", "@bot:zeonzone.zonet", "device_id", "ABCDEFGHIJ"));

    assertTrue(text.startsWith(CONFIG), text);
    assertTrue(text.contains("# user_id: '@example:server'\n"), text);
    assertTrue(text.endsWith("user_id: '@bot:zeonzone.zonet'\ndevice_id: 'ABCDEFGHIJ'\n"), text);
  }

  @Test
  void awkwardValuesStayValidYamlWithTheirExactText() {
    var values = ordered(
        "user_id", "@bot:server",
        "room_id", "#room:server",
        "access_token", "it's a 'token' # not a comment: really",
        "homeserver", "  https://x.example  ",
        "device_id", "\"DQ\"\\");

    var parsed = parse(ConfigFile.withKeys(CONFIG, values));

    values.forEach((key, value) -> assertEquals(value, parsed.get(key), key));
    assertEquals("zeonzone", parsed.get("model_llm"));
    assertEquals("https://zeonzone.zonet:4001", parsed.get("openai_url"));
  }

  @Test
  void theResultParsesToTheExpectedMap() {
    var parsed = parse(ConfigFile.withKeys(CONFIG, ordered("room_id", "!abc:server", "x_y", "1")));

    assertEquals(Map.of("access_token", "syt_old_token", "room_id", "!abc:server",
        "model_llm", "zeonzone", "openai_url", "https://zeonzone.zonet:4001", "x_y", "1"), parsed);
  }

  @Test
  void aTrailingCommentAfterAQuotedValueWithAHashIsKept() {
    String text = ConfigFile.withKeys("room_id: '#a # b' # rooms\n", Map.of("room_id", "!r:s"));

    assertEquals("room_id: '!r:s' # rooms\n", text);
  }

  @Test
  void anOldBlockValueIsReplacedWhole() {
    String yaml = """
        room_id:
          - '#one:server'

          - '#two:server'
        model_llm: gemma
        """;

    String text = ConfigFile.withKeys(yaml, Map.of("room_id", "#three:server"));

    assertEquals(Map.of("room_id", "#three:server", "model_llm", "gemma"), parse(text));
    assertFalse(text.contains("#one"), text);
  }

  @Test
  void theExampleConfigTakesLoginKeysAndStaysAValidConfig() throws Exception {
    String example = Files.readString(Path.of("config.example.yaml"));
    var keys = ordered("homeserver", "https://m.example", "user_id", "@bot:m.example",
        "device_id", "NEWDEVICE", "access_token", "syt_'#: x", "room_id", "!room:m.example");

    String text = ConfigFile.withKeys(example, keys);

    var parsed = parse(text);
    keys.forEach((key, value) -> assertEquals(value, parsed.get(key), key));
    example.lines().filter(line -> line.startsWith("#"))
        .forEach(comment -> assertTrue(text.contains(comment + "\n"), comment));
    assertTrue(text.contains("room_id: '!room:m.example'      # a room id"), text);
    assertEquals(example.lines().count(), text.lines().count());
    assertEquals("@bot:m.example", Config.fromMap(parsed, false).userId());
  }

  @Test
  void anEmptyOrUnterminatedTextAndWindowsLineEndingsWork() {
    assertEquals("a: '1'\n", ConfigFile.withKeys("", Map.of("a", "1")));
    assertEquals("x: 2\na: '1'\n", ConfigFile.withKeys("x: 2", Map.of("a", "1")));
    assertEquals("# c\r\na: '1'\r\n", ConfigFile.withKeys("# c\r\na: 0\r\n", Map.of("a", "1")));
  }

  @Test
  void aLineBreakInAValueIsRefusedWithoutShowingIt() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> ConfigFile.withKeys("", Map.of("access_token", "secret\nmore")));

    assertTrue(e.getMessage().contains("access_token"), e.getMessage());
    assertFalse(e.getMessage().contains("secret"), e.getMessage());
  }

  @Test
  void updateCreatesAnOwnerOnlyFile() throws Exception {
    Path file = dir.resolve("config.yaml");

    ConfigFile.update(file, ordered("homeserver", "https://m.example", "access_token", "syt_x"));

    assertEquals("homeserver: 'https://m.example'\naccess_token: 'syt_x'\n", Files.readString(file));
    assertOwnerOnly(file);
  }

  @Test
  void updateKeepsTheRestOfAnExistingFileAndTightensItsPermissions() throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(file, CONFIG);
    if (posix()) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }

    ConfigFile.update(file, Map.of("access_token", "syt_new"));

    assertEquals(CONFIG.replace("syt_old_token", "'syt_new'"), Files.readString(file));
    assertOwnerOnly(file);
    assertEquals(List.of(file), Files.list(dir).toList(), "no temporary file left behind");
  }

  @Test
  void updateFailsNamingTheFile() {
    Path file = dir.resolve("missing-folder").resolve("config.yaml");

    var e = assertThrows(java.io.IOException.class, () -> ConfigFile.update(file, Map.of("a", "b")));

    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  private boolean posix() {
    return dir.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  private void assertOwnerOnly(Path file) throws Exception {
    if (posix()) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }
  }
}
