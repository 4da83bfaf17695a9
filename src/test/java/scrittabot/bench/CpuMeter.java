package scrittabot.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How much CPU other processes took while the benchmarks ran: the machine's busy time from
 * /proc/stat minus this JVM's own time and that of its children that have ended (the sandbox
 * children and the daemon, whose times the kernel adds to ours when they are reaped). Figures
 * measured while others used the CPU are not comparable with quiet runs.
 */
record CpuMeter(long machineBusyTicks, long ownTicks, long startNanos) {
  /** Linux reports both files in USER_HZ, 100 on every common configuration. */
  private static final double TICKS_PER_SECOND = 100;

  static CpuMeter start() {
    return new CpuMeter(machineBusy(), own(), System.nanoTime());
  }

  String report() {
    double others = Math.max(0, (machineBusy() - machineBusyTicks) - (own() - ownTicks))
        / TICKS_PER_SECOND;
    double wall = (System.nanoTime() - startNanos) / 1e9;
    return String.format(Locale.ROOT, "Other processes used %.0f s of CPU meanwhile (%.2f cores"
        + " on average; 0 means the benchmark had the machine to itself).", others, others / wall);
  }

  /** user + nice + system + irq + softirq + steal of the "cpu" line; -1 if unreadable. */
  private static long machineBusy() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
      return Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3])
          + Long.parseLong(f[6]) + Long.parseLong(f[7]) + Long.parseLong(f[8]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** utime + stime + cutime + cstime of this process. */
  private static long own() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // fields after "pid (comm) ": state is index 0, so utime (field 14) is index 11
      return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13])
          + Long.parseLong(f[14]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
