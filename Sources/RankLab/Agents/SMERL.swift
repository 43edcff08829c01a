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
/// - `smerl.near_optimal_fraction` > 0: that share of every minibatch is redrawn from the
///   transitions of near-optimal episodes the replay still holds (found in the episode table,
///   no second copy), so the bonus acts on that share of the updates however rare such
///   episodes are among the training episodes.
/// - `smerl.credit: episode` pays a near-optimal episode's bonus once, on its last transition:
///   α times the mean of log q(z|s′) − log p(z) over its next states; `first_visit` pays it
///   per step, but only on transitions into a state the episode has not been in before.
/// - Evaluation plays every latent (`latentCount`, `selectLatent`); `ranklab adapt` picks one.
///
/// This follows the paper's equations as `shared/science.md` §2 gives them. The authors' code
/// (github.com/szk9876/SMERL, rlkit `path_replay_buffer.py`), read for facts: the threshold
/// is one fixed number per environment (`--subopt-return-threshold`), not a running best; the
/// replay holds whole episodes (its size counted in episodes) and a minibatch draws an
/// episode uniformly, then a step of it uniformly, so a short episode weighs as much as a
/// long one; the episode's return is the sum of its stored rewards; the bonus is signed
/// (−CE − log p(z)); the discriminator learns from the same uniform draws. Here the replay
/// draws transitions uniformly, which `near_optimal_fraction` can offset.
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
    /// `credit: first_visit`: the offsets of its transitions whose next state the episode had
    /// been in before, found once, the first time one of its rows earns the bonus (nil until
    /// then, and in checkpoints written before it).
    var revisits: [Int]?
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
    rowEpisodes = [EpisodeRecord?](repeating: nil, count: batchSize)
  }

  var appendedWidth: Int { latents }

  /// R*: the configured target, or the best training-episode return so far (nil before any).
  var targetReturn: Double? {
    if case .value(let target) = config.targetReturn { return target }
    return state.bestReturn
  }

  /// R* − ε, the return a finished episode needs to earn the bonus (nil before any R*).
  var threshold: Double? {
    guard let target = targetReturn else { return nil }
    switch config.epsilon {
    case .auto: return target - 0.1 * abs(target)
    case .value(let epsilon): return target - epsilon
    }
  }

  /// The near-optimal transitions the replay still holds, as runs of transition numbers
  /// (`nearOptimalRuns[k]` starts at `.first` and holds `.length`), and `nearOptimalEnds[k]`
  /// the running total through run k. Derived from `state`, the threshold and the replay's
  /// oldest transition, and rebuilt when one of them changes (so not checkpointed).
  var nearOptimalRuns: [(first: Int, length: Int)] = []
  var nearOptimalEnds: [Int] = []
  var nearOptimalKey: (episodes: Int, runningFirst: Int, threshold: Double, oldest: Int)?

  func refreshNearOptimal(threshold: Double, oldest: Int) {
    let key = (state.episodes.count, state.runningFirst, threshold, oldest)
    if let k = nearOptimalKey, k == key { return }
    nearOptimalKey = key
    nearOptimalRuns.removeAll(keepingCapacity: true)
    nearOptimalEnds.removeAll(keepingCapacity: true)
    var total = 0
    for record in state.episodes where record.episodeReturn >= threshold {
      let first = max(record.first, oldest)
      let length = record.first + record.length - first
      guard length > 0 else { continue }
      total += length
      nearOptimalRuns.append((first, length))
      nearOptimalEnds.append(total)
    }
  }

  /// Redraws the first `near_optimal_fraction` of the rows uniformly from the near-optimal
  /// transitions the replay holds (none yet: the rows stay as drawn).
  func resample(_ stored: inout TransitionBatch, from replay: ReplayBuffer, rng: inout PCG64) {
    guard config.mode == .smerl, config.nearOptimalFraction > 0, let threshold else { return }
    let rows = Int((config.nearOptimalFraction * Double(stored.count)).rounded())
    guard rows > 0 else { return }
    refreshNearOptimal(threshold: threshold, oldest: replay.firstIndex)
    guard let total = nearOptimalEnds.last else { return }
    for row in 0..<rows {
      let k = rng.nextInt(below: total)
      // The first run whose running total exceeds k.
      var low = 0
      var high = nearOptimalEnds.count - 1
      while low < high {
        let mid = (low + high) / 2
        if nearOptimalEnds[mid] > k { high = mid } else { low = mid + 1 }
      }
      let run = nearOptimalRuns[low]
      let t = run.first + run.length - (nearOptimalEnds[low] - k)
      replay.copy(t, into: &stored, row: row)
      stored.weights[row] = 1
    }
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

  /// The latent of transition `t` and, when its episode has finished, that episode's place in
  /// `state.episodes`.
  func lookup(_ t: Int) -> (latent: Int, episode: Int?) {
    if t >= state.runningFirst { return (state.runningLatent, nil) }
    var low = 0
    var high = state.episodes.count - 1
    while low < high {
      let mid = (low + high + 1) / 2
      if state.episodes[mid].first <= t { low = mid } else { high = mid - 1 }
    }
    return (state.episodes[low].latent, low)
  }

  // Each row's episode record (read by `credit: episode`), and scratch for reading a whole
  // episode from the replay (`episode` and `first_visit`; grown to the longest episode read,
  // then reused).
  var rowEpisodes: [EpisodeRecord?]
  var episodeBatch: TransitionBatch?
  var episodeWork: MLPWorkspace?
  var episodeInput: [Float] = []
  var episodeLogQ: [Float] = []

  /// The transitions of `record` the replay still holds: the first one's number and how many.
  func heldSpan(of record: EpisodeRecord, in replay: ReplayBuffer) -> (first: Int, length: Int) {
    let first = max(record.first, replay.firstIndex)
    return (first, record.first + record.length - first)
  }

  /// Copies `length` transitions from `first` into `episodeBatch`, growing the scratch first.
  func readEpisode(first: Int, length: Int, from replay: ReplayBuffer) {
    if episodeBatch.map({ $0.capacity < length }) ?? true {
      episodeBatch = replay.makeBatch(size: length, extras: [])
      episodeWork = MLPWorkspace(for: discriminator, capacity: length)
      episodeInput = [Float](repeating: 0, count: length * inputs.count)
      episodeLogQ = [Float](repeating: 0, count: length * latents)
    }
    for k in 0..<length { replay.copy(first + k, into: &episodeBatch!, row: k, steps: 1) }
  }

  /// α times the mean of log q(z|s′) − log p(z) over the next states of `record` the replay
  /// still holds, from q as it is (before this minibatch's step).
  func episodeBonus(_ record: EpisodeRecord, replay: ReplayBuffer) -> Float {
    let (first, length) = heldSpan(of: record, in: replay)
    guard length > 0 else { return 0 }
    readEpisode(first: first, length: length, from: replay)
    let d = observationWidth
    let din = inputs.count
    for k in 0..<length {
      for (c, j) in inputs.enumerated() {
        episodeInput[k * din + c] = episodeBatch!.nextObservations[k * d + j]
      }
    }
    let work = episodeWork!
    episodeInput.withUnsafeBufferPointer { work.forward(discriminator, input: $0, rows: length) }
    episodeLogQ.withUnsafeMutableBufferPointer {
      Losses.logSoftmax(UnsafeBufferPointer(work.output), rows: length, columns: latents, into: $0)
    }
    let logPrior = -Float(Foundation.log(Double(latents)))
    var sum: Float = 0
    for k in 0..<length { sum += episodeLogQ[k * latents + record.latent] - logPrior }
    return Float(config.alpha) * sum / Float(length)
  }

  /// The offsets of episode `index`'s transitions whose next observation equals one of the
  /// episode's observations up to that transition (a return to a state it had been in), read
  /// from the replay once and kept in the episode's record. The first time is when one of its
  /// rows first earns the bonus, right after the episode ends, while the replay holds it whole.
  func revisits(ofEpisode index: Int, replay: ReplayBuffer) -> [Int] {
    if let known = state.episodes[index].revisits { return known }
    let (first, length) = heldSpan(of: state.episodes[index], in: replay)
    var found: [Int] = []
    if length > 0 {
      readEpisode(first: first, length: length, from: replay)
      let batch = episodeBatch!
      let d = observationWidth
      for t in 0..<length {
        let next = t * d
        for k in 0...t {
          var same = true
          for j in 0..<d where batch.observations[k * d + j] != batch.nextObservations[next + j] {
            same = false
            break
          }
          if same {
            found.append(first - state.episodes[index].first + t)
            break
          }
        }
      }
    }
    // Kept only when read whole: an episode whose start the replay has already dropped is
    // read again next time (and pays on what the replay holds).
    if length == state.episodes[index].length { state.episodes[index].revisits = found }
    return found
  }

  func relabel(
    _ stored: TransitionBatch, from replay: ReplayBuffer, into batch: inout TransitionBatch
  ) {
    let start = TimeBreakdown.now
    defer { seconds += TimeBreakdown.since(start) }
    let n = stored.count
    let d = observationWidth
    let w = d + latents
    let din = inputs.count
    let threshold = self.threshold
    for i in 0..<n {
      let (latent, place) = lookup(stored.indices[i])
      let episode = place.map { state.episodes[$0] }
      rowLatents[i] = latent
      rowEpisodes[i] = episode
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
      var earns: Bool
      switch config.mode {
      case .diayn: earns = true
      case .smerl:
        if let threshold, let episode {
          earns = episode.episodeReturn >= threshold
        } else {
          earns = false
        }
      case .none: earns = false
      }
      // Paid once per episode: on its last transition only (smerl mode; diayn pays every row).
      if earns && config.mode == .smerl && config.credit == .episode {
        earns = episode.map { stored.indices[i] == $0.first + $0.length - 1 } ?? false
      }
      // Paid only on entering a state for the first time in the episode.
      if earns && config.mode == .smerl && config.credit == .firstVisit, let place {
        let offset = stored.indices[i] - state.episodes[place].first
        earns = !revisits(ofEpisode: place, replay: replay).contains(offset)
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
        if config.mode == .smerl && config.credit == .episode {
          bonus = episodeBonus(rowEpisodes[i]!, replay: replay)
        } else {
          bonus = Float(config.alpha) * (logQ[row + z] - logPrior)
        }
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
    archive.putMoments(of: optimizer, scope: "smerl")
    try archive.put("smerl/adam_step", json: optimizer.step)
    try archive.put("smerl/episodes", json: state)
  }

  func load(from archive: CheckpointArchive) throws {
    let count = discriminator.parameters.count
    discriminator.parameters = try archive.array(
      "smerl/discriminator", of: Float.self, count: count)
    try archive.restoreMoments(
      of: &optimizer, step: try archive.json("smerl/adam_step", as: Int.self), scope: "smerl")
    state = try archive.json("smerl/episodes", as: State.self)
    nearOptimalKey = nil
  }
}
