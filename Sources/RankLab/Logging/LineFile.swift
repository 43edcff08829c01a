import Foundation

/// An append-only text file written in whole lines; reopening at a checkpointed length drops
/// whatever was written after that checkpoint, so a resumed run continues the file exactly.
public final class LineFile {
  public let url: URL
  private let handle: FileHandle
  private var pending = ""

  public init(url: URL, resumeAt length: UInt64? = nil) throws {
    self.url = url
    let fm = FileManager.default
    if length == nil || !fm.fileExists(atPath: url.path) {
      guard fm.createFile(atPath: url.path, contents: nil) else {
        throw OutputError.cannotCreate(url.path)
      }
    }
    handle = try FileHandle(forWritingTo: url)
    if let length {
      try handle.truncate(atOffset: length)
      try handle.seekToEnd()
    }
  }

  deinit { try? handle.close() }

  public func append(_ line: String) { pending += line + "\n" }

  /// Writes queued lines; returns the file's length.
  @discardableResult public func flush() throws -> UInt64 {
    if !pending.isEmpty {
      try handle.write(contentsOf: Data(pending.utf8))
      pending.removeAll(keepingCapacity: true)
    }
    return try handle.offset()
  }
}
