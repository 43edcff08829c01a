import Environments
import Foundation

/// Feature-rank measurement on a fixed probe batch: the same states at every measurement, drawn
/// once from the replay buffer, so changes in the spectrum are changes in the network.
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

  /// Draws the probe batch once the buffer holds enough distinct transitions.
  public mutating func drawIfNeeded(from replay: ReplayBuffer, rng: inout PCG64) {
    guard count == 0, replay.count >= min(config.probeSize, replay.capacity) else { return }
    var positions = Array(0..<replay.count)
    positions.shuffle(using: &rng)
    let chosen = Array(positions.prefix(config.probeSize))
    var batch = replay.makeBatch(size: chosen.count)
    replay.gather(positions: chosen, into: &batch)
    setObservations(
      Array(batch.observations.prefix(chosen.count * replay.observationCount)), count: chosen.count)
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
    return (
      FeatureRank(singularValues: values, delta: config.delta, threshold: config.threshold), values
    )
  }
}
