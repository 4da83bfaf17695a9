package scrittabot.llm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Config.Endpoint;
import scrittabot.Json;

/**
 * Writes each failed model request to a JSON file under the logs folder so that it can be sent
 * again with {@code --replay FILE}. Keys never reach the file: they travel in a header, and any
 * occurrence in the text is masked as well.
 */
public final class RequestDumps {
  private static final Logger log = LoggerFactory.getLogger(RequestDumps.class);
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

  private final Path dir;
  private final List<String> secrets;
  private final AtomicInteger counter = new AtomicInteger();

  /** Dumps into {@code dir}; none at all when it is null. */
  public RequestDumps(Path dir, List<String> secrets) {
    this.dir = dir;
    this.secrets = secrets.stream().filter(s -> s != null && s.length() >= 4).toList();
  }

  /** Returns the file written, or null if it could not be written (that is logged) or dumps are off. */
  Path write(Endpoint endpoint, String path, Map<String, Object> payload, int status,
      String response, String problem) {
    if (dir == null) {
      return null;
    }
    var dump = new LinkedHashMap<String, Object>();
    dump.put("time", LocalDateTime.now().toString());
    dump.put("url", endpoint.url() + path);
    dump.put("error", problem);
    dump.put("status", status);
    dump.put("request", payload);
    dump.put("response", response);
    Path file = dir.resolve("llm-failure-" + LocalDateTime.now().format(STAMP) + "-"
        + counter.incrementAndGet() + ".json");
    try {
      Files.createDirectories(dir);
      Files.writeString(file, mask(Json.write(dump)));
      return file;
    } catch (IOException | RuntimeException e) {
      log.warn("could not dump the failed request to {}: {}", file, e.toString());
      return null;
    }
  }

  String mask(String text) {
    for (String secret : secrets) {
      text = text.replace(secret, "***");
    }
    return text;
  }
}
