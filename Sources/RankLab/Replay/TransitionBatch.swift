/// A minibatch of transitions in preallocated, row-major storage that a replay buffer fills and
/// an agent reads. Reused across updates: sampling never allocates.
public struct TransitionBatch {
  /// Columns only some learners read; sampling fills those the batch asks for and skips the
  /// rest (each skipped column is one cache miss less per row from a large buffer).
  public struct Extras: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// Per-step safety costs.
    public static let costs = Extras(rawValue: 1)
    /// Monte-Carlo returns.
    public static let returns = Extras(rawValue: 2)
    public static let all: Extras = [.costs, .returns]
  }

  public let capacity: Int
  public let observationCount: Int
  public let actionWidth: Int
  /// Rows filled by the last sample (≤ capacity).
  public var count: Int = 0
  public var observations: [Float]
  public var nextObservations: [Float]
  /// Discrete action indices (one per row); unused for continuous actions.
  public var actionIndices: [Int32]
  /// Continuous actions, `actionWidth` per row; empty for discrete actions.
  public var continuousActions: [Float]
  public var rewards: [Float]
  /// What `extras` holds; a column not asked for stays NaN.
  public let extras: Extras
  public var costs: [Float]
  /// 1 where the transition ended in a terminal state (no bootstrapping), else 0. Truncation by a
  /// time limit is not terminal.
  public var terminals: [Float]
  /// Discounted return from this transition to the end of its episode (Monte-Carlo targets);
  /// NaN while its episode is still running.
  public var returns: [Float]
  /// Discount to apply to each row's bootstrap value: gamma^k for the k rewards summed into
  /// `rewards` (k = 1 unless n-step returns are on, fewer where the episode ended sooner).
  public var discounts: [Float]
  /// Importance-sampling weights of prioritized sampling (1 when sampling is uniform).
  public var weights: [Float]
  /// Sequence sampling: 1 for a real step, 0 for padding after an episode's end.
  public var mask: [Float]
  /// Transition numbers the rows came from (for priority updates).
  public var indices: [Int]

  public init(
    capacity: Int, observationCount: Int, actionWidth: Int, continuous: Bool,
    extras: Extras = .all
  ) {
    self.capacity = capacity
    self.extras = extras
    self.observationCount = observationCount
    self.actionWidth = actionWidth
    observations = [Float](repeating: 0, count: capacity * observationCount)
    nextObservations = observations
    actionIndices = [Int32](repeating: 0, count: continuous ? 0 : capacity)
    continuousActions = [Float](repeating: 0, count: continuous ? capacity * actionWidth : 0)
    rewards = [Float](repeating: 0, count: capacity)
    let unfilled = [Float](repeating: .nan, count: capacity)
    costs = extras.contains(.costs) ? rewards : unfilled
    terminals = rewards
    returns = extras.contains(.returns) ? rewards : unfilled
    discounts = rewards
    weights = [Float](repeating: 1, count: capacity)
    mask = weights
    indices = [Int](repeating: 0, count: capacity)
  }
}
