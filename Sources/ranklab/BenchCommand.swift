import ArgumentParser
import Foundation
import RankLab

/// `ranklab bench`: measurements of ranklab's own speed (compare with the anchors in bench/).
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract:
      "Measure ranklab's speed (environments, learner, replay). Build with -c release first.",
    subcommands: [BenchEnvsCommand.self, BenchLearnerCommand.self, BenchReplayCommand.self])
}

/// `ranklab bench envs`: steps per second of every environment.
struct BenchEnvsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "envs",
    abstract: "Steps per second of every environment, single and batched, random actions.",
    discussion: """
      One thread. Compare with Gymnasium's own rates with bench/compare-envs.sh. Numbers from \
      a debug build are meaningless: use `swift build -c release`.
      """)

  @Option(help: "Steps to time per environment (single) and in total (batched).")
  var steps = 2_000_000

  @Option(help: "Copies stepped together in the batched measurement.")
  var batch = 64

  @Option(name: .customLong("env"), help: "Only these environment ids (repeatable).")
  var ids: [String] = []

  @Flag(help: "Print one JSON object: {\"ID\": {\"single\": SPS, \"batched\": SPS}, ...}.")
  var json = false

  func validate() throws {
    guard steps > 0, batch > 0 else {
      throw ValidationError("--steps and --batch must be positive")
    }
  }

  func run() throws {
    let rates = try EnvironmentBenchmark.run(
      steps: steps, batch: batch, ids: ids.isEmpty ? nil : ids)
    if json {
      let object = Dictionary(
        uniqueKeysWithValues: rates.map {
          ($0.id, ["single": $0.single.rounded(), "batched": $0.batched.rounded()])
        })
      let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
      print(String(decoding: data, as: UTF8.self))
      return
    }
    print(
      "environment".padding(toLength: 30, withPad: " ", startingAt: 0)
        + "      single steps/s     batched steps/s")
    for rate in rates {
      print(
        rate.id.padding(toLength: 30, withPad: " ", startingAt: 0)
          + String(format: "%20.0f%20.0f", rate.single, rate.batched))
    }
  }
}

/// `ranklab bench learner`: time per DQN gradient step against its GEMM floor.
struct BenchLearnerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "learner",
    abstract: "Time per Q-learning gradient step (dqn-cartpole's shapes) against its GEMM floor.")

  @Option(help: "Gradient steps to time (default: 2000 for DQN's, 200 for SAC's, 9x larger).")
  var steps: Int?

  @Flag(help: "Time SAC's gradient step instead (Pendulum shapes, SB3's batch 256, [256, 256]).")
  var sac = false

  func validate() throws {
    if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
  }

  func run() throws {
    if sac {
      let result = try LearnerBenchmark.runSAC(
        config: AgentConfig.defaults(for: .sac), steps: steps ?? 200)
      print(String(format: "SAC gradient step  %8.1f us", result.gradientStepMicroseconds))
      print(
        String(
          format: "GEMM floor         %8.1f us  (18 GEMMs of 256x256x256 class)",
          result.gemmFloorMicroseconds))
      print(
        String(
          format: "ratio to floor     %8.2f",
          result.gradientStepMicroseconds / result.gemmFloorMicroseconds))
      return
    }
    var config = AgentConfig()
    config.network.hidden = [256, 256]
    config.batchSize = 64
    let result = LearnerBenchmark.run(config: config, steps: steps ?? 2_000)
    print(String(format: "gradient step      %8.1f us", result.gradientStepMicroseconds))
    print(
      String(
        format: "GEMM floor         %8.1f us  (4 GEMMs of 64x256x256 class)",
        result.gemmFloorMicroseconds))
    print(
      String(
        format: "ratio to floor     %8.2f",
        result.gradientStepMicroseconds / result.gemmFloorMicroseconds))
    print(String(format: "action selection   %8.1f us  (one state, sgemv)", result.actMicroseconds))
  }
}
