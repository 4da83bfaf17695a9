package scrittabot.sandbox;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import scrittabot.tools.Tool;
import scrittabot.tools.ToolSet;

class SandboxSmokeIT {
  @Test
  void smoke() throws Exception {
    var tools = new ToolSet(List.of(new Tool("echo", "text, times=1", "Echo text.",
        args -> args.string("text").repeat(args.optionalNumber("times").intValue()))));
    try (var sb = new Sandbox(new Sandbox.Settings(Path.of("target/files"), Duration.ofSeconds(3), "384m"), tools)) {
      long t0 = System.nanoTime();
      var e = sb.run("x = 41\nprint('hi')\necho('ab', times=2)");
      System.out.println("first " + (System.nanoTime() - t0) / 1e6 + " ms " + e);
      e = sb.run("x + 1");
      System.out.println(e);
      e = sb.run("echo()");
      System.out.println(e);
      e = sb.run("1/0");
      System.out.println(e);
      t0 = System.nanoTime();
      e = sb.run("while True: pass");
      System.out.println("loop " + (System.nanoTime() - t0) / 1e6 + " ms " + e);
      e = sb.run("x");
      System.out.println(e);
      t0 = System.nanoTime();
      e = sb.run("sum(range(10**13))");
      System.out.println("sum " + (System.nanoTime() - t0) / 1e6 + " ms " + e);
      e = sb.run("x");
      System.out.println(e);
      e = sb.run("open('/etc/passwd').read()");
      System.out.println(e);
      e = sb.run("import os; os.kill(os.getppid(), 9)");
      System.out.println(e);
      e = sb.run("import os; print(dict(os.environ))");
      System.out.println(e);
      e = sb.run("l=[]\nwhile True: l.append('x'*10000)");
      System.out.println(e);
      e = sb.run("print('alive')");
      System.out.println(e);
    }
  }
}
