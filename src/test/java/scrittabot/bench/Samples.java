package scrittabot.bench;

import java.util.Arrays;
import java.util.List;

/** Timings in nanoseconds, sorted once, and the figures the tables show (in milliseconds). */
public record Samples(long[] sorted) {

  public static Samples of(List<Long> nanos) {
    long[] values = nanos.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(values);
    return new Samples(values);
  }

  public int count() {
    return sorted.length;
  }

  /** Nearest-rank percentile: the smallest sample that at least {@code p}% of samples reach. */
  public double percentileMs(double p) {
    int rank = (int) Math.ceil(p / 100 * sorted.length);
    return ms(sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))]);
  }

  public double p50() {
    return percentileMs(50);
  }

  public double p99() {
    return percentileMs(99);
  }

  public double minMs() {
    return ms(sorted[0]);
  }

  public double maxMs() {
    return ms(sorted[sorted.length - 1]);
  }

  static double ms(long nanos) {
    return nanos / 1e6;
  }
}
