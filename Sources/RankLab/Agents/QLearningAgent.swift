import CKernels
import Environments
import Foundation

/// The value-based learners of the under-parameterization study, sharing one Q-network update:
/// DQN / Double DQN, fitted Q-iteration (targets refreshed every K gradient steps), discrete
/// CQL(H) and the Monte-Carlo regression control. The update rule is `trainStep` below.
public final class QLearningAgent: Agent {
  public let config: AgentConfig
  /// The Q-network update's keys (`agent.dqn`).
  let qConfig: DQNConfig
  /// Gradient steps per target refresh, and whether they count fitting iterations (fqi).
  let targetEvery: Int
  let cqlAlpha: Double
  /// The exact Q* the control regresses onto (`agent.fqi.target: optimal`), else nil.
  let optimalValues: OptimalValueTable?
  let actionCount: Int
  let observationCount: Int
  let online: MLP
  let target: MLP
  /// The moving average of the online weights the greedy policy uses (`policy_averaging`).
  let averaged: MLP?
  var optimizer: Adam
  /// Exploration and minibatch sampling.
  var rng: PCG64
  let exploration: LinearSchedule
  let learningRate: LinearSchedule
  /// Environment steps seen (drives ε and the schedules).
  var currentStep = 0
  var gradientStepsTaken = 0

  // Preallocated buffers: a gradient step allocates nothing.
  var batch: TransitionBatch
  let onlineWork: MLPWorkspace
  let nextWork: MLPWorkspace
  let targetWork: MLPWorkspace
  let singleWork: MLPWorkspace
  var targets: [Float]
  var predictions: [Float]
  var tdErrors: [Float]
  var lossGradient: [Float]
  var outputGradient: [Float]
  var featureGradient: [Float]
  var nextFeatureGradient: [Float]
  var zeroOutput: [Float]
  var cqlGradient: [Float]
  var qValues: [Float]
  let svd: SingularValueDecomposition?
  /// The srank penalty's distinct minibatch states, their features and gradient.
  var distinctRows: DistinctRows
  var distinctFeatures: [Float]
  var distinctGradient: [Float]
  var churnBatch: TransitionBatch
  let churnWork: MLPWorkspace
  var churnActions: [Int]
  /// Draws the churn minibatches, apart from `rng` so the diagnostic leaves training untouched.
  var churnRNG: PCG64
  var kernel: TangentKernel?
  var probeWork: MLPWorkspace?
  /// Wall-clock seconds spent sampling minibatches (for the run's time breakdown).
  public internal(set) var samplingSeconds = 0.0

  /// Builds the agent for a run (through `AgentCatalog`): needs a discrete action space.
  public convenience init(context: AgentContext) throws {
    guard case .discrete(let actionCount) = context.actionSpace else {
      throw RunError.unsupported(
        "agent.algorithm \(context.config.agent.algorithm.rawValue) is value-based and needs a discrete action space; \(context.config.env.id) has continuous actions (\(context.actionSpace.summary)): use algorithm: sac"
      )
    }
    var optimalValues: OptimalValueTable?
    if context.config.agent.fqi?.target == .optimal {
      guard let env = context.tabularEnvironment else {
        throw RunError.unsupported(
          "agent.fqi.target: optimal regresses onto the exact Q* of a known model; \(context.config.env.id) has none (use a gridworld)"
        )
      }
      optimalValues = try OptimalValueTable(
        env: env, gamma: context.config.agent.gamma,
        entropyWeight: context.config.agent.q.entropyWeight)
    }
    var initRNG = context.initializationRNG
    self.init(
      config: context.config.agent, observationCount: context.observationSpace.flatCount,
      actionCount: actionCount, totalSteps: context.config.steps, initRNG: &initRNG,
      rng: context.agentRNG, optimalValues: optimalValues)
  }

  public init(
    config: AgentConfig, observationCount: Int, actionCount: Int, totalSteps: Int,
    initRNG: inout PCG64, rng: PCG64, optimalValues: OptimalValueTable? = nil
  ) {
    self.config = config
    self.optimalValues = optimalValues
    // fqi: a hard refresh every K gradient steps; the others follow agent.dqn.target_update.
    var adjusted = config.q
    if let fqi = config.fqi {
      adjusted.targetUpdate.kind = .hard
      adjusted.targetUpdate.every = fqi.k
      adjusted.targetUpdate.unit = .gradientSteps
    }
    qConfig = adjusted
    targetEvery = qConfig.targetUpdate.every
    cqlAlpha = config.cql?.alpha ?? 0
    self.actionCount = actionCount
    self.observationCount = observationCount
    let sizes = [observationCount] + config.network.hidden + [actionCount]
    online = MLP(
      sizes: sizes, activation: config.network.activation, initialization: config.network.`init`,
      rng: &initRNG)
    target = MLP(copying: online)
    averaged = qConfig.policyAveraging > 0 ? MLP(copying: online) : nil
    optimizer = Adam(
      parameterCount: online.parameters.count, learningRate: Float(config.learningRate),
      epsilon: Float(config.adamEps))
    self.rng = rng
    learningRate = LinearSchedule(
      initial: config.learningRate, final: config.learningRateFinal ?? config.learningRate,
      fraction: 1, total: totalSteps)
    exploration = LinearSchedule(
      initial: qConfig.exploration.initialEps, final: qConfig.exploration.finalEps,
      fraction: qConfig.exploration.fraction, total: totalSteps)
    let b = config.batchSize
    // Only the Monte-Carlo control reads returns; no update rule here reads costs.
    batch = TransitionBatch(
      capacity: b, observationCount: observationCount, actionWidth: 1, continuous: false,
      extras: config.algorithm == .mc ? .returns : [])
    onlineWork = MLPWorkspace(for: online, capacity: b)
    nextWork = MLPWorkspace(for: online, capacity: b)
    targetWork = MLPWorkspace(for: target, capacity: b)
    singleWork = MLPWorkspace(for: online, capacity: 1)
    targets = [Float](repeating: 0, count: b)
    predictions = targets
    tdErrors = targets
    lossGradient = targets
    outputGradient = [Float](repeating: 0, count: b * actionCount)
    zeroOutput = outputGradient
    cqlGradient = outputGradient
    featureGradient = [Float](repeating: 0, count: b * online.featureCount)
    nextFeatureGradient = featureGradient
    qValues = [Float](repeating: 0, count: actionCount)
    churnBatch = TransitionBatch(
      capacity: 256, observationCount: observationCount, actionWidth: 1, continuous: false,
      extras: [])
    churnWork = MLPWorkspace(for: online, capacity: 256)
    churnActions = [Int](repeating: 0, count: 256)
    var seedSource = rng
    churnRNG = PCG64(seed: seedSource.next(), stream: [7])
    let penalized = qConfig.regularizer.kind == .srankPenalty
    svd =
      penalized
      ? SingularValueDecomposition(rows: b, columns: online.featureCount, vectors: true) : nil
    distinctRows = DistinctRows(capacity: penalized ? b : 0)
    distinctFeatures = penalized ? featureGradient : []
    distinctGradient = distinctFeatures
  }

  public var featureCount: Int { online.featureCount }
  public var epsilon: Double { exploration.value(at: currentStep) }

  public func act(_ observation: UnsafeBufferPointer<Float>, explore: Bool) -> Action {
    if explore && rng.nextDouble() < epsilon { return .discrete(rng.nextInt(below: actionCount)) }
    qValues.withUnsafeMutableBufferPointer {
      singleWork.forwardSingle(
        explore ? online : averaged ?? online, input: observation, output: $0)
    }
    if explore && qConfig.entropyWeight > 0 {
      return .discrete(Self.sampleBoltzmann(qValues, temperature: qConfig.entropyWeight, &rng))
    }
    return .discrete(Self.argmax(qValues, 0, actionCount))
  }

  /// An action drawn from softmax(q / τ): soft Q-learning's behaviour policy (Fu et al.'s
  /// `get_policy` with `ent_wt` τ).
  static func sampleBoltzmann(_ q: [Float], temperature: Double, _ rng: inout PCG64) -> Int {
    let best = Double(q[argmax(q, 0, q.count)])
    var total = 0.0
    for value in q { total += exp((Double(value) - best) / temperature) }
    var u = rng.nextDouble() * total
    for (index, value) in q.enumerated() {
      u -= exp((Double(value) - best) / temperature)
      if u < 0 { return index }
    }
    return q.count - 1
  }

  /// τ · logsumexp(q[start..<start+count] / τ): the soft value of a state, the max as τ → 0.
  @inline(__always) static func softValue<C: RandomAccessCollection<Float>>(
    _ q: C, _ start: Int, _ count: Int, temperature: Float
  ) -> Float where C.Index == Int {
    let best = q[start + argmax(q, start, count)]
    var total: Float = 0
    for j in 0..<count { total += expf((q[start + j] - best) / temperature) }
    return best + temperature * logf(total)
  }

  public func update(replay: ReplayBuffer, step: Int) -> [(key: String, value: Double)]? {
    currentStep = step
    if qConfig.targetUpdate.unit == .envSteps && step % qConfig.targetUpdate.every == 0 {
      updateTarget()
    }
    // Monte-Carlo targets need an episode that has ended.
    let sampleable = config.algorithm == .mc ? replay.finishedCount : replay.count
    guard config.trainsAt(step: step, sampleable: sampleable) else {
      return nil
    }
    // Policy churn: the share of a minibatch's greedy actions one training phase changes.
    replay.sample(into: &churnBatch, rng: &churnRNG)
    let n = churnBatch.count
    churnBatch.observations.withUnsafeBufferPointer {
      churnWork.forward(online, input: $0, rows: n)
    }
    for i in 0..<n { churnActions[i] = Self.argmax(churnWork.output, i * actionCount, actionCount) }
    var figures = train(replay: replay, gradientSteps: config.gradientSteps, step: step)
    churnBatch.observations.withUnsafeBufferPointer {
      churnWork.forward(online, input: $0, rows: n)
    }
    var changed = 0
    for i in 0..<n
    where churnActions[i] != Self.argmax(churnWork.output, i * actionCount, actionCount) {
      changed += 1
    }
    figures.append(("train/policy_churn", Double(changed) / Double(n)))
    return figures
  }

  /// Runs gradient steps and returns their mean metrics (offline training calls this directly).
  public func train(replay: ReplayBuffer, gradientSteps: Int, step: Int) -> [(
    key: String, value: Double
  )] {
    optimizer.learningRate = Float(learningRate.value(at: step))
    var sums = StepMetrics()
    for _ in 0..<gradientSteps {
      sums.add(trainStep(replay: replay))
      gradientStepsTaken += 1
      if qConfig.targetUpdate.unit == .gradientSteps
        && gradientStepsTaken % qConfig.targetUpdate.every == 0
      {
        updateTarget()
      }
    }
    return sums.mean(
      over: gradientSteps, regularizer: qConfig.regularizer.kind != .none,
      cql: config.algorithm == .cql)
  }

  /// One gradient step on a sampled minibatch. Returns (loss, mean Q, gradient norm,
  /// regularizer value, CQL gap).
  func trainStep(replay: ReplayBuffer) -> StepMetrics {
    let n = config.batchSize
    let a = actionCount
    let sampleStart = TimeBreakdown.now
    replay.sample(into: &batch, rng: &rng, requireReturns: config.algorithm == .mc)
    samplingSeconds += TimeBreakdown.since(sampleStart)
    computeTargets()
    batch.observations.withUnsafeBufferPointer { onlineWork.forward(online, input: $0, rows: n) }
    let q = onlineWork.output
    for i in 0..<n { predictions[i] = q[i * a + Int(batch.actionIndices[i])] }

    // TD (or Monte-Carlo) regression on the taken actions' values.
    var metrics = StepMetrics()
    metrics.loss = predictions.withUnsafeBufferPointer { p in
      targets.withUnsafeBufferPointer { t in
        lossGradient.withUnsafeMutableBufferPointer { g in
          qConfig.loss == .huber
            ? Losses.huber(p, t, gradient: g) : Losses.meanSquaredError(p, t, gradient: g)
        }
      }
    }
    if replay.prioritized != nil {
      // Prioritized replay: importance weights correct the sampling bias, and the new TD errors
      // become the sampled transitions' priorities.
      for i in 0..<n {
        lossGradient[i] *= batch.weights[i]
        tdErrors[i] = predictions[i] - targets[i]
      }
      tdErrors.withUnsafeBufferPointer { replay.updatePriorities(of: batch, errors: $0) }
    }
    for i in 0..<n * a { outputGradient[i] = 0 }
    for i in 0..<n { outputGradient[i * a + Int(batch.actionIndices[i])] = lossGradient[i] }
    var qSum: Float = 0
    for i in 0..<n { qSum += predictions[i] }
    metrics.qMean = qSum / Float(n)

    // CQL(H): α · mean(logsumexp_a Q(s, a) − Q(s, a_data)) pushes down unseen actions' values.
    if config.algorithm == .cql { metrics.cqlGap = addConservativePenalty() }

    let hasFeatureGradient = applyRegularizer(&metrics)
    // The first backward pass overwrites the gradient buffer; DR3's second one adds to it.
    outputGradient.withUnsafeBufferPointer { g in
      featureGradient.withUnsafeBufferPointer { f in
        onlineWork.backward(
          online, outputGradient: g, featureGradient: hasFeatureGradient ? f : nil,
          accumulate: false)
      }
    }
    if qConfig.regularizer.kind == .dr3 {
      zeroOutput.withUnsafeBufferPointer { z in
        nextFeatureGradient.withUnsafeBufferPointer { f in
          nextWork.backward(online, outputGradient: z, featureGradient: f)
        }
      }
    }
    metrics.gradientNorm =
      config.maxGradNorm > 0
      ? online.clipGradients(maxNorm: Float(config.maxGradNorm)) : online.gradientNorm()
    optimizer.update(&online.parameters, gradients: online.gradients)
    averaged?.polyakUpdate(from: online, tau: Float(qConfig.policyAveraging))
    return metrics
  }

  /// y = r + γ (1 − terminal) Q_target(s', a'), a' = argmax of the target (or, Double DQN, of the
  /// online) network; the Monte-Carlo control regresses onto the episode's return instead.
  func computeTargets() {
    let n = config.batchSize
    let a = actionCount
    if config.algorithm == .mc {
      for i in 0..<n { targets[i] = batch.returns[i] }
      return
    }
    if let table = optimalValues {
      // The Q* control: the exact value of the taken action, nothing bootstrapped.
      let width = observationCount
      for i in 0..<n {
        guard let row = table.row(of: batch.observations, at: i * width) else {
          preconditionFailure("a replayed observation matches no reachable state of the model")
        }
        targets[i] = table.values[row * a + Int(batch.actionIndices[i])]
      }
      return
    }
    batch.nextObservations.withUnsafeBufferPointer {
      targetWork.forward(target, input: $0, rows: n)
    }
    let needsOnlineNext = qConfig.doubleQ || qConfig.regularizer.kind == .dr3
    if needsOnlineNext {
      batch.nextObservations.withUnsafeBufferPointer {
        nextWork.forward(online, input: $0, rows: n)
      }
    }
    let nextTarget = targetWork.output
    let nextOnline = nextWork.output
    let softness = Float(qConfig.entropyWeight)
    for i in 0..<n {
      let bootstrap: Float
      if softness > 0 {
        bootstrap = Self.softValue(nextTarget, i * a, a, temperature: softness)
      } else {
        let choice =
          qConfig.doubleQ ? Self.argmax(nextOnline, i * a, a) : Self.argmax(nextTarget, i * a, a)
        bootstrap = nextTarget[i * a + choice]
      }
      // The replay's discount is gamma, or gamma^k for a k-step return.
      targets[i] = batch.rewards[i] + batch.discounts[i] * (1 - batch.terminals[i]) * bootstrap
    }
    // Advantage learning (Baird 1999; Bellemare et al. 2016): subtract α times the taken
    // action's gap to the best action, as valued by the target network. Gaps grow by 1/(1−α),
    // so the greedy policy stops hinging on differences smaller than the regression error.
    guard qConfig.advantageLearning > 0 else { return }
    let alpha = Float(qConfig.advantageLearning)
    batch.observations.withUnsafeBufferPointer { targetWork.forward(target, input: $0, rows: n) }
    let current = targetWork.output
    for i in 0..<n {
      let best = current[i * a + Self.argmax(current, i * a, a)]
      targets[i] -= alpha * (best - current[i * a + Int(batch.actionIndices[i])])
    }
  }

  /// CQL(H)'s term mean(logsumexp_a Q(s, a) − Q(s, a_data)) is the cross-entropy of softmax(Q)
  /// against the data's actions, so it reuses that loss; its gradient is added, scaled by α.
  func addConservativePenalty() -> Float {
    let n = config.batchSize
    let alpha = Float(cqlAlpha)
    let gap = batch.actionIndices.withUnsafeBufferPointer { labels in
      cqlGradient.withUnsafeMutableBufferPointer { g in
        Losses.crossEntropy(
          logits: UnsafeBufferPointer(onlineWork.output), labels: labels, rows: n,
          columns: actionCount,
          gradient: g)
      }
    }
    for i in 0..<n * actionCount { outputGradient[i] += alpha * cqlGradient[i] }
    return gap
  }

  /// Adds the rank remedy's gradient on the penultimate features; returns whether there is one.
  func applyRegularizer(_ metrics: inout StepMetrics) -> Bool {
    let c = Float(qConfig.regularizer.coefficient)
    switch qConfig.regularizer.kind {
    case .none:
      return false
    case .srankPenalty:
      guard let svd else { return false }
      // On the minibatch's distinct states: duplicates would pin σ_min at 0.
      let (n, d) = (config.batchSize, online.featureCount)
      batch.observations.withUnsafeBufferPointer {
        distinctRows.find($0, rows: n, width: observationCount)
      }
      distinctFeatures.withUnsafeMutableBufferPointer {
        distinctRows.compact(
          UnsafeBufferPointer(onlineWork.features), width: d, rows: n, into: $0)
      }
      let value = distinctFeatures.withUnsafeBufferPointer { f in
        distinctGradient.withUnsafeMutableBufferPointer { g in
          RankRegularizers.spectralPenalty(
            features: f, distinctRows: distinctRows.count, svd: svd, gradient: g)
        }
      }
      distinctGradient.withUnsafeBufferPointer { g in
        featureGradient.withUnsafeMutableBufferPointer {
          distinctRows.scatter(g, width: d, rows: n, into: $0)
        }
      }
      metrics.regularizer = value
      metrics.distinctStates = Float(distinctRows.count)
      featureGradient.withUnsafeMutableBufferPointer { ranklab_scale($0.baseAddress, $0.count, c) }
    case .dr3:
      let value = featureGradient.withUnsafeMutableBufferPointer { g in
        nextFeatureGradient.withUnsafeMutableBufferPointer { ng in
          RankRegularizers.dr3(
            features: UnsafeBufferPointer(onlineWork.features),
            nextFeatures: UnsafeBufferPointer(nextWork.features), rows: config.batchSize,
            gradient: g, nextGradient: ng)
        }
      }
      metrics.regularizer = value
      featureGradient.withUnsafeMutableBufferPointer { ranklab_scale($0.baseAddress, $0.count, c) }
      nextFeatureGradient.withUnsafeMutableBufferPointer {
        ranklab_scale($0.baseAddress, $0.count, c)
      }
    }
    return true
  }

  func updateTarget() {
    if qConfig.targetUpdate.kind == .hard {
      target.copyParameters(from: online)
    } else {
      target.polyakUpdate(from: online, tau: Float(qConfig.targetUpdate.tau))
    }
  }

  @inline(__always) static func argmax<C: RandomAccessCollection<Float>>(
    _ values: C, _ start: Int, _ count: Int
  ) -> Int
  where C.Index == Int {
    var best = 0
    var bestValue = values[start]
    for j in 1..<count where values[start + j] > bestValue {
      best = j
      bestValue = values[start + j]
    }
    return best
  }

  public func features(
    of observations: UnsafeBufferPointer<Float>, count: Int,
    into features: UnsafeMutableBufferPointer<Float>
  ) {
    // The probe batch has the same size at every measurement: one workspace serves them all.
    if probeWork?.capacity != count { probeWork = MLPWorkspace(for: online, capacity: count) }
    guard let work = probeWork else { return }
    work.forward(online, input: observations, rows: count)
    _ = features.update(fromContentsOf: work.features)
  }

  public func actionValues(of observations: UnsafeBufferPointer<Float>, count: Int) -> [Float]? {
    if probeWork?.capacity != count { probeWork = MLPWorkspace(for: online, capacity: count) }
    guard let work = probeWork else { return nil }
    work.forward(online, input: observations, rows: count)
    return Array(work.output)
  }

  /// The values the greedy policy acts on, one per action.
  public func qValues(_ observation: UnsafeBufferPointer<Float>) -> [Float] {
    var values = [Float](repeating: 0, count: actionCount)
    // The values the greedy policy acts on.
    values.withUnsafeMutableBufferPointer {
      singleWork.forwardSingle(averaged ?? online, input: observation, output: $0)
    }
    return values
  }

  public func tangentKernel(of observations: UnsafeBufferPointer<Float>, count: Int) -> [Float]? {
    if kernel?.rows != count { kernel = TangentKernel(network: online, rows: count) }
    guard let kernel else { return nil }
    kernel.compute(network: online, inputs: observations)
    return kernel.gram
  }

  public func statusMetrics(step: Int) -> [(key: String, value: Double)] {
    var values: [(key: String, value: Double)] = [
      ("train/epsilon", exploration.value(at: step)),
      ("train/learning_rate", learningRate.value(at: step)),
      ("train/gradient_steps", Double(gradientStepsTaken)),
    ]
    if config.fqi != nil {
      values.append(("train/fitting_iterations", Double(gradientStepsTaken / targetEvery)))
    } else if config.algorithm == .mc {
      // Monte-Carlo regression has no target to refresh: one fitting iteration is one training
      // phase of gradient_steps steps onto the returns, as in FQI's protocol, so the control
      // plots on the same axis.
      values.append(
        ("train/fitting_iterations", Double(gradientStepsTaken / max(config.gradientSteps, 1))))
    }
    return values
  }

  public var recordedFields: [EpisodeHeader.ExtraField] {
    [.init(name: "q_values", width: actionCount)]
  }

  public func recordedValues(_ observation: UnsafeBufferPointer<Float>, action: Action)
    -> [[Float]]
  {
    [qValues(observation)]
  }
}

/// Sums of one or more gradient steps' figures.
struct StepMetrics {
  var loss: Float = 0
  var qMean: Float = 0
  var gradientNorm: Float = 0
  var regularizer: Float = 0
  var cqlGap: Float = 0
  /// Distinct states in the minibatch (the srank penalty's rows).
  var distinctStates: Float = 0

  mutating func add(_ other: StepMetrics) {
    distinctStates += other.distinctStates
    loss += other.loss
    qMean += other.qMean
    gradientNorm += other.gradientNorm
    regularizer += other.regularizer
    cqlGap += other.cqlGap
  }

  func mean(over count: Int, regularizer hasRegularizer: Bool, cql: Bool) -> [(
    key: String, value: Double
  )] {
    let n = Double(max(1, count))
    var values: [(key: String, value: Double)] = [
      ("train/loss", Double(loss) / n), ("train/q_mean", Double(qMean) / n),
      ("train/grad_norm", Double(gradientNorm) / n),
    ]
    if hasRegularizer { values.append(("train/regularizer", Double(regularizer) / n)) }
    if distinctStates > 0 {
      values.append(("train/penalty_distinct_states", Double(distinctStates) / n))
    }
    if cql { values.append(("train/cql_gap", Double(cqlGap) / n)) }
    return values
  }
}
