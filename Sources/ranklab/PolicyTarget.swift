import ArgumentParser
import Environments
import Foundation
import RankLab

/// The arguments `eval` and `adapt` share: a saved policy and the environment changes to test
/// it in.
struct PolicyTarget: ParsableArguments {
  @Argument(help: "A run directory holding policy.rlck, or a policy file.")
  var path: String

  @Option(
    name: .customLong("set"),
    help:
      "Change the environment, e.g. --set env.params.length=0.8 or --set env.blocked=true (env.* keys only; repeatable)."
  )
  var overrides: [String] = []

  func validate() throws {
    for override in overrides where !override.hasPrefix("env.") {
      throw ValidationError("--set \(override): only env.* keys can be changed here")
    }
  }

  /// The policy and the environment config with the changes applied, or a one-line failure.
  func load() throws -> (policy: PolicyFile.Loaded, env: EnvConfig) {
    let policy: PolicyFile.Loaded
    do { policy = try PolicyFile.load(path) } catch let error as PolicyError {
      throw CommandFailure(error.description)
    }
    do {
      return (policy, try EnvConfig.applying(overrides, to: policy.meta.env))
    } catch let error as ConfigError {
      throw CommandFailure(error.description)
    }
  }

  /// A multi-task policy's tasks with the changes applied to each (nil for other policies).
  func tasks(of policy: PolicyFile.Loaded) throws -> [EnvConfig]? {
    do {
      return try policy.meta.tasks?.map { try EnvConfig.applying(overrides, to: $0) }
    } catch let error as ConfigError {
      throw CommandFailure(error.description)
    }
  }

  /// Runs `body` (an evaluation of the loaded policy), turning the policy's and the
  /// environment's errors into one-line failures, the environment's naming this target's path.
  func reportingFailures<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as PolicyError {
      throw CommandFailure(error.description)
    } catch let error as EnvironmentError {
      throw CommandFailure("\(path): \(error)")
    }
  }

  /// Prints `value` as one line of JSON (keys sorted), the `--json` output of eval and adapt.
  static func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
  }
}
