/// Builds a NumPy `.npz`: a zip of `.npy` (format 1.0) arrays, stored uncompressed, so
/// `numpy.load("x.npz")["observations"]` works without any Python package of ours.
struct NumPyArchive {
  private var entries: [(name: String, data: [UInt8])] = []

  /// Why an archive cannot be built.
  struct TooLarge: Error, CustomStringConvertible {
    var size: Int
    var description: String { "npz of \(size) bytes needs zip64, which this writer lacks" }
  }

  /// Adds `name.npy` holding `values` with NumPy type string `descr` (e.g. `<f4`) and `shape`.
  mutating func add<T: BitwiseCopyable>(
    _ name: String, _ values: [T], descr: String, shape: [Int]
  ) {
    precondition(
      shape.reduce(1, *) * MemoryLayout<T>.stride == values.count * MemoryLayout<T>.stride)
    var data = Self.npyHeader(descr: descr, shape: shape)
    values.withUnsafeBytes { data.append(contentsOf: $0) }
    entries.append((name + ".npy", data))
  }

  /// Adds a 0-d byte-string array (`|S<n>`), e.g. the episode header's JSON.
  mutating func addBytes(_ name: String, _ bytes: [UInt8]) {
    var data = Self.npyHeader(descr: "|S\(max(bytes.count, 1))", shape: [])
    data.append(contentsOf: bytes.isEmpty ? [0] : bytes)
    entries.append((name + ".npy", data))
  }

  /// The `.npy` 1.0 preamble: magic, version, header length, then a Python dict literal padded
  /// with spaces and ended by a newline so the data starts 64-byte aligned.
  static func npyHeader(descr: String, shape: [Int]) -> [UInt8] {
    let dims =
      shape.count == 1
      ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(dims), }"
    let unpadded = 10 + dict.utf8.count + 1
    dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    bytes.appendLittleEndian(UInt16(dict.utf8.count))
    bytes += Array(dict.utf8)
    return bytes
  }

  /// The zip bytes: a local header and data per entry, then the central directory.
  func zipBytes() throws -> [UInt8] {
    var out: [UInt8] = []
    var central: [UInt8] = []
    for entry in entries {
      guard out.count + entry.data.count < Int(UInt32.max) else {
        throw TooLarge(size: out.count + entry.data.count)
      }
      let crc = entry.data.withUnsafeBytes { ZipCRC32.checksum($0) }
      let name = Array(entry.name.utf8)
      let localOffset = out.count
      // Shared fields: version needed 2.0, no flags, method 0 (stored), DOS time 0:00 on
      // 1980-01-01 (fixed, so exports are reproducible), CRC, sizes, name length.
      func common(_ bytes: inout [UInt8]) {
        bytes.appendLittleEndian(UInt16(20))
        bytes.appendLittleEndian(UInt16(0))
        bytes.appendLittleEndian(UInt16(0))
        bytes.appendLittleEndian(UInt16(0))
        bytes.appendLittleEndian(UInt16(0x21))
        bytes.appendLittleEndian(crc)
        bytes.appendLittleEndian(UInt32(entry.data.count))
        bytes.appendLittleEndian(UInt32(entry.data.count))
        bytes.appendLittleEndian(UInt16(name.count))
        bytes.appendLittleEndian(UInt16(0))  // extra field length
      }
      out.appendLittleEndian(UInt32(0x0403_4B50))
      common(&out)
      out += name
      out += entry.data

      central.appendLittleEndian(UInt32(0x0201_4B50))
      central.appendLittleEndian(UInt16(20))  // version made by
      common(&central)
      central.appendLittleEndian(UInt16(0))  // comment length
      central.appendLittleEndian(UInt16(0))  // disk number
      central.appendLittleEndian(UInt16(0))  // internal attributes
      central.appendLittleEndian(UInt32(0))  // external attributes
      central.appendLittleEndian(UInt32(localOffset))
      central += name
    }
    let centralOffset = out.count
    out += central
    out.appendLittleEndian(UInt32(0x0605_4B50))
    out.appendLittleEndian(UInt16(0))
    out.appendLittleEndian(UInt16(0))
    out.appendLittleEndian(UInt16(entries.count))
    out.appendLittleEndian(UInt16(entries.count))
    out.appendLittleEndian(UInt32(central.count))
    out.appendLittleEndian(UInt32(centralOffset))
    out.appendLittleEndian(UInt16(0))
    return out
  }
}
