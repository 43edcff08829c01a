import Environments

/// One recorded episode, decoded: the header plus every column as a flat array. Replay players
/// and exporters read this; `EpisodeWriter` and `EpisodeReader` convert it to and from files.
public struct Episode: Sendable, Equatable {
  public var header: EpisodeHeader
  /// `(stepCount + 1) * header.observationWidth` floats, row-major: row 0 is the reset
  /// observation, row t+1 the observation after step t.
  public var observations: [Float]
  /// One action per step.
  public var actions: Actions
  public var rewards: [Double]
  public var costs: [Double]
  public var ends: [EpisodeEnd]
  /// Per extra field of the header (same order), `stepCount * width` floats row-major.
  public var extras: [[Float]]

  /// Actions of a discrete space (indices) or of a box (`stepCount * width` floats).
  public enum Actions: Sendable, Equatable {
    case discrete([Int32])
    case continuous([Float])
  }

  public init(
    header: EpisodeHeader, observations: [Float], actions: Actions, rewards: [Double],
    costs: [Double], ends: [EpisodeEnd], extras: [[Float]] = []
  ) {
    self.header = header
    self.observations = observations
    self.actions = actions
    self.rewards = rewards
    self.costs = costs
    self.ends = ends
    self.extras = extras
  }

  /// Steps taken (observations hold one more row).
  public var stepCount: Int { rewards.count }

  /// The observation before step `t` (`t == stepCount` gives the final one).
  public func observation(_ t: Int) -> ArraySlice<Float> {
    let width = header.observationWidth
    return observations[t * width..<(t + 1) * width]
  }

  /// The action taken at step `t`, ready to pass to `Environment.step`.
  public func action(_ t: Int) -> Action {
    switch actions {
    case .discrete(let values): return .discrete(Int(values[t]))
    case .continuous(let values):
      let width = header.action.width
      return .continuous(Array(values[t * width..<(t + 1) * width]))
    }
  }

  /// The named extra at step `t`, or nil when the episode did not record it.
  public func extra(_ name: String, at t: Int) -> ArraySlice<Float>? {
    guard let index = header.extras.firstIndex(where: { $0.name == name }) else { return nil }
    let width = header.extras[index].width
    return extras[index][t * width..<(t + 1) * width]
  }

  /// The sum of rewards.
  public var totalReward: Double { rewards.reduce(0, +) }

  /// Whether the columns have the lengths the header implies (the reader guarantees it; code
  /// that builds episodes by hand can check before writing).
  public var isConsistent: Bool {
    let steps = stepCount
    let actionCount: Int
    switch (actions, header.action.kind) {
    case (.discrete(let values), .discrete): actionCount = values.count
    case (.continuous(let values), .continuous): actionCount = values.count / header.action.width
    default: return false
    }
    if case .continuous(let values) = actions, values.count != steps * header.action.width {
      return false
    }
    return observations.count == (steps + 1) * header.observationWidth && actionCount == steps
      && costs.count == steps && ends.count == steps && extras.count == header.extras.count
      && zip(extras, header.extras).allSatisfy { $0.count == steps * $1.width }
  }
}
