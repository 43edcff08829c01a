/// Options an experiment config may set on its environment (the `env:` section less its `id`).
/// Each field is optional: nil means the environment's own default.
public struct EnvironmentOptions: Codable, Sendable, Equatable {
  /// Overrides the registered time limit (steps before truncation).
  public var timeLimit: Int?

  public init(timeLimit: Int? = nil) {
    self.timeLimit = timeLimit
  }
}
