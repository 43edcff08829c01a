/// One registered environment: its id, a one-line description, and how to build it.
public struct EnvironmentEntry: Sendable {
  public let id: String
  public let summary: String
  /// Physical parameters `params` may set, with their defaults (empty: none).
  public let parameters: [(name: String, value: Double)]
  public let make: @Sendable (EnvironmentOptions) throws -> any Environment

  public init(
    id: String, summary: String, parameters: [(name: String, value: Double)] = [],
    make: @escaping @Sendable (EnvironmentOptions) throws -> any Environment
  ) {
    self.id = id
    self.summary = summary
    self.parameters = parameters
    self.make = make
  }
}

/// Every environment ranklab knows, by id.
public enum EnvironmentCatalog {
  /// All entries, classic control first, in the order `ranklab envs` lists them.
  public static let entries: [EnvironmentEntry] =
    classicControlEntries + gridworldEntries + pointNavigationEntries

  /// The entry with this id, or nil.
  public static func entry(id: String) -> EnvironmentEntry? {
    entries.first { $0.id == id }
  }

  /// Builds the environment with this id; unknown ids throw an error listing the known ones.
  public static func make(id: String, options: EnvironmentOptions = .init()) throws
    -> any Environment
  {
    guard let entry = entry(id: id) else {
      throw EnvironmentError.unknownEnvironment(id, known: entries.map(\.id))
    }
    if entry.parameters.isEmpty, let params = options.params, !params.isEmpty {
      throw EnvironmentError.invalidOption(
        "\(id) takes no physical parameters (params); the classic-control environments do")
    }
    if options.safety != nil, !["CartPole-v1", "Pendulum-v1"].contains(id) {
      throw EnvironmentError.invalidOption(
        "env.safety declares an unsafe region on CartPole-v1 (x_limit) or Pendulum-v1 (angle_low, angle_high); \(id) has its own failures or none: remove env.safety"
      )
    }
    return try entry.make(options)
  }
}

/// Errors building an environment.
public enum EnvironmentError: Error, Equatable, CustomStringConvertible {
  case unknownEnvironment(String, known: [String])
  case invalidOption(String)

  public var description: String {
    switch self {
    case .unknownEnvironment(let id, let known):
      return "unknown environment '\(id)'; known: \(known.joined(separator: ", "))"
    case .invalidOption(let message):
      return message
    }
  }
}
