import Environments
import Foundation

/// Safe exploration on SAC (`safety.method`): Conservative Safety Critics (Bharadhwaj, Kumar,
/// Rhinehart, Levine, Shkurti, Garg 2021) and the Lagrangian baseline, continuous and discrete.
///
/// The failure signal c ∈ {0, 1} is the environment's `Step.cost`. With `csc`, per gradient step
/// (after SAC's critics, on SAC's minibatch, `CostConstraint.learn`):
/// 1. the safety critic Q_C = σ(network output), the discounted probability of a failure ahead,
///    regresses onto y = c + (1 − c) γ_C (1 − terminal) Q̄_C(s′, a′), a′ ~ π(·|s′) (discrete:
///    Σ_a′ π(a′|s′) Q̄_C(s′, a′)), Q̄_C its Polyak-averaged target (`agent.sac.tau`); the
///    sigmoid keeps Q_C in [0, 1], where the reversed-CQL term below would otherwise push the
///    policy's actions up without bound (measured: Q_C ≈ 58 after 4k steps on point-nav);
/// 2. to that TD loss, ½ mean (Q_C(s, a) − y)² or the cross-entropy of Q_C against y
///    (`safety.critic_loss`), it adds the reversed-CQL term
///    α (mean Q_C(s, a_D) − mean E_{a~π(·|s)} Q_C(s, a)) (`safety.alpha`): pushed down on the
///    logged actions, up on the policy's own, so Q_C over-estimates the policy's failures;
/// 3. the actor minimises SAC's loss + λ · E_{a~π} f(s, a) (the constraint's Lagrangian), f = Q_C
///    or its excess over ε, max(0, Q_C − ε) (`safety.policy_penalty`).
/// With `safety.critic_pretrain_steps`, Q_C first takes that many steps alone on the warm-up's
/// transitions when learning starts, before the filter acts (`SafetyCritic.pretrain`).
///
/// Acting (after `learning_starts`): draw a ~ π(·|s) until Q_C(s, a) ≤ ε, at most
/// `safety.max_samples` draws, else take the draw with the least Q_C (discrete: the same rule
/// on the action set, the fallback the action of least Q_C); ε = (1 − γ_C)(χ − V_C), V_C the
/// current expected failures per episode (`safety.failure_estimate`): `episodes`, the running
/// mean of the summed costs of the training episodes begun after the warm-up; `critic`, the
/// running mean of Q_C(s₀, a ~ π) at training episodes' first states. Evaluation filters the
/// same way (the filtered policy is the one CSC deploys), its first candidate the greedy action
/// and its draws from a generator of its own (stream [3, 1]), so evaluating leaves training
/// alone.
///
/// The multiplier: after every training episode begun after the warm-up, λ ← max(0, λ +
/// `multiplier_learning_rate` · (F − χ)), projected gradient ascent on the dual of "expected
/// failures per episode ≤ χ": F is the episode's summed cost C (`lagrangian`, and `csc` with
/// `multiplier_from: episode_cost` and `episodes`), the critic's V_C (`failure_estimate:
/// critic`), or the critic's estimate of π's own failures (`multiplier_from: policy_critic`:
/// the filtered episodes fail little by design, so their costs let λ fall to 0 and leave π
/// itself unsafe). `lagrangian` learns SAC on r − λ c, with no safety critic and no filtering.
///
/// The paper's policy update is a TRPO-style step with the multiplier; this one is SAC's actor
/// step with the same multiplier, documented in `docs/safety.md` with what we compared.
public final class SafeSACAgent: Agent {
  let sac: SACAgent
  let critic: SafetyCritic
  let method: SafetyConfig.Method
  let discrete: Bool
  let observationCount: Int
  let actionWidth: Int
  let maxSamples: Int
  let chi: Double
  let gamma: Double
  let smoothing: Double
  let learningStarts: Int
  /// Whether the next training action is its episode's first (V_C is read there).
  var episodeStart = true
  /// Whether the running training episode's first action came after the warm-up (only those
  /// episodes move V_C and λ), and whether that first action is still to come.
  var episodeLearnt = false
  var awaitingFirstAction = true
  /// Rejection counters of training actions since the last log row.
  var drawn = 0
  var rejected = 0
  /// The draws of evaluation's filter (stream [3, 1]).
  var evaluationRNG: PCG64

  // Preallocated for acting: the candidates' critic inputs and values.
  let candidateWork: MLPWorkspace
  var candidateInput: [Float]
  var candidateValues: [Float]
  var actorOutput: [Float]
  var actionBuffer: [Float]

  public init(context: AgentContext) throws {
    let safety = context.config.safety
    method = safety.method
    sac = try SACAgent(context: context, costs: true)
    critic = try SafetyCritic(context: context, sac: sac)
    sac.constraint = critic
    discrete = sac.discrete
    observationCount = sac.observationCount
    actionWidth = sac.actionWidth
    maxSamples = safety.maxSamples
    chi = safety.chi
    gamma = safety.gamma
    smoothing = safety.valueSmoothing
    learningStarts = context.config.agent.learningStarts
    episodeLearnt = learningStarts <= 0
    evaluationRNG = PCG64(seed: UInt64(context.seed), stream: [3, 1])
    let d = observationCount
    let m = actionWidth
    let rows = discrete ? 1 : maxSamples
    candidateWork = MLPWorkspace(for: critic.network, capacity: rows)
    candidateInput = [Float](repeating: 0, count: discrete ? d : rows * (d + m))
    candidateValues = [Float](repeating: 0, count: discrete ? m : rows)
    actorOutput = [Float](repeating: 0, count: sac.actor.outputCount)
    actionBuffer = [Float](repeating: 0, count: discrete ? 0 : m)
  }

  /// ε = (1 − γ_C)(χ − V_C), γ_C the safety critic's discount (`safety.gamma`).
  public var threshold: Double { critic.threshold }

  public func act(_ observation: UnsafeBufferPointer<Float>, explore: Bool) -> Action {
    if explore && awaitingFirstAction {
      // Read here, not in `episodeStarted`: the loop starts the next episode before the step's
      // update moves `currentStep`, so only the first action knows whether the filter acts.
      episodeLearnt = sac.currentStep >= learningStarts
      awaitingFirstAction = false
    }
    guard method == .csc, sac.currentStep >= learningStarts else {
      return sac.act(observation, explore: explore)
    }
    let epsilon = Float(threshold)
    if !explore {
      // Evaluation: its own draws; its counts are not training's.
      swap(&sac.rng, &evaluationRNG)
      let (savedDrawn, savedRejected) = (drawn, rejected)
      let chosen =
        discrete
        ? filteredDiscrete(observation, epsilon, greedyFirst: true)
        : filteredContinuous(observation, epsilon, greedyFirst: true)
      (drawn, rejected) = (savedDrawn, savedRejected)
      swap(&sac.rng, &evaluationRNG)
      return chosen.action
    }
    let chosen =
      discrete ? filteredDiscrete(observation, epsilon) : filteredContinuous(observation, epsilon)
    if episodeStart, critic.failureEstimate == .critic {
      critic.startValue += smoothing * (Double(chosen.policyValue) - critic.startValue)
      episodeStart = false
    }
    return chosen.action
  }

  /// Draws from π(·|s) until Q_C ≤ ε (all candidates go through Q_C in one batch; the first
  /// accepted in draw order is taken, as drawing them one by one would). `greedyFirst`: the
  /// first candidate is the policy's mean action (evaluation).
  func filteredContinuous(
    _ observation: UnsafeBufferPointer<Float>, _ epsilon: Float, greedyFirst: Bool = false
  ) -> (action: Action, policyValue: Float) {
    let d = observationCount
    let m = actionWidth
    let w = d + m
    actorOutput.withUnsafeMutableBufferPointer {
      sac.singleActor.forwardSingle(sac.actor, input: observation, output: $0)
    }
    for k in 0..<maxSamples {
      for i in 0..<d { candidateInput[k * w + i] = observation[i] }
      for j in 0..<m {
        let logStd = min(
          max(actorOutput[m + j], SACAgent.logStdRange.lowerBound), SACAgent.logStdRange.upperBound)
        let noise = greedyFirst && k == 0 ? 0 : Float(sac.rng.nextGaussian())
        let u = actorOutput[j] + logStd.exp() * noise
        candidateInput[k * w + d + j] = Float.hyperbolicTangent(u)
      }
    }
    candidateInput.withUnsafeBufferPointer {
      candidateWork.forward(critic.network, input: $0, rows: maxSamples)
    }
    let values = candidateWork.output
    for k in 0..<maxSamples { values[k] = SafetyCritic.probability(values[k]) }
    var pick = 0
    var accepted = false
    for k in 0..<maxSamples {
      if values[k] <= epsilon {
        pick = k
        accepted = true
        break
      }
      if values[k] < values[pick] { pick = k }
    }
    drawn += accepted ? pick + 1 : maxSamples
    rejected += accepted ? pick : maxSamples
    for j in 0..<m { actionBuffer[j] = sac.scale(candidateInput[pick * w + d + j], j) }
    return (.continuous(actionBuffer), values[0])
  }

  /// The discrete rule: draws from π until one has Q_C ≤ ε, else the action of least Q_C.
  /// `greedyFirst`: the greedy action is the first candidate (evaluation).
  func filteredDiscrete(
    _ observation: UnsafeBufferPointer<Float>, _ epsilon: Float, greedyFirst: Bool = false
  ) -> (action: Action, policyValue: Float) {
    let m = actionWidth
    candidateValues.withUnsafeMutableBufferPointer {
      candidateWork.forwardSingle(critic.network, input: observation, output: $0)
    }
    for j in 0..<m { candidateValues[j] = SafetyCritic.probability(candidateValues[j]) }
    // E_{a~π} Q_C(s, a), from π = softmax of the actor's logits.
    actorOutput.withUnsafeMutableBufferPointer {
      sac.singleActor.forwardSingle(sac.actor, input: observation, output: $0)
    }
    var maximum = actorOutput[0]
    for j in 1..<m { maximum = max(maximum, actorOutput[j]) }
    var total: Float = 0
    var weighted: Float = 0
    for j in 0..<m {
      let p = (actorOutput[j] - maximum).exp()
      total += p
      weighted += p * candidateValues[j]
    }
    let policyValue = weighted / total
    if greedyFirst, case .discrete(let greedy) = sac.act(observation, explore: false),
      candidateValues[greedy] <= epsilon
    {
      return (.discrete(greedy), policyValue)
    }
    var safest = 0
    var anySafe = false
    for j in 0..<m {
      if candidateValues[j] < candidateValues[safest] { safest = j }
      anySafe = anySafe || candidateValues[j] <= epsilon
    }
    guard anySafe else {
      // No action passes, so no draw could: the draws are skipped, counted as rejected.
      drawn += maxSamples
      rejected += maxSamples
      return (.discrete(safest), policyValue)
    }
    for k in 0..<maxSamples {
      guard case .discrete(let a) = sac.act(observation, explore: true) else { break }
      if candidateValues[a] <= epsilon {
        drawn += k + 1
        rejected += k
        return (.discrete(a), policyValue)
      }
    }
    drawn += maxSamples
    rejected += maxSamples
    return (.discrete(safest), policyValue)
  }

  public func episodeStarted(training: Bool) {
    if training {
      episodeStart = true
      awaitingFirstAction = true
    }
  }

  public func episodeEnded(return episodeReturn: Double, cost: Double, length: Int) {
    // V_C and λ estimate the learnt policy's failures: an episode begun in the warm-up's
    // random steps says nothing of it (measured: those episodes lifted V_C past χ, so ε < 0
    // rejected every action for thousands of steps after learning began).
    guard episodeLearnt else {
      // Nor do the minibatches seen during it count towards the next episode's λ step.
      critic.policySinceEpisode = (0, 0)
      return
    }
    if critic.failureEstimate == .episodes {
      critic.startValue += smoothing * (cost - critic.startValue)
    }
    critic.updateMultiplier(episodeCost: cost, length: length)
  }

  public func update(replay: ReplayBuffer, step: Int) -> [(key: String, value: Double)]? {
    if method == .csc, !critic.pretrained, step >= learningStarts,
      replay.count >= sac.config.batchSize
    {
      critic.pretrain(sac, replay: replay)
    }
    guard let figures = sac.update(replay: replay, step: step) else { return nil }
    return combine(figures)
  }

  public func train(replay: ReplayBuffer, gradientSteps: Int, step: Int) -> [(
    key: String, value: Double
  )] {
    combine(sac.train(replay: replay, gradientSteps: gradientSteps, step: step))
  }

  /// SAC's figures and the safety critic's, written in place into `combined` (the caller lets
  /// go before the next update, so an update allocates nothing).
  var combined: [(key: String, value: Double)] = []
  func combine(_ figures: [(key: String, value: Double)]) -> [(key: String, value: Double)] {
    guard critic.takeFigures() else { return figures }
    let extra = critic.figures
    if combined.count != figures.count + extra.count { combined = figures + extra }
    for i in figures.indices { combined[i] = figures[i] }
    for i in extra.indices { combined[figures.count + i] = extra[i] }
    return combined
  }

  public var featureCount: Int { sac.featureCount }
  public func features(
    of observations: UnsafeBufferPointer<Float>, count: Int,
    into features: UnsafeMutableBufferPointer<Float>
  ) { sac.features(of: observations, count: count, into: features) }
  public var recordedFields: [EpisodeHeader.ExtraField] { sac.recordedFields }
  public func recordedValues(_ observation: UnsafeBufferPointer<Float>, action: Action)
    -> [[Float]]
  { sac.recordedValues(observation, action: action) }
  public var samplingSeconds: Double { sac.samplingSeconds }

  public func statusMetrics(step: Int) -> [(key: String, value: Double)] {
    var metrics = sac.statusMetrics(step: step)
    metrics.append(("safety/lagrange_multiplier", critic.multiplier))
    if method == .csc {
      metrics.append(("safety/threshold", threshold))
      metrics.append(("safety/start_value", critic.startValue))
      if drawn > 0 { metrics.append(("safety/rejection_rate", Double(rejected) / Double(drawn))) }
      drawn = 0
      rejected = 0
    }
    return metrics
  }

  /// The running training episode's flags, so a run resumed in mid-episode counts it alike.
  private struct Episode: Codable {
    var start: Bool
    var learnt: Bool
    var awaitingFirstAction: Bool
  }

  public func save(into archive: inout CheckpointArchive) throws {
    try sac.save(into: &archive)
    try critic.save(into: &archive)
    try archive.put(
      "agent/safety_episode",
      json: Episode(
        start: episodeStart, learnt: episodeLearnt, awaitingFirstAction: awaitingFirstAction))
  }
  public func load(from archive: CheckpointArchive) throws {
    try sac.load(from: archive)
    try critic.load(from: archive)
    // Absent in checkpoints written before it: the episode counts if learning had begun.
    let episode =
      archive.sections["agent/safety_episode"] == nil
      ? Episode(
        start: false, learnt: sac.currentStep >= learningStarts, awaitingFirstAction: false)
      : try archive.json("agent/safety_episode", as: Episode.self)
    (episodeStart, episodeLearnt, awaitingFirstAction) =
      (episode.start, episode.learnt, episode.awaitingFirstAction)
  }
  /// The policy file holds the actor and, for CSC, the safety critic and V_C: the deployed
  /// policy is the filtered one (`ranklab eval` filters as the final evaluation did).
  public func savePolicy(into archive: inout CheckpointArchive) throws {
    try sac.savePolicy(into: &archive)
    guard method == .csc else { return }
    archive.put("policy/safety_critic", array: critic.network.parameters)
    archive.put("policy/safety_start_value", array: [critic.startValue])
  }
  public func loadPolicy(from archive: CheckpointArchive) throws {
    try sac.loadPolicy(from: archive)
    guard method == .csc else { return }
    critic.network.parameters = try archive.array(
      "policy/safety_critic", of: Float.self, count: critic.network.parameters.count)
    critic.startValue = try archive.array(
      "policy/safety_start_value", of: Double.self, count: 1)[0]
    // Acting from a file happens after learning: the filter is on from the first step.
    sac.currentStep = Int.max / 2
  }
}

/// The safety critic Q_C (method `csc`) and the Lagrange multiplier (both methods), SAC's
/// `CostConstraint`: the update rule of `SafeSACAgent`'s documentation, steps 1 to 3.
public final class SafetyCritic: CostConstraint {
  let method: SafetyConfig.Method
  let failureEstimate: SafetyConfig.FailureEstimate
  let multiplierFrom: SafetyConfig.MultiplierSource
  let policyPenalty: SafetyConfig.PolicyPenalty
  let criticLoss: SafetyConfig.CriticLoss
  let alpha: Float
  let chi: Double
  /// γ_C (`safety.gamma`).
  let gamma: Float
  let multiplierLearningRate: Double
  let tau: Float
  let maxGradNorm: Float
  let discrete: Bool
  let observationCount: Int
  let actionWidth: Int
  let batchSize: Int
  let network: MLP
  let target: MLP
  var optimizer: Adam
  /// Whether `safety.critic_pretrain_steps` have been taken (once, when learning starts).
  var pretrained: Bool
  let pretrainSteps: Int
  /// The pretraining's minibatches and policy draws (stream [3, 2]), apart from SAC's. Not
  /// checkpointed: it is used only inside the one `pretrain` call, so a resumed run has either
  /// pretrained already or holds this generator as it was made.
  var pretrainRNG: PCG64
  /// λ ≥ 0.
  public internal(set) var multiplier: Double
  /// V_C: the running estimate of the current expected failures per episode
  /// (`safety.failure_estimate`).
  public internal(set) var startValue = 0.0

  // Preallocated: a gradient step allocates nothing.
  let loggedWork: MLPWorkspace
  let policyWork: MLPWorkspace
  let targetWork: MLPWorkspace
  let penaltyWork: MLPWorkspace
  var loggedInput: [Float]
  var policyInput: [Float]
  var nextInput: [Float]
  var targets: [Float]
  var loggedGradient: [Float]
  var policyGradient: [Float]
  /// Q_C (1 − Q_C) per row: the sigmoid's derivative, backpropagated for ∂Q_C/∂a.
  var onesGradient: [Float]
  /// Sums since the figures were last taken: (loss, reversed-CQL gap, Q_C at the policy's
  /// actions, steps).
  var sums: (loss: Double, gap: Double, policyValue: Double, steps: Int) = (0, 0, 0, 0)
  /// Σ E_π Q_C over the minibatches since the last training episode ended, and their count
  /// (`multiplier_from: policy_critic`).
  var policySinceEpisode: (sum: Double, steps: Int) = (0, 0)

  init(context: AgentContext, sac: SACAgent) throws {
    let safety = context.config.safety
    method = safety.method
    failureEstimate = safety.failureEstimate
    multiplierFrom = safety.multiplierFrom
    policyPenalty = safety.policyPenalty
    criticLoss = safety.criticLoss
    alpha = Float(safety.alpha)
    chi = safety.chi
    gamma = Float(safety.gamma)
    multiplierLearningRate = safety.multiplierLearningRate
    multiplier = safety.initialMultiplier
    pretrainSteps = safety.criticPretrainSteps
    pretrained = safety.criticPretrainSteps == 0
    pretrainRNG = PCG64(seed: UInt64(context.seed), stream: [3, 2])
    let agent = context.config.agent
    tau = Float((agent.sac ?? SACConfig()).tau)
    maxGradNorm = Float(agent.maxGradNorm)
    discrete = sac.discrete
    observationCount = sac.observationCount
    actionWidth = sac.actionWidth
    batchSize = agent.batchSize
    let d = observationCount
    let m = actionWidth
    // Its own stream ([2, 2]), so the safety critic leaves SAC's initial weights alone.
    var initRNG = PCG64(seed: UInt64(context.seed), stream: [2, 2])
    // With the lagrangian method the network exists but never learns (one code path).
    network = MLP(
      sizes: discrete ? [d] + agent.network.hidden + [m] : [d + m] + agent.network.hidden + [1],
      activation: agent.network.activation, initialization: agent.network.`init`, rng: &initRNG)
    // Q_C starts near 0.01 (logit −4.6) rather than σ(0) = 0.5: no failure is known yet, and
    // from 0.5 the TD targets (γ Q̄ on safe steps) would take thousands of target updates to
    // fall, every state looking dangerous meanwhile (measured on point-nav: Q_C ≈ 0.49 at 5k).
    let last = network.layerCount - 1
    for j in 0..<network.sizes[last + 1] {
      network.parameters[network.biasOffsets[last] + j] = Self.initialLogit
    }
    target = MLP(copying: network)
    optimizer = Adam(
      parameterCount: network.parameters.count, learningRate: Float(agent.learningRate),
      epsilon: Float(agent.adamEps))
    let b = batchSize
    loggedWork = MLPWorkspace(for: network, capacity: b)
    policyWork = MLPWorkspace(for: network, capacity: b)
    targetWork = MLPWorkspace(for: network, capacity: b)
    penaltyWork = MLPWorkspace(for: network, capacity: b)
    let w = discrete ? d : d + m
    loggedInput = [Float](repeating: 0, count: b * w)
    policyInput = loggedInput
    nextInput = loggedInput
    targets = [Float](repeating: 0, count: b)
    let outputs = discrete ? m : 1
    loggedGradient = [Float](repeating: 0, count: b * outputs)
    policyGradient = loggedGradient
    onesGradient = [Float](repeating: 0, count: b)
  }

  /// ε = (1 − γ_C)(χ − V_C), γ_C the safety critic's discount (`safety.gamma`).
  var threshold: Double { (1 - Double(gamma)) * (chi - startValue) }

  /// The output bias Q_C starts from: σ(−4.6) ≈ 0.01.
  static let initialLogit: Float = -4.6

  /// Q_C = σ(z) of the network's output z.
  @inline(__always) static func probability(_ z: Float) -> Float { 1 / (1 + (-z).exp()) }

  // MARK: The multiplier

  /// λ ← max(0, λ + lr (F − χ)) after a training episode: F its summed cost C, the critic's V_C
  /// (`failure_estimate: critic`), or the critic's estimate of π's own failures
  /// (`multiplier_from: policy_critic`).
  func updateMultiplier(episodeCost: Double, length: Int) {
    var failures = method == .csc && failureEstimate == .critic ? startValue : episodeCost
    if method == .csc && multiplierFrom == .policyCritic {
      // Before the critic learns there is no estimate: λ waits.
      guard policySinceEpisode.steps > 0 else { return }
      // Q_C ≈ h / (1 − γ_C) for a per-step failure chance h, so an episode of T steps expects
      // T (1 − γ_C) Q_C failures.
      let value = policySinceEpisode.sum / Double(policySinceEpisode.steps)
      failures = value * Double(1 - gamma) * Double(length)
      policySinceEpisode = (0, 0)
    }
    multiplier = max(0, multiplier + multiplierLearningRate * (failures - chi))
  }

  public func adjustRewards(_ batch: inout TransitionBatch) {
    guard method == .lagrangian else { return }
    let lambda = Float(multiplier)
    for i in 0..<batch.count { batch.rewards[i] -= lambda * batch.costs[i] }
  }

  // MARK: Q_C's step

  public func learn(_ sac: SACAgent) {
    guard method == .csc else { return }
    let loss = loss(sac, gradients: true)
    if maxGradNorm > 0 { network.clipGradients(maxNorm: maxGradNorm) }
    optimizer.learningRate = sac.actorOptimizer.learningRate
    optimizer.update(&network.parameters, gradients: network.gradients)
    target.polyakUpdate(from: network, tau: tau)
    sums.loss += Double(loss.total)
    sums.gap += Double(loss.gap)
    sums.policyValue += Double(loss.policyValue)
    sums.steps += 1
    policySinceEpisode.sum += Double(loss.policyValue)
    policySinceEpisode.steps += 1
  }

  /// One row's TD loss at logit z, q = σ(z): ½ (q − y)², or the cross-entropy
  /// −y log q − (1 − y) log(1 − q) = softplus(z) − y z (`safety.critic_loss`), which stays exact
  /// where σ(z) rounds to 0 or 1 in Float.
  @inline(__always) func tdTerm(logit z: Float, _ q: Float, _ y: Float) -> Float {
    switch criticLoss {
    case .squared: return 0.5 * (q - y) * (q - y)
    case .crossEntropy: return max(z, 0) + (1 + (-abs(z)).exp()).log() - y * z
    }
  }

  /// The TD loss's derivative in the logit z, q = σ(z): (q − y) q (1 − q) or q − y.
  @inline(__always) func tdSlope(_ error: Float, _ q: Float) -> Float {
    switch criticLoss {
    case .squared: return error * q * (1 - q)
    case .crossEntropy: return error
    }
  }

  /// What the actor is charged for at Q_C = q (`safety.policy_penalty`): q, or its excess over ε.
  @inline(__always) func charge(_ q: Float, _ epsilon: Float) -> Float {
    switch policyPenalty {
    case .value: return q
    case .excess: return max(0, q - epsilon)
    }
  }

  /// Q_C's steps on the warm-up's transitions before the filter first acts; SAC's networks
  /// stay as they are, and λ's estimate of π's failures does not count these steps.
  func pretrain(_ sac: SACAgent, replay: ReplayBuffer) {
    let saved = (policySinceEpisode, sums)
    for _ in 0..<pretrainSteps {
      sac.prepareMinibatch(replay: replay, generator: &pretrainRNG)
      learn(sac)
    }
    (policySinceEpisode, sums) = saved
    pretrained = true
  }

  /// Computes Q_C's loss on SAC's minibatch (TD + α · gap) and, with `gradients`, writes its
  /// parameter gradient into `network.gradients`. Returns the loss, the gap
  /// mean Q_C(s, a_D) − mean E_π Q_C(s, a), and the mean Q_C at the policy's actions.
  func loss(_ sac: SACAgent, gradients: Bool) -> (total: Float, gap: Float, policyValue: Float) {
    let n = batchSize
    let d = observationCount
    let m = actionWidth
    let batch = sac.batch
    // Targets from the target critic at a′ ~ π(·|s′) (SAC's nextSampled).
    if discrete {
      batch.nextObservations.withUnsafeBufferPointer {
        targetWork.forward(target, input: $0, rows: n)
      }
    } else {
      let w = d + m
      for i in 0..<n {
        for k in 0..<d { nextInput[i * w + k] = batch.nextObservations[i * d + k] }
        for j in 0..<m { nextInput[i * w + d + j] = sac.nextSampled[i * m + j] }
      }
      nextInput.withUnsafeBufferPointer { targetWork.forward(target, input: $0, rows: n) }
    }
    let next = targetWork.output
    for i in 0..<n {
      var value: Float = 0
      if discrete {
        for j in 0..<m { value += sac.nextSampled[i * m + j] * Self.probability(next[i * m + j]) }
      } else {
        value = Self.probability(next[i])
      }
      // A failure now is certain (1); else the discounted chance of one later.
      let c = batch.costs[i]
      targets[i] = c + (1 - c) * gamma * (1 - batch.terminals[i]) * value
    }
    var tdLoss: Float = 0
    var loggedMean: Float = 0
    var policyMean: Float = 0
    if discrete {
      // One pass: Q_C(s, ·) holds the logged action's value and the policy's expectation.
      for i in 0..<n * d { loggedInput[i] = batch.observations[i] }
      loggedInput.withUnsafeBufferPointer { loggedWork.forward(network, input: $0, rows: n) }
      let z = loggedWork.output
      for i in 0..<n {
        let a = Int(batch.actionIndices[i])
        let qa = Self.probability(z[i * m + a])
        let error = qa - targets[i]
        tdLoss += tdTerm(logit: z[i * m + a], qa, targets[i]) / Float(n)
        loggedMean += qa / Float(n)
        // dL/dz_j = dL/dQ_j · Q_j (1 − Q_j).
        for j in 0..<m {
          let p = sac.sampled[i * m + j]
          let q = Self.probability(z[i * m + j])
          policyMean += p * q / Float(n)
          loggedGradient[i * m + j] = -alpha * p / Float(n) * q * (1 - q)
        }
        loggedGradient[i * m + a] +=
          (tdSlope(error, qa) + alpha * qa * (1 - qa)) / Float(n)
      }
      if gradients {
        loggedGradient.withUnsafeBufferPointer {
          loggedWork.backward(network, outputGradient: $0, accumulate: false)
        }
      }
    } else {
      let w = d + m
      for i in 0..<n {
        for k in 0..<d {
          loggedInput[i * w + k] = batch.observations[i * d + k]
          policyInput[i * w + k] = batch.observations[i * d + k]
        }
        for j in 0..<m {
          loggedInput[i * w + d + j] = sac.unscale(batch.continuousActions[i * m + j], j)
          policyInput[i * w + d + j] = sac.sampled[i * m + j]
        }
      }
      loggedInput.withUnsafeBufferPointer { loggedWork.forward(network, input: $0, rows: n) }
      policyInput.withUnsafeBufferPointer { policyWork.forward(network, input: $0, rows: n) }
      for i in 0..<n {
        let q = Self.probability(loggedWork.output[i])
        let qPolicy = Self.probability(policyWork.output[i])
        let error = q - targets[i]
        tdLoss += tdTerm(logit: loggedWork.output[i], q, targets[i]) / Float(n)
        loggedMean += q / Float(n)
        policyMean += qPolicy / Float(n)
        loggedGradient[i] = (tdSlope(error, q) + alpha * q * (1 - q)) / Float(n)
        policyGradient[i] = -alpha / Float(n) * qPolicy * (1 - qPolicy)
      }
      if gradients {
        loggedGradient.withUnsafeBufferPointer {
          loggedWork.backward(network, outputGradient: $0, accumulate: false)
        }
        policyGradient.withUnsafeBufferPointer {
          policyWork.backward(network, outputGradient: $0, accumulate: true)
        }
      }
    }
    let gap = loggedMean - policyMean
    return (tdLoss + alpha * gap, gap, policyMean)
  }

  // MARK: The actor's penalty

  public func actorPenalty(_ sac: SACAgent, terms: inout [Float]) -> (
    weight: Float, valueMean: Float
  ) {
    guard method == .csc else { return (0, 0) }
    let n = batchSize
    let d = observationCount
    let m = actionWidth
    let batch = sac.batch
    let epsilon = Float(threshold)
    if discrete {
      batch.observations.withUnsafeBufferPointer {
        penaltyWork.forward(network, input: $0, rows: n)
      }
      let z = penaltyWork.output
      var mean: Float = 0
      for i in 0..<n {
        for j in 0..<m {
          let charged = charge(Self.probability(z[i * m + j]), epsilon)
          terms[i * m + j] = charged
          mean += sac.sampled[i * m + j] * charged / Float(n)
        }
      }
      return (Float(multiplier), mean)
    }
    let w = d + m
    for i in 0..<n {
      for k in 0..<d { policyInput[i * w + k] = batch.observations[i * d + k] }
      for j in 0..<m { policyInput[i * w + d + j] = sac.sampled[i * m + j] }
    }
    policyInput.withUnsafeBufferPointer { penaltyWork.forward(network, input: $0, rows: n) }
    var mean: Float = 0
    // ∂Q_C/∂a = Q_C (1 − Q_C) ∂z/∂a (with `excess`, only where Q_C > ε).
    for i in 0..<n {
      let q = Self.probability(penaltyWork.output[i])
      let charged = charge(q, epsilon)
      mean += charged / Float(n)
      // The excess has no slope where nothing is charged.
      onesGradient[i] = policyPenalty == .excess && charged == 0 ? 0 : q * (1 - q)
    }
    // Only the input gradient is read; the parameter gradients are overwritten by the next
    // step of Q_C before they are applied.
    onesGradient.withUnsafeBufferPointer {
      penaltyWork.backward(network, outputGradient: $0, inputGradient: true, accumulate: false)
    }
    let input = penaltyWork.delta(layer: 0)
    for i in 0..<n {
      for j in 0..<m { terms[i * m + j] = input[i * w + d + j] }
    }
    return (Float(multiplier), mean)
  }

  // MARK: Figures and checkpoints

  static let keys = ["safety/qc_loss", "safety/qc_gap", "safety/qc_mean"]
  var figures: [(key: String, value: Double)] = SafetyCritic.keys.map { ($0, 0) }

  /// Writes the means since last taken into `figures`; false (nothing to report) for the
  /// lagrangian method or before any step.
  func takeFigures() -> Bool {
    guard sums.steps > 0 else { return false }
    let n = Double(sums.steps)
    figures[0].value = sums.loss / n
    figures[1].value = sums.gap / n
    figures[2].value = sums.policyValue / n
    sums = (0, 0, 0, 0)
    return true
  }

  private struct State: Codable {
    var multiplier: Double
    var startValue: Double
    var adamStep: Int
    /// Absent in checkpoints written before `multiplier_from` (read as nothing accumulated).
    var policySum: Double?
    var policySteps: Int?
    /// Absent in checkpoints written before `critic_pretrain_steps` (which never pretrained).
    var pretrained: Bool?
  }

  func save(into archive: inout CheckpointArchive) throws {
    archive.put("agent/safety_critic", array: network.parameters)
    archive.put("agent/safety_target", array: target.parameters)
    archive.put("agent/adam_m/safety_critic", array: optimizer.firstMoment)
    archive.put("agent/adam_v/safety_critic", array: optimizer.secondMoment)
    try archive.put(
      "agent/safety_state",
      json: State(
        multiplier: multiplier, startValue: startValue, adamStep: optimizer.step,
        policySum: policySinceEpisode.sum, policySteps: policySinceEpisode.steps,
        pretrained: pretrained))
  }

  func load(from archive: CheckpointArchive) throws {
    let count = network.parameters.count
    network.parameters = try archive.array("agent/safety_critic", of: Float.self, count: count)
    target.parameters = try archive.array("agent/safety_target", of: Float.self, count: count)
    let state = try archive.json("agent/safety_state", as: State.self)
    optimizer.restore(
      step: state.adamStep,
      firstMoment: try archive.array("agent/adam_m/safety_critic", of: Float.self, count: count),
      secondMoment: try archive.array("agent/adam_v/safety_critic", of: Float.self, count: count))
    multiplier = state.multiplier
    startValue = state.startValue
    policySinceEpisode = (state.policySum ?? 0, state.policySteps ?? 0)
    pretrained = state.pretrained ?? true
  }
}
