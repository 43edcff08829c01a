import Yams

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
  /// The defaults that apply to this user tree (defaults may depend on a choice the user made,
  /// e.g. each algorithm's learning rate); `init()` when they do not.
  static func defaults(for user: Node) -> Self
  /// Problems of the user's tree that no default can show, e.g. a section that belongs to
  /// another algorithm (checked before anything else).
  static func structuralProblems(in user: Node) -> [(path: [String], message: String)]
  /// The shape of values whose default is null or an empty list: an optional section
  /// (`eval.env`) or the items of a list (`distill.teachers[]`), by dotted path, so that what a
  /// user writes there is checked and filled like any other section.
  static var shapes: [String: Node] { get }
  /// Mappings whose keys are free (e.g. `env.params`); their values must be numbers.
  static var numberMappings: Set<String> { get }
  /// Keys of earlier schemas and where they live now, by dotted path (named in the error).
  static var movedKeys: [String: String] { get }
}

extension ConfigSchema {
  public static var reservedKeys: Set<String> { [] }
  public static var movedKeys: [String: String] { [:] }
  public static func defaults(for user: Node) -> Self { Self() }
  public static func structuralProblems(in user: Node) -> [(path: [String], message: String)] {
    []
  }
  public static var shapes: [String: Node] { [:] }
  public static var numberMappings: Set<String> { [] }
}
