package scrittabot.matrix;

import java.io.IOException;
import java.time.Duration;

/**
 * The homeserver answered with an error: HTTP status, Matrix errcode and its message, and for a
 * 429 how long it asks us to wait.
 */
public final class MatrixException extends IOException {
  private final int status;
  private final String errcode;
  private final Duration retryAfter;

  MatrixException(int status, String errcode, String message, Duration retryAfter) {
    super(message);
    this.status = status;
    this.errcode = errcode;
    this.retryAfter = retryAfter;
  }

  /** For a rate limit (429): the wait the homeserver asked for; otherwise null. */
  Duration retryAfter() {
    return retryAfter;
  }

  public int status() {
    return status;
  }

  /** Such as M_FORBIDDEN, M_UNKNOWN_TOKEN, M_LIMIT_EXCEEDED; "" when the body had none. */
  public String errcode() {
    return errcode;
  }
}
