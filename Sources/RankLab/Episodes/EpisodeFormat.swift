#if _endian(big)
  #error("episode files are little-endian and copied to and from memory as is")
#endif

/// Constants and the frame payload layout of episode files (FORMAT.md is the specification).
enum EpisodeFormat {
  static let fileMagic: [UInt8] = Array("RLEP".utf8)
  static let frameMagic: [UInt8] = Array("RLFR".utf8)
  static let footerMagic: [UInt8] = Array("RLFT".utf8)
  static let endMagic: [UInt8] = Array("PELR".utf8)
  static let version: UInt16 = 1
  /// Magic, version, flags, header length; the JSON and its CRC follow.
  static let fileHeaderSize = 12
  static let frameHeaderSize = 28
  static let footerSize = 24
  static let maxHeaderLength = 1 << 20
  static let maxFrameRawLength = 1 << 30

  /// Bytes per element of each payload column, in order: observations, actions, rewards, costs,
  /// ends, then each extra.
  static func elementSizes(_ header: EpisodeHeader) -> [Int] {
    [4, 4, 8, 8, 1] + header.extras.map { _ in 4 }
  }

  /// Bytes of each payload column for a frame of `steps` steps and `rows` observation rows.
  static func columnSizes(_ header: EpisodeHeader, steps: Int, rows: Int) -> [Int] {
    [
      rows * header.observationWidth * 4, steps * header.action.width * 4, steps * 8, steps * 8,
      steps,
    ]
      + header.extras.map { steps * $0.width * 4 }
  }

  /// Filters one raw column for compression and appends it to `payload`: observation rows are
  /// XOR-delta'd against the previous row (bit-exact) then byte-shuffled; other multi-byte
  /// columns are byte-shuffled; end flags are kept as they are.
  static func appendFiltered(
    column index: Int, _ raw: [UInt8], header: EpisodeHeader, scratch: inout [UInt32],
    to payload: inout [UInt8]
  ) {
    let elementSize = elementSizes(header)[index]
    let start = payload.count
    payload.append(contentsOf: repeatElement(0, count: raw.count))
    guard elementSize > 1 else {
      payload.replaceSubrange(start..<payload.count, with: raw)
      return
    }
    func shuffle(_ bytes: UnsafeRawBufferPointer) {
      payload.withUnsafeMutableBytes { out in
        ByteShuffle.shuffle(
          bytes, into: UnsafeMutableRawBufferPointer(rebasing: out[start...]),
          elementSize: elementSize)
      }
    }
    guard index == 0, header.observationWidth > 0 else {
      raw.withUnsafeBytes { shuffle($0) }
      return
    }
    scratch.removeAll(keepingCapacity: true)
    scratch.append(contentsOf: repeatElement(0, count: raw.count / 4))
    raw.withUnsafeBytes { bytes in scratch.withUnsafeMutableBytes { $0.copyMemory(from: bytes) } }
    scratch.withUnsafeMutableBufferPointer {
      RowDelta.encode($0, rowWidth: header.observationWidth, mode: .xor)
    }
    scratch.withUnsafeBytes { shuffle($0) }
  }

  /// Inverse of `appendFiltered` for one column: `filtered` (a slice of the payload) back to raw
  /// little-endian bytes in `raw`.
  static func unfilter(
    column index: Int, _ filtered: UnsafeRawBufferPointer, header: EpisodeHeader,
    into raw: UnsafeMutableRawBufferPointer
  ) {
    let elementSize = elementSizes(header)[index]
    guard elementSize > 1 else {
      raw.copyMemory(from: filtered)
      return
    }
    ByteShuffle.unshuffle(filtered, into: raw, elementSize: elementSize)
    if index == 0, header.observationWidth > 0 {
      RowDelta.decode(
        raw.bindMemory(to: UInt32.self), rowWidth: header.observationWidth, mode: .xor)
    }
  }
}

/// Little-endian integer access for the binary framing.
extension Array where Element == UInt8 {
  mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
    Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
  }

  func littleEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
    var value: T = 0
    for index in 0..<MemoryLayout<T>.size {
      value |= T(truncatingIfNeeded: self[offset + index]) << (8 * index)
    }
    return value
  }
}
