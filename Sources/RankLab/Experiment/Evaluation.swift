import Environments

/// Returns of a batch of evaluation episodes.
public struct EvaluationResult: Sendable, Equatable {
  public var returns: [Double]
  public var lengths: [Int]
  /// Total safety cost over the episodes.
  public var cost: Double

  public var mean: Double { returns.isEmpty ? .nan : returns.reduce(0, +) / Double(returns.count) }
  /// Population standard deviation (as numpy's default).
  public var standardDeviation: Double {
    guard !returns.isEmpty else { return .nan }
    let m = mean
    return (returns.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(returns.count)).squareRoot()
  }
}

/// Runs whole evaluation episodes on an environment of their own, so evaluation never disturbs
/// the training environment's state or generator.
public enum Evaluation {
  /// Plays `episodes` episodes with the agent's greedy (or exploring) policy. Episodes without a
  /// time limit are cut at `maxSteps`. With `seeds`, episode k starts from `reset(seed:
  /// seeds[k])` (reproducible one by one, as recorded episodes must be); otherwise each reset
  /// continues the environment's generator. `recorder` may return a writer for episode k, which
  /// receives every step and is finished when the episode ends.
  public static func run<E: Environment>(
    _ environment: inout E, agent: any Agent, episodes: Int, explore: Bool = false,
    maxSteps: Int = 100_000, seeds: [UInt64]? = nil,
    recorder: ((Int, [Float]) throws -> EpisodeWriter?)? = nil
  ) throws -> EvaluationResult {
    var result = EvaluationResult(returns: [], lengths: [], cost: 0)
    var observation = [Float](repeating: 0, count: environment.observationSpace.flatCount)
    for episode in 0..<episodes {
      let seed = seeds.map { $0[episode % $0.count] }
      observation.withUnsafeMutableBufferPointer { environment.reset(seed: seed, into: $0) }
      agent.episodeStarted(training: false)
      let writer = try recorder?(episode, observation)
      var total = 0.0
      var length = 0
      while length < maxSteps {
        let action = observation.withUnsafeBufferPointer { agent.act($0, explore: explore) }
        let values =
          writer == nil
          ? [] : observation.withUnsafeBufferPointer { agent.recordedValues($0, action: action) }
        var step = observation.withUnsafeMutableBufferPointer { environment.step(action, into: $0) }
        total += step.reward
        result.cost += step.cost
        length += 1
        if length == maxSteps && !step.end.isEnd { step.end = .truncated }
        try writer?.append(
          action: action, step: step, observation: observation, extras: values)
        if step.end.isEnd { break }
      }
      try writer?.finish()
      result.returns.append(total)
      result.lengths.append(length)
    }
    return result
  }
}
