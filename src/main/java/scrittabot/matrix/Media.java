package scrittabot.matrix;

import java.awt.Color;
import java.awt.Image;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.text.Normalizer;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import scrittabot.llm.ChatMessage;

/** Received files on disk under safe names, and small copies of images for the LLM. */
final class Media {
  /** Multimodal models see images at a few hundred pixels; larger only costs tokens and time. */
  static final int IMAGE_SIDE = 256;
  private static final int MAX_NAME = 100;
  private static final long KEEP_FREE = 1L << 30;
  /** Progressive JPEGs keep all coefficients in native memory, subsampled or not (~4 B/pixel). */
  private static final long MAX_PIXELS = 40_000_000L;

  private Media() {}

  /**
   * A file name that is safe on any file system and cannot leave the folder: letters, digits,
   * dot, dash and underscore; no leading dot; the extension kept when the name is shortened.
   */
  static String safeName(String name) {
    String base = name == null ? "" : name.replace('\\', '/');
    base = base.substring(base.lastIndexOf('/') + 1);
    int dot = base.lastIndexOf('.');
    String ext = dot > 0 ? clean(base.substring(dot + 1)) : "";
    ext = ext.length() > 10 ? ext.substring(0, 10) : ext;
    String stem = clean(dot > 0 ? base.substring(0, dot) : base).replaceAll("^[._-]+", "");
    if (stem.isEmpty()) {
      stem = "file"; // e.g. a name in another script: "отчёт.pdf" becomes file.pdf
    }
    int room = MAX_NAME - (ext.isEmpty() ? 0 : ext.length() + 1);
    stem = stem.length() > room ? stem.substring(0, room) : stem;
    return ext.isEmpty() ? stem : stem + "." + ext;
  }

  private static String clean(String part) {
    String ascii = Normalizer.normalize(part, Normalizer.Form.NFKD).replaceAll("\\p{M}", "");
    return ascii.replaceAll("[^A-Za-z0-9._-]+", "_").replaceAll("^_+|_+$", "");
  }

  /**
   * Writes {@code data} into {@code dir} under a safe form of {@code name} not yet taken. Refuses
   * when the disk would be left with less than {@link #KEEP_FREE}: files come from other people.
   */
  static Path save(Path dir, String name, byte[] data) throws IOException {
    Files.createDirectories(dir);
    if (Files.getFileStore(dir).getUsableSpace() - data.length < KEEP_FREE) {
      throw new IOException("the disk of " + dir + " is nearly full");
    }
    String safe = safeName(name);
    int dot = safe.lastIndexOf('.');
    String stem = dot > 0 ? safe.substring(0, dot) : safe;
    String ext = dot > 0 ? safe.substring(dot) : "";
    for (int n = 1; ; n++) {
      Path file = dir.resolve(n == 1 ? safe : stem + "-" + n + ext);
      try {
        Files.write(file, data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return file;
      } catch (FileAlreadyExistsException e) {
        // a file of that name came before: try the next number
      }
    }
  }

  /**
   * The image scaled to fit {@link #IMAGE_SIDE} pixels, as PNG; null when Java cannot decode it
   * (e.g. WebP) or it is absurdly large: the agent then gets the file without a picture. Large
   * images are subsampled while decoding, so a small file claiming huge dimensions (a
   * decompression bomb) never gets its full size allocated.
   */
  static ChatMessage.Image forLlm(byte[] data) throws IOException {
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
  static int[] size(byte[] data) throws IOException {
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
