import Environments

/// Steps per second of every environment in the catalog, single and batched, with random
/// actions drawn beforehand (so the figure is the environment's cost, not the generator's).
public enum EnvironmentBenchmark {
  /// One environment's rates.
  public struct Rate: Sendable {
    public var id: String
    public var single: Double
    public var batched: Double
  }

  /// Measures each environment for `steps` steps single and `steps` steps in total across
  /// `batch` copies; `ids` limits the set (nil: every environment that needs no options).
  public static func run(steps: Int, batch: Int, ids: [String]? = nil) throws -> [Rate] {
    var rates: [Rate] = []
    for entry in EnvironmentCatalog.entries where ids?.contains(entry.id) ?? true {
      guard let env = try? entry.make(EnvironmentOptions()) else { continue }
      rates.append(measure(env, steps: steps, batch: batch))
    }
    return rates
  }

  static func measure<E: Environment>(_ prototype: E, steps: Int, batch: Int) -> Rate {
    var rng = PCG64(seed: 12345)
    let pool = (0..<4096).map { _ in prototype.actionSpace.randomAction(&rng) }
    let mask = pool.count - 1

    var env = prototype
    var observation = [Float](repeating: 0, count: prototype.observationSpace.flatCount)
    var checksum = 0.0
    let clock = ContinuousClock()
    let single = clock.measure {
      observation.withUnsafeMutableBufferPointer { buffer in
        env.reset(seed: 0, into: buffer)
        for i in 0..<steps {
          let step = env.step(pool[i & mask], into: buffer)
          checksum += step.reward
          if step.end.isEnd { env.reset(seed: nil, into: buffer) }
        }
      }
    }

    var vector = VectorEnvironment(prototype, count: batch)
    var actions = Array(pool.prefix(batch))
    let rounds = max(1, steps / batch)
    let batched = clock.measure {
      vector.reset(seed: 0)
      for r in 0..<rounds {
        for i in 0..<batch { actions[i] = pool[(r &* batch &+ i) & mask] }
        vector.step(actions)
        checksum += vector.steps[0].reward
      }
    }
    // Keeps the optimizer from discarding the loops.
    if checksum.isNaN { print("") }
    return Rate(
      id: prototype.id, single: Double(steps) / single.inSeconds,
      batched: Double(rounds * batch) / batched.inSeconds)
  }

}
