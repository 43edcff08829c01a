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

    enum CodingKeys: String, CodingKey {
      case format, algorithm, agent, env, steps
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
    to url: URL
  ) throws {
    var archive = CheckpointArchive()
    try archive.put(
      "policy/meta",
      json: Meta(
        format: formatVersion, algorithm: config.agent.algorithm.rawValue,
        observationSpace: observationSpace, actionSpace: actionSpace, agent: config.agent,
        env: config.env, steps: config.steps))
    try agent.savePolicy(into: &archive)
    try archive.write(to: url)
  }

  /// Loads `path`: a policy file, or a run directory holding one.
  public static func load(_ path: String) throws -> Loaded {
    var url = URL(fileURLWithPath: path)
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      isDirectory.boolValue
    {
      url = url.appendingPathComponent(name)
      guard FileManager.default.fileExists(atPath: url.path) else {
        throw PolicyError(
          "\(path): no \(name) here; only a finished run writes one (is the run still going? `ranklab run --resume \(path)` finishes it)"
        )
      }
    } else if !FileManager.default.fileExists(atPath: path) {
      throw PolicyError("\(path): no such run directory or policy file")
    }
    let archive: CheckpointArchive
    let meta: Meta
    do {
      archive = try CheckpointArchive.read(from: url)
      meta = try archive.json("policy/meta", as: Meta.self)
    } catch {
      throw PolicyError("\(url.path): not a readable policy file (\(error))")
    }
    guard meta.format == formatVersion else {
      throw PolicyError(
        "\(url.path): policy format \(meta.format), this ranklab reads format \(formatVersion); retrain or use the ranklab that wrote it"
      )
    }
    var config = ExperimentConfig()
    config.agent = meta.agent
    config.env = meta.env
    config.steps = meta.steps
    let agent: any Agent
    do {
      agent = try AgentCatalog.make(
        AgentContext(
          config: config, observationSpace: meta.observationSpace,
          actionSpace: meta.actionSpace, seed: 0, policyOnly: true))
      try agent.loadPolicy(from: archive)
    } catch {
      throw PolicyError("\(url.path): cannot rebuild the policy (\(error))")
    }
    return Loaded(agent: agent, meta: meta, url: url)
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
