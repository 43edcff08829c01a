/// A config file's typed form: its defaults (the `init()` value, the one place they are
/// written), the allowed values of its enumerated keys, and its range checks.
public protocol ConfigSchema: Codable, Equatable, Sendable {
  init()
  /// Allowed values of enumerated keys, by dotted path (for error messages and docs).
  static var choices: [String: [String]] { get }
  /// Top-level keys handled outside the schema (e.g. `sweep`).
  static var reservedKeys: Set<String> { get }
  /// Out-of-range values, by dotted path.
  func validate() -> [(path: String, message: String)]
}

extension ConfigSchema {
  public static var reservedKeys: Set<String> { [] }
}
