import Foundation

/// A checkpoint file: named binary sections, each with its CRC-32C, written atomically (temporary
/// file, fsync, rename) so a run killed at any moment leaves either the old or the new file.
///
/// Layout (little-endian): magic `RLCK`, UInt32 version, UInt32 section count; per section a
/// UInt16 name length, the UTF-8 name, a UInt64 byte length, a UInt32 CRC-32C, the bytes.
public struct CheckpointArchive {
  static let magic: [UInt8] = Array("RLCK".utf8)
  static let version: UInt32 = 1

  private(set) var sections: [String: [UInt8]] = [:]
  private var order: [String] = []

  public init() {}

  /// Section names in write order.
  public var names: [String] { order }

  public mutating func put(_ name: String, bytes: [UInt8]) {
    if sections[name] == nil { order.append(name) }
    sections[name] = bytes
  }

  private static let infinity = "inf"
  private static let nan = "nan"

  public mutating func put<T: BitwiseCopyable>(_ name: String, array: [T]) {
    put(name, bytes: array.withUnsafeBytes { Array($0) })
    if T.self == Float.self { floatSections.insert(name) } else { floatSections.remove(name) }
  }

  /// Sections stored as `[Float]` (network parameters, optimizer moments, observations).
  private var floatSections: Set<String> = []

  /// The first `[Float]` section (in write order) whose name starts with one of `prefixes` and
  /// that holds a NaN or an infinity: a diverged network must not overwrite a good checkpoint.
  public func firstNonFiniteSection(excluding prefixes: [String]) -> String? {
    for name in order where floatSections.contains(name) {
      guard !prefixes.contains(where: name.hasPrefix), let bytes = sections[name] else { continue }
      let bad = bytes.withUnsafeBytes { raw in
        stride(from: 0, to: raw.count - 3, by: 4).contains {
          !raw.loadUnaligned(fromByteOffset: $0, as: Float.self).isFinite
        }
      }
      if bad { return name }
    }
    return nil
  }

  /// Stores a Codable value as JSON (counters, generator states, environment state).
  public mutating func put<T: Encodable>(_ name: String, json value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    // A diverged learner's NaN or infinite loss sums must not stop the checkpoint.
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: Self.infinity, negativeInfinity: "-" + Self.infinity, nan: Self.nan)
    put(name, bytes: Array(try encoder.encode(value)))
  }

  public func bytes(_ name: String) throws -> [UInt8] {
    guard let bytes = sections[name] else { throw CheckpointError.missingSection(name) }
    return bytes
  }

  public func array<T: BitwiseCopyable>(_ name: String, of type: T.Type, count: Int? = nil) throws
    -> [T]
  {
    let raw = try bytes(name)
    let stride = MemoryLayout<T>.stride
    guard raw.count % stride == 0, count.map({ $0 * stride == raw.count }) ?? true else {
      throw CheckpointError.sizeMismatch(
        name, expected: (count ?? 0) * stride, found: raw.count)
    }
    return [T](unsafeUninitializedCapacity: raw.count / stride) { buffer, initialized in
      raw.withUnsafeBytes { source in
        UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
      }
      initialized = raw.count / stride
    }
  }

  public func json<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: Self.infinity, negativeInfinity: "-" + Self.infinity, nan: Self.nan)
    return try decoder.decode(T.self, from: Data(try bytes(name)))
  }

  /// Writes the archive to `url` atomically.
  public func write(to url: URL) throws {
    var out: [UInt8] = Self.magic
    append(Self.version, to: &out)
    append(UInt32(order.count), to: &out)
    for name in order {
      let bytes = sections[name] ?? []
      let nameBytes = Array(name.utf8)
      append(UInt16(nameBytes.count), to: &out)
      out += nameBytes
      append(UInt64(bytes.count), to: &out)
      append(CRC32C.checksum(bytes), to: &out)
      out += bytes
    }
    try AtomicFile.write(out, to: url)
  }

  /// Reads and validates an archive; damage is reported with the byte offset where it was found.
  public static func read(from url: URL) throws -> CheckpointArchive {
    let data = [UInt8](try Data(contentsOf: url))
    var reader = ByteReader(bytes: data, file: url.path)
    guard try reader.take(4) == magic else {
      throw CheckpointError.corrupt(url.path, offset: 0, "not a ranklab checkpoint (bad magic)")
    }
    let version: UInt32 = try reader.integer()
    guard version == Self.version else {
      throw CheckpointError.corrupt(
        url.path, offset: 4, "unsupported checkpoint version \(version)")
    }
    var archive = CheckpointArchive()
    let count: UInt32 = try reader.integer()
    for _ in 0..<count {
      let nameLength: UInt16 = try reader.integer()
      let name = String(decoding: try reader.take(Int(nameLength)), as: UTF8.self)
      let length: UInt64 = try reader.integer()
      let crc: UInt32 = try reader.integer()
      let offset = reader.offset
      guard length <= UInt64(data.count) else {
        throw CheckpointError.corrupt(
          url.path, offset: offset, "section '\(name)' claims \(length) bytes")
      }
      let bytes = try reader.take(Int(length))
      guard CRC32C.checksum(bytes) == crc else {
        throw CheckpointError.corrupt(
          url.path, offset: offset, "section '\(name)' fails its checksum")
      }
      archive.put(name, bytes: bytes)
    }
    return archive
  }

  private func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { out += $0 }
  }
}

/// Reads little-endian integers and byte runs, reporting truncation with its offset.
struct ByteReader {
  let bytes: [UInt8]
  let file: String
  private(set) var offset = 0

  init(bytes: [UInt8], file: String) {
    self.bytes = bytes
    self.file = file
  }

  mutating func take(_ count: Int) throws -> [UInt8] {
    guard count >= 0, offset + count <= bytes.count else {
      throw CheckpointError.corrupt(file, offset: offset, "file ends early (truncated)")
    }
    defer { offset += count }
    return Array(bytes[offset..<offset + count])
  }

  mutating func integer<T: FixedWidthInteger>() throws -> T {
    let raw = try take(MemoryLayout<T>.size)
    return raw.reversed().reduce(T.zero) { ($0 << 8) | T($1) }
  }
}

/// Checkpoint problems, each naming the file (and byte offset) and what to do.
public enum CheckpointError: Error, CustomStringConvertible {
  case missingSection(String)
  case sizeMismatch(String, expected: Int, found: Int)
  case corrupt(String, offset: Int, String)
  case noCheckpoint(String)
  /// Sections that read back but do not fit together.
  case invalid(String)

  public var description: String {
    switch self {
    case .missingSection(let name):
      return "checkpoint has no section '\(name)' (written by another ranklab version?)"
    case .sizeMismatch(let name, let expected, let found):
      return "checkpoint section '\(name)' has \(found) bytes, expected \(expected)"
        + " (does the config still match the run that wrote it?)"
    case .corrupt(let file, let offset, let what):
      return "\(file): byte \(offset): \(what)"
    case .invalid(let what):
      return "checkpoint is inconsistent: \(what)"
    case .noCheckpoint(let dir):
      return "\(dir): no checkpoint to resume from (checkpoint/*.rlck)"
    }
  }
}
