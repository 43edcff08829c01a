/// Bit-packing of unsigned integers to the smallest width that holds the largest one: actions
/// of a 5-action space take 3 bits, end flags 2. Any values round-trip; only small ones shrink.
///
/// Packed layout: one byte of bit width (0...64), the value count as UInt64 little-endian (so a
/// wrong expected count is caught even when the byte lengths agree), then
/// `ceil(count * width / 8)` bytes holding the values least-significant bit first.
public enum BitPacking {
  /// Bytes before the packed bits: width and count.
  public static let headerSize = 9

  /// The packed size of `count` values at `width` bits, header included.
  public static func packedSize(count: Int, width: Int) -> Int {
    headerSize + (count * width + 7) / 8
  }

  /// The smallest width holding every value.
  public static func width<T: FixedWidthInteger & UnsignedInteger>(
    of values: UnsafeBufferPointer<T>
  ) -> Int {
    var union: T = 0
    for value in values { union |= value }
    return T.bitWidth - union.leadingZeroBitCount
  }

  /// Packs `values` and appends the packed bytes to `output`.
  public static func pack<T: FixedWidthInteger & UnsignedInteger>(
    _ values: UnsafeBufferPointer<T>, appendingTo output: inout [UInt8]
  ) {
    let width = width(of: values)
    output.append(UInt8(width))
    withUnsafeBytes(of: UInt64(values.count).littleEndian) { output.append(contentsOf: $0) }
    let start = output.count
    output.append(
      contentsOf: repeatElement(
        0, count: packedSize(count: values.count, width: width) - headerSize))
    guard width > 0 else { return }
    output.withUnsafeMutableBufferPointer { bytes in
      var bit = start * 8
      for value in values {
        var remaining = width
        var bits = UInt64(value)
        while remaining > 0 {
          let offset = bit & 7
          let take = min(8 - offset, remaining)  // at most 8: one byte at a time
          bytes[bit >> 3] |= UInt8(
            truncatingIfNeeded: (bits & ((1 << UInt64(take)) - 1)) << UInt64(offset))
          bits >>= UInt64(take)
          remaining -= take
          bit += take
        }
      }
    }
  }

  /// Unpacks exactly `destination.count` values from `packed` (header byte included); throws
  /// when the width or length do not fit that count.
  public static func unpack<T: FixedWidthInteger & UnsignedInteger>(
    _ packed: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<T>
  ) throws {
    guard packed.count >= headerSize else {
      throw ColumnCodecError.corrupt(
        "bit-packed data holds \(packed.count) bytes, less than its header")
    }
    let width = Int(packed[0])
    var count: UInt64 = 0
    for index in 0..<8 { count |= UInt64(packed[1 + index]) << UInt64(8 * index) }
    guard count == destination.count else {
      throw ColumnCodecError.corrupt(
        "bit-packed data holds \(count) values, expected \(destination.count)")
    }
    guard width <= T.bitWidth else {
      throw ColumnCodecError.corrupt("bit width \(width) exceeds the \(T.bitWidth)-bit element")
    }
    let expected = packedSize(count: destination.count, width: width)
    guard packed.count == expected else {
      throw ColumnCodecError.corrupt(
        "bit-packed data holds \(packed.count) bytes, expected \(expected) for "
          + "\(destination.count) values of \(width) bits")
    }
    var bit = headerSize * 8
    for index in 0..<destination.count {
      var value: UInt64 = 0
      var filled = 0
      while filled < width {
        let offset = bit & 7
        let take = min(8 - offset, width - filled)
        let chunk = (UInt64(packed[bit >> 3]) >> UInt64(offset)) & ((1 << UInt64(take)) - 1)
        value |= chunk << UInt64(filled)
        filled += take
        bit += take
      }
      destination[index] = T(truncatingIfNeeded: value)
    }
  }
}
