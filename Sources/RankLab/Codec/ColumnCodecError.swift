/// Why a column chunk could not be encoded or decoded.
public enum ColumnCodecError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The filter chain cannot be applied (e.g. bit-packing not last).
  case invalidChain(String)
  /// A filter needs elements of 1, 2, 4 or 8 bytes, or the data is not whole elements.
  case unsupportedLayout(String)
  /// Encoded bytes are inconsistent with the expected chunk.
  case corrupt(String)
  /// zstd failed.
  case zstd(ZstdError)

  public var description: String {
    switch self {
    case .invalidChain(let message): return "invalid column codec: \(message)"
    case .unsupportedLayout(let message): return "unsupported column layout: \(message)"
    case .corrupt(let message): return "corrupt column chunk: \(message)"
    case .zstd(let error): return error.description
    }
  }
}
