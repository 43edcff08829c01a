import Environments
import Foundation

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
  /// actions, its excess over ε there, steps).
  var sums: (loss: Double, gap: Double, policyValue: Double, policyExcess: Double, steps: Int) =
    (0, 0, 0, 0, 0)
  /// Σ E_π Q_C (`multiplier_from: policy_critic`) or Σ E_π max(0, Q_C − ε) (`policy_excess`)
  /// over the minibatches since the last training episode ended, and their count.
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
  /// (`multiplier_from: policy_critic`, or `policy_excess` counting only Q_C above ε).
  func updateMultiplier(episodeCost: Double, length: Int) {
    var failures = method == .csc && failureEstimate == .critic ? startValue : episodeCost
    if method == .csc && multiplierFrom != .episodeCost {
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
    sums.policyExcess += Double(loss.policyExcess)
    sums.steps += 1
    policySinceEpisode.sum += Double(
      multiplierFrom == .policyExcess ? loss.policyExcess : loss.policyValue)
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
  /// mean Q_C(s, a_D) − mean E_π Q_C(s, a), the mean Q_C at the policy's actions and the mean
  /// of its excess over ε there, max(0, Q_C − ε).
  func loss(_ sac: SACAgent, gradients: Bool) -> (
    total: Float, gap: Float, policyValue: Float, policyExcess: Float
  ) {
    let epsilon = Float(threshold)
    var policyExcess: Float = 0
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
          policyExcess += p * max(0, q - epsilon) / Float(n)
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
        policyExcess += max(0, qPolicy - epsilon) / Float(n)
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
    return (tdLoss + alpha * gap, gap, policyMean, policyExcess)
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

  /// `safety/qc_excess` is E_π max(0, Q_C − ε), the input of `multiplier_from: policy_excess`.
  static let keys = ["safety/qc_loss", "safety/qc_gap", "safety/qc_mean", "safety/qc_excess"]
  var figures: [(key: String, value: Double)] = SafetyCritic.keys.map { ($0, 0) }

  /// Writes the means since last taken into `figures`; false (nothing to report) for the
  /// lagrangian method or before any step.
  func takeFigures() -> Bool {
    guard sums.steps > 0 else { return false }
    let n = Double(sums.steps)
    figures[0].value = sums.loss / n
    figures[1].value = sums.gap / n
    figures[2].value = sums.policyValue / n
    figures[3].value = sums.policyExcess / n
    sums = (0, 0, 0, 0, 0)
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
    archive.putMoments(of: optimizer, scope: "agent", name: "safety_critic")
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
    try archive.restoreMoments(
      of: &optimizer, step: state.adamStep, scope: "agent", name: "safety_critic")
    multiplier = state.multiplier
    startValue = state.startValue
    policySinceEpisode = (state.policySum ?? 0, state.policySteps ?? 0)
    pretrained = state.pretrained ?? true
  }
}
