/// How one column of stored transitions is encoded: raw, or a filter chain followed by zstd at a
/// level. A value type a config key can hold:
/// `none`, or `{level: 3, filters: [xor_delta, shuffle]}` (both keys optional: level 3, no filters).
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

  private enum CodingKeys: String, CodingKey, CaseIterable {
    case level, filters
  }

  private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  public init(from decoder: any Decoder) throws {
    if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self)
    {
      guard name == "none" else {
        throw DecodingError.dataCorruptedError(
          in: single,
          debugDescription:
            "unknown codec '\(name)'; expected 'none' or {level: N, filters: [...]}")
      }
      self = .none
      return
    }
    // Unknown keys are errors: a misspelt 'filter' must not silently mean "no filters".
    let any = try decoder.container(keyedBy: AnyKey.self)
    for key in any.allKeys where CodingKeys(rawValue: key.stringValue) == nil {
      throw DecodingError.dataCorruptedError(
        forKey: key, in: any,
        debugDescription: "unknown key '\(key.stringValue)'; expected 'level' or 'filters'")
    }
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let level = try container.decodeIfPresent(Int.self, forKey: .level) ?? Self.defaultLevel
    let filters = try container.decodeIfPresent([ColumnFilter].self, forKey: .filters) ?? []
    self = .zstd(level: level, filters: filters)
    do {
      try validate()
    } catch {
      let key: CodingKeys = Zstd.levels.contains(level) ? .filters : .level
      throw DecodingError.dataCorruptedError(
        forKey: key, in: container, debugDescription: "\(error)")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    switch self {
    case .none:
      var container = encoder.singleValueContainer()
      try container.encode("none")
    case .zstd(let level, let filters):
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(level, forKey: .level)
      try container.encode(filters, forKey: .filters)
    }
  }
}
