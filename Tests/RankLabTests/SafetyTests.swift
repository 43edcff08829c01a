import Environments
import Foundation
import Testing

@testable import RankLab

/// Safe exploration on SAC: the safety critic's loss (TD + reversed CQL) and the actor's λ · Q_C
/// penalty against finite differences, continuous and discrete; rejection sampling's accept
/// and fallback rules; the multiplier's update; the Lagrangian reward; the one-line errors.
@Suite struct SafetyTests {
  /// A SafeSACAgent on `env` and a replay of random steps with the environment's costs.
  static func agent(
    env: String, method: String = "csc", _ extra: String = "", safety: String = ""
  ) throws -> (SafeSACAgent, ReplayBuffer) {
    let config = try ConfigLoader.load(
      ExperimentConfig.self,
      text: """
        env: {id: \(env)\(extra)}
        agent: {algorithm: sac, network: {hidden: [8, 8]}, batch_size: 6, learning_starts: 0}
        safety: {method: \(method), alpha: 0.7, max_samples: 20\(safety)}
        """,
      file: "t.yaml"
    ).config
    var environment = try EnvironmentCatalog.make(id: config.env.id, options: config.env.options)
    let agent = try SafeSACAgent(
      context: AgentContext(
        config: config, observationSpace: environment.observationSpace,
        actionSpace: environment.actionSpace, seed: 0))
    let replay = try ReplayBuffer(
      config: config.replay, observationCount: environment.observationSpace.flatCount,
      actionSpace: environment.actionSpace, discount: 0.99)
    var rng = PCG64(seed: 9)
    var observation = environment.reset(seed: 1)
    var next = observation
    for _ in 0..<200 {
      let action = environment.actionSpace.randomAction(&rng)
      let step = next.withUnsafeMutableBufferPointer { environment.step(action, into: $0) }
      observation.withUnsafeBufferPointer { o in
        next.withUnsafeBufferPointer { n in
          replay.add(
            observation: o, action: action, reward: step.reward, cost: step.cost, end: step.end,
            nextObservation: n)
        }
      }
      if step.end.isEnd { observation = environment.reset(seed: nil) } else { observation = next }
      next = observation
    }
    return (agent, replay)
  }

  /// A minibatch holding at least one failure, its policy actions and targets, as `trainStep`
  /// prepares them.
  static func prepare(_ agent: SafeSACAgent, _ replay: ReplayBuffer) throws {
    let sac = agent.sac
    var rng = PCG64(seed: 4)
    for _ in 0..<200 {
      replay.sample(into: &sac.batch, rng: &rng)
      if sac.batch.costs.contains(1) { break }
    }
    try #require(sac.batch.costs.contains(1))
    SACAgentTests.prepare(sac, replay, sampled: true)
  }

  /// Tighter than `GradientCheckTests.close` below 1: these gradients are small.
  static func close(_ a: Double, _ b: Double) -> Bool {
    abs(a - b) <= 2e-3 + 2e-2 * max(abs(a), abs(b))
  }

  static let environments = [
    ("Pendulum-v1", ", safety: {angle_low: -1.0, angle_high: 1.0}"), ("gridworld/lava", ""),
    ("point-nav/hazards", ""),
  ]

  /// Every environment with the squared and the cross-entropy TD loss.
  static let criticCases = environments.flatMap { env in
    ["", ", critic_loss: cross_entropy"].map { (env.0, env.1, $0) }
  }

  @Test(arguments: criticCases)
  func safetyCriticGradientMatchesFiniteDifferences(env: String, extra: String, loss: String)
    throws
  {
    let (agent, replay) = try Self.agent(env: env, extra, safety: loss)
    try Self.prepare(agent, replay)
    let critic = agent.critic
    // Q_C near 0.5 rather than the initial 0.01, where σ′ would shrink the TD and reversed-CQL
    // gradients below what a wrong factor could be told from.
    let network = critic.network
    let last = network.layerCount - 1
    for j in 0..<network.sizes[last + 1] { network.parameters[network.biasOffsets[last] + j] = 0 }
    // Move the target off the online network, so the TD target is not its own copy.
    for i in critic.target.parameters.indices { critic.target.parameters[i] *= 0.9 }
    _ = critic.loss(agent.sac, gradients: true)
    let gradients = critic.network.gradients
    let parameters = critic.network.parameters
    var analytic: [Float] = []
    var numeric: [Double] = []
    for i in stride(from: 0, to: parameters.count, by: 3) {
      numeric.append(
        GradientCheckTests.numeric(parameters, i, h: 1e-3) {
          critic.network.parameters = $0
          return Double(critic.loss(agent.sac, gradients: false).total)
        })
      analytic.append(gradients[i])
      critic.network.parameters = parameters
      #expect(
        Self.close(Double(gradients[i]), numeric.last!),
        "Q_C parameter \(i): analytic \(gradients[i]) numeric \(numeric.last!)")
    }
    #expect(analytic.count > 10)
    let error = SACAgentTests.relativeError(analytic, numeric)
    #expect(error < 1e-2, "Q_C gradient: relative error \(error)")
  }

  /// Every environment with the penalty on Q_C and on its excess over ε.
  static let penaltyCases = environments.flatMap { env in
    ["", ", policy_penalty: excess"].map { (env.0, env.1, $0) }
  }

  /// Q_C at the policy's actions in `sac.sampled` (discrete: at every action), sorted.
  static func policyValues(_ agent: SafeSACAgent) -> [Float] {
    let sac = agent.sac
    let critic = agent.critic
    let n = sac.config.batchSize
    let work = MLPWorkspace(for: critic.network, capacity: n)
    if critic.discrete {
      sac.batch.observations.withUnsafeBufferPointer {
        work.forward(critic.network, input: $0, rows: n)
      }
    } else {
      let d = critic.observationCount
      let m = critic.actionWidth
      var input = [Float](repeating: 0, count: n * (d + m))
      for i in 0..<n {
        for k in 0..<d { input[i * (d + m) + k] = sac.batch.observations[i * d + k] }
        for j in 0..<m { input[i * (d + m) + d + j] = sac.sampled[i * m + j] }
      }
      input.withUnsafeBufferPointer { work.forward(critic.network, input: $0, rows: n) }
    }
    return work.output.map { SafetyCritic.probability($0) }.sorted()
  }

  @Test(arguments: penaltyCases)
  func penalisedActorGradientMatchesFiniteDifferences(env: String, extra: String, penalty: String)
    throws
  {
    let (agent, replay) = try Self.agent(env: env, extra, safety: penalty)
    // Large: Q_C is small (a probability near 0.01), so λ must be for its term to show.
    agent.critic.multiplier = 300
    try Self.prepare(agent, replay)
    if agent.critic.policyPenalty == .excess {
      // ε in the widest gap between the middle values of Q_C, so some rows are charged and
      // some are not, and no row sits on the hinge within the differences' step.
      let values = Self.policyValues(agent)
      let middle = (values.count / 4)..<(3 * values.count / 4)
      let k = middle.max { values[$0 + 1] - values[$0] < values[$1 + 1] - values[$1] }!
      let epsilon = Double(values[k] + values[k + 1]) / 2
      agent.critic.startValue = agent.critic.chi - epsilon / (1 - Double(agent.critic.gamma))
      #expect(abs(agent.threshold - epsilon) < 1e-9)
    }
    // The actor's own loss (SAC's plus λ · Q_C) against central differences of it, over every
    // parameter, by the whole-vector relative error the SAC checks use.
    let sac = agent.sac
    // The loss at the actor's current parameters with the policy noise held fixed.
    func loss() -> Float {
      sac.batch.observations.withUnsafeBufferPointer {
        sac.actorWork.forward(sac.actor, input: $0, rows: sac.config.batchSize)
      }
      sac.samplePolicy(
        sac.actorWork, noise: &sac.noise, into: &sac.sampled,
        logProbabilities: &sac.logProbabilities, freshNoise: false)
      sac.fillCriticInput()
      return sac.actorStep(alpha: SACAgentTests.alpha, apply: false).0
    }
    _ = loss()
    let analytic = sac.actor.gradients
    let numeric = SACAgentTests.centralDifferences(sac.actor.parameters) { parameters in
      let saved = sac.actor.parameters
      sac.actor.parameters = parameters
      defer { sac.actor.parameters = saved }
      return Double(loss())
    }
    let error = SACAgentTests.relativeError(analytic, numeric)
    #expect(error < 1e-2, "penalised actor gradient: relative error \(error)")
  }

  @Test func reversedCQLTermRaisesQCOnThePolicysActions() throws {
    let (agent, replay) = try Self.agent(env: "gridworld/lava")
    try Self.prepare(agent, replay)
    let before = agent.critic.loss(agent.sac, gradients: false).gap
    for _ in 0..<200 { agent.critic.learn(agent.sac) }
    let after = agent.critic.loss(agent.sac, gradients: false).gap
    // The gap E_D Q_C − E_π Q_C is what the term minimises.
    #expect(after < before)
  }

  @Test func excessPenaltyLeavesAcceptedActionsAlone() throws {
    // Q_C everywhere below ε: the excess penalty charges nothing, so λ changes nothing.
    let (agent, replay) = try Self.agent(
      env: "point-nav/hazards", safety: ", policy_penalty: excess")
    try Self.prepare(agent, replay)
    Self.fixCritic(agent.critic, values: [-10])
    agent.critic.multiplier = 0
    let free = agent.sac.actorStep(alpha: SACAgentTests.alpha, apply: false).0
    let freeGradient = agent.sac.actor.gradients
    agent.critic.multiplier = 1000
    let charged = agent.sac.actorStep(alpha: SACAgentTests.alpha, apply: false).0
    #expect(free == charged && agent.sac.actor.gradients == freeGradient)
    // Above ε it charges: the same λ now moves the loss.
    Self.fixCritic(agent.critic, values: [1])
    #expect(agent.sac.actorStep(alpha: SACAgentTests.alpha, apply: false).0 > charged + 1)
    // Discrete: the actor is charged max(0, Q_C − ε) per action.
    let (lava, lavaReplay) = try Self.agent(
      env: "gridworld/lava", safety: ", policy_penalty: excess")
    try Self.prepare(lava, lavaReplay)
    let logits: [Float] = [-10, -2, 1, -2.5]  // Q_C ≈ 0.00005, 0.12, 0.73, 0.076
    Self.fixCritic(lava.critic, values: logits)
    let epsilon = Float(lava.threshold)
    var terms = [Float](repeating: -1, count: lava.sac.penaltyTerms.count)
    _ = lava.critic.actorPenalty(lava.sac, terms: &terms)
    let expected = logits.map { max(0, SafetyCritic.probability($0) - epsilon) }
    #expect(expected.filter { $0 == 0 }.count == 1 && expected.filter { $0 > 0 }.count == 3)
    for row in 0..<lava.sac.config.batchSize {
      for j in 0..<4 { #expect(abs(terms[row * 4 + j] - expected[j]) < 1e-6) }
    }
  }

  @Test(arguments: ["gridworld/lava", "point-nav/hazards"])
  func pretrainingTeachesQCBeforeTheFilterActsAndLeavesSACAlone(env: String) throws {
    let (agent, replay) = try Self.agent(
      env: env, safety: ", critic_loss: cross_entropy, critic_pretrain_steps: 300")
    let (fresh, freshReplay) = try Self.agent(env: env, safety: ", critic_loss: cross_entropy")
    let critic = agent.critic
    #expect(!critic.pretrained)
    let step = try #require(
      (0..<10).first { agent.sac.config.trainsAt(step: $0, sampleable: replay.count) })
    let actor = agent.sac.actor.parameters
    // A larger step for the pretraining (Q_C takes the actor's rate), so 300 steps show; SAC's
    // own update sets its scheduled rate again.
    agent.sac.actorOptimizer.learningRate = 0.01
    _ = agent.update(replay: replay, step: step)
    _ = fresh.update(replay: freshReplay, step: step)
    // 300 pretraining steps and SAC's one, which is the step SAC takes without pretraining
    // (λ is 0, so Q_C does not enter it, and the pretraining drew from its own stream, so
    // SAC's minibatch and, on point-nav, its policy noise are those it would have drawn).
    #expect(critic.pretrained && critic.optimizer.step == 301)
    let moved = agent.sac.actor.parameters != actor
    let same = agent.sac.actor.parameters == fresh.sac.actor.parameters
    #expect(moved && same)
    // The pretrained critic has learnt where the warm-up failed; a critic one step old has not.
    try Self.prepare(agent, replay)
    fresh.sac.batch = agent.sac.batch
    fresh.sac.sampled = agent.sac.sampled
    fresh.sac.nextSampled = agent.sac.nextSampled
    /// Mean Q_C at the logged actions of the minibatch's failures.
    func atFailures(_ agent: SafeSACAgent) -> Float {
      let critic = agent.critic
      _ = critic.loss(agent.sac, gradients: false)
      let batch = agent.sac.batch
      let m = critic.actionWidth
      var sum: Float = 0
      var count: Float = 0
      for i in 0..<batch.count where batch.costs[i] == 1 {
        let z =
          critic.discrete
          ? critic.loggedWork.output[i * m + Int(batch.actionIndices[i])]
          : critic.loggedWork.output[i]
        sum += SafetyCritic.probability(z)
        count += 1
      }
      return sum / count
    }
    // (On lava: point-nav's 200 random test steps hold too few crashes to learn from.)
    if env == "gridworld/lava" {
      let pretrained = atFailures(agent)
      let oneStep = atFailures(fresh)
      #expect(pretrained > 2 * oneStep, "Q_C at failures: \(pretrained) against \(oneStep)")
    }
    // Once: the next training update takes one step of Q_C.
    let next = try #require(
      (step + 1..<step + 10).first { agent.sac.config.trainsAt(step: $0, sampleable: replay.count) }
    )
    _ = agent.update(replay: replay, step: next)
    #expect(critic.optimizer.step == 302)
  }

  @Test func warmUpEpisodesLeaveTheFailureEstimateAlone() throws {
    let (agent, _) = try Self.agent(env: "gridworld/lava")
    var lava = try EnvironmentCatalog.make(id: "gridworld/lava")
    let observation = lava.reset(seed: 0)
    // The test agent learns from step 0: an episode whose first action came before it is the
    // warm-up's, even if learning starts before it ends; whether it counts is read at that
    // first action, not when the episode is started.
    agent.sac.currentStep = -1
    agent.episodeStarted(training: true)
    _ = observation.withUnsafeBufferPointer { agent.act($0, explore: true) }
    agent.sac.currentStep = 0
    agent.episodeEnded(return: 0, cost: 1, length: 5)
    #expect(agent.critic.startValue == 0 && agent.critic.multiplier == 0)
    agent.sac.currentStep = -1
    agent.episodeStarted(training: true)
    agent.sac.currentStep = 0
    _ = observation.withUnsafeBufferPointer { agent.act($0, explore: true) }
    agent.episodeEnded(return: 0, cost: 1, length: 5)
    #expect(abs(agent.critic.startValue - 0.05) < 1e-12 && agent.critic.multiplier > 0)
  }

  /// Sets Q_C's logits to constants (discrete: one per action) by zeroing its last weights;
  /// Q_C = σ(logit).
  static func fixCritic(_ critic: SafetyCritic, values: [Float]) {
    let network = critic.network
    let last = network.layerCount - 1
    let fanIn = network.sizes[last]
    for k in 0..<fanIn * values.count { network.parameters[network.weightOffsets[last] + k] = 0 }
    for (j, v) in values.enumerated() { network.parameters[network.biasOffsets[last] + j] = v }
  }

  @Test func discreteRejectionTakesTheSafeActionsElseTheSafest() throws {
    let (agent, _) = try Self.agent(env: "gridworld/lava")
    var lava = try EnvironmentCatalog.make(id: "gridworld/lava")
    let observation = lava.reset(seed: 0)
    // Only action 2 passes ε = (1 − γ_C) χ = 0.05 (σ(−10) ≈ 4.5e-5; σ(2) ≈ 0.88).
    Self.fixCritic(agent.critic, values: [2, 2, -10, 2])
    for _ in 0..<20 {
      let action = observation.withUnsafeBufferPointer { agent.act($0, explore: true) }
      #expect(action == .discrete(2))
    }
    #expect(agent.rejected > 0 && agent.drawn > agent.rejected)
    // None passes: the least Q_C, every draw counted as rejected.
    Self.fixCritic(agent.critic, values: [2, 0.5, 1, 1.5])
    _ = agent.statusMetrics(step: 0)
    let action = observation.withUnsafeBufferPointer { agent.act($0, explore: true) }
    #expect(action == .discrete(1))
    let rate = agent.statusMetrics(step: 0).first { $0.key == "safety/rejection_rate" }?.value
    #expect(rate == 1)
  }

  @Test func continuousRejectionAcceptsTheFirstSafeDraw() throws {
    let (agent, _) = try Self.agent(
      env: "point-nav/hazards", safety: ", failure_estimate: critic")
    var pointNav = try EnvironmentCatalog.make(id: "point-nav/hazards")
    let observation = pointNav.reset(seed: 0)
    Self.fixCritic(agent.critic, values: [-10])
    _ = observation.withUnsafeBufferPointer { agent.act($0, explore: true) }
    #expect(agent.drawn == 1 && agent.rejected == 0)
    Self.fixCritic(agent.critic, values: [1])
    _ = observation.withUnsafeBufferPointer { agent.act($0, explore: true) }
    #expect(agent.drawn == 21 && agent.rejected == 20)
    // V_C (critic estimate) moved from 0 toward Q_C at the episode's first draw of π,
    // σ(−10), by value_smoothing 0.05.
    let expected = 0.05 * Double(SafetyCritic.probability(-10))
    #expect(abs(agent.critic.startValue - expected) < 1e-9)
    #expect(abs(agent.threshold - 0.5 * (0.1 - expected)) < 1e-12)
  }

  @Test func evaluationFiltersWithItsOwnDraws() throws {
    var env = try EnvironmentCatalog.make(id: "point-nav/hazards")
    let observation = env.reset(seed: 0)
    func trainingActions(evaluating: Bool) throws -> [Action] {
      let (agent, _) = try Self.agent(env: "point-nav/hazards")
      Self.fixCritic(agent.critic, values: [1])  // nothing passes: every draw is made
      return try (0..<5).map { _ in
        if evaluating {
          let greedy = observation.withUnsafeBufferPointer { agent.act($0, explore: false) }
          let mean = observation.withUnsafeBufferPointer { agent.sac.act($0, explore: false) }
          // All candidates tie on a constant Q_C: the first, the greedy action, is kept.
          #expect(greedy == mean)
        }
        let action = observation.withUnsafeBufferPointer { agent.act($0, explore: true) }
        guard case .continuous(let values) = action else { throw RunError.unsupported("") }
        return .continuous(Array(values))
      }
    }
    #expect(try trainingActions(evaluating: true) == trainingActions(evaluating: false))
  }

  @Test func multiplierAscendsOnExcessCostAndStaysNonNegative() throws {
    let (agent, _) = try Self.agent(env: "gridworld/lava", method: "lagrangian")
    agent.episodeEnded(return: 0, cost: 1, length: 5)
    #expect(abs(agent.critic.multiplier - 0.05 * 0.9) < 1e-12)
    for _ in 0..<10 { agent.episodeEnded(return: 0, cost: 0, length: 5) }
    #expect(agent.critic.multiplier == 0)
    // The Lagrangian baseline learns from r − λ c.
    agent.critic.multiplier = 2
    var batch = TransitionBatch(
      capacity: 2, observationCount: 1, actionWidth: 1, continuous: false, extras: [.costs])
    batch.count = 2
    batch.rewards = [1, 1]
    batch.costs = [0, 1]
    agent.critic.adjustRewards(&batch)
    #expect(batch.rewards == [1, -1])
    // CSC with failure_estimate critic ascends on the critic's V_C, whatever the episode cost.
    let (csc, _) = try Self.agent(env: "gridworld/lava", safety: ", failure_estimate: critic")
    csc.critic.startValue = 0.5
    csc.episodeEnded(return: 0, cost: 0, length: 5)
    #expect(abs(csc.critic.multiplier - 0.05 * 0.4) < 1e-12 && csc.critic.startValue == 0.5)
    // With episodes (the default), V_C is the running mean of the episodes' costs and λ
    // ascends on each cost.
    let (episodes, _) = try Self.agent(env: "gridworld/lava")
    episodes.episodeEnded(return: 0, cost: 1, length: 5)
    #expect(abs(episodes.critic.startValue - 0.05) < 1e-12)
    #expect(abs(episodes.critic.multiplier - 0.05 * 0.9) < 1e-12)
    // multiplier_from policy_critic ascends on the critic's E_π Q_C over the minibatches since
    // the last episode, counted in failures per episode (× (1 − γ_C) × its 5 steps), whatever
    // the episode cost; before any gradient step it waits.
    let (policy, replay) = try Self.agent(
      env: "gridworld/lava", safety: ", multiplier_from: policy_critic, initial_multiplier: 1")
    policy.episodeEnded(return: 0, cost: 1, length: 5)
    #expect(policy.critic.multiplier == 1)
    try Self.prepare(policy, replay)
    policy.critic.learn(policy.sac)
    policy.critic.learn(policy.sac)
    let (sum, steps) = policy.critic.policySinceEpisode
    #expect(steps == 2 && sum > 0)
    policy.episodeEnded(return: 0, cost: 0, length: 5)
    #expect(abs(policy.critic.multiplier - (1 + 0.05 * (sum / 2 * 0.5 * 5 - 0.1))) < 1e-9)
    #expect(policy.critic.policySinceEpisode.steps == 0)
    // policy_excess counts only Q_C above ε: with ε = 0.05 above the fresh critic's Q_C ≈ 0.01
    // nothing, so λ falls by lr · χ; with ε < 0 (V_C 0.5) every row's Q_C + 0.2.
    func excessAgent(_ from: String, startValue: Double) throws -> SafeSACAgent {
      let (agent, replay) = try Self.agent(
        env: "gridworld/lava", safety: ", multiplier_from: \(from), initial_multiplier: 1")
      agent.critic.startValue = startValue
      try Self.prepare(agent, replay)
      agent.critic.learn(agent.sac)
      agent.critic.learn(agent.sac)
      return agent
    }
    let passing = try excessAgent("policy_excess", startValue: 0)
    #expect(passing.critic.policySinceEpisode == (0, 2))
    passing.episodeEnded(return: 0, cost: 1, length: 5)
    #expect(abs(passing.critic.multiplier - (1 - 0.05 * 0.1)) < 1e-12)
    let value = try excessAgent("policy_critic", startValue: 0.5)
    let excess = try excessAgent("policy_excess", startValue: 0.5)
    #expect(
      abs(excess.critic.policySinceEpisode.sum - (value.critic.policySinceEpisode.sum + 0.4)) < 1e-5
    )
  }

  /// policy_excess's estimate is the mean over rows of E_π max(0, Q_C − ε), each policy action
  /// charged on its own: with ε at the median of Q_C, a max taken after the expectation or the
  /// batch mean would differ.
  @Test(arguments: ["gridworld/lava", "point-nav/hazards"])
  func policyExcessChargesEachPolicyActionAboveTheThreshold(env: String) throws {
    let (agent, replay) = try Self.agent(env: env, safety: ", multiplier_from: policy_excess")
    try Self.prepare(agent, replay)
    let sac = agent.sac
    let critic = agent.critic
    let n = sac.config.batchSize
    let d = sac.observationCount
    let m = sac.actionWidth
    let work = MLPWorkspace(for: critic.network, capacity: n)
    var values: [Float] = []
    if sac.discrete {
      sac.batch.observations.withUnsafeBufferPointer {
        work.forward(critic.network, input: $0, rows: n)
      }
      for k in 0..<n * m { values.append(SafetyCritic.probability(work.output[k])) }
    } else {
      var input = [Float](repeating: 0, count: n * (d + m))
      for i in 0..<n {
        for k in 0..<d { input[i * (d + m) + k] = sac.batch.observations[i * d + k] }
        for j in 0..<m { input[i * (d + m) + d + j] = sac.sampled[i * m + j] }
      }
      input.withUnsafeBufferPointer { work.forward(critic.network, input: $0, rows: n) }
      for i in 0..<n { values.append(SafetyCritic.probability(work.output[i])) }
    }
    let epsilon = values.sorted()[values.count / 2]
    // ε = (1 − γ_C)(χ − V_C), γ_C 0.5 and χ 0.1 by default.
    critic.startValue = 0.1 - Double(epsilon) / 0.5
    var expected: Float = 0
    var weightsOfRowsAbove: Float = 0
    for i in 0..<n {
      if sac.discrete {
        for j in 0..<m {
          let p = sac.sampled[i * m + j]
          expected += p * max(0, values[i * m + j] - Float(critic.threshold)) / Float(n)
          if values[i * m + j] > epsilon { weightsOfRowsAbove += p }
        }
      } else {
        expected += max(0, values[i] - Float(critic.threshold)) / Float(n)
        if values[i] > epsilon { weightsOfRowsAbove += 1 }
      }
    }
    // Some policy actions lie below ε and some above, so the per-action max matters.
    #expect(expected > 0 && weightsOfRowsAbove > 0 && weightsOfRowsAbove < Float(n))
    let loss = critic.loss(sac, gradients: false)
    #expect(abs(loss.policyExcess - expected) <= 1e-6 + 1e-4 * expected)
    #expect(loss.policyExcess < loss.policyValue)
  }

  @Test func badSafetyInputIsAOneLineError() throws {
    func problems(_ text: String) throws -> [String] {
      do {
        _ = try ConfigLoader.load(ExperimentConfig.self, text: text, file: "bad.yaml")
        return []
      } catch { return ["\(error)"] }
    }
    let sac = "agent: {algorithm: sac}\nenv: {id: gridworld/lava}\n"
    let chi = try problems(sac + "safety: {method: csc, chi: 1.5}")
    #expect(chi.count == 1 && chi[0].contains("safety.chi") && !chi[0].contains("\n"))
    let gamma = try problems(sac + "safety: {method: csc, gamma: 1}")
    #expect(gamma.count == 1 && gamma[0].contains("safety.gamma"))
    let nStep = try problems(sac + "safety: {method: csc}\nreplay: {n_step: 3}")
    #expect(nStep.first?.contains("first step's cost") == true)
    let dqn = try problems("safety: {method: lagrangian}")
    #expect(dqn.first?.contains("stands on SAC") == true)
    // CSC's own settings do not stop the baseline: one config serves every method.
    let shared = try problems(
      sac
        + "safety: {method: lagrangian, multiplier_from: policy_critic, policy_penalty: excess, critic_loss: cross_entropy}"
    )
    #expect(shared.isEmpty)
    let method = try problems(sac + "safety: {method: safest}")
    #expect(method.first?.contains("safety.method") == true)
    // An environment without a failure signal: refused before anything is written.
    let config = try ConfigLoader.load(
      ExperimentConfig.self,
      text: "agent: {algorithm: sac}\nenv: {id: gridworld/four-rooms}\nsafety: {method: csc}",
      file: "t.yaml"
    ).config
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "safety-\(UUID().uuidString)")
    let run = TrainingRun(
      config: config, variant: "", seed: 0, directory: RunDirectory(url: directory),
      resolvedYAML: "")
    #expect {
      try run.preflight()
    } throws: { "\($0)".contains("has no failure signal") }
    #expect(!FileManager.default.fileExists(atPath: directory.path))
  }

  @Test func sameSeedSameRunAndCheckpointRoundTrips() throws {
    func trained() throws -> SafeSACAgent {
      let (agent, replay) = try Self.agent(env: "point-nav/hazards")
      for step in 1...30 { _ = agent.update(replay: replay, step: step) }
      return agent
    }
    let a = try trained()
    let b = try trained()
    #expect(a.critic.network.parameters == b.critic.network.parameters)
    #expect(a.sac.actor.parameters == b.sac.actor.parameters)
    var archive = CheckpointArchive()
    try a.save(into: &archive)
    let (c, _) = try Self.agent(env: "point-nav/hazards")
    try c.load(from: archive)
    #expect(c.critic.network.parameters == a.critic.network.parameters)
    #expect(c.critic.target.parameters == a.critic.target.parameters)
    // The policy file carries the safety critic: a policy loaded from it filters alike.
    var policy = CheckpointArchive()
    try a.savePolicy(into: &policy)
    let (d, _) = try Self.agent(env: "point-nav/hazards")
    try d.loadPolicy(from: policy)
    #expect(d.critic.network.parameters == a.critic.network.parameters)
    var env = try EnvironmentCatalog.make(id: "point-nav/hazards")
    let observation = env.reset(seed: 3)
    a.sac.currentStep = d.sac.currentStep
    let fromRun = observation.withUnsafeBufferPointer { a.act($0, explore: false) }
    let fromFile = observation.withUnsafeBufferPointer { d.act($0, explore: false) }
    #expect(fromRun == fromFile)
    // Through the policy file: rebuilt as the safe agent, its safety critic loaded.
    let config = try ConfigLoader.load(
      ExperimentConfig.self,
      text:
        "env: {id: point-nav/hazards}\nagent: {algorithm: sac, network: {hidden: [8, 8]}, batch_size: 6, learning_starts: 0}\nsafety: {method: csc, alpha: 0.7, max_samples: 20}",
      file: "t.yaml"
    ).config
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "csc-\(UUID().uuidString).rlck")
    try PolicyFile.write(
      agent: a, config: config, observationSpace: env.observationSpace,
      actionSpace: env.actionSpace, to: url)
    let loaded = try #require(try PolicyFile.load(url.path).agent as? SafeSACAgent)
    #expect(loaded.critic.network.parameters == a.critic.network.parameters)
  }
}

/// The report's safety section: return against cumulative training failures, per method.
@Suite struct SafetyReportTests {
  @Test func reportPlotsReturnAgainstFailures() throws {
    let root = try PlotFixtures.directory()
    for (variant, rate) in [("method=none", 5.0), ("method=csc", 1.0)] {
      for seed in 0..<2 {
        let url = root.appendingPathComponent("study/\(variant)/\(seed)")
        try PlotFixtures.writeRun(at: url, name: "study", variant: variant, seed: seed)
        var metrics = ""
        for step in stride(from: 1000, through: 5000, by: 1000) {
          let record = MetricsRecord(
            step: step,
            values: [
              ("eval/return_mean", Double(step) / 1000), ("eval/cost_mean", 0),
              ("safety/failures_total", rate * Double(step / 1000 + seed)),
            ])
          metrics += record.jsonLine + "\n"
        }
        try metrics.write(
          to: url.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
      }
    }
    let groups = try RunGroup.load(paths: [root.appendingPathComponent("study").path])
    let html = try StudyReport(groups: groups, outputDirectory: root).html()
    #expect(html.contains("<h2>Failures against return</h2>"))
    // Failures on the x axis of the new chart (the Safety chart has them on y only).
    #expect(html.contains("text-anchor=\"middle\">failures  (safety/failures_total)</text>"))
    // The table: final failures, mean over seeds (none: 5 × (5, 6) → 27.5; csc: 5.5).
    let table = FinalFigures(groups, metrics: ["safety/failures_total"])
    let means = table.rows.map { $0.cells[0]?.mean }
    #expect(Set(means.compactMap { $0 }) == [27.5, 5.5])
  }
}

/// A small learning outcome on the lava gridworld (seed 0, 2000 steps, the settings of
/// Configs/csc-lava.yaml): once learning starts, CSC's filter keeps training failures at the
/// warm-up's count while unconstrained SAC adds more.
@Suite struct SafetyLearningTests {
  static func failures(method: String) throws -> (warmUp: Double, total: Double) {
    let text = """
      env: {id: gridworld/lava, observation: onehot}
      steps: 2000
      agent:
        algorithm: sac
        network: {hidden: [64, 64]}
        learning_rate: 3e-4
        batch_size: 64
        learning_starts: 500
        train_freq: 2
        gradient_steps: 1
        sac: {initial_temperature: 0.05, entropy_reference: uniform}
      safety:
        method: \(method)
        alpha: 0.2
        gamma: 0.5
        critic_loss: cross_entropy
        policy_penalty: excess
        multiplier_from: policy_critic
        multiplier_learning_rate: 0.05
        critic_pretrain_steps: 500
      eval: {every: 100000, episodes: 1, final_episodes: 1}
      rank: {every: 0}
      log: {every: 500, tensorboard: false}
      checkpoint: {every: 0}
      """
    let root = try PlotFixtures.directory()
    let run = try TrainingRunTests.makeRun(root, text: text)
    try run.run()
    var totals: [Int: Double] = [:]
    for line in try String(contentsOf: run.directory.metrics, encoding: .utf8).split(
      separator: "\n")
    {
      let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      if let step = row?["step"] as? Int, let total = row?["safety/failures_total"] as? Double {
        totals[step] = total
      }
    }
    return (try #require(totals[500]), try #require(totals[2000]))
  }

  @Test func filterStopsFailuresAfterWarmUp() throws {
    let csc = try Self.failures(method: "csc")
    let none = try Self.failures(method: "none")
    // The warm-up acts at random in both, on the same draws.
    #expect(csc.warmUp == none.warmUp)
    #expect(csc.total == csc.warmUp)
    #expect(none.total > none.warmUp)
  }
}
