import Environments
import Foundation

/// Time per gradient step of a learner against its floor: the hidden-layer GEMMs a step needs
/// (`gemmCounts`), timed alone on the same shapes.
public enum LearnerBenchmark {
  public struct Result: Sendable {
    public var gradientStepMicroseconds: Double
    public var gemmFloorMicroseconds: Double
    public var actMicroseconds: Double
    /// The GEMMs per hidden layer pair the floor counts (`gemmCounts`).
    public var gemms: (forward: Int, weightGradient: Int, inputGradient: Int)
  }

  /// How many of each hidden-layer GEMM one gradient step of the config's learner needs, per
  /// hidden layer pair, or why the floor cannot be stated. Q-learning: the online forward on s,
  /// the target forward on s′ (bootstrapped targets only: Q* and Monte-Carlo targets are
  /// looked up), an online forward on s′ for double Q or DR3, a target forward on s for
  /// advantage learning; one weight and one input gradient (two with DR3, whose term
  /// backpropagates through the s′ features too). Plain SAC: 8 forwards (actor on s and s′, two
  /// target critics, two critics for their step and again for the actor's), 5 weight gradients
  /// (two critics, the actor, and the two critics the actor's loss backpropagates through) and 5
  /// input gradients.
  public static func gemmCounts(_ experiment: ExperimentConfig) throws -> (
    forward: Int, weightGradient: Int, inputGradient: Int
  ) {
    let agent = experiment.agent
    guard agent.network.hidden.count >= 2 else {
      throw RunError.unsupported(
        "bench learner: the floor is the hidden-to-hidden GEMMs, and agent.network.hidden \(agent.network.hidden) has no such pair; give at least two hidden layers"
      )
    }
    switch agent.algorithm {
    case .dqn, .fqi, .cql, .mc:
      let q = agent.dqn ?? DQNConfig()
      let bootstraps = agent.algorithm != .mc && agent.fqi?.target != .optimal
      let dr3 = q.regularizer.kind == .dr3
      let forward =
        1 + (bootstraps ? 1 : 0) + (q.doubleQ || dr3 ? 1 : 0) + (q.advantageLearning > 0 ? 1 : 0)
      return (forward, dr3 ? 2 : 1, dr3 ? 2 : 1)
    case .sac:
      guard experiment.safety.method == .none, experiment.smerl.mode == .none else {
        throw RunError.unsupported(
          "bench learner: the floor counts plain SAC's GEMMs; this config adds a safety critic or a SMERL discriminator, whose networks it does not count (set safety.method and smerl.mode to none)"
        )
      }
      return (8, 5, 5)
    default:
      throw RunError.unsupported(
        "bench learner times dqn, fqi, cql, mc and sac learners; agent.algorithm is \(agent.algorithm.rawValue)"
      )
    }
  }

  /// Times `steps` gradient steps of the agent the experiment's config builds (through the
  /// agent catalog, as a run does) on 10,000 transitions of random actions in its environment,
  /// against the hidden-layer GEMMs such a step needs, timed alone on the same shapes.
  public static func run(experiment: ExperimentConfig, steps: Int) throws -> Result {
    let counts = try gemmCounts(experiment)
    var env = try EnvironmentCatalog.make(id: experiment.env.id, options: experiment.env.options)
    let agent = try AgentCatalog.make(
      AgentContext(
        config: experiment, observationSpace: env.observationSpace, actionSpace: env.actionSpace,
        seed: 0, tabularEnvironment: env as? any TabularEnvironment, taskCount: env.taskCount))
    let replay = try ReplayBuffer(
      config: experiment.replay, observationCount: env.observationSpace.flatCount,
      actionSpace: env.actionSpace, discount: Float(experiment.agent.gamma))
    var rng = PCG64(seed: 2)
    var observation = env.reset(seed: 0)
    for _ in 0..<10_000 {
      let action = env.actionSpace.randomAction(&rng)
      let (next, step) = env.step(action)
      observation.withUnsafeBufferPointer { o in
        next.withUnsafeBufferPointer { n in
          replay.add(
            observation: o, action: action, reward: step.reward, cost: step.cost, end: step.end,
            nextObservation: n)
        }
      }
      observation = step.end.isEnd ? env.reset(seed: nil) : next
    }
    _ = agent.train(replay: replay, gradientSteps: 20, step: 0)  // warm up
    let clock = ContinuousClock()
    let learner = clock.measure { _ = agent.train(replay: replay, gradientSteps: steps, step: 0) }
    let acting = clock.measure {
      observation.withUnsafeBufferPointer { o in
        for _ in 0..<steps { _ = agent.act(o, explore: false) }
      }
    }
    let config = experiment.agent
    let floor = gemmTimes(batch: config.batchSize, widths: config.network.hidden, steps: steps)
    let floorSeconds =
      Double(counts.forward) * floor.forward + Double(counts.weightGradient)
      * floor.weightGradient + Double(counts.inputGradient) * floor.inputGradient
    return Result(
      gradientStepMicroseconds: learner.inSeconds / Double(steps) * 1e6,
      gemmFloorMicroseconds: floorSeconds / Double(steps) * 1e6,
      actMicroseconds: acting.inSeconds / Double(steps) * 1e6, gemms: counts)
  }

  /// Seconds of the hidden-to-hidden GEMMs (the products that dominate a step) for `steps`
  /// repetitions: one forward, one weight gradient, one input gradient per layer pair.
  static func gemmTimes(batch b: Int, widths: [Int], steps: Int) -> (
    forward: Double, weightGradient: Double, inputGradient: Double
  ) {
    let clock = ContinuousClock()
    var total = (forward: 0.0, weightGradient: 0.0, inputGradient: 0.0)
    for (fanIn, fanOut) in zip(widths.dropLast(), widths.dropFirst()) {
      let a = [Float](repeating: 0.5, count: b * fanIn)
      let w = [Float](repeating: 0.01, count: fanOut * fanIn)
      var c = [Float](repeating: 0, count: b * fanOut)
      var dw = w
      var da = a
      total.forward +=
        clock.measure {
          for _ in 0..<steps {
            BLAS.gemm(
              false, true, m: b, n: fanOut, k: fanIn, a, lda: fanIn, w, ldb: fanIn, beta: 0, &c,
              ldc: fanOut)
          }
        }.inSeconds
      total.weightGradient +=
        clock.measure {
          for _ in 0..<steps {
            BLAS.gemm(
              true, false, m: fanOut, n: fanIn, k: b, c, lda: fanOut, a, ldb: fanIn, beta: 1, &dw,
              ldc: fanIn)
          }
        }.inSeconds
      total.inputGradient +=
        clock.measure {
          for _ in 0..<steps {
            BLAS.gemm(
              false, false, m: b, n: fanIn, k: fanOut, c, lda: fanOut, w, ldb: fanIn, beta: 0, &da,
              ldc: fanIn)
          }
        }.inSeconds
    }
    return total
  }
}
