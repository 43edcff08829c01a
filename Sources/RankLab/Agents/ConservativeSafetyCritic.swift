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
/// critic`), or the critic's estimate of π's own failures (`multiplier_from: policy_critic`, or
/// `policy_excess` from Q_C's excess over ε only: the filtered episodes fail little by design,
/// so their costs let λ fall to 0 and leave π itself unsafe). `lagrangian` learns SAC on
/// r − λ c, with no safety critic and no filtering.
///
/// The paper's policy update is a TRPO-style step with the multiplier; this one is SAC's actor
/// step with the same multiplier, documented in `docs/safety.md` with what we compared.
public final class SafeSACAgent: Agent {
  let sac: SACAgent
  let critic: SafetyCritic
  let method: SafetyConfig.Method
  var discrete: Bool { sac.discrete }
  var observationCount: Int { sac.observationCount }
  var actionWidth: Int { sac.actionWidth }
  let maxSamples: Int
  let smoothing: Double
  let learningStarts: Int
  /// Whether the running training episode's first action is still to come (V_C is read there
  /// with `failure_estimate: critic`), and whether it came after the warm-up (only those
  /// episodes move V_C and λ).
  var awaitingFirstAction = true
  var episodeLearnt = false
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
    maxSamples = safety.maxSamples
    smoothing = safety.valueSmoothing
    learningStarts = context.config.agent.learningStarts
    episodeLearnt = learningStarts <= 0
    evaluationRNG = PCG64(seed: UInt64(context.seed), stream: [3, 1])
    let d = sac.observationCount
    let m = sac.actionWidth
    let rows = sac.discrete ? 1 : maxSamples
    candidateWork = MLPWorkspace(for: critic.network, capacity: rows)
    candidateInput = [Float](repeating: 0, count: sac.discrete ? d : rows * (d + m))
    candidateValues = [Float](repeating: 0, count: sac.discrete ? m : rows)
    actorOutput = [Float](repeating: 0, count: sac.actor.outputCount)
    actionBuffer = [Float](repeating: 0, count: sac.discrete ? 0 : m)
  }

  /// ε = (1 − γ_C)(χ − V_C), γ_C the safety critic's discount (`safety.gamma`).
  public var threshold: Double { critic.threshold }

  public func act(_ observation: UnsafeBufferPointer<Float>, explore: Bool) -> Action {
    let firstAction = explore && awaitingFirstAction
    if firstAction {
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
    if firstAction, critic.failureEstimate == .critic {
      critic.startValue += smoothing * (Double(chosen.policyValue) - critic.startValue)
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
    if training { awaitingFirstAction = true }
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
    var learnt: Bool
    var awaitingFirstAction: Bool
  }

  public func save(into archive: inout CheckpointArchive) throws {
    try sac.save(into: &archive)
    try critic.save(into: &archive)
    try archive.put(
      "agent/safety_episode",
      json: Episode(learnt: episodeLearnt, awaitingFirstAction: awaitingFirstAction))
  }
  public func load(from archive: CheckpointArchive) throws {
    try sac.load(from: archive)
    try critic.load(from: archive)
    // Absent in checkpoints written before it: the episode counts if learning had begun.
    let episode =
      archive.sections["agent/safety_episode"] == nil
      ? Episode(learnt: sac.currentStep >= learningStarts, awaitingFirstAction: false)
      : try archive.json("agent/safety_episode", as: Episode.self)
    (episodeLearnt, awaitingFirstAction) = (episode.learnt, episode.awaitingFirstAction)
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
