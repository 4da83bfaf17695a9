package scrittabot.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scrittabot.Config.Endpoint;

class RequestDumpsTest {
  @TempDir
  Path logs;

  @Test
  void onlyTheNewestDumpsAreKeptAndOtherFilesAreLeftAlone() throws Exception {
    Files.writeString(logs.resolve("scrittabot.log"), "the user's own file");
    // an older run's dump: its counter, 99, is larger than the new ones' but it is older
    Files.writeString(logs.resolve("llm-failure-20200101-000000-000-99.json"), "{}");
    var dumps = new RequestDumps(logs, List.of(), 3);
    var written = new ArrayList<Path>();
    for (int i = 0; i < 12; i++) {
      written.add(dumps.write(new Endpoint("http://llm", ""), "/v1/chat/completions",
          Map.of("n", i), 500, "", "failure " + i));
    }
    try (var files = Files.list(logs)) {
      var left = files.map(f -> f.getFileName().toString()).sorted().toList();
      assertEquals(4, left.size(), left.toString());
      assertTrue(left.contains("scrittabot.log"));
      for (Path newest : written.subList(9, 12)) {
        assertTrue(left.contains(newest.getFileName().toString()), newest + " in " + left);
      }
    }
    assertTrue(Files.readString(written.get(11)).contains("failure 11"));
  }
}
