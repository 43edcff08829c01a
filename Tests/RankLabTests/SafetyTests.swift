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
    env: String, method: String = "csc", _ extra: String = ""
  ) throws -> (SafeSACAgent, ReplayBuffer) {
    let config = try ConfigLoader.load(
      ExperimentConfig.self,
      text: """
        env: {id: \(env)\(extra)}
        agent: {algorithm: sac, network: {hidden: [8, 8]}, batch_size: 6, learning_starts: 0}
        safety: {method: \(method), alpha: 0.7, max_samples: 20}
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

  @Test(arguments: environments)
  func safetyCriticGradientMatchesFiniteDifferences(env: String, extra: String) throws {
    let (agent, replay) = try Self.agent(env: env, extra)
    try Self.prepare(agent, replay)
    let critic = agent.critic
    // Move the target off the online network, so the TD target is not its own copy.
    for i in critic.target.parameters.indices { critic.target.parameters[i] *= 0.9 }
    _ = critic.loss(agent.sac, gradients: true)
    let analytic = critic.network.gradients
    let parameters = critic.network.parameters
    var checked = 0
    for i in stride(from: 0, to: parameters.count, by: 3) {
      let numeric = GradientCheckTests.numeric(parameters, i, h: 1e-3) {
        critic.network.parameters = $0
        return Double(critic.loss(agent.sac, gradients: false).total)
      }
      critic.network.parameters = parameters
      #expect(
        Self.close(Double(analytic[i]), numeric),
        "Q_C parameter \(i): analytic \(analytic[i]) numeric \(numeric)")
      checked += 1
    }
    #expect(checked > 10)
  }

  @Test(arguments: environments)
  func penalisedActorGradientMatchesFiniteDifferences(env: String, extra: String) throws {
    let (agent, replay) = try Self.agent(env: env, extra)
    agent.critic.multiplier = 3  // large, so the penalty dominates the actor's gradient
    try Self.prepare(agent, replay)
    SACAgentTests.checkActor(agent.sac, replay, prepared: true, close: Self.close)
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

  /// Sets Q_C's output to constants (discrete: one per action) by zeroing its last weights.
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
    // Only action 2 passes ε = (1 − γ) χ = 0.001.
    Self.fixCritic(agent.critic, values: [0.5, 0.4, -0.1, 0.3])
    for _ in 0..<20 {
      let action = observation.withUnsafeBufferPointer { agent.act($0, explore: true) }
      #expect(action == .discrete(2))
    }
    #expect(agent.rejected > 0 && agent.drawn > agent.rejected)
    // None passes: the least Q_C, every draw counted as rejected.
    Self.fixCritic(agent.critic, values: [0.5, 0.2, 0.3, 0.4])
    _ = agent.statusMetrics(step: 0)
    let action = observation.withUnsafeBufferPointer { agent.act($0, explore: true) }
    #expect(action == .discrete(1))
    let rate = agent.statusMetrics(step: 0).first { $0.key == "safety/rejection_rate" }?.value
    #expect(rate == 1)
  }

  @Test func continuousRejectionAcceptsTheFirstSafeDraw() throws {
    let (agent, _) = try Self.agent(env: "point-nav/hazards")
    var pointNav = try EnvironmentCatalog.make(id: "point-nav/hazards")
    let observation = pointNav.reset(seed: 0)
    Self.fixCritic(agent.critic, values: [-1])
    _ = observation.withUnsafeBufferPointer { agent.act($0, explore: true) }
    #expect(agent.drawn == 1 && agent.rejected == 0)
    Self.fixCritic(agent.critic, values: [1])
    _ = observation.withUnsafeBufferPointer { agent.act($0, explore: true) }
    #expect(agent.drawn == 21 && agent.rejected == 20)
    // The threshold follows V_C: the first action of the episode moved it toward Q_C = −1.
    #expect(agent.critic.startValue < 0 && agent.threshold > 0.001)
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
    let nStep = try problems(sac + "safety: {method: csc}\nreplay: {n_step: 3}")
    #expect(nStep.first?.contains("first step's cost") == true)
    let dqn = try problems("safety: {method: lagrangian}")
    #expect(dqn.first?.contains("stands on SAC") == true)
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
  }
}
