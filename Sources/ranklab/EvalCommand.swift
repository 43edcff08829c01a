import ArgumentParser
import Environments
import Foundation
import RankLab

/// `ranklab eval`: evaluates a finished run's saved policy, on its own environment or a changed one.
struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract:
      "Evaluate a finished run's policy (policy.rlck) on its environment or a perturbed one.",
    discussion: """
      Episode seeds are the evaluation's own (PCG64 stream 8 of --seed), so the numbers repeat \
      and differ from the run's final evaluation.
      Examples:
        ranklab eval runs/sac-pendulum/0
        ranklab eval runs/sac-pendulum/0 --set env.params.m=1.5 --episodes 50 --json
        ranklab eval runs/dqn-gridworld/0 --set env.blocked=true --record out/
      A multi-task student (agent.distill.multitask) plays each of its tasks in turn, on the \
      same episode seeds, and prints each task's return; --task K plays task K alone:
        ranklab eval runs/distill-multitask-gridworld/0 --task 1
      """)

  @OptionGroup var target: PolicyTarget

  @Option(help: "Episodes to evaluate.")
  var episodes = 20

  @Option(help: "Seed of the episode seeds.")
  var seed: UInt64 = 0

  @Option(help: "Record every episode as an .rlep file into this directory.")
  var record: String?

  @Option(help: "A multi-task policy's task to play (0-based; default: every task in turn).")
  var task: Int?

  @Flag(help: "Print one JSON object: return_mean, return_std, cost_mean, failures, episodes, env.")
  var json = false

  func validate() throws {
    guard episodes >= 1 else { throw ValidationError("--episodes must be at least 1") }
  }

  func run() throws {
    let (policy, env) = try target.load()
    let tasks = try target.tasks(of: policy)
    let result = try target.reportingFailures {
      try PolicyEvaluation.run(
        policy, env: env, episodes: episodes, seed: seed,
        recordDirectory: record.map { URL(fileURLWithPath: $0) }, tasks: tasks, task: task)
    }
    if json {
      try PolicyTarget.printJSON(result)
    } else {
      for task in result.tasks ?? [] {
        print(
          String(
            format: "task %d (%@): return %.2f ± %.2f over %d episodes", task.task,
            Self.describe(task.env), task.returnMean, task.returnStd, episodes))
      }
      print(
        String(
          format:
            "%@ on %@: return %.2f ± %.2f, cost %.3f per episode (%.0f failures) over %d episodes",
          policy.meta.algorithm, result.tasks == nil ? env.id : "its tasks", result.returnMean,
          result.returnStd, result.costMean,
          result.failures, result.episodes))
    }
  }

  /// An environment config in one line: its id and the options it sets.
  static func describe(_ env: EnvConfig) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let options = (try? encoder.encode(env.options)).map { String(decoding: $0, as: UTF8.self) }
    return options == nil || options == "{}" ? env.id : "\(env.id) \(options ?? "")"
  }
}
