import Environments
import Foundation

/// Time per gradient step of the Q-learning update against its floor: the four 64×256×256-class
/// GEMMs a step needs (online forward, target forward, two backward), timed alone.
public enum LearnerBenchmark {
  public struct Result: Sendable {
    public var gradientStepMicroseconds: Double
    public var gemmFloorMicroseconds: Double
    public var actMicroseconds: Double
  }

  /// Measures `steps` gradient steps of an agent built from `config` on CartPole-shaped data.
  public static func run(config: AgentConfig, steps: Int) -> Result {
    var initRNG = PCG64(seed: 0)
    let agent = QLearningAgent(
      config: config, observationCount: 4, actionCount: 2, totalSteps: 50_000, initRNG: &initRNG,
      rng: PCG64(seed: 1))
    let replay = ReplayBuffer(capacity: 10_000, observationCount: 4, actionSpace: .discrete(2))
    var env = CartPole()
    var rng = PCG64(seed: 2)
    var observation = env.reset(seed: 0)
    for _ in 0..<10_000 {
      let action = Action.discrete(rng.nextInt(below: 2))
      let (next, step) = env.step(action)
      observation.withUnsafeBufferPointer { o in
        next.withUnsafeBufferPointer { n in
          replay.add(
            observation: o, action: action, reward: step.reward, cost: 0, end: step.end,
            nextObservation: n)
        }
      }
      observation = step.end.isEnd ? env.reset(seed: nil) : next
    }
    _ = agent.train(replay: replay, gradientSteps: 50, step: 0)  // warm up
    let clock = ContinuousClock()
    let learner = clock.measure { _ = agent.train(replay: replay, gradientSteps: steps, step: 0) }
    let acting = clock.measure {
      observation.withUnsafeBufferPointer { o in
        for _ in 0..<steps { _ = agent.act(o, explore: false) }
      }
    }

    // The floor: the big GEMMs alone, on the same shapes: online and target forward, then the
    // two backward products.
    let floor = gemmTimes(batch: config.batchSize, widths: config.network.hidden, steps: steps)
    let floorSeconds = 2 * floor.forward + floor.weightGradient + floor.inputGradient
    return Result(
      gradientStepMicroseconds: learner.inSeconds / Double(steps) * 1e6,
      gemmFloorMicroseconds: floorSeconds / Double(steps) * 1e6,
      actMicroseconds: acting.inSeconds / Double(steps) * 1e6)
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

  /// One SAC gradient step on Pendulum-shaped data (3 observation floats, 1 action) against its
  /// floor: per hidden layer pair, 8 forwards (actor on s and s′, two target critics, two critics
  /// for their step and again for the actor's), 5 weight gradients (two critics, the actor, and
  /// the two critics the actor's loss backpropagates through) and 5 input gradients.
  public static func runSAC(config: AgentConfig, steps: Int) throws -> Result {
    var experiment = ExperimentConfig()
    experiment.env.id = "Pendulum-v1"
    experiment.agent = config
    let space = Pendulum().actionSpace
    let agent = try SACAgent(
      context: AgentContext(
        config: experiment, observationSpace: Pendulum().observationSpace, actionSpace: space,
        seed: 0))
    let replay = ReplayBuffer(capacity: 10_000, observationCount: 3, actionSpace: space)
    var env = Pendulum()
    var rng = PCG64(seed: 2)
    var observation = env.reset(seed: 0)
    for _ in 0..<10_000 {
      let action = space.randomAction(&rng)
      let (next, step) = env.step(action)
      observation.withUnsafeBufferPointer { o in
        next.withUnsafeBufferPointer { n in
          replay.add(
            observation: o, action: action, reward: step.reward, cost: 0, end: step.end,
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
    let floor = gemmTimes(batch: config.batchSize, widths: config.network.hidden, steps: steps)
    let floorSeconds = 8 * floor.forward + 5 * floor.weightGradient + 5 * floor.inputGradient
    return Result(
      gradientStepMicroseconds: learner.inSeconds / Double(steps) * 1e6,
      gemmFloorMicroseconds: floorSeconds / Double(steps) * 1e6,
      actMicroseconds: acting.inSeconds / Double(steps) * 1e6)
  }
}
