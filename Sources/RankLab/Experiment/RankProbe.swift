import Environments
import Foundation

/// Feature-rank measurement on a fixed probe batch of distinct states: the same states at every
/// measurement, so changes in the spectrum are changes in the network, and each state once, so
/// the spectrum is not weighted by visit counts and duplicates do not cap the rank.
///
/// A tabular environment (a gridworld) is probed on every state reachable from its start
/// (`useStates`), whatever `rank.probe_size` says: srank is then at most min(reachable states,
/// features), e.g. about 200 on a 16×16 Fu map with 20% walls. Otherwise the probe holds up to
/// `probe_size` distinct observations drawn from the replay buffer.
public struct RankProbe {
  public let config: RankConfig
  /// Row-major probe observations (empty until drawn).
  public private(set) var observations: [Float] = []
  public private(set) var count = 0
  private var features: [Float] = []
  private var svd: SingularValueDecomposition?

  public init(config: RankConfig) {
    self.config = config
  }

  /// Probes every reachable state of a tabular environment.
  public mutating func useStates(of env: some TabularEnvironment) {
    let states = env.reachableStates()
    setObservations(env.observations(ofStates: states), count: states.count)
  }

  /// Draws the probe batch once the buffer holds `probe_size` transitions: distinct
  /// observations (bit for bit) in a seeded random order, up to `probe_size` of them.
  public mutating func drawIfNeeded(from replay: ReplayBuffer, rng: inout PCG64) {
    guard count == 0, replay.count >= min(config.probeSize, replay.capacity) else { return }
    var positions = Array(0..<replay.count)
    positions.shuffle(using: &rng)
    let width = replay.observationCount
    let block = 1024
    var batch = replay.makeBatch(size: min(block, positions.count))
    var seen: Set<[UInt32]> = []
    var rows: [Float] = []
    var start = 0
    while start < positions.count && seen.count < config.probeSize {
      let chosen = Array(positions[start..<min(start + block, positions.count)])
      replay.gather(positions: chosen, into: &batch)
      for i in 0..<chosen.count where seen.count < config.probeSize {
        let row = Array(batch.observations[(i * width)..<((i + 1) * width)])
        if seen.insert(row.map(\.bitPattern)).inserted { rows += row }
      }
      start += block
    }
    setObservations(rows, count: seen.count)
  }

  /// Restores a checkpointed probe batch.
  public mutating func setObservations(_ values: [Float], count: Int) {
    observations = values
    self.count = count
  }

  /// Measures the agent's penultimate features on the probe; nil before the probe is drawn.
  public mutating func measure(_ agent: some Agent) -> (rank: FeatureRank, singularValues: [Float])?
  {
    guard count > 0 else { return nil }
    let d = agent.featureCount
    if features.count != count * d { features = [Float](repeating: 0, count: count * d) }
    if svd == nil { svd = SingularValueDecomposition(rows: count, columns: d, vectors: false) }
    guard let svd else { return nil }
    observations.withUnsafeBufferPointer { o in
      features.withUnsafeMutableBufferPointer { agent.features(of: o, count: count, into: $0) }
    }
    guard features.withUnsafeBufferPointer({ svd.decompose($0) }) else { return nil }
    let values = svd.values
    let rank = FeatureRank(
      singularValues: values, delta: config.delta, threshold: config.threshold,
      dimension: max(count, d))
    return (rank, values)
  }
}
