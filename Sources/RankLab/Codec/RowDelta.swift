/// Delta filter over the rows of a row-major matrix, computed on bit patterns so it is exact for
/// every float (NaN payloads, infinities, -0.0): each element becomes its difference from the
/// element one row above. Observations that change little between steps, and one-hot rows,
/// turn into mostly zero bytes.
public enum RowDelta {
  /// How an element is combined with the one above it.
  public enum Mode: String, Codable, Sendable, Hashable {
    /// Bitwise XOR: unchanged bits become 0 (best for one-hot and sign flips).
    case xor
    /// Wrapping integer subtraction of the bit patterns (best for slowly drifting values).
    case subtract
  }

  /// Encodes in place. `rowWidth` counts elements of `T`; the first row is kept as is. A last,
  /// partial row is allowed.
  public static func encode<T: FixedWidthInteger & UnsignedInteger>(
    _ values: UnsafeMutableBufferPointer<T>, rowWidth: Int, mode: Mode
  ) {
    precondition(rowWidth > 0)
    guard values.count > rowWidth else { return }
    // Walking backwards lets each element still see its original upper neighbour.
    switch mode {
    case .xor:
      for index in stride(from: values.count - 1, through: rowWidth, by: -1) {
        values[index] ^= values[index - rowWidth]
      }
    case .subtract:
      for index in stride(from: values.count - 1, through: rowWidth, by: -1) {
        values[index] &-= values[index - rowWidth]
      }
    }
  }

  /// Inverse of `encode`, in place.
  public static func decode<T: FixedWidthInteger & UnsignedInteger>(
    _ values: UnsafeMutableBufferPointer<T>, rowWidth: Int, mode: Mode
  ) {
    precondition(rowWidth > 0)
    guard values.count > rowWidth else { return }
    switch mode {
    case .xor:
      for index in rowWidth..<values.count { values[index] ^= values[index - rowWidth] }
    case .subtract:
      for index in rowWidth..<values.count { values[index] &+= values[index - rowWidth] }
    }
  }
}
