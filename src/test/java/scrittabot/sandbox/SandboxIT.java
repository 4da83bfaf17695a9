package scrittabot.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import scrittabot.tools.Tool;
import scrittabot.tools.ToolError;
import scrittabot.tools.ToolSet;

/**
 * The sandbox against the agent's ordinary code, and against hostile code. One child JVM serves
 * the whole class (a start costs ~10 s); every hostile snippet is followed by a check that the
 * sandbox still answers. A snippet is "refused" when Python gets an ordinary exception, and
 * "bounded" when the time limit or the memory limit stops it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SandboxIT {
  private static final Duration TIME_LIMIT = Duration.ofSeconds(3);
  /** The parent kills code that ignores the interrupt after the time limit plus a grace of 3 s. */
  private static final long KILLED_WITHIN_MS = TIME_LIMIT.toMillis() + 3_000 + 2_000;
  private static final int OUTPUT_LIMIT = 16_000;
  private static final Set<String> CHILD_ENVIRONMENT = Set.of("PATH", "HOME", "LANG", "TMPDIR");

  private static Path files;
  private static Sandbox sandbox;

  @BeforeAll
  static void start() throws IOException {
    files = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "sandbox-it-")
        .toRealPath();
    Files.writeString(files.resolve("note.txt"), "hello from files\n");
    Files.createDirectory(files.resolve("sub"));
    Files.writeString(files.resolve("sub/data.json"), "{\"n\": 7}");
    Files.createSymbolicLink(files.resolve("passwd"), Path.of("/etc/passwd"));
    sandbox = new Sandbox(new Sandbox.Settings(files, TIME_LIMIT, "256m"), tools());
    sandbox.start();
  }

  @AfterAll
  static void stop() {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private static ToolSet tools() {
    return new ToolSet(List.of(
        new Tool("echo", "value", "Returns its argument.", args -> args.values().get("value")),
        new Tool("java_types", "value", "Names the Java type of each part of the argument.",
            args -> javaTypes(args.values().get("value"))),
        new Tool("greet", "name, greeting=\"Hello\", punctuation=\"!\"", "Greets someone.",
            args -> args.string("greeting") + ", " + args.string("name")
                + args.string("punctuation")),
        new Tool("fail", "kind, message", "Fails with the given Python error type.",
            args -> {
              throw new ToolError(args.string("kind"), args.string("message"));
            }),
        new Tool("nap", "ms", "Takes its time in the bot.", args -> {
          try {
            Thread.sleep(args.optionalNumber("ms").longValue());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return null;
        }),
        new Tool("crash", "", "Fails inside the bot.", args -> {
          throw new IllegalStateException("disk on fire");
        })));
  }

  private static Object javaTypes(Object value) {
    return switch (value) {
      case null -> "null";
      case List<?> list -> list.stream().map(SandboxIT::javaTypes).toList();
      case Map<?, ?> map -> {
        var types = new LinkedHashMap<Object, Object>();
        map.forEach((k, v) -> types.put(k, javaTypes(v)));
        yield types;
      }
      default -> value.getClass().getSimpleName();
    };
  }

  // ---- behaviour ----

  @Test
  void variablesFunctionsAndImportsPersistBetweenRuns() {
    ok(run("x = 41\ndef inc(v):\n    return v + 1\nimport math"));
    assertEquals("42 4.0\n", ok(run("print(inc(x), math.sqrt(16))")).output());
  }

  @Test
  void stdoutAndStderrAreCapturedInOrder() {
    var e = ok(run("import sys\nprint('out')\nprint('err', file=sys.stderr)\nprint('out again')"));
    assertEquals("out\nerr\nout again\n", e.output());
  }

  @Test
  void outputWithoutNewlineStaysInItsOwnRun() {
    assertEquals("no newline", ok(run("print('no newline', end='')")).output());
    assertEquals("", ok(run("pass")).output());
  }

  @Test
  void finalExpressionIsPrintedLikeARepl() {
    assertEquals("3\n", ok(run("1 + 2")).output());
    assertEquals("'text'\n", ok(run("'text'")).output());
    assertEquals("6\n", ok(run("y = 2\ny * 3")).output());
    assertEquals("", ok(run("None")).output());
  }

  @Test
  void tracebackIsShortAndNamesTheAgentsLines() {
    var e = run("def f(v):\n    return 1 / v\nf(0)");
    assertEquals("""
        Traceback (most recent call last):
          line 3: f(0)
          line 2, in f: return 1 / v
        ZeroDivisionError: division by zero""", e.error());
  }

  @Test
  void aMissingModuleSaysWhatThereIsInstead() {
    var e = run("import numpy as np");
    assertEquals("ModuleNotFoundError: No module named 'numpy' (only Python's standard library is "
        + "here: do it without that module)", lastLine(e));
  }

  @Test
  void mathIsThereWithoutAnImport() {
    assertEquals("1048576.0\n", run("print(math.pow(2, 20))").output());
  }

  @Test
  void syntaxErrorIsReportedAndRunsNothing() {
    var e = run("print('first')\ndef f(:\n    pass");
    assertEquals("", e.output());
    assertTrue(e.error().contains("line 2") && lastLine(e).startsWith("SyntaxError"), e.error());
  }

  @Test
  void toolsTakeKeywordArgumentsAndDefaults() {
    assertEquals("'Hello, Ann!'\n", ok(run("greet('Ann')")).output());
    assertEquals("'Hi, Bo?'\n",
        ok(run("greet(punctuation='?', name='Bo', greeting='Hi')")).output());
    assertEquals("TypeError: greet() missing 1 required positional argument: 'name'",
        lastLine(run("greet()")));
    assertEquals("TypeError: greet() got an unexpected keyword argument 'mood'",
        lastLine(run("greet('Ann', mood='sad')")));
  }

  @Test
  void toolArgumentsAndResultsCrossAsJsonValues() {
    String value = "{'s': 'x', 'i': 1, 'big': 2**40, 'f': 1.5, 'b': True, 'n': None,"
        + " 'l': [1, 'a'], 'd': {'k': [None]}}";
    String back = "{'s': 'x', 'i': 1, 'big': 2**40, 'f': 1.5, 'b': True, 'n': None,"
        + " 'l': [1, None], 'd': {'k': [None], 'm': None}}";
    assertEquals("True\n", ok(run("v = " + back + "\nprint(echo(v) == v)")).output());
    assertEquals("True\n", ok(run("print([type(echo(t)).__name__ for t in (1, 1.0, True, None,"
        + " 'a', [], {})] == ['int', 'float', 'bool', 'NoneType', 'str', 'list', 'dict'])"))
        .output());
    assertEquals("{'s': 'String', 'i': 'Integer', 'big': 'Long', 'f': 'Double', 'b': 'Boolean',"
        + " 'n': 'null', 'l': ['Integer', 'String'], 'd': {'k': ['null']}}\n",
        ok(run("java_types(" + value + ")")).output());
  }

  @Test
  void toolErrorsBecomeTheNamedPythonException() {
    var e = ok(run("""
        for kind in ('ValueError', 'KeyError', 'FileNotFoundError', 'PermissionError', 'Bogus'):
            try:
                fail(kind, 'no good')
            except Exception as e:
                print(type(e).__name__, e)
        """));
    assertEquals("ValueError no good\nKeyError 'no good'\nFileNotFoundError no good\n"
        + "PermissionError no good\nRuntimeError no good\n", e.output());
    assertEquals("RuntimeError: crash failed inside the bot: disk on fire",
        lastLine(run("crash()")));
  }

  @Test
  void readsFilesInsideTheFilesFolder() {
    var e = ok(run("import os, json\nprint(os.getcwd())\nprint(open('note.txt').read(), end='')\n"
        + "print(json.load(open('sub/data.json'))['n'], sorted(os.listdir('.')))"));
    assertEquals(files + "\nhello from files\n7 ['note.txt', 'passwd', 'sub']\n", e.output());
  }

  // ---- the file system ----

  @Test
  void readingEtcPasswdIsRefused() {
    assertRefused(attack("open('/etc/passwd').read()"), "PermissionError");
    assertRefused(attack("import os; os.stat('/etc/passwd')"), "PermissionError");
    assertRefused(attack("import io; io.FileIO('/etc/passwd').read()"), "PermissionError");
    assertRefused(attack("__graalpython__.read_file('/etc/passwd')"), "PermissionError");
  }

  @Test
  void listingTheRootIsRefused() {
    assertRefused(attack("import os; os.listdir('/')"), "PermissionError");
    assertRefused(attack("import os; os.listdir('..')"), "PermissionError");
  }

  @Test
  void aSymlinkOutOfTheFilesFolderIsRefused() {
    assertRefused(attack("open('passwd').read()"), "PermissionError");
  }

  @Test
  void theFilesFolderIsReadOnly() throws IOException {
    assertRefused(attack("open('new.txt', 'w').write('x')"), "PermissionError");
    assertRefused(attack("import os; os.remove('note.txt')"), "PermissionError");
    assertRefused(attack("import os; os.mkdir('dir')"), "PermissionError");
    assertRefused(attack("import mmap\nf = open('note.txt', 'rb')\n"
        + "mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_WRITE)[0:1] = b'X'"), "PermissionError");
    assertFalse(Files.exists(files.resolve("new.txt")));
    assertEquals("hello from files\n", Files.readString(files.resolve("note.txt")));
  }

  /** Regression: the language home was writable through the internal-resource file system. */
  @Test
  void thePythonHomeIsReadOnly() {
    String home = ok(run("import sys; print(sys.path[0])")).output().strip();
    assertRefused(attack("import sys; open(sys.path[0] + '/sandbox_it.py', 'w').close()"),
        "PermissionError");
    assertRefused(attack("import os, sys; os.remove(sys.path[0] + '/json/__init__.py')"),
        "PermissionError");
    assertFalse(Files.exists(Path.of(home, "sandbox_it.py")));
    assertTrue(Files.exists(Path.of(home, "json/__init__.py")));
  }

  // ---- processes, network, threads, host ----

  @Test
  void noProcessCanBeStarted() {
    Path marker = files.getParent().resolve(files.getFileName() + "-pwned");
    String touch = "touch " + marker;
    assertRefused(attack("import os; os.system('" + touch + "')"), "PermissionError");
    assertRefused(attack("import os; os.popen('" + touch + "')"), "PermissionError");
    assertRefused(attack("import subprocess; subprocess.run('" + touch + "', shell=True)"),
        "FileNotFoundError");
    attack("import _posixsubprocess, os\nr, w = os.pipe()\n"
        + "_posixsubprocess.fork_exec([b'/bin/sh', b'-c', b'" + touch + "'], [b'/bin/sh'], True,"
        + " (), None, None, -1, -1, -1, -1, -1, -1, r, w, False, False, -1, None, None, None, -1,"
        + " None, False)");
    assertRefused(attack("import os; os.execv('/bin/sh', ['sh', '-c', '" + touch + "'])"),
        "PermissionError");
    assertFalse(Files.exists(marker));
  }

  @Test
  void forkIsNotThere() {
    assertRefused(attack("import os\nwhile True: os.fork()"), "AttributeError");
    assertRefused(attack("import pty; pty.fork()"), "ImportError");
  }

  @Test
  void socketsCannotConnect() throws IOException {
    try (var server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = server.getLocalPort();
      assertRefused(attack("import socket; socket.socket().connect(('127.0.0.1', " + port + "))"),
          "OSError");
      assertRefused(attack("import socket; socket.create_connection(('127.0.0.1', " + port
          + "), timeout=1)"), "OSError");
      assertNobodyCalled(server);
    }
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void urllibCannotConnect() throws IOException {
    // Importing urllib.request takes ~11 s in a fresh context (email, ssl): over several runs.
    for (int attempt = 1; !run("import urllib.request").ok(); attempt++) {
      assertTrue(attempt < 8, "urllib.request would not import");
    }
    try (var server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertRefused(attack("import urllib.request; urllib.request.urlopen('http://127.0.0.1:"
          + server.getLocalPort() + "/', timeout=1)"), "OSError");
      assertNobodyCalled(server);
    }
  }

  @Test
  void threadsCannotStart() {
    assertEquals("RuntimeError: Creating threads is not allowed.",
        attack("import threading; threading.Thread(target=print).start()").error());
    assertEquals("RuntimeError: Creating threads is not allowed.",
        attack("import _thread; _thread.start_new_thread(print, ())").error());
  }

  @Test
  void javaClassesAreOutOfReach() {
    assertRefused(attack("import java; java.type('java.lang.Runtime')"), "KeyError");
    assertRefused(attack("from java.lang import System"), "KeyError");
    assertEquals("RuntimeError: Host class loading is not allowed.",
        lastLine(attack("import java; java.add_to_classpath('/tmp')")));
    // The tool bridge is a Java object in the guest: it can be called (a tool call), no more.
    assertRefused(attack("h = [c.cell_contents for c in echo.__globals__['_call_tool'].__closure__"
        + " if type(c.cell_contents).__name__ == 'ForeignExecutable'][0]\nh.getClass()"),
        "AttributeError");
  }

  @Test
  void polyglotModuleIsRefused() {
    assertRefused(attack("import polyglot; polyglot.eval(language='js', string='1')"),
        "RuntimeError");
    assertRefused(attack("import polyglot; polyglot.eval(language='python', path='/etc/passwd')"),
        "RuntimeError");
    assertRefused(attack("import polyglot; polyglot.import_value('x')"), "NotImplementedError");
    assertRefused(attack("import polyglot; polyglot.export_value('x', 1)"), "NotImplementedError");
  }

  @Test
  void graalpythonBuiltinsGiveNothingAway() {
    assertRefused(attack("__graalpython__.read_file('passwd')"), "PermissionError");
    assertRefused(attack("__graalpython__.build_java_class(object, 'X', 'java.lang.Object')"),
        "TypeError");
    // A Java exception inside GraalPy reads as a Python error, not as a Java class name.
    assertTrue(lastLine(attack("__graalpython__.get_current_rss()")).startsWith("SystemError: "));
  }

  @Test
  void largeAnonymousMmapIsRefused() {
    assertRefused(attack("import mmap; mmap.mmap(-1, 2**31)"), "OSError");
  }

  @Test
  void signalHandlersAndTimersAreRefused() {
    assertRefused(attack("import signal; signal.signal(signal.SIGTERM, lambda *a: None)"),
        "PermissionError");
    assertRefused(attack("import _signal; _signal.signal(15, lambda *a: None)"),
        "PermissionError");
    assertRefused(attack("import signal; signal.alarm(1)"), "PermissionError");
    assertRefused(attack("import signal; signal.setitimer(0, 1)"), "PermissionError");
    assertRefused(attack("import importlib, _signal; importlib.reload(_signal).signal(15, print)"),
        "PermissionError");
  }

  @Test
  void killingTheChildOrItsParentIsRefused() {
    long parent = ProcessHandle.current().pid();
    assertRefused(attack("import os; os.kill(os.getpid(), 9)"), "PermissionError");
    assertRefused(attack("import os; os.kill(" + parent + ", 9)"), "PermissionError");
    assertRefused(attack("import os; os.killpg(0, 9)"), "PermissionError");
    assertRefused(attack("import sys; sys.modules.pop('posix'); import posix; posix.kill("
        + parent + ", 9)"), "PermissionError");
    assertEquals("OSError: Feature not supported on 'java' POSIX backend: getppid",
        attack("import os; os.getppid()").error());
  }

  @Test
  void theEnvironmentHoldsNoSecrets() throws IOException {
    var e = ok(run("import os; print(os.getpid()); print(' '.join(sorted(os.environ)))"));
    String[] lines = e.output().split("\n", -1);
    for (String name : lines[1].split(" ")) {
      assertFalse(System.getenv().containsKey(name) && !CHILD_ENVIRONMENT.contains(name), name);
      assertFalse(name.matches("(?i).*(KEY|TOKEN|SECRET|PASSWORD|OPENAI).*"), name);
    }
    byte[] environ = Files.readAllBytes(Path.of("/proc", lines[0], "environ"));
    for (String entry : new String(environ, StandardCharsets.UTF_8).split("\0")) {
      String name = entry.substring(0, Math.max(0, entry.indexOf('=')));
      assertTrue(name.isEmpty() || CHILD_ENVIRONMENT.contains(name), "child process has " + name);
    }
  }

  // ---- escapes through introspection ----

  @Test
  void subclassWalkReachesNothingDangerous() {
    var e = attack("""
        import sys, warnings
        warnings.simplefilter('ignore')
        def walk(cls, seen):
            try:
                subs = cls.__subclasses__()
            except TypeError:
                subs = type.__subclasses__(cls)
            for sub in subs:
                if sub not in seen:
                    seen[sub] = None
                    walk(sub, seen)
            return seen
        classes = {c.__name__: c for c in walk(object, {})}
        def attempt(name, action):
            try:
                print(name, 'got', repr(action())[:40])
            except BaseException as e:
                print(name, type(e).__name__)
        attempt('FileIO', lambda: classes['FileIO']('/etc/passwd').read())
        attempt('catch_warnings', lambda: classes['catch_warnings']()._module
                .__builtins__['__import__']('os').system('id'))
        attempt('BuiltinImporter', lambda: classes['BuiltinImporter'].load_module('posix')
                .kill(1, 0))
        danger = {'kill', 'killpg', 'system', 'fork', 'forkpty', 'execv', 'execve', 'popen',
                  'signal', 'alarm', 'setitimer', 'pthread_kill', '_exit', 'abort', 'spawnv'}
        spaces = [(n, vars(m)) for n, m in list(sys.modules.items()) if hasattr(m, '__dict__')]
        for c in classes.values():
            g = getattr(getattr(c, '__init__', None), '__globals__', None)
            if isinstance(g, dict):
                spaces.append((c.__name__, g))
        print('unpatched', sorted({where + '.' + k for where, space in spaces
                                   for k, v in list(space.items())
                                   if k in danger and type(v).__name__.startswith('builtin')}))
        """);
    assertEquals("FileIO PermissionError\ncatch_warnings PermissionError\n"
        + "BuiltinImporter PermissionError\nunpatched []\n", ok(e).output());
  }

  @Test
  void formatStringsReachOnlyWhatCodeCanReachAnyway() {
    assertTrue(ok(attack("'{0.__class__.__base__.__subclasses__}'.format(1)")).output()
        .startsWith("'<built-in method __subclasses__"));
    assertTrue(ok(attack("import warnings\n"
        + "'{0.__init__.__globals__[sys].modules[os].system.__qualname__}'"
        + ".format(warnings.catch_warnings())")).output().contains("refused"));
  }

  // ---- time ----

  @Test
  void anEndlessLoopStopsAtTheTimeLimitAndKeepsState() {
    ok(run("kept = 'loop'"));
    var run = attackTimed("while True: pass");
    assertTimedOut(run.execution());
    assertTrue(run.millis() < TIME_LIMIT.toMillis() + 1_500, run.millis() + " ms");
    assertEquals("'loop'\n", run("kept").output());
  }

  @Test
  void sleepStopsAtTheTimeLimit() {
    ok(run("kept = 'sleep'"));
    var run = attackTimed("import time; time.sleep(100)");
    assertTimedOut(run.execution());
    assertTrue(run.millis() < TIME_LIMIT.toMillis() + 1_500, run.millis() + " ms");
    assertEquals("'sleep'\n", run("kept").output());
  }

  @Test
  void aHugeErrorMessageIsBounded() {
    var e = attack("raise ValueError('x' * 10**7)");
    assertTrue(e.error().length() < 5_000, e.error().length() + " characters");
    assertTrue(e.error().contains("characters cut"), e.error().substring(0, 200));
  }

  @Test
  void aLoopOfToolCallsStopsAtTheTimeLimitAndKeepsState() {
    ok(run("kept = 'tools'"));
    var fast = attackTimed("while True: echo(1)");
    assertTimedOut(fast.execution());
    var slow = attackTimed("while True: nap(700)");
    assertTimedOut(slow.execution());
    assertTrue(slow.millis() < TIME_LIMIT.toMillis() + 2_500, slow.millis() + " ms");
    assertEquals("'tools'\n", run("kept").output());
  }

  @Test
  void aRunawayBuiltinGetsTheChildKilledAndRestarted() {
    ok(run("kept = 'sum'"));
    var run = attackTimed("sum(range(10**13))");
    assertNotNull(run.execution().reset(), run.execution().toString());
    assertTrue(run.millis() < KILLED_WITHIN_MS, run.millis() + " ms");
    assertEquals("NameError: name 'kept' is not defined", lastLine(run("kept")));
  }

  @Test
  void aHugePowerIsBounded() {
    var run = attackTimed("x = 7**(10**8)"); // finishes, or the child is killed and restarted
    assertTrue(run.millis() < KILLED_WITHIN_MS, run.millis() + " ms");
  }

  // ---- memory ----

  @Test
  void hugeAllocationsFailInPythonAndKeepState() {
    ok(run("kept = 'memory'"));
    assertTrue(lastLine(attack("s = 'a' * 10**10")).matches("(MemoryError|OverflowError).*"));
    assertTrue(lastLine(attack("l = [0] * 10**10")).matches("(MemoryError|OverflowError).*"));
    assertEquals("'memory'\n", run("kept").output());
  }

  @Test
  void aSlowAllocationLoopIsBounded() {
    // Either the time limit stops it, or the heap runs out and the child exits and is restarted.
    var e = attack("l = []\nwhile True: l.append('x' * 100000)");
    assertTrue(e.reset() != null || isTimeout(e), e.toString());
    run("l = None");
  }

  // ---- output ----

  @Test
  void aPrintFloodIsCutAndStopped() {
    ok(run("kept = 'flood'"));
    var e = attack("while True: print('x' * 1000)");
    assertTimedOut(e);
    assertTrue(e.output().length() < OUTPUT_LIMIT + 100, e.output().length() + " chars");
    assertTrue(e.output().contains("[output cut: "), "no cut note");
    assertEquals("'flood'\n", run("kept").output());
  }

  @Test
  void aHugeSinglePrintIsCut() {
    var e = ok(attack("print('y' * 10**7)"));
    assertTrue(e.output().length() < OUTPUT_LIMIT + 100, e.output().length() + " chars");
    assertTrue(e.output().endsWith("[output cut: " + (10_000_001 - OUTPUT_LIMIT)
        + " more bytes were printed]"), e.output().substring(OUTPUT_LIMIT - 10));
  }

  /** Regression: closing the streams or file descriptors 1 and 2 used to break every later run. */
  @Test
  void closingTheOutputBreaksOnlyThatRun() {
    attack("import sys; sys.stdout.close(); sys.stderr.close()");
    attack("import os; os.close(1); os.close(2)");
    attack("open(1, 'w').close()");
    ok(run("import sys; print('err', file=sys.stderr)"));
  }

  // ---- breaking the interpreter itself ----

  @Test
  void recursionIsStopped() {
    var e = attack("def f(): f()\nf()");
    assertEquals("RecursionError: maximum recursion depth exceeded", lastLine(e));
    assertTrue(e.error().lines().count() <= 7, e.error());
    assertEquals("RecursionError: maximum recursion depth exceeded",
        lastLine(attack("import sys; sys.setrecursionlimit(10**6)\ndef f(): f()\nf()")));
  }

  @Test
  void exitingIsReportedAndStateKept() {
    ok(run("kept = 'exit'"));
    assertEquals("NameError: name 'exit' is not defined", lastLine(attack("exit()")));
    assertEquals("SystemExit: 3", lastLine(attack("import sys; sys.exit(3)")));
    assertEquals("SystemExit", lastLine(attack("raise SystemExit")));
    assertEquals("KeyboardInterrupt", lastLine(attack("raise KeyboardInterrupt")));
    assertRefused(attack("import os; os._exit(0)"), "PermissionError");
    assertEquals("'exit'\n", run("kept").output());
  }

  /** Regression: deleted builtins used to stay deleted, so every later run failed. */
  @Test
  void brokenBuiltinsAreRestoredForTheNextRun() {
    attack("import builtins; del builtins.print; builtins.len = None; builtins.__import__ = None");
    attack("import sys; sys.setrecursionlimit(5); sys.stdout = None");
    attack("import json; json.loads = json.dumps = None");
    assertEquals("3 [1]\n", ok(run("import math; print(len('abc'), echo([1]))")).output());
  }

  // ---- helpers ----

  private static Execution run(String code) {
    return sandbox.run(code);
  }

  /** Runs hostile code, then checks that the sandbox still answers. */
  private static Execution attack(String code) {
    Execution e = sandbox.run(code);
    assertAlive(code, e);
    return e;
  }

  private static void assertAlive(String code, Execution e) {
    Execution check = sandbox.run("print(1 + 1)");
    assertEquals("2\n", check.output(),
        () -> "the sandbox no longer answers after\n" + code + "\n" + e + "\n" + check);
  }

  private static Execution ok(Execution e) {
    assertNull(e.error(), () -> "failed: " + e);
    return e;
  }

  private static void assertRefused(Execution e, String pythonError) {
    assertNull(e.reset(), () -> "the sandbox was reset: " + e);
    assertNotNull(e.error(), () -> "not refused: " + e);
    assertTrue(lastLine(e).startsWith(pythonError + ":") || lastLine(e).equals(pythonError),
        () -> "expected " + pythonError + ", got:\n" + e.error());
  }

  private static void assertTimedOut(Execution e) {
    assertTrue(isTimeout(e), () -> "expected a timeout, got: " + e);
    assertNull(e.reset(), () -> "the sandbox was reset: " + e);
  }

  private static boolean isTimeout(Execution e) {
    return e.error() != null && e.error().startsWith("TimeoutError: ");
  }

  private static void assertNobodyCalled(ServerSocket server) throws IOException {
    server.setSoTimeout(300);
    assertThrows(SocketTimeoutException.class, server::accept, "the sandbox reached the server");
  }

  private static String lastLine(Execution e) {
    assertNotNull(e.error(), () -> "no error: " + e);
    String[] lines = e.error().split("\n");
    return lines[lines.length - 1];
  }

  /** An execution and how long the run took, without the check that follows it. */
  private record Timed(Execution execution, long millis) {}

  private static Timed attackTimed(String code) {
    long start = System.nanoTime();
    Execution e = sandbox.run(code);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertAlive(code, e);
    return new Timed(e, millis);
  }
}
