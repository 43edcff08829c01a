import Environments
import Foundation

/// Evaluates a saved policy (`ranklab eval`) on the environment it was trained on, or on that
/// environment with options changed (a perturbed test environment).
public enum PolicyEvaluation {
  /// The figures `ranklab eval` prints (`--json` prints this object).
  public struct Result: Codable, Sendable {
    public var returnMean: Double
    public var returnStd: Double
    public var costMean: Double
    public var failures: Double
    public var episodes: Int
    public var env: String
    /// A multi-task policy's figures task by task (each on the same episode seeds); the
    /// figures above pool them.
    public var tasks: [TaskResult]?

    enum CodingKeys: String, CodingKey {
      case episodes, failures, env, tasks
      case returnMean = "return_mean"
      case returnStd = "return_std"
      case costMean = "cost_mean"
    }
  }

  /// One task of a multi-task policy.
  public struct TaskResult: Codable, Sendable {
    public var task: Int
    public var env: EnvConfig
    public var returnMean: Double
    public var returnStd: Double

    enum CodingKeys: String, CodingKey {
      case task, env
      case returnMean = "return_mean"
      case returnStd = "return_std"
    }
  }

  /// Episode k starts from `reset(seed:)` with the k-th draw of `PCG64(seed: seed, stream:
  /// [8])` shifted right by one (the same form as a run's final evaluation, on a stream no run
  /// uses), so an evaluation is reproducible and its episodes can be recorded and re-simulated.
  /// A multi-task policy (`tasks`: its tasks' environments, changed as `env` would be) plays
  /// task `task`, or every task in turn.
  public static func run(
    _ policy: PolicyFile.Loaded, env: EnvConfig, episodes: Int, seed: UInt64 = 0,
    recordDirectory: URL? = nil, tasks: [EnvConfig]? = nil, task: Int? = nil
  ) throws -> Result {
    if let tasks {
      if recordDirectory != nil {
        throw PolicyError(
          "\(policy.url.path): a multi-task policy's episodes are not recorded (an episode file names one environment); leave out --record"
        )
      }
      if let task, !tasks.indices.contains(task) {
        throw PolicyError(
          "--task \(task): \(policy.url.path) has tasks 0-\(tasks.count - 1) (\(tasks.map(\.id).joined(separator: ", ")))"
        )
      }
      let environment = try checked(RunEnvironment.make(tasks: tasks), for: policy, id: "multitask")
      return try run(
        policy, environment: environment, env: env, episodes: episodes, seed: seed,
        recordDirectory: nil, tasks: tasks, only: task)
    }
    if task != nil {
      throw PolicyError(
        "--task: \(policy.url.path) is not a multi-task policy (one environment, \(env.id))")
    }
    let environment = try environment(for: policy, env: env)
    return try run(
      policy, environment: environment, env: env, episodes: episodes, seed: seed,
      recordDirectory: recordDirectory)
  }

  /// The environment `env` describes, refused unless the policy can act in it (same spaces).
  static func environment(for policy: PolicyFile.Loaded, env: EnvConfig) throws -> any Environment {
    try checked(EnvironmentCatalog.make(id: env.id, options: env.options), for: policy, id: env.id)
  }

  private static func checked(
    _ environment: any Environment, for policy: PolicyFile.Loaded, id: String
  ) throws -> any Environment {
    guard environment.observationSpace == policy.meta.observationSpace,
      environment.actionSpace == policy.meta.actionSpace
    else {
      throw PolicyError(
        "\(policy.url.path): the policy acts on \(policy.meta.observationSpace.flatCount) observation floats and \(policy.meta.actionSpace.summary) actions; \(id) with these options has \(environment.observationSpace.flatCount) and \(environment.actionSpace.summary)"
      )
    }
    return environment
  }

  private static func run<E: Environment>(
    _ policy: PolicyFile.Loaded, environment: E, env: EnvConfig, episodes: Int, seed: UInt64,
    recordDirectory: URL?, tasks: [EnvConfig]? = nil, only: Int? = nil
  ) throws -> Result {
    var environment = environment
    var generator = PCG64(seed: seed, stream: [8])
    let seeds = (0..<episodes).map { _ in generator.next() >> 1 }
    if let recordDirectory {
      var isDirectory: ObjCBool = false
      let exists = FileManager.default.fileExists(
        atPath: recordDirectory.path, isDirectory: &isDirectory)
      do {
        guard !exists || isDirectory.boolValue else { throw CocoaError(.fileWriteFileExists) }
        try FileManager.default.createDirectory(
          at: recordDirectory, withIntermediateDirectories: true)
        guard FileManager.default.isWritableFile(atPath: recordDirectory.path) else {
          throw CocoaError(.fileWriteNoPermission)
        }
      } catch {
        throw PolicyError(
          "\(recordDirectory.path): cannot record episodes here (\(exists && !isDirectory.boolValue ? "it is a file" : "the directory cannot be created or written")); give --record a writable directory"
        )
      }
    }
    let header = EpisodeHeader(
      environmentID: env.id, environmentOptions: JSONValue.encoding(env.options), seed: nil,
      agentID: policy.meta.algorithm, observationWidth: environment.observationSpace.flatCount,
      action: .init(space: environment.actionSpace), extras: policy.agent.recordedFields)
    if let tasks {
      var pooled = EvaluationResult(returns: [], lengths: [], cost: 0)
      var results: [TaskResult] = []
      for k in only.map({ [$0] }) ?? Array(tasks.indices) {
        environment.selectTask(k)
        let result = try Evaluation.run(
          &environment, agent: policy.agent, episodes: episodes, seeds: seeds)
        results.append(
          TaskResult(
            task: k, env: tasks[k], returnMean: result.mean, returnStd: result.standardDeviation))
        pooled.returns += result.returns
        pooled.cost += result.cost
      }
      return Result(
        returnMean: pooled.mean, returnStd: pooled.standardDeviation,
        costMean: pooled.cost / Double(pooled.returns.count), failures: pooled.cost,
        episodes: pooled.returns.count, env: "multitask", tasks: results)
    }
    let result = try Evaluation.run(
      &environment, agent: policy.agent, episodes: episodes, seeds: seeds
    ) { k, first in
      guard let recordDirectory else { return nil }
      var episodeHeader = header
      episodeHeader.seed = seeds[k]
      return try EpisodeWriter(
        url: recordDirectory.appendingPathComponent(String(format: "eval-%02d.rlep", k)),
        header: episodeHeader, resetObservation: first)
    }
    return Result(
      returnMean: result.mean, returnStd: result.standardDeviation,
      costMean: result.cost / Double(episodes), failures: result.cost, episodes: episodes,
      env: env.id)
  }
}
