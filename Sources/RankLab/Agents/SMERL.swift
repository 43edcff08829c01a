import Environments
import Foundation

/// SMERL, structured max-ent RL (Kumar, Kumar, Levine, Finn 2020), on SAC: one policy
/// π(a | s, z) for N latents, diverse where diversity costs no task return.
///
/// - Each training episode draws z uniformly (stream 9 of the run seed); the actor and the
///   critics see the observation with z's one-hot appended. The replay keeps the environment's
///   observations; the latent of every stored transition is looked up by its transition number
///   in this agent's table of episodes (`LatentSkills`), so replay, probe and episode files stay
///   those of the environment.
/// - A discriminator q(z | s′) (an MLP over the observation, or `smerl.discriminator.inputs` of
///   it) learns by cross-entropy on every minibatch SAC samples, labelled with their latents.
/// - SAC learns from r + α · 1[R(τ) ≥ R* − ε] · (log q(z|s′) − log p(z)), p(z) = 1/N, R(τ) the
///   environment return of the transition's episode: the bonus is paid only on transitions of
///   finished episodes within ε of R* (R* `auto`: the best training-episode return so far; ε
///   `auto`: 0.1 · |R*|). `smerl.mode: diayn` pays it on every transition (DIAYN + reward).
/// - Evaluation plays every latent (`latentCount`, `selectLatent`); `ranklab adapt` picks one.
///
/// No reference implementation of the paper was found to check against; this follows the
/// paper's equations as `shared/science.md` §2 gives them.
public final class SMERLAgent: Agent {
  let sac: SACAgent
  let skills: LatentSkills
  let latents: Int
  let observationWidth: Int
  var latentRNG: PCG64
  var trainingLatent = 0
  var evaluationLatent = 0
  /// Evaluation episodes started without a selected latent (they cycle through the latents).
  var unselectedEpisodes = 0
  var selected: Int?
  /// The observation with the latent's one-hot appended (acting), and the probe's rows.
  var input: [Float]
  var probeInput: [Float] = []

  public init(context: AgentContext) throws {
    let smerl = context.config.smerl
    latents = smerl.latents
    let width = context.observationSpace.flatCount
    observationWidth = width
    let inputs = smerl.discriminator.inputs.isEmpty ? Array(0..<width) : smerl.discriminator.inputs
    if let outside = inputs.first(where: { $0 >= width }) {
      throw RunError.unsupported(
        "smerl.discriminator.inputs: index \(outside) is outside \(context.config.env.id)'s \(width) observation floats (0-based); the discriminator must see the state it classifies"
      )
    }
    skills = LatentSkills(
      config: smerl, inputs: inputs, batchSize: context.config.agent.batchSize,
      observationWidth: width, replayCapacity: context.config.replay.capacity,
      rng: context.discriminatorInitializationRNG)
    sac = try SACAgent(context: context, relabeler: skills)
    latentRNG = context.latentRNG
    input = [Float](repeating: 0, count: width + smerl.latents)
  }

  /// Writes `observation` ⊕ one-hot(latent) into `row`.
  @inline(__always) func widen(
    _ observation: UnsafeBufferPointer<Float>, latent: Int,
    into row: UnsafeMutableBufferPointer<Float>
  ) {
    for k in 0..<observationWidth { row[k] = observation[k] }
    for j in 0..<latents { row[observationWidth + j] = j == latent ? 1 : 0 }
  }

  public func act(_ observation: UnsafeBufferPointer<Float>, explore: Bool) -> Action {
    // Training always explores and evaluation never does: an evaluation in the middle of a
    // training episode leaves that episode's latent alone.
    let latent = explore ? trainingLatent : evaluationLatent
    input.withUnsafeMutableBufferPointer { widen(observation, latent: latent, into: $0) }
    return input.withUnsafeBufferPointer { sac.act($0, explore: explore) }
  }

  public func episodeStarted(training: Bool) {
    if training {
      trainingLatent = latentRNG.nextInt(below: latents)
      skills.beginEpisode(latent: trainingLatent)
    } else if let selected {
      evaluationLatent = selected
    } else {
      evaluationLatent = unselectedEpisodes % latents
      unselectedEpisodes += 1
    }
  }

  public func episodeEnded(return episodeReturn: Double, cost: Double, length: Int) {
    skills.endEpisode(return: episodeReturn, length: length)
  }

  public var latentCount: Int { latents }
  public func selectLatent(_ latent: Int?) { selected = latent }

  public func update(replay: ReplayBuffer, step: Int) -> [(key: String, value: Double)]? {
    guard let figures = sac.update(replay: replay, step: step) else { return nil }
    return figures + skills.takeFigures()
  }

  public func train(replay: ReplayBuffer, gradientSteps: Int, step: Int) -> [(
    key: String, value: Double
  )] {
    sac.train(replay: replay, gradientSteps: gradientSteps, step: step) + skills.takeFigures()
  }

  public var featureCount: Int { sac.featureCount }

  /// The measured network's features of the probe states, probe row i with latent i mod N.
  public func features(
    of observations: UnsafeBufferPointer<Float>, count: Int,
    into features: UnsafeMutableBufferPointer<Float>
  ) {
    let w = observationWidth + latents
    if probeInput.count != count * w { probeInput = [Float](repeating: 0, count: count * w) }
    probeInput.withUnsafeMutableBufferPointer { rows in
      for i in 0..<count {
        widen(
          UnsafeBufferPointer(
            rebasing: observations[i * observationWidth..<(i + 1) * observationWidth]),
          latent: i % latents, into: UnsafeMutableBufferPointer(rebasing: rows[i * w..<(i + 1) * w])
        )
      }
    }
    probeInput.withUnsafeBufferPointer { sac.features(of: $0, count: count, into: features) }
  }

  public var recordedFields: [EpisodeHeader.ExtraField] {
    sac.recordedFields + [.init(name: "latent", width: 1)]
  }

  /// Recording happens in evaluation episodes: their latent is the one recorded.
  public func recordedValues(_ observation: UnsafeBufferPointer<Float>, action: Action)
    -> [[Float]]
  {
    input.withUnsafeMutableBufferPointer {
      widen(observation, latent: evaluationLatent, into: $0)
    }
    let values = input.withUnsafeBufferPointer { sac.recordedValues($0, action: action) }
    return values + [[Float(evaluationLatent)]]
  }

  public func statusMetrics(step: Int) -> [(key: String, value: Double)] {
    var figures = sac.statusMetrics(step: step)
    if let target = skills.targetReturn { figures.append(("smerl/target_return", target)) }
    figures.append(("time/discriminator_s", skills.seconds))
    return figures
  }

  public var samplingSeconds: Double { sac.samplingSeconds }

  private struct Counters: Codable {
    var latentRNG: PCG64
    var trainingLatent: Int
    var evaluationLatent: Int
    var unselectedEpisodes: Int
  }

  public func save(into archive: inout CheckpointArchive) throws {
    try sac.save(into: &archive)
    try skills.save(into: &archive)
    try archive.put(
      "smerl/counters",
      json: Counters(
        latentRNG: latentRNG, trainingLatent: trainingLatent, evaluationLatent: evaluationLatent,
        unselectedEpisodes: unselectedEpisodes))
  }

  public func load(from archive: CheckpointArchive) throws {
    try sac.load(from: archive)
    try skills.load(from: archive)
    let counters = try archive.json("smerl/counters", as: Counters.self)
    latentRNG = counters.latentRNG
    trainingLatent = counters.trainingLatent
    evaluationLatent = counters.evaluationLatent
    unselectedEpisodes = counters.unselectedEpisodes
  }

  /// Acting needs the actor alone (its input is N floats wider than the environment's).
  public func savePolicy(into archive: inout CheckpointArchive) throws {
    try sac.savePolicy(into: &archive)
  }

  public func loadPolicy(from archive: CheckpointArchive) throws {
    try sac.loadPolicy(from: archive)
  }
}

/// SMERL's bookkeeping and discriminator, as SAC's minibatch relabeler: which latent and which
/// episode return each stored transition has, q(z | s′), and the bonus.
final class LatentSkills: MinibatchRelabeler {
  /// One finished training episode: transitions `first ..< first + length` (the replay's
  /// transition numbers), its latent and environment return.
  struct EpisodeRecord: Codable, Equatable {
    var first: Int
    var length: Int
    var latent: Int
    var episodeReturn: Double
  }

  struct State: Codable {
    /// Finished episodes whose transitions the replay may still hold, oldest first.
    var episodes: [EpisodeRecord] = []
    /// The running episode: its first transition number and latent.
    var runningFirst = 0
    var runningLatent = 0
    var bestReturn: Double?
  }

  let config: SMERLConfig
  let latents: Int
  let inputs: [Int]
  let observationWidth: Int
  let replayCapacity: Int
  let discriminator: MLP
  var optimizer: Adam
  let work: MLPWorkspace
  var state = State()
  /// Wall-clock seconds spent relabelling (the discriminator's share of a run).
  var seconds = 0.0

  // Preallocated per minibatch.
  var discriminatorInput: [Float]
  var logQ: [Float]
  var outputGradient: [Float]
  var rowLatents: [Int]
  /// Figure sums since the last `takeFigures`: loss, accuracy, bonus fraction, bonus mean.
  var sums = [Double](repeating: 0, count: 4)
  var batches = 0

  init(
    config: SMERLConfig, inputs: [Int], batchSize: Int, observationWidth: Int,
    replayCapacity: Int, rng: PCG64
  ) {
    self.config = config
    latents = config.latents
    self.inputs = inputs
    self.observationWidth = observationWidth
    self.replayCapacity = replayCapacity
    var rng = rng
    discriminator = MLP(
      sizes: [inputs.count] + config.discriminator.hidden + [latents],
      activation: config.discriminator.activation, initialization: .torch, rng: &rng)
    optimizer = Adam(
      parameterCount: discriminator.parameters.count,
      learningRate: Float(config.discriminator.learningRate))
    work = MLPWorkspace(for: discriminator, capacity: batchSize)
    discriminatorInput = [Float](repeating: 0, count: batchSize * inputs.count)
    logQ = [Float](repeating: 0, count: batchSize * latents)
    outputGradient = logQ
    rowLatents = [Int](repeating: 0, count: batchSize)
  }

  var appendedWidth: Int { latents }

  /// R*: the configured target, or the best training-episode return so far (nil before any).
  var targetReturn: Double? {
    if case .value(let target) = config.targetReturn { return target }
    return state.bestReturn
  }

  func beginEpisode(latent: Int) { state.runningLatent = latent }

  func endEpisode(return episodeReturn: Double, length: Int) {
    state.episodes.append(
      EpisodeRecord(
        first: state.runningFirst, length: length, latent: state.runningLatent,
        episodeReturn: episodeReturn))
    state.runningFirst += length
    state.bestReturn = max(state.bestReturn ?? episodeReturn, episodeReturn)
    // Episodes wholly older than the replay's capacity can no longer be sampled.
    let oldest = state.runningFirst - replayCapacity
    if let drop = state.episodes.firstIndex(where: { $0.first + $0.length > oldest }), drop > 0 {
      state.episodes.removeFirst(drop)
    }
  }

  /// The latent of transition `t` and, when its episode has finished, that episode's return.
  func lookup(_ t: Int) -> (latent: Int, episodeReturn: Double?) {
    if t >= state.runningFirst { return (state.runningLatent, nil) }
    var low = 0
    var high = state.episodes.count - 1
    while low < high {
      let mid = (low + high + 1) / 2
      if state.episodes[mid].first <= t { low = mid } else { high = mid - 1 }
    }
    let record = state.episodes[low]
    return (record.latent, record.episodeReturn)
  }

  func relabel(_ stored: TransitionBatch, into batch: inout TransitionBatch) {
    let start = TimeBreakdown.now
    defer { seconds += TimeBreakdown.since(start) }
    let n = stored.count
    let d = observationWidth
    let w = d + latents
    let din = inputs.count
    let target = targetReturn
    var threshold = -Double.infinity
    if let target {
      switch config.epsilon {
      case .auto: threshold = target - 0.1 * abs(target)
      case .value(let epsilon): threshold = target - epsilon
      }
    }
    for i in 0..<n {
      let (latent, episodeReturn) = lookup(stored.indices[i])
      rowLatents[i] = latent
      for k in 0..<d {
        batch.observations[i * w + k] = stored.observations[i * d + k]
        batch.nextObservations[i * w + k] = stored.nextObservations[i * d + k]
      }
      for j in 0..<latents {
        let hot: Float = j == latent ? 1 : 0
        batch.observations[i * w + d + j] = hot
        batch.nextObservations[i * w + d + j] = hot
      }
      for (c, k) in inputs.enumerated() {
        discriminatorInput[i * din + c] = stored.nextObservations[i * d + k]
      }
      // Whether this row earns the bonus, kept in the reward slot until q is known.
      let earns: Bool
      switch config.mode {
      case .diayn: earns = true
      case .smerl: earns = target != nil && (episodeReturn.map { $0 >= threshold } ?? false)
      case .none: earns = false
      }
      batch.rewards[i] = earns ? 1 : 0
    }
    discriminatorInput.withUnsafeBufferPointer { work.forward(discriminator, input: $0, rows: n) }
    logQ.withUnsafeMutableBufferPointer {
      Losses.logSoftmax(UnsafeBufferPointer(work.output), rows: n, columns: latents, into: $0)
    }
    // The bonus from q before this step, then one cross-entropy step of q.
    let logPrior = -Float(Foundation.log(Double(latents)))
    var loss: Float = 0
    var correct = 0
    var earned = 0
    var bonusSum: Float = 0
    for i in 0..<n {
      let z = rowLatents[i]
      let row = i * latents
      var best = 0
      for j in 1..<latents where logQ[row + j] > logQ[row + best] { best = j }
      if best == z { correct += 1 }
      loss -= logQ[row + z]
      for j in 0..<latents {
        outputGradient[row + j] = (logQ[row + j].exp() - (j == z ? 1 : 0)) / Float(n)
      }
      var bonus: Float = 0
      if batch.rewards[i] == 1 {
        bonus = Float(config.alpha) * (logQ[row + z] - logPrior)
        if config.bonus == .nonnegative { bonus = max(0, bonus) }
        earned += 1
      }
      bonusSum += bonus
      batch.rewards[i] = stored.rewards[i] + bonus
    }
    outputGradient.withUnsafeBufferPointer {
      work.backward(discriminator, outputGradient: $0, accumulate: false)
    }
    optimizer.update(&discriminator.parameters, gradients: discriminator.gradients)

    // The columns SAC reads besides observations and rewards.
    if stored.continuousActions.isEmpty {
      for i in 0..<n { batch.actionIndices[i] = stored.actionIndices[i] }
    } else {
      let m = stored.actionWidth
      for i in 0..<n * m { batch.continuousActions[i] = stored.continuousActions[i] }
    }
    for i in 0..<n {
      batch.terminals[i] = stored.terminals[i]
      batch.discounts[i] = stored.discounts[i]
      batch.weights[i] = stored.weights[i]
      batch.indices[i] = stored.indices[i]
    }
    batch.count = n
    sums[0] += Double(loss) / Double(n)
    sums[1] += Double(correct) / Double(n)
    sums[2] += Double(earned) / Double(n)
    sums[3] += Double(bonusSum) / Double(n)
    batches += 1
  }

  /// Mean figures of the minibatches relabelled since the last call.
  func takeFigures() -> [(key: String, value: Double)] {
    guard batches > 0 else { return [] }
    let b = Double(batches)
    let figures = [
      ("smerl/discriminator_loss", sums[0] / b), ("smerl/discriminator_accuracy", sums[1] / b),
      ("smerl/bonus_fraction", sums[2] / b), ("smerl/bonus_mean", sums[3] / b),
    ]
    for i in sums.indices { sums[i] = 0 }
    batches = 0
    return figures
  }

  func save(into archive: inout CheckpointArchive) throws {
    archive.put("smerl/discriminator", array: discriminator.parameters)
    archive.put("smerl/adam_m", array: optimizer.firstMoment)
    archive.put("smerl/adam_v", array: optimizer.secondMoment)
    try archive.put("smerl/adam_step", json: optimizer.step)
    try archive.put("smerl/episodes", json: state)
  }

  func load(from archive: CheckpointArchive) throws {
    let count = discriminator.parameters.count
    discriminator.parameters = try archive.array(
      "smerl/discriminator", of: Float.self, count: count)
    optimizer.restore(
      step: try archive.json("smerl/adam_step", as: Int.self),
      firstMoment: try archive.array("smerl/adam_m", of: Float.self, count: count),
      secondMoment: try archive.array("smerl/adam_v", of: Float.self, count: count))
    state = try archive.json("smerl/episodes", as: State.self)
  }
}
