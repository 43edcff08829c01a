import Environments
import Foundation

/// A fixed dataset of transitions for offline training (FQI, CQL): a replay buffer saved as it
/// is stored (the same chunks, codecs and observation table as in a checkpoint), with a
/// description of where it came from.
public enum OfflineDataset {
  /// What a dataset file says about itself.
  public struct Info: Codable, Sendable, Equatable {
    public var environment: String
    public var behaviour: String
    public var seed: Int
    public var transitions: Int
    public var capacity: Int
    public var observationCount: Int
    public var actionSpace: Space
    public var returnDiscount: Float
  }

  /// Fills `replay` with `steps` transitions of uniformly random actions, continuing `env`'s
  /// episodes (reset with its own generator when one ends).
  public static func collect<E: Environment>(
    into replay: ReplayBuffer, env: inout E, observation start: [Float], rng: inout PCG64,
    steps: Int
  ) {
    randomWalk(env: &env, observation: start, rng: &rng, steps: min(steps, replay.capacity)) {
      observation, action, step, next in
      replay.add(
        observation: observation, action: action, reward: step.reward, cost: step.cost,
        end: step.end, nextObservation: next)
    }
  }

  /// Steps `env` `steps` times with uniformly random actions from `start`, handing each
  /// transition to `body`; an ended episode restarts with the environment's own generator.
  public static func randomWalk<E: Environment>(
    env: inout E, observation start: [Float], rng: inout PCG64, steps: Int,
    _ body: (UnsafeBufferPointer<Float>, Action, Step, UnsafeBufferPointer<Float>) -> Void
  ) {
    var observation = start
    var next = start
    for _ in 0..<steps {
      let action = env.actionSpace.randomAction(&rng)
      let result = next.withUnsafeMutableBufferPointer { env.step(action, into: $0) }
      observation.withUnsafeBufferPointer { o in
        next.withUnsafeBufferPointer { n in body(o, action, result, n) }
      }
      if result.end.isEnd {
        observation.withUnsafeMutableBufferPointer { env.reset(seed: nil, into: $0) }
      } else {
        swap(&observation, &next)
      }
    }
  }

  /// Writes the dataset atomically.
  public static func save(_ replay: ReplayBuffer, info: Info, to url: URL) throws {
    var archive = CheckpointArchive()
    try archive.put("dataset/info", json: info)
    try replay.save(into: &archive)
    try archive.write(to: url)
  }

  /// Reads a dataset; damage is reported with the file and byte offset.
  public static func load(from url: URL) throws -> (ReplayBuffer, Info) {
    let archive = try CheckpointArchive.read(from: url)
    let info = try archive.json("dataset/info", as: Info.self)
    do {
      return (try ReplayBuffer.read(from: archive), info)
    } catch let error as CheckpointError {
      throw CheckpointError.invalid("\(url.path): \(error)")
    }
  }
}

extension OfflineDataset {
  /// Collects the dataset an offline run with this config and seed would collect itself
  /// (same environment seed and behaviour stream), so runs from the file and in place agree.
  public static func collect(config: ExperimentConfig, seed: Int) throws -> (ReplayBuffer, Info) {
    let environment = try EnvironmentCatalog.make(id: config.env.id, options: config.env.options)
    return try collect(config: config, seed: seed, prototype: environment)
  }

  private static func collect<E: Environment>(config: ExperimentConfig, seed: Int, prototype: E)
    throws -> (ReplayBuffer, Info)
  {
    var env = prototype
    let observation = env.reset(seed: UInt64(seed))
    var rng = PCG64(seed: UInt64(seed), stream: [5])
    let steps = config.offline.datasetSteps
    var storage = config.replay
    storage.capacity = steps
    let replay = try ReplayBuffer(
      config: storage, observationCount: observation.count, actionSpace: env.actionSpace,
      discount: Float(config.agent.gamma), observationsRepeat: env.observationsRepeat)
    collect(into: replay, env: &env, observation: observation, rng: &rng, steps: steps)
    let info = Info(
      environment: config.env.id, behaviour: config.offline.behaviour.rawValue, seed: seed,
      transitions: replay.count, capacity: replay.capacity, observationCount: observation.count,
      actionSpace: env.actionSpace, returnDiscount: Float(config.agent.gamma))
    return (replay, info)
  }
}
