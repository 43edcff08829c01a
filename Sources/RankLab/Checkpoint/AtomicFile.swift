import Foundation

/// Writes whole files so that readers never see a partial one: write a temporary file beside the
/// target, fsync it, then rename over the target (rename is atomic within a file system). A
/// failed write (a full disk, a read-only directory) removes the temporary file and names the
/// path, so nothing half-written is left where a resume would read it.
public enum AtomicFile {
  /// A test hook, unset in normal use: milliseconds (at most 60 s) to wait after a checkpoint's
  /// (`step-*.rlck`) temporary file is written and before it is renamed (`RANKLAB_TEST_PAUSE_BEFORE_RENAME_MS`),
  /// so that a test can kill the process inside that window for certain.
  static let pauseBeforeRename = min(
    UInt32(ProcessInfo.processInfo.environment["RANKLAB_TEST_PAUSE_BEFORE_RENAME_MS"] ?? "") ?? 0,
    60_000)

  public static func write(_ bytes: [UInt8], to url: URL) throws {
    let temporary = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).tmp")
    let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else { throw OutputError.failed(temporary.path, errno: errno) }
    var failure: Int32 = 0
    bytes.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let written = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          failure = errno
          return
        }
        offset += written
      }
    }
    if failure == 0 && fsync(descriptor) != 0 { failure = errno }
    if close(descriptor) != 0 && failure == 0 { failure = errno }
    if pauseBeforeRename > 0 && failure == 0 && url.pathExtension == "rlck"
      && url.lastPathComponent.hasPrefix("step-")
    {
      usleep(pauseBeforeRename * 1000)
    }
    if failure == 0 && rename(temporary.path, url.path) != 0 { failure = errno }
    if failure != 0 {
      unlink(temporary.path)
      throw OutputError.failed(url.path, errno: failure)
    }
  }
}
