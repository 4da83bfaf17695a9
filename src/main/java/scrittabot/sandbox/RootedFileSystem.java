package scrittabot.sandbox;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.DirectoryStream;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.Map;
import java.util.Set;
import org.graalvm.polyglot.io.FileSystem;

/**
 * The only file system Python code sees: read-only, and only below one folder (the bot's
 * {@code files/}). Both the normalised path and its real path (after symlinks) must stay inside,
 * so a link such as {@code files/x -> /etc/passwd} is refused too.
 */
final class RootedFileSystem implements FileSystem {
  private final FileSystem host = FileSystem.newDefaultFileSystem();
  private final Path root;

  RootedFileSystem(Path root) throws IOException {
    this.root = root.toAbsolutePath().normalize().toRealPath();
  }

  @Override
  public Path parsePath(URI uri) {
    return host.parsePath(uri);
  }

  @Override
  public Path parsePath(String path) {
    return host.parsePath(path);
  }

  @Override
  public void checkAccess(Path path, Set<? extends AccessMode> modes, LinkOption... options)
      throws IOException {
    if (modes.contains(AccessMode.WRITE) || modes.contains(AccessMode.EXECUTE)) {
      throw new AccessDeniedException(path.toString(), null, "read-only: use the tools to write");
    }
    host.checkAccess(inside(path), modes, options);
  }

  @Override
  public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
    throw new AccessDeniedException(dir.toString(), null, "read-only: use the tools to write");
  }

  @Override
  public void delete(Path path) throws IOException {
    throw new AccessDeniedException(path.toString(), null, "read-only: use the tools to write");
  }

  @Override
  public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options,
      FileAttribute<?>... attrs) throws IOException {
    for (OpenOption option : options) {
      if (option != StandardOpenOption.READ && option != LinkOption.NOFOLLOW_LINKS) {
        throw new AccessDeniedException(path.toString(), null, "read-only: use the tools to write");
      }
    }
    return host.newByteChannel(inside(path), options, attrs);
  }

  @Override
  public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
      throws IOException {
    return host.newDirectoryStream(inside(dir), filter);
  }

  @Override
  public Path toAbsolutePath(Path path) {
    return path.isAbsolute() ? path : root.resolve(path);
  }

  @Override
  public Path toRealPath(Path path, LinkOption... options) throws IOException {
    return host.toRealPath(inside(path), options);
  }

  @Override
  public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
      throws IOException {
    return host.readAttributes(inside(path), attributes, options);
  }

  /** The path made absolute against the root, if it and its real location lie inside the root. */
  private Path inside(Path path) throws IOException {
    Path absolute = toAbsolutePath(path).normalize();
    if (!absolute.startsWith(root)) {
      throw new AccessDeniedException(path.toString(), null, "outside the files folder");
    }
    try {
      if (!absolute.toRealPath().startsWith(root)) {
        throw new AccessDeniedException(path.toString(), null, "links outside the files folder");
      }
    } catch (java.nio.file.NoSuchFileException e) {
      // a missing file: the host call below reports it as such
    }
    return absolute;
  }
}
