import Environments
import Foundation

/// `policy.rlck`: what a finished run leaves for acting with its agent and nothing else (no
/// replay, optimizer or target networks): a `policy/meta` section (format version, algorithm,
/// spaces, the agent's and the environment's config) and the agent's acting networks
/// (`Agent.savePolicy`). Every finished run writes one, whatever `checkpoint.every` says;
/// `ranklab eval` and distillation load it.
public enum PolicyFile {
  public static let name = "policy.rlck"
  public static let formatVersion = 1

  /// What a policy file says about itself.
  public struct Meta: Codable, Sendable {
    public var format: Int
    public var algorithm: String
    public var observationSpace: Space
    public var actionSpace: Space
    public var agent: AgentConfig
    public var env: EnvConfig
    /// Training steps of the run (schedules are built from it; acting never reads them).
    public var steps: Int
    /// SMERL's latents (absent for other agents): the actor's input includes them.
    public var smerl: SMERLConfig?
    /// The safety method (absent without one): CSC's policy is the filtered one.
    public var safety: SafetyConfig?
    /// A multi-task student's tasks (absent otherwise): it acts in `MultiTaskEnvironment` of
    /// these, its observations ending in the task id; `env` is not its environment.
    public var tasks: [EnvConfig]?

    enum CodingKeys: String, CodingKey {
      case format, algorithm, agent, env, steps, smerl, safety, tasks
      case observationSpace = "observation_space"
      case actionSpace = "action_space"
    }
  }

  /// A policy ready to act, with the environment it was trained on.
  public struct Loaded {
    public var agent: any Agent
    public var meta: Meta
    public var url: URL
  }

  public static func write(
    agent: any Agent, config: ExperimentConfig, observationSpace: Space, actionSpace: Space,
    tasks: [EnvConfig]? = nil, to url: URL
  ) throws {
    var archive = CheckpointArchive()
    try archive.put(
      "policy/meta",
      json: Meta(
        format: formatVersion, algorithm: config.agent.algorithm.rawValue,
        observationSpace: observationSpace, actionSpace: actionSpace, agent: config.agent,
        env: config.env, steps: config.steps,
        smerl: config.smerl.mode == .none ? nil : config.smerl,
        safety: config.safety.method == .none ? nil : config.safety, tasks: tasks))
    try agent.savePolicy(into: &archive)
    try archive.write(to: url)
  }

  /// Loads `path`: a policy file, or a run directory holding one. The agent acts as the run's
  /// greedy policy (`act(_:explore: false)`); its step counter starts at 0, so exploring would
  /// act as at the start of training (uniformly at random before `learning_starts`).
  public static func load(_ path: String) throws -> Loaded {
    var url = URL(fileURLWithPath: path)
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      isDirectory.boolValue
    {
      url = url.appendingPathComponent(name)
      guard FileManager.default.fileExists(atPath: url.path) else {
        // The hint fits what the directory is: a run (resume it) or something else (name the run).
        let run = URL(fileURLWithPath: path).appendingPathComponent("run.json")
        let hint =
          FileManager.default.fileExists(atPath: run.path)
          ? "only a finished run writes one (is the run still going? `ranklab run --resume \(path)` finishes it)"
          : "this is not a run directory; give a run directory (holding run.json and \(name)) or the policy file"
        throw PolicyError("\(path): no \(name) here; \(hint)")
      }
    } else if !FileManager.default.fileExists(atPath: path) {
      throw PolicyError("\(path): no such run directory or policy file")
    }
    let archive: CheckpointArchive
    let stored: StoredMeta
    do {
      archive = try CheckpointArchive.read(from: url)
      stored = try archive.json("policy/meta", as: StoredMeta.self)
    } catch {
      throw PolicyError("\(url.path): not a readable policy file (\(error))")
    }
    guard stored.format == formatVersion else {
      throw PolicyError(
        "\(url.path): policy format \(stored.format), this ranklab reads format \(formatVersion); retrain or use the ranklab that wrote it"
      )
    }
    let config = try stored.config(file: url.path)
    let meta = Meta(
      format: stored.format, algorithm: stored.algorithm,
      observationSpace: stored.observationSpace, actionSpace: stored.actionSpace,
      agent: config.agent, env: config.env, steps: config.steps,
      smerl: config.smerl.mode == .none ? nil : config.smerl,
      safety: config.safety.method == .none ? nil : config.safety,
      tasks: try stored.taskEnvironments(file: url.path))
    let agent: any Agent
    do {
      agent = try AgentCatalog.make(
        AgentContext(
          config: config, observationSpace: meta.observationSpace,
          actionSpace: meta.actionSpace, seed: 0,
          tabularEnvironment: try? EnvironmentCatalog.make(
            id: meta.env.id, options: meta.env.options)
            as? any TabularEnvironment, policyOnly: true, taskCount: meta.tasks?.count ?? 1))
      try agent.loadPolicy(from: archive)
    } catch {
      throw PolicyError("\(url.path): cannot rebuild the policy (\(error))")
    }
    return Loaded(agent: agent, meta: meta, url: url)
  }
}

/// The meta section as stored, its configs kept as JSON: they are read through the config
/// loader, as a config file is, so a file written before a key existed takes that key's default
/// (a decoder of `AgentConfig` would demand every key of today's schema).
private struct StoredMeta: Decodable {
  var format: Int
  var algorithm: String
  var observationSpace: Space
  var actionSpace: Space
  var agent: JSONValue
  var env: JSONValue
  var steps: Int
  var smerl: JSONValue?
  var safety: JSONValue?
  var tasks: [JSONValue]?

  enum CodingKeys: String, CodingKey {
    case format, algorithm, agent, env, steps, smerl, safety, tasks
    case observationSpace = "observation_space"
    case actionSpace = "action_space"
  }

  /// Each task's environment, read through the config loader as `env` is.
  func taskEnvironments(file: String) throws -> [EnvConfig]? {
    try tasks?.map { try Self.load(["env": $0], file: file).env }
  }

  func config(file: String) throws -> ExperimentConfig {
    var sections: [String: JSONValue] = [
      "agent": agent, "env": env, "steps": .integer(Int64(steps)),
    ]
    if let smerl { sections["smerl"] = smerl }
    if let safety { sections["safety"] = safety }
    return try Self.load(sections, file: file)
  }

  private static func load(_ sections: [String: JSONValue], file: String) throws
    -> ExperimentConfig
  {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let text = String(decoding: try encoder.encode(JSONValue.object(sections)), as: UTF8.self)
    do {
      return try ConfigLoader.load(ExperimentConfig.self, text: text, file: file).config
    } catch let error as ConfigError {
      throw PolicyError(
        "\(file): its saved config does not load in this ranklab (\(error.description)); retrain, or use the ranklab that wrote it"
      )
    }
  }
}

/// Why a policy file cannot be used: one line naming the file.
public struct PolicyError: Error, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

extension RunDirectory {
  public var policy: URL { url.appendingPathComponent(PolicyFile.name) }
}
