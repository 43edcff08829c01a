import Environments

/// What an episode file records about where its steps came from, stored as the file's JSON
/// header (see FORMAT.md for the keys).
public struct EpisodeHeader: Codable, Sendable, Equatable {
  /// The registered environment id, e.g. `CartPole-v1`.
  public var environmentID: String
  /// The environment's options as a JSON object (the config's `env:` section less its id).
  public var environmentOptions: JSONValue
  /// The seed the episode was reset with; nil when it continued a generator stream.
  public var seed: UInt64?
  /// Which agent acted, e.g. `dqn` or `random`.
  public var agentID: String
  /// Floats per observation.
  public var observationWidth: Int
  /// The shape of actions.
  public var action: ActionSpec
  /// Optional per-step agent data (Q-values, skill latent), in column order.
  public var extras: [ExtraField]
  /// The program that wrote the file, e.g. `ranklab 0.1.0`.
  public var createdBy: String
  /// Steps per frame; every frame but the last holds exactly this many.
  public var frameLength: Int
  /// The zstd level the frames were compressed at (informational).
  public var compressionLevel: Int

  /// How actions are stored.
  public struct ActionSpec: Codable, Sendable, Equatable {
    /// `discrete` (one Int32 per step) or `continuous` (`width` Float32s per step).
    public var kind: Kind
    /// Values per step: 1 for discrete actions.
    public var width: Int
    /// The number of choices of a discrete space.
    public var choices: Int?

    /// The two kinds of action space.
    public enum Kind: String, Codable, Sendable {
      case discrete, continuous
    }

    public init(kind: Kind, width: Int, choices: Int? = nil) {
      self.kind = kind
      self.width = width
      self.choices = choices
    }

    /// The spec of an environment's action space.
    public init(space: Space) {
      switch space {
      case .discrete(let n): self.init(kind: .discrete, width: 1, choices: n)
      case .box(let low, _): self.init(kind: .continuous, width: low.count)
      }
    }
  }

  /// A named per-step float vector recorded from the agent.
  public struct ExtraField: Codable, Sendable, Equatable {
    public var name: String
    public var width: Int

    public init(name: String, width: Int) {
      self.name = name
      self.width = width
    }
  }

  public init(
    environmentID: String, environmentOptions: JSONValue = .object([:]), seed: UInt64?,
    agentID: String, observationWidth: Int, action: ActionSpec, extras: [ExtraField] = [],
    createdBy: String = "ranklab \(RankLabVersion.string)", frameLength: Int = 256,
    compressionLevel: Int = ColumnCodec.defaultLevel
  ) {
    self.environmentID = environmentID
    self.environmentOptions = environmentOptions
    self.seed = seed
    self.agentID = agentID
    self.observationWidth = observationWidth
    self.action = action
    self.extras = extras
    self.createdBy = createdBy
    self.frameLength = frameLength
    self.compressionLevel = compressionLevel
  }

  enum CodingKeys: String, CodingKey {
    case environmentID = "env_id"
    case environmentOptions = "env_options"
    case seed
    case agentID = "agent_id"
    case observationWidth = "observation_width"
    case action
    case extras
    case createdBy = "created_by"
    case frameLength = "frame_length"
    case compressionLevel = "compression_level"
  }

  /// Limits that keep a hostile or corrupt header from asking for absurd allocations.
  static let maxWidth = 1 << 20
  static let maxFrameLength = 1 << 20

  /// Why the header cannot describe a readable file, or nil when it can.
  func problem() -> String? {
    guard case .object = environmentOptions else { return "env_options is not a JSON object" }
    guard (0...Self.maxWidth).contains(observationWidth) else {
      return "observation_width \(observationWidth) is outside 0...\(Self.maxWidth)"
    }
    switch action.kind {
    case .discrete:
      guard action.width == 1 else { return "discrete action width must be 1, not \(action.width)" }
    case .continuous:
      guard (1...Self.maxWidth).contains(action.width) else {
        return "action width \(action.width) is outside 1...\(Self.maxWidth)"
      }
    }
    guard (1...Self.maxFrameLength).contains(frameLength) else {
      return "frame_length \(frameLength) is outside 1...\(Self.maxFrameLength)"
    }
    guard Zstd.levels.contains(compressionLevel) else {
      return "compression_level \(compressionLevel) is outside zstd's levels"
    }
    var names: Set<String> = []
    for extra in extras {
      guard !extra.name.isEmpty, names.insert(extra.name).inserted else {
        return "extra field names must be non-empty and unique ('\(extra.name)')"
      }
      guard (1...Self.maxWidth).contains(extra.width) else {
        return "extra '\(extra.name)' width \(extra.width) is outside 1...\(Self.maxWidth)"
      }
    }
    let rowBytes =
      4 * observationWidth + 4 * action.width + 17 + 4 * extras.reduce(0) { $0 + $1.width }
    guard rowBytes * (frameLength + 1) <= EpisodeFormat.maxFrameRawLength else {
      return "a frame of \(frameLength) steps would exceed \(EpisodeFormat.maxFrameRawLength) bytes"
    }
    return nil
  }
}
