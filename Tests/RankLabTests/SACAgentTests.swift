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
    let replay = try randomReplay(config, &environment, count: 60)
    return (agent, replay, environment)
  }

  /// A replay buffer of `count` transitions of uniformly random actions on `environment`, from
  /// reset seed 1 and action stream PCG64(9).
  static func randomReplay(
    _ config: ExperimentConfig, _ environment: inout any Environment, count: Int
  ) throws -> ReplayBuffer {
    let replay = try ReplayBuffer(
      config: config.replay, observationCount: environment.observationSpace.flatCount,
      actionSpace: environment.actionSpace, discount: 0.99)
    var rng = PCG64(seed: 9)
    var observation = environment.reset(seed: 1)
    var next = observation
    for _ in 0..<count {
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
    return replay
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
    agent.computeTargets(alpha: Self.alpha)
    agent.fillCriticInput()
  }

  /// The temperature of the minibatch `prepare` draws and of the actor checks.
  static let alpha: Float = 0.7

  /// tanh hidden layers for the finite-difference checks: a ReLU unit whose pre-activation
  /// lies within a step of zero makes a central difference straddle the kink (seen here on
  /// the actor), and the MLP's own backward pass is checked for every activation in
  /// `GradientCheckTests`.
  static func smooth(_ config: inout ExperimentConfig) { config.agent.network.activation = .tanh }

  /// min(Q₁, Q₂) of the critics on `input` (rows × the critics' input), per row and output.
  static func minQ(_ agent: SACAgent, input: [Float]) -> [Double] {
    let n = agent.config.batchSize
    input.withUnsafeBufferPointer {
      agent.criticWork1.forward(agent.critic1, input: $0, rows: n)
      agent.criticWork2.forward(agent.critic2, input: $0, rows: n)
    }
    return zip(agent.criticWork1.output, agent.criticWork2.output).map { Double(min($0, $1)) }
  }

  /// The actor loss written out from its definition in Double, from actor outputs `z` (rows ×
  /// outputs), the agent's noise and its critics: continuous mean_i(α log π(a_i|s_i) − min Q(s_i,
  /// a_i)) with a = tanh(μ + σ ε); discrete mean_i Σ_a π(a|s_i)(α log π(a|s_i) − min Q(s_i, a)).
  /// Finite differences of it see neither the agent's formulas nor Float rounding of the loss.
  static func referenceActorLoss(_ agent: SACAgent, outputs z: [Double], alpha: Float) -> Double {
    let n = agent.config.batchSize
    let m = agent.actionWidth
    let d = agent.observationCount
    let alpha = Double(alpha)
    var total = 0.0
    if agent.discrete {
      let q = minQ(agent, input: Array(agent.batch.observations.prefix(n * d)))
      for i in 0..<n {
        let logits = z[i * m..<(i + 1) * m]
        let logTotal = log(logits.map { exp($0) }.reduce(0, +))
        for (j, logit) in logits.enumerated() {
          let logP = logit - logTotal
          total += exp(logP) * (alpha * logP - q[i * m + j])
        }
      }
      return total / Double(n)
    }
    var input = [Float](repeating: 0, count: n * (d + m))
    var logP = [Double](repeating: 0, count: n)
    for i in 0..<n {
      for k in 0..<d { input[i * (d + m) + k] = agent.batch.observations[i * d + k] }
      for j in 0..<m {
        let logStd = min(max(z[i * 2 * m + m + j], -20), 2)
        let e = Double(agent.noise[i * m + j])
        let t = tanh(z[i * 2 * m + j] + exp(logStd) * e)
        input[i * (d + m) + d + j] = Float(t)
        logP[i] += -0.5 * e * e - logStd - 0.5 * log(2 * Double.pi) - log(1 - t * t + 1e-6)
      }
    }
    let q = minQ(agent, input: input)
    for i in 0..<n { total += alpha * logP[i] - q[i] }
    return total / Double(n)
  }

  /// The reference loss at the actor's current parameters (the noise held fixed).
  static func referenceActorLoss(_ agent: SACAgent, alpha: Float) -> Double {
    agent.batch.observations.withUnsafeBufferPointer {
      agent.actorWork.forward(agent.actor, input: $0, rows: agent.config.batchSize)
    }
    return referenceActorLoss(agent, outputs: agent.actorWork.output.map(Double.init), alpha: alpha)
  }

  /// Central differences of `loss` in every coordinate of `x`, each step 1e-3 · max(1, |x_i|)
  /// divided by the distance Float can actually put between x_i + h and x_i − h.
  static func centralDifferences(_ x: [Float], _ loss: ([Float]) -> Double) -> [Double] {
    var shifted = x
    return x.indices.map { i in
      let h = 1e-3 * max(1, abs(x[i]))
      shifted[i] = x[i] + h
      let plus = loss(shifted)
      let up = shifted[i]
      shifted[i] = x[i] - h
      let minus = loss(shifted)
      let down = shifted[i]
      shifted[i] = x[i]
      return (plus - minus) / (Double(up) - Double(down))
    }
  }

  /// ‖analytic − numeric‖ / ‖numeric‖ over the whole vector.
  static func relativeError(_ analytic: [Float], _ numeric: [Double]) -> Double {
    var difference = 0.0
    var norm = 0.0
    for (a, b) in zip(analytic, numeric) {
      difference += (Double(a) - b) * (Double(a) - b)
      norm += b * b
    }
    return (difference / norm).squareRoot()
  }

  /// An analytic gradient beside its central-difference estimate.
  typealias Pair = (analytic: [Float], numeric: [Double])

  /// The actor's gradient at temperature `alpha` on the minibatch and noise `prepare` drew,
  /// the agent's and by central differences of the reference loss, with respect to the actor's
  /// outputs (μ and log σ, or the logits) and every actor parameter; continuous: also dL/da
  /// through min Q (the critics' input gradients at the action columns) against −mean min Q
  /// differenced in the sampled actions.
  static func actorGradients(_ agent: SACAgent, alpha: Float) -> [String: Pair] {
    let n = agent.config.batchSize
    let m = agent.actionWidth
    let d = agent.observationCount
    agent.batch.observations.withUnsafeBufferPointer {
      agent.actorWork.forward(agent.actor, input: $0, rows: n)
    }
    agent.samplePolicy(
      agent.actorWork, noise: &agent.noise, into: &agent.sampled,
      logProbabilities: &agent.logProbabilities, freshNoise: false)
    agent.fillCriticInput()
    let (loss, _) = agent.actorStep(alpha: alpha, apply: false)
    var pairs: [String: Pair] = [:]
    let parameterGradient = agent.actor.gradients
    let outputGradient = agent.actorGradient
    if !agent.discrete {
      // Each critic is the lower one in some rows, so losing either's path shows.
      let lowerIsFirst = (0..<n).filter {
        agent.criticWork1.output[$0] <= agent.criticWork2.output[$0]
      }.count
      #expect(
        lowerIsFirst > 0 && lowerIsFirst < n,
        "critic 1 is the lower in \(lowerIsFirst) of \(n) rows")
      let da1 = agent.criticWork1.delta(layer: 0)
      let da2 = agent.criticWork2.delta(layer: 0)
      var actionGradient: [Float] = []
      for i in 0..<n {
        for j in 0..<m {
          actionGradient.append(da1[i * (d + m) + d + j] + da2[i * (d + m) + d + j])
        }
      }
      let input = agent.criticInput
      pairs["action"] = (
        actionGradient,
        centralDifferences(agent.sampled) { a in
          var shifted = input
          for i in 0..<n { for j in 0..<m { shifted[i * (d + m) + d + j] = a[i * m + j] } }
          return -minQ(agent, input: shifted).reduce(0, +) / Double(n)
        }
      )
    }
    let z = agent.actorWork.output.map(Double.init)
    // The reference is the loss the agent reports.
    let reference = referenceActorLoss(agent, outputs: z, alpha: alpha)
    #expect(abs(reference - Double(loss)) < 1e-5 * max(1, abs(Double(loss))), "α = \(alpha)")
    pairs["outputs"] = (
      outputGradient,
      centralDifferences(z.map(Float.init)) {
        referenceActorLoss(agent, outputs: $0.map(Double.init), alpha: alpha)
      }
    )
    let parameters = agent.actor.parameters
    pairs["parameters"] = (
      parameterGradient,
      centralDifferences(parameters) { shifted in
        agent.actor.parameters = shifted
        return referenceActorLoss(agent, alpha: alpha)
      }
    )
    agent.actor.parameters = parameters
    return pairs
  }

  /// Relative errors of the actor's gradient, each part of the loss checked on its own so that
  /// a small part cannot hide under a large one: the Q term alone (α = 0), the whole loss at
  /// α = 0.7, and the entropy term alone (the gradient is linear in α: the difference of the
  /// two, over α).
  static func checkActor(_ agent: SACAgent, _ replay: ReplayBuffer) -> [String: Double] {
    prepare(agent, replay)
    let qTerm = actorGradients(agent, alpha: 0)
    let whole = actorGradients(agent, alpha: Self.alpha)
    var errors: [String: Double] = [:]
    for (place, q) in qTerm {
      let w = whole[place]!
      if place == "action" {
        errors[place] = relativeError(q.analytic, q.numeric)
        continue
      }
      errors["\(place), Q term"] = relativeError(q.analytic, q.numeric)
      errors["\(place), whole"] = relativeError(w.analytic, w.numeric)
      errors["\(place), entropy term"] = relativeError(
        zip(w.analytic, q.analytic).map { $0 - $1 }, zip(w.numeric, q.numeric).map { $0 - $1 })
    }
    return errors
  }

  @Test(arguments: ["Pendulum-v1", "CartPole-v1"])
  func actorGradientMatchesFiniteDifferences(env: String) throws {
    // 32 rows: each critic is the lower one in some of them.
    let (agent, replay, _) = try Self.agent(env: env, batch: 32, Self.smooth)
    #expect(agent.discrete == (env == "CartPole-v1"))
    let errors = Self.checkActor(agent, replay)
    #expect(errors.count == (agent.discrete ? 6 : 7))
    for (place, error) in errors {
      #expect(error < 1e-2, "\(env): actor gradient w.r.t. \(place): relative error \(error)")
    }
  }

  @Test(arguments: ["Pendulum-v1", "CartPole-v1"])
  func criticGradientMatchesFiniteDifferences(env: String) throws {
    let (agent, replay, _) = try Self.agent(env: env, Self.smooth)
    Self.prepare(agent, replay)
    _ = agent.criticStep(apply: false)
    let analytic = agent.critic1.gradients
    let n = agent.config.batchSize
    let width = agent.discrete ? agent.actionWidth : 1
    // critic 1's half of ½ (MSE₁ + MSE₂), in Double.
    let numeric = Self.centralDifferences(agent.critic1.parameters) { shifted in
      agent.critic1.parameters = shifted
      agent.criticInput.withUnsafeBufferPointer {
        agent.criticWork1.forward(agent.critic1, input: $0, rows: n)
      }
      var loss = 0.0
      for i in 0..<n {
        let k = i * width + (agent.discrete ? Int(agent.batch.actionIndices[i]) : 0)
        let error = Double(agent.criticWork1.output[k]) - Double(agent.targets[i])
        loss += 0.5 * error * error / Double(n)
      }
      return loss
    }
    let error = Self.relativeError(analytic, numeric)
    #expect(error < 1e-2, "\(env): critic gradient relative error \(error)")
  }

  @Test(arguments: ["Pendulum-v1", "CartPole-v1"])
  func temperatureGradientMatchesFiniteDifferences(env: String) throws {
    // L(log α) = −log α · mean(log π + H̄) on one step's minibatch, at log α and log α ± h:
    // agents alike but for log α draw the same minibatch and noise, and the step computes the
    // loss before it updates anything.
    let center: Float = 0.3
    let h: Float = 1e-2
    var losses: [Float] = []
    var gradient: Float = 0
    var entropy = 0.0
    var targetEntropy = 0.0
    for logAlpha in [center + h, center - h, center] {
      let (agent, replay, _) = try Self.agent(env: env)
      agent.logTemperature[0] = logAlpha
      losses.append(agent.trainStep(replay: replay).3)
      gradient = agent.temperatureGradientBuffer[0]
      // The policy's entropy on the minibatch, from the log-probabilities of the step.
      let n = agent.config.batchSize
      let m = agent.actionWidth
      entropy = 0
      for i in 0..<n {
        if agent.discrete {
          for j in 0..<m {
            entropy -=
              Double(agent.sampled[i * m + j] * agent.logProbabilities[i * m + j]) / Double(n)
          }
        } else {
          entropy -= Double(agent.logProbabilities[i]) / Double(n)
        }
      }
      targetEntropy = Double(agent.targetEntropy)
    }
    let numeric = Double(losses[0] - losses[1]) / Double((center + h) - (center - h))
    #expect(
      abs(Double(gradient) - numeric) < 1e-3 * max(1, abs(numeric)),
      "\(env): analytic \(gradient) numeric \(numeric)")
    // −d/d log α of the loss is mean(log π) + H̄ = H̄ − entropy.
    #expect(abs(Double(gradient) - (entropy - targetEntropy)) < 1e-5, "\(env)")
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
        let expected =
          Double(batch.discounts[i] * (1 - batch.terminals[i])) * Double(Self.alpha) * hMax
        #expect(abs(Double(targets[0][i] - targets[1][i]) - expected) < 1e-5, "\(env) row \(i)")
      }
    }
  }

  @Test func discreteSACLearnsToCrossTheOpenRoom() throws {
    // Discrete SAC with the uniform entropy reference and a small initial temperature (as
    // Configs/sac-discrete-gridworld.yaml) on the 8x8 room, goal 14 steps away: measured, the
    // greedy policy reaches the goal by 5000 steps on seeds 0, 1 and 2.
    let text = """
      name: room
      steps: 5000
      env: {id: gridworld/open-room, observation: onehot}
      agent:
        algorithm: sac
        network: {hidden: [32, 32]}
        learning_rate: 1e-3
        batch_size: 32
        learning_starts: 500
        sac: {initial_temperature: 0.05, entropy_reference: uniform}
      replay: {capacity: 5000}
      eval: {every: 500, episodes: 1, final_episodes: 3}
      rank: {every: 0}
      checkpoint: {every: 0}
      log: {every: 500}
      """
    let run = try TrainingRunTests.makeRun(try temporaryDirectory(), text: text)
    let summary = try run.run()
    let rows = try TrainingRunTests.metrics(run.directory)
    // At step 500 nothing has been learnt: the greedy policy never arrives, and the random
    // actions of the warm-up reach the goal in a minority of episodes.
    #expect(rows.first { $0.values["eval/return_mean"] != nil }?.values["eval/return_mean"] == 0)
    let episodeReturns = rows.compactMap { $0.values["train/episode_return"] }
    #expect(episodeReturns.first.map { $0 < 0.5 } == true, "\(episodeReturns)")
    // After training the greedy policy reaches the goal in every final episode, and so do
    // nearly all training episodes.
    #expect(summary.finalReturnMean == 1)
    #expect(episodeReturns.last.map { $0 >= 0.9 } == true, "\(episodeReturns)")
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
