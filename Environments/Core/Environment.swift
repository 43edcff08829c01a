/// A reinforcement-learning environment: a value type with explicit state and its own seeded
/// generator, so copying it copies the whole world, and checkpoints are a `Codable` encode.
///
/// Observations are written into caller-provided storage of `observationSpace.flatCount` floats,
/// so stepping never allocates.
public protocol Environment: Sendable, Codable {
  /// The registered id, e.g. `CartPole-v1` or `gridworld/four-rooms`.
  var id: String { get }
  var observationSpace: Space { get }
  var actionSpace: Space { get }
  /// Steps after which an episode is truncated (Gymnasium's registered limit), if any.
  var timeLimit: Int? { get }
  /// Whether observations come from a small finite set (a gridworld's cells), so a replay buffer
  /// gains by storing each distinct observation once.
  var observationsRepeat: Bool { get }
  /// Whether `Step.cost` can be non-zero: the environment declares a failure (lava, a hazard, an
  /// unsafe region set in `env.safety`). A safety method refuses environments without one.
  var hasFailureSignal: Bool { get }
  /// How many tasks the environment plays (`MultiTaskEnvironment`); 1 for most.
  var taskCount: Int { get }
  /// Fixes the task of the episodes that start from now on (nil: the environment's own order).
  mutating func selectTask(_ task: Int?)

  /// Starts an episode. A seed re-seeds the environment's generator (as Gymnasium's
  /// `reset(seed=)`); `nil` continues the current generator stream.
  mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>)

  /// Applies an action, writes the next observation, and reports reward, cost and episode end
  /// (time-limit truncation included).
  mutating func step(_ action: Action, into observation: UnsafeMutableBufferPointer<Float>) -> Step
}

extension Environment {
  public var observationsRepeat: Bool { false }
  public var hasFailureSignal: Bool { false }
  public var taskCount: Int { 1 }
  public mutating func selectTask(_ task: Int?) {}

  /// Convenience for tests and tools (allocates): reset and return the observation.
  public mutating func reset(seed: UInt64?) -> [Float] {
    var obs = [Float](repeating: 0, count: observationSpace.flatCount)
    obs.withUnsafeMutableBufferPointer { reset(seed: seed, into: $0) }
    return obs
  }

  /// Convenience for tests and tools (allocates): step and return the observation with the step.
  public mutating func step(_ action: Action) -> (observation: [Float], step: Step) {
    var obs = [Float](repeating: 0, count: observationSpace.flatCount)
    let result = obs.withUnsafeMutableBufferPointer { step(action, into: $0) }
    return (obs, result)
  }
}
