package scrittabot.sandbox;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command line of the sandbox child JVM. From the built jar (target/scrittabot.jar beside
 * lib/, jvmci/ and sandbox.aot) it can use the JDK's AOT cache, made by {@code make install},
 * which halves the child's start, or GraalVM's optimising compiler; run from classes (tests,
 * an IDE) it uses the plain class path.
 */
final class ChildCommand {
  private static final Logger log = LoggerFactory.getLogger(ChildCommand.class);
  static final String AOT_CACHE = "sandbox.aot";
  private static boolean warnedNoJit;

  private ChildCommand() {}

  static List<String> build(Sandbox.Settings settings) {
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    var cmd = new ArrayList<>(List.of(java, "-Xmx" + settings.memory(),
        "-XX:+ExitOnOutOfMemoryError", "-XX:+UseSerialGC",
        "-Xlog:disable", "-Xlog:all=warning:stderr")); // stdout is the protocol's alone
    Path jar = builtJar();
    if (settings.jit() && jar != null && compiler(jar) != null) {
      cmd.addAll(List.of("-XX:+UnlockExperimentalVMOptions", "-XX:+EnableJVMCI",
          "--upgrade-module-path=" + compiler(jar), "--module-path=" + jar.resolveSibling("lib"),
          "--add-modules=ALL-MODULE-PATH", "-cp", jar.toString()));
    } else {
      if (settings.jit()) {
        warnNoJit();
      }
      Path aot = jar == null ? null : jar.resolveSibling(AOT_CACHE);
      if (aot != null && Files.isRegularFile(aot)) {
        cmd.addAll(List.of("-XX:AOTCache=" + aot, "-cp", jar.toString()));
      } else {
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
      }
    }
    cmd.add(SandboxChild.class.getName());
    return cmd;
  }

  /** The absolute path of the jar this class was loaded from, or null when run from classes. */
  private static Path builtJar() {
    try {
      Path jar = Path.of(ChildCommand.class.getProtectionDomain().getCodeSource().getLocation()
          .toURI()).toAbsolutePath();
      return Files.isRegularFile(jar) && Files.isDirectory(jar.resolveSibling("lib")) ? jar : null;
    } catch (URISyntaxException | RuntimeException e) {
      return null;
    }
  }

  private static Path compiler(Path jar) {
    try (var found = Files.list(jar.resolveSibling("jvmci"))) {
      return found.filter(p -> p.toString().endsWith(".jar")).findFirst().orElse(null);
    } catch (IOException e) {
      return null;
    }
  }

  private static synchronized void warnNoJit() {
    if (!warnedNoJit) {
      warnedNoJit = true;
      log.warn("sandbox_jit needs the built jar with its lib/ and jvmci/ folders (make install);"
          + " the sandbox runs without the optimising compiler");
    }
  }
}
