import Foundation

/// A file that only grows, written through a buffer; reopening it at a checkpointed length
/// drops whatever was written after that checkpoint, so a resumed run continues it exactly.
public final class AppendOnlyFile {
  public let url: URL
  private let handle: FileHandle
  private var pending: [UInt8] = []

  /// Creates the file, or with `resumeAt`, truncates an existing one to that length.
  public init(url: URL, resumeAt length: UInt64? = nil) throws {
    self.url = url
    let fm = FileManager.default
    if length == nil || !fm.fileExists(atPath: url.path) {
      guard fm.createFile(atPath: url.path, contents: nil) else {
        throw OutputError.cannotCreate(url.path)
      }
    }
    do {
      handle = try FileHandle(forWritingTo: url)
      if let length {
        try handle.truncate(atOffset: length)
        try handle.seekToEnd()
      }
    } catch {
      throw OutputError.failed(url.path, error)
    }
  }

  deinit { try? handle.close() }

  public func append(_ bytes: [UInt8]) { pending += bytes }

  /// Appends a line of text and a newline.
  public func append(line: String) {
    pending += Array(line.utf8)
    pending.append(0x0A)
  }

  /// Writes what is buffered; returns the file's length. A failed write names the path (a
  /// resume truncates whatever part of it reached the file back to the last checkpoint).
  @discardableResult public func flush() throws -> UInt64 {
    do {
      if !pending.isEmpty {
        try handle.write(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
      }
      return try handle.offset()
    } catch {
      throw OutputError.failed(url.path, error)
    }
  }
}
