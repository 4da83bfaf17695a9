package scrittabot.llm;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One message of a chat prompt; images travel as image_url content parts for multimodal servers. */
public record ChatMessage(Role role, String text, List<Image> images) {

  public enum Role {
    SYSTEM, USER, ASSISTANT;

    String wireName() {
      return name().toLowerCase();
    }
  }

  /** An image already scaled for the model; {@code mimeType} such as image/png. */
  public record Image(String mimeType, byte[] data) {
    String dataUrl() {
      return "data:" + mimeType + ";base64," + Base64.getEncoder().encodeToString(data);
    }
  }

  public ChatMessage {
    images = List.copyOf(images);
  }

  public static ChatMessage system(String text) {
    return new ChatMessage(Role.SYSTEM, text, List.of());
  }

  public static ChatMessage user(String text) {
    return new ChatMessage(Role.USER, text, List.of());
  }

  public static ChatMessage assistant(String text) {
    return new ChatMessage(Role.ASSISTANT, text, List.of());
  }

  /** The OpenAI wire form: plain content, or a list of parts when there are images. */
  Map<String, Object> toWire() {
    var wire = new LinkedHashMap<String, Object>();
    wire.put("role", role.wireName());
    if (images.isEmpty()) {
      wire.put("content", text);
      return wire;
    }
    var parts = new ArrayList<Object>();
    parts.add(Map.of("type", "text", "text", text));
    for (Image image : images) {
      parts.add(Map.of("type", "image_url", "image_url", Map.of("url", image.dataUrl())));
    }
    wire.put("content", parts);
    return wire;
  }
}
