import Foundation

/// Writes whole files so that readers never see a partial one: write a temporary file beside the
/// target, fsync it, then rename over the target (rename is atomic within a file system).
public enum AtomicFile {
  public static func write(_ bytes: [UInt8], to url: URL) throws {
    let temporary = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).tmp")
    guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
      throw OutputError.cannotCreate(temporary.path)
    }
    let handle = try FileHandle(forWritingTo: temporary)
    try handle.write(contentsOf: bytes)
    try handle.synchronize()
    try handle.close()
    if rename(temporary.path, url.path) != 0 {
      throw OutputError.cannotCreate(url.path)
    }
  }
}
