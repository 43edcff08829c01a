/// Replays Gymnasium's recorded trajectories through ranklab's environments and reports the
/// first disagreement, at the two levels the reference README names: the dynamics from the
/// recorded state, and `reset(seed:)` itself.
public enum ReferenceChecker {
  /// Tolerances from the reference README.
  public static let observationTolerance = 1e-5
  public static let rewardTolerance = 1e-6
  public static let resetObservationTolerance = 1e-7

  /// The outcome for one file.
  public struct Result: Sendable {
    public var env: String
    public var seed: UInt64
    public var steps: Int
    /// The first mismatch, or nil when everything agreed.
    public var mismatch: String?
    public var matches: Bool { mismatch == nil }
  }

  /// Checks both levels for one trajectory.
  public static func check(_ trajectory: ReferenceTrajectory, file: String = "") throws -> Result {
    var result = Result(env: trajectory.env, seed: trajectory.seed, steps: trajectory.steps.count)
    guard let entry = EnvironmentCatalog.entry(id: trajectory.env) else {
      throw ReferenceError.unsupportedEnvironment(file, trajectory.env)
    }
    // Changed physics (`params`), set as the recording set them on `env.unwrapped`.
    let made: any Environment
    do { made = try entry.make(EnvironmentOptions(params: trajectory.params)) } catch {
      throw ReferenceError.unreadable(file, "params: \(error)")
    }
    guard let environment = made as? any ClassicControlEnvironment else {
      throw ReferenceError.unsupportedEnvironment(file, trajectory.env)
    }
    result.mismatch =
      dynamicsMismatch(environment, trajectory).map { "dynamics: " + $0 }
      ?? seedingMismatch(environment, trajectory).map { "seeding: " + $0 }
    return result
  }

  /// Level 1: start from `reset_state` and apply every action.
  static func dynamicsMismatch<E: ClassicControlEnvironment>(
    _ prototype: E, _ t: ReferenceTrajectory
  )
    -> String?
  {
    var env = prototype
    _ = env.reset(seed: t.seed)
    guard t.resetState.count == env.physicalState.count else {
      return
        "reset_state has \(t.resetState.count) values, \(env.id) has \(env.physicalState.count)"
    }
    env.physicalState = t.resetState
    return replay(&env, t)
  }

  /// Level 2: `reset(seed:)` reproduces the recorded start, and the episode from there.
  static func seedingMismatch<E: ClassicControlEnvironment>(
    _ prototype: E, _ t: ReferenceTrajectory
  )
    -> String?
  {
    var env = prototype
    let observation = env.reset(seed: t.seed)
    if let bad = firstDifference(
      observation.map(Double.init), t.resetObservation, resetObservationTolerance)
    {
      return "reset_obs[\(bad.index)]: expected \(bad.expected), got \(bad.got)"
    }
    if let bad = firstDifference(env.physicalState, t.resetState, 0) {
      return "reset_state[\(bad.index)]: expected \(bad.expected), got \(bad.got)"
    }
    return replay(&env, t)
  }

  static func replay<E: ClassicControlEnvironment>(_ env: inout E, _ t: ReferenceTrajectory)
    -> String?
  {
    let limit = env.timeLimit ?? .max
    for (index, expected) in t.steps.enumerated() {
      let (observation, step) = env.step(expected.action)
      let at = "step \(index)"
      if let bad = firstDifference(
        observation.map(Double.init), expected.observation, observationTolerance)
      {
        return "\(at) obs[\(bad.index)]: expected \(bad.expected), got \(bad.got)"
      }
      if abs(step.reward - expected.reward) > rewardTolerance {
        return "\(at) reward: expected \(expected.reward), got \(step.reward)"
      }
      // EpisodeEnd holds one value; Gymnasium can flag both when termination falls on the limit.
      let terminated = step.end == .terminated
      let truncated = step.end == .truncated || (terminated && index + 1 >= limit)
      if terminated != expected.terminated || truncated != expected.truncated {
        return
          "\(at) end: expected terminated=\(expected.terminated) truncated=\(expected.truncated),"
          + " got terminated=\(terminated) truncated=\(truncated)"
      }
    }
    return nil
  }

  static func firstDifference(_ got: [Double], _ expected: [Double], _ tolerance: Double)
    -> (index: Int, expected: Double, got: Double)?
  {
    guard got.count == expected.count else { return (min(got.count, expected.count), .nan, .nan) }
    for i in got.indices where !(abs(got[i] - expected[i]) <= tolerance) {
      return (i, expected[i], got[i])
    }
    return nil
  }
}
