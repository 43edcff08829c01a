import Environments
import Foundation

/// Soft actor-critic with a learned temperature (Haarnoja et al. 2018, Stable-Baselines3's
/// update order), and its discrete form (Christodoulou 2019), picked by the action space.
///
/// One gradient step (`trainStep`), as SB3's `SAC.train`:
/// 1. the actor samples a ~ π(·|s) by reparameterisation (continuous: a = tanh(μ + σ ε));
/// 2. the temperature: log α moves along −mean(log π + H̄) (the α of this step is the one before);
/// 3. the critics regress onto y = r + γ^k (1 − terminal) (min Q̄(s′, a′) − α log π(a′|s′)), a′ ~ π
///    (discrete: the expectation over a′), loss ½ (MSE₁ + MSE₂); with
///    `entropy_reference: uniform` the bracket also subtracts α H_max, so the bonus is −α KL(π ‖ U);
/// 4. the actor minimises mean(α log π(a|s) − min Q(s, a)) through the updated critics to the
///    action (discrete: Σ_a π (α log π − min Q));
/// 5. the target critics follow by Polyak averaging every `target_update_interval` steps.
/// Continuous actions are learnt in [−1, 1] and scaled to the Box for the environment.
/// Rewrites each minibatch SAC samples before it learns from it: SMERL appends the episode's
/// latent to both observations and adds its diversity bonus to the rewards. Without one, SAC
/// learns from the transitions as the replay stores them.
public protocol MinibatchRelabeler: AnyObject {
  /// Floats appended to every observation the networks see (the latent's one-hot).
  var appendedWidth: Int { get }
  /// Reads `stored` (rows as the replay holds them) and writes `batch`: observations widened by
  /// `appendedWidth`, rewards relabelled, every other column SAC reads copied (`replay` the
  /// buffer `stored` was drawn from).
  func relabel(
    _ stored: TransitionBatch, from replay: ReplayBuffer, into batch: inout TransitionBatch)
  /// May redraw rows of `stored` (as `replay` sampled them, with SAC's `rng`) before
  /// `relabel` reads it: SMERL's share of near-optimal transitions. The default leaves it.
  func resample(_ stored: inout TransitionBatch, from replay: ReplayBuffer, rng: inout PCG64)
}

extension MinibatchRelabeler {
  public func resample(
    _ stored: inout TransitionBatch, from replay: ReplayBuffer, rng: inout PCG64
  ) {}
}

/// Brings the failure signal into SAC's update (safe exploration, `ConservativeSafetyCritic`):
/// the minibatch then carries costs; the constraint may rewrite the rewards before the targets
/// (the Lagrangian baseline's r − λ c), learns after the critics' step (a safety critic), and
/// adds λ · f(s, a) at the policy's actions to the actor's loss (f = Q_C or its excess over
/// the filter's threshold, `safety.policy_penalty`).
public protocol CostConstraint: AnyObject {
  /// Before the critics' targets, on the sampled minibatch (costs filled).
  func adjustRewards(_ batch: inout TransitionBatch)
  /// After the critics' step, before the actor's (SAC's `sampled` and `nextSampled` hold the
  /// policy's actions or probabilities at s and s′).
  func learn(_ sac: SACAgent)
  /// The actor's penalty at the policy's actions in `sac.sampled`: returns λ and the mean
  /// charge f, having written into `terms` ∂f/∂a per row and action dimension (continuous, the
  /// actions in [−1, 1]) or f(s, ·) per row (discrete); λ = 0 adds nothing.
  func actorPenalty(_ sac: SACAgent, terms: inout [Float]) -> (weight: Float, valueMean: Float)
}

public final class SACAgent: Agent {
  public let config: AgentConfig
  let sac: SACConfig
  let discrete: Bool
  let observationCount: Int
  /// Action dimensions (continuous) or choices (discrete).
  let actionWidth: Int
  let low: [Float]
  let high: [Float]
  let actor: MLP
  let critic1: MLP
  let critic2: MLP
  let target1: MLP
  let target2: MLP
  var actorOptimizer: Adam
  var critic1Optimizer: Adam
  var critic2Optimizer: Adam
  var temperatureOptimizer: Adam
  /// log α, a one-element buffer so that Adam updates it as it updates a network.
  var logTemperature: [Float]
  var temperatureGradientBuffer: [Float] = [0]
  let targetEntropy: Float
  /// The entropy the soft value's bonus is measured from (`agent.sac.entropy_reference`): 0,
  /// or the uniform policy's, log |A| (discrete) or |A| · log 2 (the tanh box [−1, 1]^|A|, the
  /// space the log-probabilities are densities on).
  let entropyOffset: Float
  var rng: PCG64
  let learningRate: LinearSchedule
  var currentStep = 0
  var gradientStepsTaken = 0
  public internal(set) var samplingSeconds = 0.0

  // Preallocated: a gradient step allocates nothing.
  var batch: TransitionBatch
  /// What the relabeler reads: the rows as sampled (empty without a relabeler).
  var storedBatch: TransitionBatch
  let relabeler: MinibatchRelabeler?
  /// The safety method's hook into the update (nil: plain SAC).
  var constraint: CostConstraint?
  /// λ · f: the charge f's action derivatives (continuous) or values (discrete) for the actor.
  var penaltyTerms: [Float]
  let actorWork: MLPWorkspace
  let actorNextWork: MLPWorkspace
  let criticWork1: MLPWorkspace
  let criticWork2: MLPWorkspace
  let targetWork1: MLPWorkspace
  let targetWork2: MLPWorkspace
  let singleActor: MLPWorkspace
  let singleCritic: MLPWorkspace
  /// Critic inputs: (s, a) rows for continuous actions, s for discrete ones.
  var criticInput: [Float]
  var nextInput: [Float]
  var noise: [Float]
  var nextNoise: [Float]
  /// The reparameterised actions (tanh outputs), their log-probabilities, and discrete π.
  var sampled: [Float]
  var nextSampled: [Float]
  var logProbabilities: [Float]
  var nextLogProbabilities: [Float]
  var probabilities: [Float]
  var targets: [Float]
  var outputGradient1: [Float]
  var outputGradient2: [Float]
  var actorGradient: [Float]
  var singleOutput: [Float]
  /// The continuous action `act` returns.
  var actionBuffer: [Float]
  /// Whether critic1 holds trained values to record (false after loading an old policy file).
  var recordsCriticValues = true
  var singleInput: [Float]
  var probeWork: MLPWorkspace?
  var probeInput: [Float] = []

  static let logStdRange: ClosedRange<Float> = -20...2

  /// `relabeler`: rewrites sampled minibatches (SMERL); the networks then see observations
  /// `relabeler.appendedWidth` wider than the environment's.
  /// `costs`: sample the costs column (a `CostConstraint`, set afterwards, reads it).
  public init(
    context: AgentContext, relabeler: MinibatchRelabeler? = nil, costs: Bool = false
  ) throws {
    let config = context.config.agent
    self.config = config
    sac = config.sac ?? SACConfig()
    self.relabeler = relabeler
    let storedWidth = context.observationSpace.flatCount
    observationCount = storedWidth + (relabeler?.appendedWidth ?? 0)
    switch context.actionSpace {
    case .discrete(let n):
      discrete = true
      actionWidth = n
      low = []
      high = []
    case .box(let lo, let hi):
      guard zip(lo, hi).allSatisfy({ $0.isFinite && $1.isFinite && $0 < $1 }) else {
        throw RunError.unsupported(
          "SAC scales its actions into the Box's bounds; \(context.config.env.id)'s action space \(context.actionSpace.summary) has infinite or empty bounds"
        )
      }
      discrete = false
      actionWidth = lo.count
      low = lo
      high = hi
    }
    let d = observationCount
    let m = actionWidth
    var initRNG = context.initializationRNG
    let hidden = config.network.hidden
    let activation = config.network.activation
    let initialization = config.network.`init`
    actor = MLP(
      sizes: [d] + hidden + [discrete ? m : 2 * m], activation: activation,
      initialization: initialization, rng: &initRNG)
    let criticSizes = discrete ? [d] + hidden + [m] : [d + m] + hidden + [1]
    critic1 = MLP(
      sizes: criticSizes, activation: activation, initialization: initialization, rng: &initRNG)
    critic2 = MLP(
      sizes: criticSizes, activation: activation, initialization: initialization, rng: &initRNG)
    target1 = MLP(copying: critic1)
    target2 = MLP(copying: critic2)
    let lr = Float(config.learningRate)
    let eps = Float(config.adamEps)
    actorOptimizer = Adam(parameterCount: actor.parameters.count, learningRate: lr, epsilon: eps)
    critic1Optimizer = Adam(
      parameterCount: critic1.parameters.count, learningRate: lr, epsilon: eps)
    critic2Optimizer = Adam(
      parameterCount: critic2.parameters.count, learningRate: lr, epsilon: eps)
    temperatureOptimizer = Adam(parameterCount: 1, learningRate: lr, epsilon: eps)
    logTemperature = [Float(Foundation.log(sac.initialTemperature))]
    switch sac.entropyReference {
    case .zero: entropyOffset = 0
    case .uniform:
      entropyOffset = Float(discrete ? Foundation.log(Double(m)) : Double(m) * Foundation.log(2))
    }
    targetEntropy = Float(
      sac.targetEntropy
        ?? (discrete ? sac.discreteTargetEntropyScale * Foundation.log(Double(m)) : -Double(m)))
    rng = context.agentRNG
    learningRate = LinearSchedule(
      initial: config.learningRate, final: config.learningRateFinal ?? config.learningRate,
      fraction: 1, total: context.config.steps)

    let b = config.batchSize
    batch = TransitionBatch(
      capacity: b, observationCount: d, actionWidth: discrete ? 1 : m, continuous: !discrete,
      extras: costs ? [.costs] : [])
    storedBatch = TransitionBatch(
      capacity: relabeler == nil ? 0 : b, observationCount: storedWidth,
      actionWidth: discrete ? 1 : m, continuous: !discrete, extras: [])
    actorWork = MLPWorkspace(for: actor, capacity: b)
    actorNextWork = MLPWorkspace(for: actor, capacity: b)
    criticWork1 = MLPWorkspace(for: critic1, capacity: b)
    criticWork2 = MLPWorkspace(for: critic2, capacity: b)
    targetWork1 = MLPWorkspace(for: target1, capacity: b)
    targetWork2 = MLPWorkspace(for: target2, capacity: b)
    singleActor = MLPWorkspace(for: actor, capacity: 1)
    singleCritic = MLPWorkspace(for: critic1, capacity: 1)
    let inputWidth = criticSizes[0]
    criticInput = [Float](repeating: 0, count: b * inputWidth)
    nextInput = criticInput
    noise = [Float](repeating: 0, count: b * m)
    nextNoise = noise
    sampled = noise
    nextSampled = noise
    probabilities = noise
    logProbabilities = [Float](repeating: 0, count: b * m)
    nextLogProbabilities = logProbabilities
    targets = [Float](repeating: 0, count: b)
    outputGradient1 = [Float](repeating: 0, count: b * criticSizes.last!)
    outputGradient2 = outputGradient1
    actorGradient = [Float](repeating: 0, count: b * actor.outputCount)
    singleOutput = [Float](repeating: 0, count: actor.outputCount)
    actionBuffer = [Float](repeating: 0, count: discrete ? 0 : m)
    singleInput = [Float](repeating: 0, count: inputWidth)
    penaltyTerms = [Float](repeating: 0, count: b * m)
  }

  public var temperature: Float { logTemperature[0].exp() }

  // MARK: Acting

  public func act(_ observation: UnsafeBufferPointer<Float>, explore: Bool) -> Action {
    // SB3 acts uniformly at random until learning starts.
    if explore && currentStep < config.learningStarts {
      return discrete
        ? .discrete(rng.nextInt(below: actionWidth))
        : Space.box(low: low, high: high).randomAction(&rng)
    }
    singleOutput.withUnsafeMutableBufferPointer {
      singleActor.forwardSingle(actor, input: observation, output: $0)
    }
    let m = actionWidth
    if discrete {
      if !explore { return .discrete(QLearningAgent.argmax(singleOutput, 0, m)) }
      // Sample from softmax(logits) by inverse CDF.
      var maximum = singleOutput[0]
      for j in 1..<m { maximum = max(maximum, singleOutput[j]) }
      var total: Float = 0
      for j in 0..<m { total += (singleOutput[j] - maximum).exp() }
      var u = Float(rng.nextDouble()) * total
      for j in 0..<m {
        u -= (singleOutput[j] - maximum).exp()
        if u <= 0 { return .discrete(j) }
      }
      return .discrete(m - 1)
    }
    // Written in place: the caller lets go of the previous action before asking for the next.
    for j in 0..<m {
      var u = singleOutput[j]
      if explore {
        let logStd = min(
          max(singleOutput[m + j], Self.logStdRange.lowerBound), Self.logStdRange.upperBound)
        u += logStd.exp() * Float(rng.nextGaussian())
      }
      actionBuffer[j] = scale(Float.hyperbolicTangent(u), j)
    }
    return .continuous(actionBuffer)
  }

  /// [−1, 1] → the Box.
  @inline(__always) func scale(_ a: Float, _ j: Int) -> Float {
    low[j] + (a + 1) * 0.5 * (high[j] - low[j])
  }
  /// The Box → [−1, 1].
  @inline(__always) func unscale(_ a: Float, _ j: Int) -> Float {
    2 * (a - low[j]) / (high[j] - low[j]) - 1
  }

  // MARK: Training

  public func update(replay: ReplayBuffer, step: Int) -> [(key: String, value: Double)]? {
    currentStep = step
    guard config.trainsAt(step: step, sampleable: replay.count) else { return nil }
    return train(replay: replay, gradientSteps: config.gradientSteps, step: step)
  }

  public func train(replay: ReplayBuffer, gradientSteps: Int, step: Int) -> [(
    key: String, value: Double
  )] {
    let lr = Float(learningRate.value(at: step))
    actorOptimizer.learningRate = lr
    critic1Optimizer.learningRate = lr
    critic2Optimizer.learningRate = lr
    temperatureOptimizer.learningRate = lr
    // Summed in place into the figures array it returns: the caller reads it and lets go, so
    // the next update writes the same storage (no allocation per update).
    for i in figures.indices { figures[i].value = 0 }
    for _ in 0..<gradientSteps {
      let f = trainStep(replay: replay)
      figures[0].value += Double(f.0)
      figures[1].value += Double(f.1)
      figures[2].value += Double(f.2)
      figures[3].value += Double(f.3)
      figures[4].value += Double(f.4)
      figures[5].value += Double(f.5)
    }
    let n = Double(max(1, gradientSteps))
    for i in figures.indices { figures[i].value /= n }
    return figures
  }

  static let metricKeys = [
    "train/critic_loss", "train/actor_loss", "train/temperature", "train/temperature_loss",
    "train/entropy", "train/q_mean",
  ]
  /// The figures of the last `train`, named by `metricKeys`.
  var figures: [(key: String, value: Double)] = SACAgent.metricKeys.map { ($0, 0) }

  /// A minibatch with the policy's actions (or probabilities) at s and s′ in `sampled` and
  /// `nextSampled`, as a gradient step prepares them, and no update: what a `CostConstraint`
  /// needs to learn on its own (the safety critic's pretraining). Draws from `generator`, so
  /// SAC's own stream is left as it was.
  func prepareMinibatch(replay: ReplayBuffer, generator: inout PCG64) {
    swap(&rng, &generator)
    defer { swap(&rng, &generator) }
    replay.sample(into: &batch, rng: &rng)
    samplePolicyAtStates()
    samplePolicyAtNextStates()
  }

  /// Reparameterised actions (or probabilities) of π at the minibatch's s into `sampled`.
  func samplePolicyAtStates() {
    let n = config.batchSize
    batch.observations.withUnsafeBufferPointer { actorWork.forward(actor, input: $0, rows: n) }
    samplePolicy(actorWork, noise: &noise, into: &sampled, logProbabilities: &logProbabilities)
  }

  /// The same at s′ into `nextSampled`.
  func samplePolicyAtNextStates() {
    let n = config.batchSize
    batch.nextObservations.withUnsafeBufferPointer {
      actorNextWork.forward(actor, input: $0, rows: n)
    }
    samplePolicy(
      actorNextWork, noise: &nextNoise, into: &nextSampled,
      logProbabilities: &nextLogProbabilities)
  }

  /// One gradient step; returns the figures named by `metricKeys`.
  func trainStep(replay: ReplayBuffer) -> (Float, Float, Float, Float, Float, Float) {
    let start = TimeBreakdown.now
    if let relabeler {
      replay.sample(into: &storedBatch, rng: &rng)
      relabeler.resample(&storedBatch, from: replay, rng: &rng)
      samplingSeconds += TimeBreakdown.since(start)
      relabeler.relabel(storedBatch, from: replay, into: &batch)
    } else {
      replay.sample(into: &batch, rng: &rng)
      samplingSeconds += TimeBreakdown.since(start)
    }
    constraint?.adjustRewards(&batch)
    let n = config.batchSize
    let alpha = temperature

    // 1. Reparameterised actions for s, and 2. the temperature step.
    samplePolicyAtStates()
    var entropy: Float = 0
    let temperatureLoss: Float
    if discrete {
      // Expected log π per row.
      for i in 0..<n {
        var expected: Float = 0
        for j in 0..<actionWidth {
          expected += sampled[i * actionWidth + j] * logProbabilities[i * actionWidth + j]
        }
        entropy -= expected
      }
    } else {
      for i in 0..<n { entropy -= logProbabilities[i] }
    }
    entropy /= Float(n)
    // L(log α) = −log α · mean(log π + H̄): its gradient is −mean(log π + H̄) = entropy − H̄.
    let temperatureGradient = entropy - targetEntropy
    temperatureLoss = -logTemperature[0] * (targetEntropy - entropy)
    if sac.learnTemperature {
      temperatureGradientBuffer[0] = temperatureGradient
      temperatureOptimizer.update(&logTemperature, gradients: temperatureGradientBuffer)
    }

    // 3. Critic targets and the critic step.
    computeTargets(alpha: alpha)
    fillCriticInput()
    let criticLoss = criticStep()
    constraint?.learn(self)

    // 4. The actor step through the updated critics.
    let (actorLoss, qMean) = actorStep(alpha: alpha)

    // 5. Target critics.
    gradientStepsTaken += 1
    if gradientStepsTaken % sac.targetUpdateInterval == 0 {
      target1.polyakUpdate(from: critic1, tau: Float(sac.tau))
      target2.polyakUpdate(from: critic2, tau: Float(sac.tau))
    }
    return (criticLoss, actorLoss, alpha, temperatureLoss, entropy, qMean)
  }

  /// From the actor's outputs in `work`: continuous: a = tanh(μ + σ ε) into `actions` and log π
  /// into `logProbabilities[i]` (with fresh ε in `noise`); discrete: π into `actions` and log π
  /// per action into `logProbabilities`.
  func samplePolicy(
    _ work: MLPWorkspace, noise: inout [Float], into actions: inout [Float],
    logProbabilities: inout [Float], freshNoise: Bool = true
  ) {
    let n = work.count
    let m = actionWidth
    let out = work.output
    if discrete {
      for i in 0..<n {
        var maximum = out[i * m]
        for j in 1..<m { maximum = max(maximum, out[i * m + j]) }
        var total: Float = 0
        for j in 0..<m { total += (out[i * m + j] - maximum).exp() }
        let logTotal = total.log()
        for j in 0..<m {
          let logP = out[i * m + j] - maximum - logTotal
          logProbabilities[i * m + j] = logP
          actions[i * m + j] = logP.exp()
        }
      }
      return
    }
    let halfLog2Pi: Float = 0.5 * Float(Foundation.log(2 * Double.pi))
    for i in 0..<n {
      var logP: Float = 0
      for j in 0..<m {
        if freshNoise { noise[i * m + j] = Float(rng.nextGaussian()) }
        let e = noise[i * m + j]
        let logStd = min(
          max(out[i * 2 * m + m + j], Self.logStdRange.lowerBound), Self.logStdRange.upperBound)
        let t = Float.hyperbolicTangent(out[i * 2 * m + j] + logStd.exp() * e)
        actions[i * m + j] = t
        logP += -0.5 * e * e - logStd - halfLog2Pi - (1 - t * t + 1e-6).log()
      }
      logProbabilities[i] = logP
    }
  }

  /// y = r + γ^k (1 − terminal) V̄(s′), V̄ the soft value of the target critics under π.
  func computeTargets(alpha: Float) {
    let n = config.batchSize
    let m = actionWidth
    let d = observationCount
    samplePolicyAtNextStates()
    if discrete {
      batch.nextObservations.withUnsafeBufferPointer {
        targetWork1.forward(target1, input: $0, rows: n)
        targetWork2.forward(target2, input: $0, rows: n)
      }
    } else {
      let w = d + m
      for i in 0..<n {
        for k in 0..<d { nextInput[i * w + k] = batch.nextObservations[i * d + k] }
        for j in 0..<m { nextInput[i * w + d + j] = nextSampled[i * m + j] }
      }
      nextInput.withUnsafeBufferPointer {
        targetWork1.forward(target1, input: $0, rows: n)
        targetWork2.forward(target2, input: $0, rows: n)
      }
    }
    let q1 = targetWork1.output
    let q2 = targetWork2.output
    for i in 0..<n {
      var value: Float = 0
      if discrete {
        for j in 0..<m {
          let k = i * m + j
          value += nextSampled[k] * (min(q1[k], q2[k]) - alpha * nextLogProbabilities[k])
        }
      } else {
        value = min(q1[i], q2[i]) - alpha * nextLogProbabilities[i]
      }
      value -= alpha * entropyOffset
      targets[i] = batch.rewards[i] + batch.discounts[i] * (1 - batch.terminals[i]) * value
    }
  }

  /// The critics' inputs for the stored transitions: s (discrete) or (s, a in [−1, 1]).
  func fillCriticInput() {
    let n = config.batchSize
    let d = observationCount
    let m = actionWidth
    if discrete {
      for i in 0..<n * d { criticInput[i] = batch.observations[i] }
      return
    }
    let w = d + m
    for i in 0..<n {
      for k in 0..<d { criticInput[i * w + k] = batch.observations[i * d + k] }
      for j in 0..<m {
        criticInput[i * w + d + j] = unscale(batch.continuousActions[i * m + j], j)
      }
    }
  }

  /// ½ (MSE(Q₁, y) + MSE(Q₂, y)) on the taken actions, one Adam step each; returns the loss.
  func criticStep(apply: Bool = true) -> Float {
    let n = config.batchSize
    criticInput.withUnsafeBufferPointer {
      criticWork1.forward(critic1, input: $0, rows: n)
      criticWork2.forward(critic2, input: $0, rows: n)
    }
    let loss =
      regress(criticWork1, critic1, gradient: &outputGradient1)
      + regress(criticWork2, critic2, gradient: &outputGradient2)
    guard apply else { return loss }
    critic1Optimizer.update(&critic1.parameters, gradients: critic1.gradients)
    critic2Optimizer.update(&critic2.parameters, gradients: critic2.gradients)
    return loss
  }

  /// ½ · mean((q − y)²) of one critic at the taken actions; its gradient (q − y)/n into
  /// `gradient` and back through the critic (clipped if configured). A method, not a closure:
  /// a closure capturing the loss would box it on the heap every step.
  private func regress(_ work: MLPWorkspace, _ network: MLP, gradient: inout [Float]) -> Float {
    let n = config.batchSize
    let width = discrete ? actionWidth : 1
    let q = work.output
    var loss: Float = 0
    for i in 0..<n * width { gradient[i] = 0 }
    for i in 0..<n {
      let k = i * width + (discrete ? Int(batch.actionIndices[i]) : 0)
      let error = q[k] - targets[i]
      loss += 0.5 * error * error / Float(n)
      gradient[k] = error / Float(n)
    }
    gradient.withUnsafeBufferPointer {
      work.backward(network, outputGradient: $0, accumulate: false)
    }
    if config.maxGradNorm > 0 { network.clipGradients(maxNorm: Float(config.maxGradNorm)) }
    return loss
  }

  /// mean(α log π − min Q) through the critics to the action, then the reparameterisation;
  /// one Adam step on the actor. Returns (loss, mean min Q at the sampled actions).
  func actorStep(alpha: Float, apply: Bool = true) -> (Float, Float) {
    let n = config.batchSize
    let m = actionWidth
    let d = observationCount
    var loss: Float = 0
    var qSum: Float = 0
    // The safety penalty λ · f(s, a), f = Q_C or its excess over ε (0 without a constraint).
    var penalty: Float = 0
    if let constraint {
      let term = constraint.actorPenalty(self, terms: &penaltyTerms)
      penalty = term.weight
      if !discrete { loss += penalty * term.valueMean }
    }
    if discrete {
      batch.observations.withUnsafeBufferPointer {
        criticWork1.forward(critic1, input: $0, rows: n)
        criticWork2.forward(critic2, input: $0, rows: n)
      }
      let q1 = criticWork1.output
      let q2 = criticWork2.output
      // ∂/∂z_k Σ_a π_a f_a (f_a = α log π_a − min Q_a, Q held fixed) = π_k (f_k − Σ_a π_a f_a).
      for i in 0..<n {
        var expected: Float = 0
        for j in 0..<m {
          let k = i * m + j
          let f = alpha * logProbabilities[k] - min(q1[k], q2[k]) + penalty * penaltyTerms[k]
          expected += sampled[k] * f
          qSum += sampled[k] * min(q1[k], q2[k])
        }
        loss += expected / Float(n)
        for j in 0..<m {
          let k = i * m + j
          let f = alpha * logProbabilities[k] - min(q1[k], q2[k]) + penalty * penaltyTerms[k]
          actorGradient[k] = sampled[k] * (f - expected) / Float(n)
        }
      }
    } else {
      let w = d + m
      for i in 0..<n {
        for j in 0..<m { criticInput[i * w + d + j] = sampled[i * m + j] }
      }
      criticInput.withUnsafeBufferPointer {
        criticWork1.forward(critic1, input: $0, rows: n)
        criticWork2.forward(critic2, input: $0, rows: n)
      }
      let q1 = criticWork1.output
      let q2 = criticWork2.output
      // dL/dQ_min = −1/n on whichever critic is lower in each row.
      for i in 0..<n {
        let lower = min(q1[i], q2[i])
        qSum += lower
        loss += (alpha * logProbabilities[i] - lower) / Float(n)
        outputGradient1[i] = q1[i] <= q2[i] ? -1 / Float(n) : 0
        outputGradient2[i] = q1[i] <= q2[i] ? 0 : -1 / Float(n)
      }
      // Input gradients only: the critics' parameter gradients are overwritten by their next
      // step and never applied here.
      outputGradient1.withUnsafeBufferPointer {
        criticWork1.backward(critic1, outputGradient: $0, inputGradient: true, accumulate: false)
      }
      outputGradient2.withUnsafeBufferPointer {
        criticWork2.backward(critic2, outputGradient: $0, inputGradient: true, accumulate: false)
      }
      let da1 = criticWork1.delta(layer: 0)
      let da2 = criticWork2.delta(layer: 0)
      let out = actorWork.output
      for i in 0..<n {
        for j in 0..<m {
          let k = i * m + j
          let t = sampled[k]
          // dL/da through min Q and the penalty λ · f.
          let dQ = da1[i * w + d + j] + da2[i * w + d + j] + penalty * penaltyTerms[k] / Float(n)
          let rawLogStd = out[i * 2 * m + m + j]
          let inRange = Self.logStdRange.contains(rawLogStd)
          let std = min(max(rawLogStd, Self.logStdRange.lowerBound), Self.logStdRange.upperBound)
            .exp()
          let e = noise[k]
          // log π's dependence on u = μ + σ ε through −log(1 − tanh(u)² + 1e-6).
          let dLogPdU = 2 * t * (1 - t * t) / (1 - t * t + 1e-6)
          let dU = alpha * dLogPdU / Float(n) + dQ * (1 - t * t)
          actorGradient[i * 2 * m + j] = dU
          actorGradient[i * 2 * m + m + j] = inRange ? dU * std * e - alpha / Float(n) : 0
        }
      }
    }
    actorGradient.withUnsafeBufferPointer {
      actorWork.backward(actor, outputGradient: $0, accumulate: false)
    }
    guard apply else { return (loss, qSum / Float(n)) }
    if config.maxGradNorm > 0 { actor.clipGradients(maxNorm: Float(config.maxGradNorm)) }
    actorOptimizer.update(&actor.parameters, gradients: actor.gradients)
    return (loss, qSum / Float(n))
  }
}
