import Foundation

/// How one column of stored transitions is encoded: raw, or a filter chain followed by zstd at a
/// level. A config value spells it as a chain: `none`, `zstd(3)`, `xor_delta+shuffle+zstd(3)`.
public enum ColumnCodec: Hashable, Sendable, Codable, CustomStringConvertible {
  /// Bytes stored as they are.
  case none
  /// `filters` applied in order, then zstd at `level`.
  case zstd(level: Int, filters: [ColumnFilter])

  /// zstd's default level.
  public static let defaultLevel = 3

  /// Suitable codecs per column kind: float columns shuffle, observation rows delta then
  /// shuffle, small integers bit-pack.
  public static let floats = ColumnCodec.zstd(level: defaultLevel, filters: [.shuffle])
  public static let observations = ColumnCodec.zstd(
    level: defaultLevel, filters: [.delta(.xor), .shuffle])
  public static let smallIntegers = ColumnCodec.zstd(level: defaultLevel, filters: [.bitpack])

  /// Throws when the chain cannot work: level out of zstd's range, or bit-packing not last.
  public func validate() throws {
    guard case .zstd(let level, let filters) = self else { return }
    guard Zstd.levels.contains(level) else {
      throw ColumnCodecError.invalidChain(
        "level \(level) is outside zstd's \(Zstd.levels.lowerBound)...\(Zstd.levels.upperBound)")
    }
    if let index = filters.firstIndex(of: .bitpack), index != filters.count - 1 {
      throw ColumnCodecError.invalidChain(
        "bitpack must be the last filter (it changes the element size)")
    }
  }

  public var description: String {
    switch self {
    case .none: return "none"
    case .zstd(let level, let filters):
      return (filters.map(\.description) + ["zstd(\(level))"]).joined(separator: "+")
    }
  }

  /// Reads the spelling `description` writes: `none`, or filters joined by `+` ending in `zstd`
  /// or `zstd(LEVEL)`, e.g. `xor_delta+shuffle+zstd(3)`.
  public init(parsing text: String) throws {
    let spelling = text.trimmingCharacters(in: .whitespaces)
    if spelling == "none" {
      self = .none
      return
    }
    var parts = spelling.split(separator: "+", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    let last = parts.removeLast()
    let level: Int
    if last == "zstd" {
      level = Self.defaultLevel
    } else if last.hasPrefix("zstd("), last.hasSuffix(")"),
      let number = Int(last.dropFirst(5).dropLast())
    {
      level = number
    } else {
      throw ColumnCodecError.invalidChain(
        "'\(text)' must be 'none' or end in 'zstd' or 'zstd(LEVEL)', e.g. 'shuffle+zstd(3)'")
    }
    var filters: [ColumnFilter] = []
    for name in parts {
      guard let filter = ColumnFilter(name: name) else {
        throw ColumnCodecError.invalidChain(
          "unknown filter '\(name)'; expected one of \(ColumnFilter.names.joined(separator: ", "))")
      }
      filters.append(filter)
    }
    self = .zstd(level: level, filters: filters)
    try validate()
  }

  /// Codable as its spelling, a single string (so a config value reads like the chain it means).
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let text = try container.decode(String.self)
    do {
      try self.init(parsing: text)
    } catch {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(error)")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}
