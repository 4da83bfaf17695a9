package scrittabot.library;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import scrittabot.llm.ChatMessage;

public class ImagesTest {
  @Test
  void forLlmScalesAnImageToAPngOf256Pixels() throws IOException {
    ChatMessage.Image image = Images.forLlm(png(1000, 500, false));
    assertNotNull(image);
    assertEquals("image/png", image.mimeType());
    BufferedImage small = ImageIO.read(new ByteArrayInputStream(image.data()));
    assertEquals(256, small.getWidth());
    assertEquals(128, small.getHeight());
    assertEquals(0xFFFFFF, small.getRGB(3, 3) & 0xFFFFFF, "the white border");
    assertEquals(0x000000, small.getRGB(128, 64) & 0xFFFFFF, "the black centre");
    assertArrayEquals(new int[] {256, 128}, Images.size(image.data()));
  }

  @Test
  void forLlmKeepsSmallImagesAtTheirSize() throws IOException {
    BufferedImage small = ImageIO.read(new ByteArrayInputStream(
        Images.forLlm(png(40, 30, false)).data()));
    assertEquals(40, small.getWidth());
    assertEquals(30, small.getHeight());
  }

  @Test
  void forLlmIgnoresWhatIsNoImage() throws IOException {
    assertNull(Images.forLlm(bytes("%PDF-1.4 not an image at all")));
    assertNull(Images.forLlm(new byte[0]));
    assertNull(Images.size(bytes("hello")));
  }

  /** A black drawing on a transparent background must not turn into black on black. */
  @Test
  void forLlmKeepsTransparentImagesVisible() throws IOException {
    BufferedImage small = ImageIO.read(new ByteArrayInputStream(
        Images.forLlm(png(100, 100, true)).data()));
    int corner = small.getRGB(2, 2) & 0xFFFFFF;
    int centre = small.getRGB(50, 50) & 0xFFFFFF;
    assertNotEquals(centre, corner, "the transparent background became the drawing's black");
  }

  @Test
  void aDecompressionBombIsRefusedQuickly() {
    byte[] huge = pngHeader(100_000, 100_000);
    assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
      assertArrayEquals(new int[] {100_000, 100_000}, Images.size(huge), "a valid header");
      assertNull(Images.forLlm(huge));
    });
  }

  @Test
  void aLargeImageWithoutDataFailsWithoutAllocatingItsFullSize() {
    byte[] large = pngHeader(14_000, 14_000); // just under the pixel limit: decoding is tried
    assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
      try {
        ChatMessage.Image image = Images.forLlm(large);
        assertTrue(image == null || image.data().length < 1_000_000);
      } catch (IOException expected) {
        // the data is missing: an IOException is what the parser expects
      }
    });
  }

  public static byte[] png(int width, int height, boolean transparent) throws IOException {
    var image = new BufferedImage(width, height,
        transparent ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
    var g = image.createGraphics();
    if (!transparent) {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, width, height);
    }
    g.setColor(Color.BLACK);
    g.fillRect(width / 4, height / 4, width / 2, height / 2);
    g.dispose();
    var out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  /** A PNG signature and a valid IHDR chunk (8-bit RGB), then a scrap of image data. */
  static byte[] pngHeader(int width, int height) {
    var ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
        .put(new byte[] {8, 2, 0, 0, 0}).array();
    var out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    chunk(out, "IHDR", ihdr);
    chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9C, 0x63, 0x60});
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] name = type.getBytes(StandardCharsets.US_ASCII);
    var crc = new CRC32();
    crc.update(name);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(name);
    out.writeBytes(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
