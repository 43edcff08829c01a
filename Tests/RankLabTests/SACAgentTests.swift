import Environments
import Foundation
import Testing

@testable import RankLab

/// SAC's gradients against finite differences (the actor's through the reparameterised sample
/// and the critics to the action; the discrete actor's through the softmax; the critics'), its
/// determinism and checkpoint round trip, and a small learning outcome.
@Suite struct SACAgentTests {
  static func agent(
    env: String, seed: Int = 0, batch: Int = 6, _ edit: (inout ExperimentConfig) -> Void = { _ in }
  )
    throws -> (SACAgent, ReplayBuffer, any Environment)
  {
    var config = try ConfigLoader.load(
      ExperimentConfig.self,
      text:
        "env: {id: \(env)}\nagent: {algorithm: sac, network: {hidden: [8, 8]}, batch_size: \(batch), learning_starts: 0}",
      file: "t.yaml"
    ).config
    edit(&config)
    var environment = try EnvironmentCatalog.make(id: config.env.id, options: config.env.options)
    let agent = try SACAgent(
      context: AgentContext(
        config: config, observationSpace: environment.observationSpace,
        actionSpace: environment.actionSpace, seed: seed))
    let replay = try ReplayBuffer(
      config: config.replay, observationCount: environment.observationSpace.flatCount,
      actionSpace: environment.actionSpace, discount: 0.99)
    var rng = PCG64(seed: 9)
    var observation = environment.reset(seed: 1)
    var next = observation
    for _ in 0..<60 {
      let action = environment.actionSpace.randomAction(&rng)
      let step = next.withUnsafeMutableBufferPointer { environment.step(action, into: $0) }
      observation.withUnsafeBufferPointer { o in
        next.withUnsafeBufferPointer { n in
          replay.add(
            observation: o, action: action, reward: step.reward, cost: 0, end: step.end,
            nextObservation: n)
        }
      }
      if step.end.isEnd { observation = environment.reset(seed: nil) } else { observation = next }
      next = observation
    }
    return (agent, replay, environment)
  }

  /// Prepares one minibatch: actions sampled for s (fixed noise afterwards), targets, inputs
  /// (`sampled`: the minibatch is already in `agent.batch`).
  static func prepare(_ agent: SACAgent, _ replay: ReplayBuffer, sampled: Bool = false) {
    var rng = PCG64(seed: 4)
    if !sampled { replay.sample(into: &agent.batch, rng: &rng) }
    agent.batch.observations.withUnsafeBufferPointer {
      agent.actorWork.forward(agent.actor, input: $0, rows: agent.config.batchSize)
    }
    agent.samplePolicy(
      agent.actorWork, noise: &agent.noise, into: &agent.sampled,
      logProbabilities: &agent.logProbabilities)
    agent.computeTargets(alpha: 0.7)
    agent.fillCriticInput()
  }

  /// The actor loss at the actor's current parameters with the noise held fixed.
  static func actorLoss(_ agent: SACAgent) -> Double {
    agent.batch.observations.withUnsafeBufferPointer {
      agent.actorWork.forward(agent.actor, input: $0, rows: agent.config.batchSize)
    }
    agent.samplePolicy(
      agent.actorWork, noise: &agent.noise, into: &agent.sampled,
      logProbabilities: &agent.logProbabilities, freshNoise: false)
    agent.fillCriticInput()
    return Double(agent.actorStep(alpha: 0.7, apply: false).0)
  }

  /// `close`: the comparison (default: 3e-2, relative above 1, absolute below).
  static func checkActor(
    _ agent: SACAgent, _ replay: ReplayBuffer, prepared: Bool = false,
    close: (Double, Double) -> Bool = { GradientCheckTests.close($0, $1, tolerance: 3e-2) }
  ) {
    if !prepared { prepare(agent, replay) }
    _ = actorLoss(agent)
    let analytic = agent.actor.gradients
    let parameters = agent.actor.parameters
    var checked = 0
    for i in stride(from: 0, to: parameters.count, by: 5) {
      let numeric = GradientCheckTests.numeric(parameters, i, h: 1e-3) {
        agent.actor.parameters = $0
        return actorLoss(agent)
      }
      agent.actor.parameters = parameters
      #expect(
        close(Double(analytic[i]), numeric),
        "actor parameter \(i): analytic \(analytic[i]) numeric \(numeric)")
      checked += 1
    }
    #expect(checked > 10)
  }

  @Test func continuousActorGradientMatchesFiniteDifferences() throws {
    let (agent, replay, _) = try Self.agent(env: "Pendulum-v1")
    Self.checkActor(agent, replay)
  }

  @Test func discreteActorGradientMatchesFiniteDifferences() throws {
    let (agent, replay, _) = try Self.agent(env: "CartPole-v1")
    #expect(agent.discrete)
    Self.checkActor(agent, replay)
  }

  @Test(arguments: ["Pendulum-v1", "CartPole-v1"])
  func criticGradientMatchesFiniteDifferences(env: String) throws {
    let (agent, replay, _) = try Self.agent(env: env)
    Self.prepare(agent, replay)
    _ = agent.criticStep(apply: false)
    let analytic = agent.critic1.gradients
    let parameters = agent.critic1.parameters
    for i in stride(from: 0, to: parameters.count, by: 5) {
      let numeric = GradientCheckTests.numeric(parameters, i, h: 1e-3) {
        agent.critic1.parameters = $0
        return Double(agent.criticStep(apply: false))
      }
      agent.critic1.parameters = parameters
      #expect(
        GradientCheckTests.close(Double(analytic[i]), numeric, tolerance: 3e-2),
        "critic parameter \(i): analytic \(analytic[i]) numeric \(numeric)")
    }
  }

  @Test func sameSeedSameParametersAndCheckpointsRoundTrip() throws {
    let (a, replay, _) = try Self.agent(env: "Pendulum-v1")
    let (b, _, _) = try Self.agent(env: "Pendulum-v1")
    _ = a.train(replay: replay, gradientSteps: 3, step: 1)
    _ = b.train(replay: replay, gradientSteps: 3, step: 1)
    #expect(
      a.actor.parameters == b.actor.parameters && a.critic2.parameters == b.critic2.parameters)
    var archive = CheckpointArchive()
    try a.save(into: &archive)
    let (c, _, _) = try Self.agent(env: "Pendulum-v1", seed: 5)
    try c.load(from: archive)
    _ = a.train(replay: replay, gradientSteps: 2, step: 2)
    _ = c.train(replay: replay, gradientSteps: 2, step: 2)
    #expect(
      a.actor.parameters == c.actor.parameters && a.target1.parameters == c.target1.parameters)
    #expect(a.logTemperature == c.logTemperature)
  }

  @Test func temperatureMovesTheEntropyTowardItsTarget() throws {
    // CartPole's policy entropy lies in [0, log 2]: a target below it lowers α, above it raises α.
    for (target, falls) in [(-1.0, true), (1.0, false)] {
      let (agent, replay, _) = try Self.agent(env: "CartPole-v1") {
        $0.agent.sac?.targetEntropy = target
      }
      let figures = agent.train(replay: replay, gradientSteps: 5, step: 1)
      #expect(falls ? agent.temperature < 1 : agent.temperature > 1, "target \(target)")
      let entropy = figures.first { $0.key == "train/entropy" }?.value ?? -1
      #expect(entropy > 0 && entropy <= log(2) + 1e-6)
    }
  }

  @Test func uniformEntropyReferenceShiftsEveryBootstrappedTargetByAlphaHMax() throws {
    // The same agent and minibatch with the bonus measured from zero and from the uniform
    // policy: targets differ by exactly γ^k (1 − terminal) α H_max, H_max = log |A| (discrete)
    // or |A| log 2 (the tanh box).
    for (env, hMax) in [("CartPole-v1", log(2.0)), ("Pendulum-v1", log(2.0))] {
      var targets: [[Float]] = []
      var agents: [SACAgent] = []
      for reference in SACConfig.EntropyReference.allCases {
        let (agent, replay, _) = try Self.agent(env: env) {
          $0.agent.sac?.entropyReference = reference
        }
        Self.prepare(agent, replay)
        targets.append(agent.targets)
        agents.append(agent)
      }
      let batch = agents[1].batch
      for i in 0..<agents[1].config.batchSize {
        let expected = Double(batch.discounts[i] * (1 - batch.terminals[i])) * 0.7 * hMax
        #expect(abs(Double(targets[0][i] - targets[1][i]) - expected) < 1e-5, "\(env) row \(i)")
      }
    }
  }

  @Test func boxesWithoutBoundsAreRefused() throws {
    var config = ExperimentConfig()
    config.agent = AgentConfig.defaults(for: .sac)
    #expect(throws: RunError.self) {
      _ = try SACAgent(
        context: AgentContext(
          config: config, observationSpace: .box(low: [0], high: [1]),
          actionSpace: .box(low: [-.infinity], high: [.infinity]), seed: 0))
    }
  }
}
