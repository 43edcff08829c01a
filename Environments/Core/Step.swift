/// How an episode ended at a step, if it did.
public enum EpisodeEnd: UInt8, Sendable, Codable {
  /// The episode goes on.
  case none = 0
  /// The MDP reached a terminal state: no bootstrapping past it.
  case terminated = 1
  /// Cut by a time limit: the state is not terminal, so value targets still bootstrap.
  case truncated = 2

  /// True for either kind of end.
  public var isEnd: Bool { self != .none }
}

/// What one environment step returned besides the observation (written into caller storage).
public struct Step: Equatable, Sendable {
  /// The task reward.
  public var reward: Double
  /// The safety signal: 1 on a catastrophic failure (e.g. entering lava), 0 otherwise and 0 in
  /// environments without one. Separate from reward and from termination.
  public var cost: Double
  /// Whether and how the episode ended.
  public var end: EpisodeEnd

  public init(reward: Double, cost: Double = 0, end: EpisodeEnd = .none) {
    self.reward = reward
    self.cost = cost
    self.end = end
  }
}

/// An action for any environment: an index for discrete action spaces, a vector for boxes.
///
/// The continuous case holds an array the caller owns and reuses, so passing it per step costs a
/// retain, not an allocation.
public enum Action: Sendable, Equatable {
  case discrete(Int)
  case continuous([Float])
}
