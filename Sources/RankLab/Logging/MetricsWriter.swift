import Foundation

/// One logged row: the environment step and namespaced scalar values (`train/loss`,
/// `eval/return_mean`, `rank/srank`, ...). A key means the same thing in every algorithm.
public struct MetricsRecord: Equatable, Sendable {
  public var step: Int
  public var values: [(key: String, value: Double)]

  public init(step: Int, values: [(key: String, value: Double)] = []) {
    self.step = step
    self.values = values
  }

  public subscript(key: String) -> Double? {
    values.first { $0.key == key }?.value
  }

  public static func == (lhs: MetricsRecord, rhs: MetricsRecord) -> Bool {
    lhs.step == rhs.step && lhs.values.map(\.key) == rhs.values.map(\.key)
      && zip(lhs.values, rhs.values).allSatisfy {
        $0.value.bitPattern == $1.value.bitPattern
      }
  }

  /// One JSON line: `step` first, then the keys in the order they were added. Numbers use
  /// Swift's shortest round-trip form, so the same values always print the same text;
  /// non-finite values become `null` (JSON has no NaN).
  public var jsonLine: String {
    var line = "{\"step\":\(step)"
    for (key, value) in values {
      line += ",\"\(Self.escape(key))\":" + (value.isFinite ? Self.format(value) : "null")
    }
    return line + "}"
  }

  private static func format(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
  }

  private static func escape(_ key: String) -> String {
    key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
  }
}

/// Appends metrics rows to `metrics.jsonl` and, optionally, TensorBoard event files, in one run
/// directory. Resuming truncates both files to the lengths a checkpoint recorded, so a resumed
/// run's files equal an uninterrupted run's.
public final class MetricsWriter {
  public let directory: URL
  private let jsonl: AppendOnlyFile
  private let tensorBoard: TensorBoardWriter?

  /// Byte lengths of the files at a flush point, stored in checkpoints.
  public struct Position: Codable, Equatable, Sendable {
    public var jsonlBytes: UInt64
    public var tensorBoardBytes: UInt64?
    public var tensorBoardFile: String?
  }

  /// Opens the writers; with `resumeFrom`, truncates to that position and appends after it.
  public init(directory: URL, tensorBoard: Bool, resumeFrom position: Position? = nil) throws {
    self.directory = directory
    jsonl = try AppendOnlyFile(
      url: directory.appendingPathComponent("metrics.jsonl"), resumeAt: position?.jsonlBytes)
    if tensorBoard {
      self.tensorBoard = try TensorBoardWriter(
        directory: directory, fileName: position?.tensorBoardFile,
        resumeAt: position?.tensorBoardBytes)
    } else {
      self.tensorBoard = nil
    }
  }

  /// Queues a row for both outputs.
  public func write(_ record: MetricsRecord) {
    guard !record.values.isEmpty else { return }
    jsonl.append(line: record.jsonLine)
    tensorBoard?.write(
      step: record.step, scalars: record.values.map { ($0.key, $0.value) },
      wallTime: Date().timeIntervalSince1970)
  }

  /// Writes queued rows and reports where the files end.
  @discardableResult public func flush() throws -> Position {
    return Position(
      jsonlBytes: try jsonl.flush(), tensorBoardBytes: try tensorBoard?.flush(),
      tensorBoardFile: tensorBoard?.url.lastPathComponent)
  }
}

/// A run output file that could not be written.
public enum OutputError: Error, CustomStringConvertible {
  case cannotCreate(String)
  /// A write to `path` failed with this reason (from `errno` or Foundation's error).
  case cannotWrite(String, reason: String)

  public static func failed(_ path: String, errno code: Int32) -> OutputError {
    .cannotWrite(path, reason: String(cString: strerror(code)))
  }

  /// Foundation's file errors as a reason a user can act on (its own text names no path).
  public static func failed(_ path: String, _ error: any Error) -> OutputError {
    if let output = error as? OutputError { return output }
    let path = (error as NSError).userInfo[NSFilePathErrorKey] as? String ?? path
    return .cannotWrite(path, reason: reason(error, at: path))
  }

  /// Foundation's generic write error (code 512) names no cause, and a missing parent reads
  /// as "no such file" when the parent is in fact a file: the path itself says which.
  static func reason(_ error: any Error, at path: String) -> String {
    let fm = FileManager.default
    var ancestor = URL(fileURLWithPath: path).deletingLastPathComponent()
    while ancestor.path != "/" && !fm.fileExists(atPath: ancestor.path) {
      ancestor = ancestor.deletingLastPathComponent()
    }
    var isDirectory: ObjCBool = false
    if fm.fileExists(atPath: ancestor.path, isDirectory: &isDirectory), !isDirectory.boolValue {
      return "\(ancestor.path) is a file, not a directory"
    }
    let nsError = error as NSError
    let posix =
      nsError.domain == NSPOSIXErrorDomain
      || (nsError.userInfo[NSUnderlyingErrorKey] as? NSError)?.domain == NSPOSIXErrorDomain
    guard !posix, nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileWriteUnknownError
    else { return reason(error) }
    if !fm.isWritableFile(atPath: ancestor.path) { return "\(ancestor.path) is not writable" }
    return "the file system refused the write"
  }

  /// Why a file operation failed, in the words of its POSIX error where there is one.
  public static func reason(_ error: any Error) -> String {
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
      underlying.domain == NSPOSIXErrorDomain
    {
      return String(cString: strerror(Int32(underlying.code)))
    }
    if nsError.domain == NSPOSIXErrorDomain {
      return String(cString: strerror(Int32(nsError.code)))
    }
    switch nsError.code {
    case NSFileWriteOutOfSpaceError: return String(cString: strerror(ENOSPC))
    case NSFileWriteNoPermissionError, NSFileReadNoPermissionError:
      return String(cString: strerror(EACCES))
    case NSFileWriteVolumeReadOnlyError: return String(cString: strerror(EROFS))
    case NSFileReadNoSuchFileError, NSFileNoSuchFileError: return String(cString: strerror(ENOENT))
    default:
      if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError {
        return reason(underlying)
      }
      // Foundation's own words, without its domain and code.
      return nsError.localizedFailureReason ?? nsError.localizedDescription
    }
  }

  public var description: String {
    switch self {
    case .cannotCreate(let path):
      return "cannot create \(path): check that the directory exists and is writable"
    case .cannotWrite(let path, let reason):
      return
        "cannot write \(path): \(reason); fix that (a full disk, permissions, a file where a directory should be), then run again (a run continues with `ranklab run --resume DIR`)"
    }
  }
}
