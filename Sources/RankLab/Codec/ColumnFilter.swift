/// One reversible transform applied to a column chunk before zstd, chosen to suit the column.
///
/// In configs a filter is a string: `shuffle`, `delta`, `xor_delta` or `bitpack`.
public enum ColumnFilter: Hashable, Sendable, Codable, CustomStringConvertible {
  /// Byte-shuffle by element size (float columns).
  case shuffle
  /// Delta of each element against the one a row above, on bit patterns (observations).
  case delta(RowDelta.Mode)
  /// Bit-packing of unsigned integers to their minimal width (actions, end flags); must be last.
  case bitpack

  /// Every spelling a config may use.
  public static let names = ["shuffle", "delta", "xor_delta", "bitpack"]

  public init?(name: String) {
    switch name {
    case "shuffle": self = .shuffle
    case "delta": self = .delta(.subtract)
    case "xor_delta": self = .delta(.xor)
    case "bitpack": self = .bitpack
    default: return nil
    }
  }

  public var description: String {
    switch self {
    case .shuffle: return "shuffle"
    case .delta(.subtract): return "delta"
    case .delta(.xor): return "xor_delta"
    case .bitpack: return "bitpack"
    }
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let name = try container.decode(String.self)
    guard let filter = ColumnFilter(name: name) else {
      throw DecodingError.dataCorruptedError(
        in: container,
        debugDescription:
          "unknown filter '\(name)'; expected one of \(ColumnFilter.names.joined(separator: ", "))")
    }
    self = filter
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}
