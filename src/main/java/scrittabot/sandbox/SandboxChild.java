package scrittabot.sandbox;

import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.EnvironmentAccess;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.PolyglotAccess;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.SandboxPolicy;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;
import org.graalvm.polyglot.io.FileSystem;
import org.graalvm.polyglot.io.IOAccess;
import org.graalvm.polyglot.proxy.ProxyExecutable;
import scrittabot.Json;

/**
 * The sandbox child JVM: one GraalPy context, driven by the parent over JSON lines on stdin and
 * stdout (see {@link Sandbox} for the protocol). It runs in its own process because GraalPy
 * community has no memory limit and some builtins cannot be interrupted: the parent can always
 * kill this process, and nothing the agent's code does here can take the bot down.
 */
public final class SandboxChild {
  private static final int OUTPUT_LIMIT = 16_000;
  private static final int ERROR_LIMIT = 4_000;
  /** A leading Java class name in an exception message, e.g. {@code java.lang.Foo$Bar: }. */
  private static final Pattern JAVA_EXCEPTION =
      Pattern.compile("(?:java|javax|jdk|sun|com|org)\\.(?:[a-z_]\\w*\\.)*([A-Z][\\w$]*)(?:: |$)");

  private final PrintStream protocolOut;
  private final BufferedReader protocolIn;
  private final BoundedOutput output = new BoundedOutput(OUTPUT_LIMIT);
  private Context context;
  private Value runner;
  private final Watchdog watchdog = new Watchdog();

  private SandboxChild(PrintStream protocolOut, BufferedReader protocolIn) {
    this.protocolOut = protocolOut;
    this.protocolIn = protocolIn;
  }

  public static void main(String[] args) throws IOException {
    // stdout belongs to the protocol; anything else that prints goes to stderr.
    var protocolOut = new PrintStream(new FileOutputStream(FileDescriptor.out), true,
        StandardCharsets.UTF_8);
    System.setOut(System.err);
    // If the bot dies without closing us (SIGKILL, a crash), code stuck in a builtin that never
    // reads stdin again must not run on for hours.
    ProcessHandle.current().parent()
        .ifPresent(parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(1)));
    var protocolIn = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    new SandboxChild(protocolOut, protocolIn).serve();
  }

  private void serve() throws IOException {
    String line;
    while ((line = protocolIn.readLine()) != null) {
      Map<String, Object> message = Json.parseObject(line);
      switch (String.valueOf(message.get("op"))) {
        case "init" -> init(message);
        case "run" -> run(message);
        default -> throw new IllegalStateException("unknown request from parent: " + line);
      }
    }
  }

  private void init(Map<String, Object> message) throws IOException {
    Path files = Path.of((String) message.get("files"));
    context = Context.newBuilder("python")
        .sandbox(SandboxPolicy.CONSTRAINED)
        .out(output)
        .err(output)
        .in(InputStream.nullInputStream())
        .allowHostAccess(HostAccess.CONSTRAINED)
        .allowHostClassLookup(name -> false)
        .allowPolyglotAccess(PolyglotAccess.NONE)
        .allowCreateThread(false)
        .allowCreateProcess(false)
        .allowNativeAccess(false)
        .allowEnvironmentAccess(EnvironmentAccess.NONE)
        // allowInternalResourceAccess hands the Python home to the host file system with write
        // access (code could rewrite the standard library for every later sandbox): the
        // read-only wrapper goes around it.
        .allowIO(IOAccess.newBuilder()
            .fileSystem(FileSystem.newReadOnlyFileSystem(
                FileSystem.allowInternalResourceAccess(new RootedFileSystem(files))))
            .build())
        .currentWorkingDirectory(files.toAbsolutePath())
        .option("engine.WarnInterpreterOnly", "false")
        .build();
    var prelude = Source.newBuilder("python",
        new String(Objects.requireNonNull(SandboxChild.class.getResourceAsStream("prelude.py"))
            .readAllBytes(), StandardCharsets.UTF_8), "prelude.py").build();
    context.eval(prelude);
    Value setup = context.getBindings("python").getMember("_setup");
    runner = setup.execute((ProxyExecutable) this::callTool, (ProxyExecutable) this::write,
        message.get("tools"));
    output.take();
    send(Map.of("op", "ready"));
    watchdog.start();
  }

  private void run(Map<String, Object> message) {
    long limitMs = ((Number) message.get("limit_ms")).longValue();
    String error;
    boolean interrupted;
    watchdog.arm(limitMs);
    try {
      Value result = runner.execute((String) message.get("code"));
      error = result.isNull() ? null : result.asString();
    } catch (PolyglotException e) {
      error = describe(e);
    } finally {
      interrupted = watchdog.disarm();
    }
    if (interrupted) {
      // The interrupt surfaces in several forms (in a host call it reads "Execution got
      // interrupted."): that the watchdog fired is what counts.
      error = "TimeoutError: the code ran longer than " + limitMs / 1000.0 + " s and was stopped";
    }
    var done = new LinkedHashMap<String, Object>();
    done.put("op", "done");
    done.put("output", output.take());
    done.put("error", error == null ? null : bounded(error));
    done.put("interrupted", interrupted);
    send(done);
  }

  /** An error text of at most ~4,000 characters: its start and its end. */
  private static String bounded(String error) {
    int keep = ERROR_LIMIT / 2;
    if (error.length() <= ERROR_LIMIT) {
      return error;
    }
    return error.substring(0, keep) + "\n[... " + (error.length() - 2 * keep)
        + " characters cut ...]\n" + error.substring(error.length() - keep);
  }

  /**
   * Python wrote bytes to sys.stdout or sys.stderr. They come here rather than through file
   * descriptors 1 and 2 because the watchdog's interrupt closes a descriptor for good when it lands
   * in the middle of a write (a print loop at the time limit), and every later print would fail.
   */
  private Object write(Value... arguments) {
    if (arguments.length != 1 || !arguments[0].hasBufferElements()) {
      throw new IllegalArgumentException("output bridge takes (bytes)");
    }
    Value bytes = arguments[0];
    long size = bytes.getBufferSize();
    byte[] kept = new byte[(int) Math.min(size, output.room())]; // a huge print is not copied
    bytes.readBuffer(0, kept, 0, kept.length);
    output.write(kept, 0, kept.length);
    output.skip(size - kept.length);
    return null;
  }

  /** Python called a tool: ask the parent and wait for its answer. */
  private Object callTool(Value... arguments) {
    if (arguments.length != 2 || !arguments[0].isString() || !arguments[1].isString()) {
      throw new IllegalArgumentException("tool bridge takes (name, json)");
    }
    try {
      send(Map.of("op", "call", "tool", arguments[0].asString(), "args", arguments[1].asString()));
      String reply = protocolIn.readLine();
      if (reply == null) {
        System.exit(0); // the parent is gone
      }
      return reply;
    } catch (IOException e) {
      throw new IllegalStateException("lost the parent: " + e.getMessage(), e);
    }
  }

  /**
   * An error that escaped the prelude's own handler. Most are Java exceptions inside GraalPy (a
   * POSIX call its Java backend lacks, a refused thread) whose text starts with a Java class name;
   * the LLM gets a Python exception type instead. Their frames carry no line numbers for code
   * compiled from an AST, so there is no traceback.
   */
  private static String describe(PolyglotException e) {
    String message = String.valueOf(e.getMessage());
    Matcher java = JAVA_EXCEPTION.matcher(message);
    if (java.lookingAt()) {
      return pythonType(java.group(1)) + ": " + message.substring(java.end());
    }
    return e.isGuestException() ? message : "SandboxError: " + message;
  }

  private static String pythonType(String javaClass) {
    if (javaClass.endsWith("PosixFeatureException") || javaClass.endsWith("PosixException")
        || javaClass.endsWith("IOException")) {
      return "OSError";
    }
    if (javaClass.endsWith("SecurityException")) {
      return "PermissionError"; // e.g. mmap with write access to a file
    }
    if (javaClass.endsWith("IllegalStateException")
        || javaClass.endsWith("UnsupportedOperationException")) {
      return "RuntimeError";
    }
    return "SystemError"; // a bug inside GraalPy, e.g. a NullPointerException
  }

  private synchronized void send(Map<String, Object> message) {
    protocolOut.println(Json.write(message));
    protocolOut.flush();
  }

  /**
   * Interrupts the context once the code has run for its time limit, wall clock and tool calls
   * included, so that a loop of slow tool calls ends too. An interrupt that lands while a tool
   * call is in the parent takes effect when the call returns, so it is tried again until the code
   * stops. Code that cannot be interrupted at all is killed by the parent.
   */
  private final class Watchdog implements Runnable {
    private long deadline;
    private boolean armed;
    private boolean fired;

    void start() {
      Thread.ofPlatform().daemon().name("sandbox-watchdog").start(this);
    }

    synchronized void arm(long limitMs) {
      deadline = System.nanoTime() + Duration.ofMillis(limitMs).toNanos();
      armed = true;
      fired = false;
      notifyAll();
    }

    /** Returns whether the time ran out and the code was interrupted. */
    synchronized boolean disarm() {
      armed = false;
      notifyAll();
      return fired;
    }

    private synchronized boolean due() throws InterruptedException {
      while (!armed) {
        wait();
      }
      long left = deadline - System.nanoTime();
      if (left > 0) {
        wait(Math.max(1, left / 1_000_000));
        return false;
      }
      fired = true;
      return true;
    }

    private synchronized void awaitDisarm() throws InterruptedException {
      while (armed) {
        wait();
      }
    }

    @Override
    public void run() {
      try {
        while (true) {
          if (due()) {
            try {
              context.interrupt(Duration.ofSeconds(2));
              awaitDisarm();
            } catch (java.util.concurrent.TimeoutException e) {
              // still running (in a tool call, or a builtin): try again
            }
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
