import Environments
import Foundation

/// Random network distillation (Burda, Edwards, Storkey and Klimov 2019) as SAC's exploration
/// bonus (`agent.sac.novelty_bonus: β`, 0 off): a fixed, randomly initialised network f maps a
/// normalised observation to `novelty_features` outputs, a predictor f̂ of the same shape learns
/// to match it on the states SAC trains on, and the squared error e(s′) = mean_j (f̂_j − f_j)²
/// stays large on states seldom seen. Every minibatch's rewards become r + β e(s′) / ē, ē the
/// running mean of e over every minibatch so far: the bonus starts near β on average and fades
/// as states become familiar, whatever the scale of f.
///
/// Why it is here: a constrained learner whose filter removes the risky exploration near hazards
/// may never reach the states past them (docs/safety.md, "Why point-nav falls short"); the
/// bonus pays for reaching states it has not seen, safe or not, and leaves the filter to judge
/// safety. It is an option of SAC for every safety method alike, so comparisons stay fair.
///
/// Off-policy form: e is computed on the sampled minibatch with the current predictor (the
/// stored rewards stay extrinsic), then the predictor takes one Adam step on the same rows.
/// Observations are normalised by running per-column mean and standard deviation (updated
/// from each minibatch's s′, Chan et al.'s pooled update) and clipped to ±5, as in the paper.
final class NoveltyBonus {
  let scale: Float
  let observationCount: Int
  let batchSize: Int
  let target: MLP
  let predictor: MLP
  var optimizer: Adam
  let maxGradNorm: Float
  let targetWork: MLPWorkspace
  let predictorWork: MLPWorkspace
  /// Normalised s′ rows, the predictor's output gradient and the per-row errors (preallocated:
  /// a gradient step allocates nothing).
  var input: [Float]
  var outputGradient: [Float]
  var errors: [Float]
  /// Running statistics: per-column mean and summed squared deviation of s′, and the count.
  var observationMean: [Double]
  var observationSquares: [Double]
  var observationRows = 0.0
  /// Running mean of e over every row so far, and the row count.
  var errorMean = 0.0
  var errorRows = 0.0
  /// Sums since the figures were last taken: (bonus, predictor loss, steps).
  var sums: (bonus: Double, loss: Double, steps: Int) = (0, 0, 0)

  static let clip: Float = 5

  init(context: AgentContext, sac: SACConfig, observationCount: Int) {
    let agent = context.config.agent
    scale = Float(sac.noveltyBonus)
    self.observationCount = observationCount
    batchSize = agent.batchSize
    maxGradNorm = Float(agent.maxGradNorm)
    let sizes = [observationCount] + agent.network.hidden + [sac.noveltyFeatures]
    // Streams of their own ([2, 3] and [2, 4]), so SAC's and the safety critic's initial
    // weights are what they would be without the bonus.
    var targetRNG = PCG64(seed: UInt64(context.seed), stream: [2, 3])
    var predictorRNG = PCG64(seed: UInt64(context.seed), stream: [2, 4])
    target = MLP(
      sizes: sizes, activation: agent.network.activation, initialization: agent.network.`init`,
      rng: &targetRNG)
    predictor = MLP(
      sizes: sizes, activation: agent.network.activation, initialization: agent.network.`init`,
      rng: &predictorRNG)
    optimizer = Adam(
      parameterCount: predictor.parameters.count, learningRate: Float(agent.learningRate),
      epsilon: Float(agent.adamEps))
    let b = batchSize
    targetWork = MLPWorkspace(for: target, capacity: b)
    predictorWork = MLPWorkspace(for: predictor, capacity: b)
    input = [Float](repeating: 0, count: b * observationCount)
    outputGradient = [Float](repeating: 0, count: b * sac.noveltyFeatures)
    errors = [Float](repeating: 0, count: b)
    observationMean = [Double](repeating: 0, count: observationCount)
    observationSquares = observationMean
  }

  /// Adds β e(s′) / ē to the minibatch's rewards, then trains the predictor on the same rows.
  func addBonus(_ batch: inout TransitionBatch, learningRate: Float) {
    let n = batchSize
    updateObservationStatistics(batch.nextObservations, rows: n)
    normalise(batch.nextObservations, rows: n)
    let loss = errorsOfInput(rows: n)
    var batchError = 0.0
    for i in 0..<n { batchError += Double(errors[i]) }
    errorRows += Double(n)
    errorMean += (batchError - Double(n) * errorMean) / errorRows
    let normaliser = Float(max(errorMean, 1e-12))
    var bonusSum = 0.0
    for i in 0..<n {
      let bonus = scale * errors[i] / normaliser
      batch.rewards[i] += bonus
      bonusSum += Double(bonus)
    }
    // The predictor's step on L = mean_i mean_j (f̂ − f)²: ∂L/∂f̂_ij = 2 (f̂ − f) / (n k).
    outputGradient.withUnsafeBufferPointer {
      predictorWork.backward(predictor, outputGradient: $0, accumulate: false)
    }
    if maxGradNorm > 0 { predictor.clipGradients(maxNorm: maxGradNorm) }
    optimizer.learningRate = learningRate
    optimizer.update(&predictor.parameters, gradients: predictor.gradients)
    sums.bonus += bonusSum / Double(n)
    sums.loss += Double(loss)
    sums.steps += 1
  }

  /// e per row of `input` into `errors`, ∂L/∂f̂ into `outputGradient`; returns L (the mean of e).
  @discardableResult func errorsOfInput(rows n: Int) -> Float {
    input.withUnsafeBufferPointer {
      targetWork.forward(target, input: $0, rows: n)
      predictorWork.forward(predictor, input: $0, rows: n)
    }
    let k = target.outputCount
    let want = targetWork.output
    let have = predictorWork.output
    var total: Float = 0
    let slope = 2 / Float(n * k)
    for i in 0..<n {
      var e: Float = 0
      for j in 0..<k {
        let difference = have[i * k + j] - want[i * k + j]
        e += difference * difference
        outputGradient[i * k + j] = slope * difference
      }
      errors[i] = e / Float(k)
      total += errors[i]
    }
    return total / Float(n)
  }

  /// The bonus β e(s) / ē of each row of `observations` (normalised with today's statistics),
  /// with no update: for tests and probes.
  func bonus(of observations: [Float], rows n: Int) -> [Float] {
    precondition(n <= batchSize && observations.count >= n * observationCount)
    normalise(observations, rows: n)
    errorsOfInput(rows: n)
    let normaliser = Float(max(errorMean, 1e-12))
    return (0..<n).map { scale * errors[$0] / normaliser }
  }

  private func updateObservationStatistics(_ rows: [Float], rows n: Int) {
    let d = observationCount
    let total = observationRows + Double(n)
    for j in 0..<d {
      var mean = 0.0
      for i in 0..<n { mean += Double(rows[i * d + j]) }
      mean /= Double(n)
      var squares = 0.0
      for i in 0..<n {
        let deviation = Double(rows[i * d + j]) - mean
        squares += deviation * deviation
      }
      let delta = mean - observationMean[j]
      observationSquares[j] += squares + delta * delta * observationRows * Double(n) / total
      observationMean[j] += delta * Double(n) / total
    }
    observationRows = total
  }

  private func normalise(_ rows: [Float], rows n: Int) {
    let d = observationCount
    for j in 0..<d {
      let variance = observationRows > 1 ? observationSquares[j] / observationRows : 1
      let mean = Float(observationMean[j])
      let inverse = Float(1 / max(variance, 1e-8).squareRoot())
      for i in 0..<n {
        input[i * d + j] = min(max((rows[i * d + j] - mean) * inverse, -Self.clip), Self.clip)
      }
    }
  }

  // MARK: Figures and checkpoints

  static let keys = ["train/novelty_bonus", "train/novelty_loss"]

  /// The means since last taken (zeros before any step).
  func takeFigures() -> (bonus: Double, loss: Double) {
    defer { sums = (0, 0, 0) }
    guard sums.steps > 0 else { return (0, 0) }
    return (sums.bonus / Double(sums.steps), sums.loss / Double(sums.steps))
  }

  private struct State: Codable {
    var adamStep: Int
    var observationMean: [Double]
    var observationSquares: [Double]
    var observationRows: Double
    var errorMean: Double
    var errorRows: Double
  }

  func save(into archive: inout CheckpointArchive) throws {
    archive.put("agent/novelty_target", array: target.parameters)
    archive.put("agent/novelty_predictor", array: predictor.parameters)
    archive.putMoments(of: optimizer, scope: "agent", name: "novelty_predictor")
    try archive.put(
      "agent/novelty_state",
      json: State(
        adamStep: optimizer.step, observationMean: observationMean,
        observationSquares: observationSquares, observationRows: observationRows,
        errorMean: errorMean, errorRows: errorRows))
  }

  func load(from archive: CheckpointArchive) throws {
    let count = predictor.parameters.count
    target.parameters = try archive.array("agent/novelty_target", of: Float.self, count: count)
    predictor.parameters = try archive.array(
      "agent/novelty_predictor", of: Float.self, count: count)
    let state = try archive.json("agent/novelty_state", as: State.self)
    guard state.observationMean.count == observationCount,
      state.observationSquares.count == observationCount
    else {
      throw CheckpointError.invalid(
        "agent/novelty_state: statistics for \(state.observationMean.count) observation columns, the run has \(observationCount)"
      )
    }
    try archive.restoreMoments(
      of: &optimizer, step: state.adamStep, scope: "agent", name: "novelty_predictor")
    observationMean = state.observationMean
    observationSquares = state.observationSquares
    observationRows = state.observationRows
    errorMean = state.errorMean
    errorRows = state.errorRows
  }
}
