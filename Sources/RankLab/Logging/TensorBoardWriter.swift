import Foundation

/// Writes scalars as TensorBoard event files (`events.out.tfevents.*`): TFRecord framing with
/// masked CRC-32C around hand-encoded `tensorflow.Event` protobufs, so `tensorboard --logdir`
/// shows ranklab's curves without a protobuf dependency.
public final class TensorBoardWriter {
  /// The event file's path.
  public var url: URL { file.url }
  private let file: AppendOnlyFile

  /// Creates (or, when `resumeAt` is given, truncates to that byte length and reopens) the event
  /// file in `directory`.
  public init(directory: URL, fileName: String? = nil, resumeAt length: UInt64? = nil) throws {
    let name = fileName ?? "events.out.tfevents.\(Int(Date().timeIntervalSince1970)).ranklab"
    file = try AppendOnlyFile(url: directory.appendingPathComponent(name), resumeAt: length)
    if length == nil {
      writeRecord(
        Self.event(wallTime: Date().timeIntervalSince1970, step: 0, fileVersion: "brain.Event:2"))
      try flush()
    }
  }

  /// Appends one scalar summary per entry, all at `step`.
  public func write(step: Int, scalars: [(tag: String, value: Double)], wallTime: Double) {
    var summary = ProtobufWriter()
    for (tag, value) in scalars {
      var entry = ProtobufWriter()
      entry.string(field: 1, tag)
      entry.float(field: 2, Float(value))
      summary.message(field: 1, entry.bytes)
    }
    var event = ProtobufWriter()
    event.double(field: 1, wallTime)
    event.varint(field: 2, UInt64(bitPattern: Int64(step)))
    event.message(field: 5, summary.bytes)
    writeRecord(event.bytes)
  }

  /// Pushes buffered records to the file; returns the file's length (for checkpoints).
  @discardableResult public func flush() throws -> UInt64 { try file.flush() }

  private func writeRecord(_ data: [UInt8]) {
    var header = ProtobufWriter.littleEndian(UInt64(data.count))
    let headerCRC = ProtobufWriter.littleEndian(CRC32C.masked(header))
    header += headerCRC
    file.append(header)
    file.append(data)
    file.append(ProtobufWriter.littleEndian(CRC32C.masked(data)))
  }

  private static func event(wallTime: Double, step: Int, fileVersion: String) -> [UInt8] {
    var event = ProtobufWriter()
    event.double(field: 1, wallTime)
    event.varint(field: 2, UInt64(step))
    event.string(field: 3, fileVersion)
    return event.bytes
  }
}

/// The few protobuf wire-format encodings an Event needs.
struct ProtobufWriter {
  private(set) var bytes: [UInt8] = []

  mutating func varint(field: Int, _ value: UInt64) {
    key(field, wireType: 0)
    rawVarint(value)
  }
  mutating func double(field: Int, _ value: Double) {
    key(field, wireType: 1)
    bytes += Self.littleEndian(value.bitPattern)
  }
  mutating func float(field: Int, _ value: Float) {
    key(field, wireType: 5)
    bytes += Self.littleEndian(value.bitPattern)
  }
  mutating func string(field: Int, _ value: String) { message(field: field, Array(value.utf8)) }
  mutating func message(field: Int, _ value: [UInt8]) {
    key(field, wireType: 2)
    rawVarint(UInt64(value.count))
    bytes += value
  }

  private mutating func key(_ field: Int, wireType: UInt64) {
    rawVarint(UInt64(field) << 3 | wireType)
  }
  private mutating func rawVarint(_ value: UInt64) {
    var v = value
    while v >= 0x80 {
      bytes.append(UInt8(v & 0x7F) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
  }
}
