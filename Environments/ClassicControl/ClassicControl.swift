/// What the classic-control environments share: a physical state that tools can read and set
/// in Gymnasium's order (the reference checker starts trajectories from a recorded state), and
/// Gymnasium's seeding (a fresh `np.random.default_rng(seed)` on a seeded reset).
public protocol ClassicControlEnvironment: Environment {
  /// The internal state in Gymnasium's order and precision (float64).
  var physicalState: [Double] { get set }
}

/// The bookkeeping every classic-control environment carries: its generator, the step count
/// and the time limit (Gymnasium's `TimeLimit` wrapper, folded in).
struct EpisodeClock: Codable, Sendable, Equatable {
  var rng: PCG64
  var steps = 0
  var limit: Int

  /// An unseeded environment behaves as if reset with seed 0, so runs are reproducible even
  /// when nobody passes a seed.
  init(limit: Int) {
    rng = PCG64(seed: 0)
    self.limit = limit
  }

  /// Gymnasium's `reset(seed=)`: a seed replaces the generator, nil keeps its stream.
  mutating func reset(seed: UInt64?) {
    if let seed { rng = PCG64(seed: seed) }
    steps = 0
  }

  /// Counts a step and reports how the episode ended. Termination wins over truncation: on the
  /// rare step that does both, Gymnasium reports both flags, and `steps >= limit` tells.
  mutating func tick(terminated: Bool) -> EpisodeEnd {
    steps += 1
    if terminated { return .terminated }
    return steps >= limit ? .truncated : .none
  }
}
