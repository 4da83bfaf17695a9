package scrittabot;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Texts shipped in the jar beside the classes that use them: prompts, SQL migrations. */
public final class Resources {
  private Resources() {}

  /** The UTF-8 text of {@code name}, found beside {@code owner}; a missing one is a bug. */
  public static String text(Class<?> owner, String name) {
    try (InputStream in = owner.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the resource " + name + " of " + owner.getSimpleName()
            + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the resource " + name, e);
    }
  }
}
