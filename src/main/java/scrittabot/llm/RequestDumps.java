package scrittabot.llm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Config.Endpoint;
import scrittabot.Json;

/**
 * Writes each failed model request to a JSON file under the logs folder so that it can be sent
 * again with {@code --replay FILE}. Keys never reach the file: they travel in a header, and any
 * occurrence in the text is masked as well. Only the newest dumps are kept: a server that is away
 * for a weekend fails a step every five minutes, each dump holding a whole prompt.
 */
public final class RequestDumps {
  private static final Logger log = LoggerFactory.getLogger(RequestDumps.class);
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");
  private static final String PREFIX = "llm-failure-";
  /** How many dumps are kept, the newest. */
  static final int KEEP = 100;
  private static final Pattern NAME = Pattern.compile(
      PREFIX + "(\\d{8}-\\d{6}-\\d{3})-(\\d{1,9})\\.json");
  /** The stamp, then the counter as a number: -10 comes after -9 within one millisecond. */
  private static final Comparator<Path> BY_TIME = Comparator
      .comparing((Path f) -> part(f, 1)).thenComparingLong(f -> Long.parseLong(part(f, 2)));

  private final Path dir;
  private final List<String> secrets;
  private final int keep;
  private final AtomicInteger counter = new AtomicInteger();

  /** Dumps into {@code dir}; none at all when it is null. */
  public RequestDumps(Path dir, List<String> secrets) {
    this(dir, secrets, KEEP);
  }

  RequestDumps(Path dir, List<String> secrets, int keep) {
    this.dir = dir;
    this.secrets = secrets.stream().filter(s -> s != null && s.length() >= 4).toList();
    this.keep = keep;
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
    Path file = dir.resolve(PREFIX + LocalDateTime.now().format(STAMP) + "-"
        + counter.incrementAndGet() + ".json");
    try {
      Files.createDirectories(dir);
      Files.writeString(file, mask(Json.write(dump)));
    } catch (IOException | RuntimeException e) {
      log.warn("could not dump the failed request to {}: {}", file, e.toString());
      return null;
    }
    forgetOld();
    return file;
  }

  /** Deletes all but the newest {@code keep} dumps (their names sort by time). */
  private synchronized void forgetOld() {
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> dumps = files.filter(f -> NAME.matcher(f.getFileName().toString()).matches())
          .sorted(BY_TIME).toList();
      for (Path old : dumps.subList(0, Math.max(0, dumps.size() - keep))) {
        Files.deleteIfExists(old);
      }
    } catch (IOException | RuntimeException e) {
      log.warn("could not remove old request dumps from {}: {}", dir, e.toString());
    }
  }

  private static String part(Path file, int group) {
    var m = NAME.matcher(file.getFileName().toString());
    return m.matches() ? m.group(group) : "";
  }

  String mask(String text) {
    for (String secret : secrets) {
      text = text.replace(secret, "***");
    }
    return text;
  }
}
