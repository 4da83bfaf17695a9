package scrittabot.llm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import scrittabot.Json;

/** Sends a dumped failed request again and prints the answer ({@code --replay FILE}). */
public final class Replay {
  private Replay() {}

  /**
   * Sends the dumped request to the URL it names, with the key that {@code keys} gives for that
   * URL (so a key only goes to its own server). Returns true when the server answered 2xx;
   * prints the reply text (or body) to {@code out}.
   */
  public static boolean run(Path dumpFile, Function<String, String> keys, Duration timeout,
      PrintStream out) throws IOException, InterruptedException {
    Map<String, Object> dump = Json.parseObject(Files.readString(dumpFile));
    if (!(dump.get("url") instanceof String url) || !(dump.get("request") instanceof Map<?, ?> request)) {
      throw new IOException(dumpFile + " is not a request dump (needs url and request)");
    }
    String key = keys.apply(url);
    var builder = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(Json.write(request), StandardCharsets.UTF_8));
    if (key != null && !key.isEmpty()) {
      builder.header("Authorization", "Bearer " + key);
    }
    try (HttpClient client = HttpClient.newHttpClient()) {
      var response = client.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
      out.println("HTTP " + response.statusCode() + " from " + url);
      try (var reader = new BufferedReader(
          new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        var sse = new SseChunks();
        String line;
        while ((line = reader.readLine()) != null) {
          if (!printChunk(sse, line, out)) {
            out.println(line);
          }
        }
        out.println();
        if (sse.usage() != null) {
          out.println("usage: " + sse.usage());
        }
      }
      return response.statusCode() / 100 == 2;
    }
  }

  /** Prints the content of an SSE line; false when the line is not one (a plain JSON body). */
  private static boolean printChunk(SseChunks sse, String line, PrintStream out) {
    if (!line.startsWith("data:") && !line.isEmpty()) {
      return false;
    }
    try {
      sse.accept(line, out::print);
    } catch (SseChunks.StreamError e) {
      out.println("\n[" + e.getMessage() + "]");
    }
    return true;
  }
}
