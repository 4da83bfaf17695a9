package scrittabot.library;

import java.awt.Color;
import java.awt.Image;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import scrittabot.llm.ChatMessage;

/** Small copies of images for the LLM, and image sizes, read without trusting the file. */
public final class Images {
  /** Multimodal models see images at a few hundred pixels; larger only costs tokens and time. */
  static final int IMAGE_SIDE = 256;
  /** Progressive JPEGs keep all coefficients in native memory, subsampled or not (~4 B/pixel). */
  private static final long MAX_PIXELS = 40_000_000L;

  private Images() {}

  /**
   * The image scaled to fit {@link #IMAGE_SIDE} pixels, as PNG; null when Java cannot decode it
   * (e.g. WebP) or it is absurdly large: the agent then gets the file without a picture. Large
   * images are subsampled while decoding, so a small file claiming huge dimensions (a
   * decompression bomb) never gets its full size allocated.
   */
  public static ChatMessage.Image forLlm(byte[] data) throws IOException {
    return withReader(data, reader -> {
      long width = reader.getWidth(0);
      long height = reader.getHeight(0);
      if (width <= 0 || height <= 0 || width * height > MAX_PIXELS) {
        return null;
      }
      ImageReadParam param = reader.getDefaultReadParam();
      int step = (int) Math.max(1, Math.max(width, height) / (IMAGE_SIDE * 4L));
      param.setSourceSubsampling(step, step, 0, 0);
      return scaled(reader.read(0, param));
    });
  }

  private static ChatMessage.Image scaled(BufferedImage image) throws IOException {
    double scale = Math.min(1.0, (double) IMAGE_SIDE / Math.max(image.getWidth(),
        image.getHeight()));
    int w = Math.max(1, (int) Math.round(image.getWidth() * scale));
    int h = Math.max(1, (int) Math.round(image.getHeight() * scale));
    var small = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    var g = small.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION,
          RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      // white under transparent parts: black drawings on nothing must not turn all black
      g.drawImage(image.getScaledInstance(w, h, Image.SCALE_SMOOTH), 0, 0, Color.WHITE, null);
    } finally {
      g.dispose();
    }
    var out = new ByteArrayOutputStream();
    ImageIO.write(small, "png", out);
    return new ChatMessage.Image("image/png", out.toByteArray());
  }

  /** Width and height of an image without decoding it, or null when Java cannot read it. */
  public static int[] size(byte[] data) throws IOException {
    return withReader(data, reader -> new int[] {reader.getWidth(0), reader.getHeight(0)});
  }

  private interface ReaderUse<T> {
    T apply(ImageReader reader) throws IOException;
  }

  /** Runs {@code use} with a reader for the image's format; null when no reader knows it. */
  private static <T> T withReader(byte[] data, ReaderUse<T> use) throws IOException {
    // In memory: ImageIO's default file cache would fail where the temp folder is read-only.
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
      var readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        return null;
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        return use.apply(reader);
      } finally {
        reader.dispose();
      }
    }
  }
}
