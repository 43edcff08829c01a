/// Byte-shuffle filter: regroups the bytes of fixed-size elements by significance (all byte 0s,
/// then all byte 1s, ...), so that float columns, whose sign/exponent bytes repeat, compress.
public enum ByteShuffle {
  /// Writes the shuffled bytes of `source` to `destination` (same count). Trailing bytes that do
  /// not fill a whole element are copied unchanged at the end.
  public static func shuffle(
    _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
    elementSize: Int
  ) {
    precondition(destination.count == source.count && elementSize > 0)
    let count = source.count / elementSize
    for lane in 0..<elementSize {
      let base = lane * count
      for element in 0..<count {
        destination[base + element] = source[element * elementSize + lane]
      }
    }
    for tail in count * elementSize..<source.count { destination[tail] = source[tail] }
  }

  /// Inverse of `shuffle`.
  public static func unshuffle(
    _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
    elementSize: Int
  ) {
    precondition(destination.count == source.count && elementSize > 0)
    let count = source.count / elementSize
    for lane in 0..<elementSize {
      let base = lane * count
      for element in 0..<count {
        destination[element * elementSize + lane] = source[base + element]
      }
    }
    for tail in count * elementSize..<source.count { destination[tail] = source[tail] }
  }
}
