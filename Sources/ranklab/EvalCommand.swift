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
      """)

  @OptionGroup var target: PolicyTarget

  @Option(help: "Episodes to evaluate.")
  var episodes = 20

  @Option(help: "Seed of the episode seeds.")
  var seed: UInt64 = 0

  @Option(help: "Record every episode as an .rlep file into this directory.")
  var record: String?

  @Flag(help: "Print one JSON object: return_mean, return_std, cost_mean, failures, episodes, env.")
  var json = false

  func validate() throws {
    guard episodes >= 1 else { throw ValidationError("--episodes must be at least 1") }
  }

  func run() throws {
    let (policy, env) = try target.load()
    let result = try target.reportingFailures {
      try PolicyEvaluation.run(
        policy, env: env, episodes: episodes, seed: seed,
        recordDirectory: record.map { URL(fileURLWithPath: $0) })
    }
    if json {
      try PolicyTarget.printJSON(result)
    } else {
      print(
        String(
          format:
            "%@ on %@: return %.2f ± %.2f, cost %.3f per episode (%.0f failures) over %d episodes",
          policy.meta.algorithm, env.id, result.returnMean, result.returnStd, result.costMean,
          result.failures, result.episodes))
    }
  }
}
