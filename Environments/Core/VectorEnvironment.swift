/// N copies of an environment stepped together, observations in one contiguous row-major
/// buffer (copy i at rows `i * observationCount`). A copy whose episode ends is reset in the
/// same step ("same-step" autoreset): its row holds the first observation of the next episode,
/// and the last observation of the finished one is kept in `finalObservations`.
public struct VectorEnvironment<E: Environment> {
  public private(set) var copies: [E]
  public let observationCount: Int
  /// Row-major observations of all copies, updated by `reset` and `step`.
  public private(set) var observations: [Float]
  /// The last observation of each copy's finished episode, valid for rows whose step ended.
  public private(set) var finalObservations: [Float]
  /// What each copy's last step returned.
  public private(set) var steps: [Step]

  /// `count` copies of `prototype`; copy i is seeded `seed + i` at the first reset.
  public init(_ prototype: E, count: Int) {
    precondition(count > 0, "a vector environment needs at least one copy")
    copies = Array(repeating: prototype, count: count)
    observationCount = prototype.observationSpace.flatCount
    observations = [Float](repeating: 0, count: count * observationCount)
    finalObservations = observations
    steps = Array(repeating: Step(reward: 0), count: count)
  }

  public var count: Int { copies.count }

  /// Resets every copy, copy i with seed `seed + i`.
  public mutating func reset(seed: UInt64) {
    let n = observationCount
    observations.withUnsafeMutableBufferPointer { all in
      for i in copies.indices {
        copies[i].reset(
          seed: seed &+ UInt64(i),
          into: UnsafeMutableBufferPointer(rebasing: all[i * n..<(i + 1) * n]))
      }
    }
  }

  /// Steps every copy with its action (`actions.count == count`); no allocation.
  public mutating func step(_ actions: [Action]) {
    precondition(actions.count == copies.count, "one action per copy")
    let n = observationCount
    observations.withUnsafeMutableBufferPointer { all in
      finalObservations.withUnsafeMutableBufferPointer { finals in
        for i in copies.indices {
          let row = UnsafeMutableBufferPointer(rebasing: all[i * n..<(i + 1) * n])
          let step = copies[i].step(actions[i], into: row)
          steps[i] = step
          if step.end.isEnd {
            for j in 0..<n { finals[i * n + j] = row[j] }
            copies[i].reset(seed: nil, into: row)
          }
        }
      }
    }
  }
}
