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

/// `ranklab bench learner`: time per gradient step against its GEMM floor.
struct BenchLearnerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "learner",
    abstract: "Time per gradient step against its GEMM floor (dqn-cartpole's shapes by default).",
    discussion: """
      --config times the learner a config builds (its environment, network, batch; the \
      first variant of a sweep), e.g. the under-parameterization study's FQI: \
      ranklab bench learner --config Configs/fqi-gridworld-gradsteps.yaml
      """)

  @Option(help: "Gradient steps to time (default: 2000 for DQN's, 200 for SAC's, 9x larger).")
  var steps: Int?

  @Flag(help: "Time SAC's gradient step instead (Pendulum shapes, SB3's batch 256, [256, 256]).")
  var sac = false

  @Option(help: "Time the learner of this config (dqn, fqi, cql or sac; its first variant).")
  var config: String?

  func validate() throws {
    if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
    if sac && config != nil { throw ValidationError("--sac and --config: give one of them") }
  }

  func run() throws {
    var experiment = ExperimentConfig()
    var label = "gradient step"
    if let config {
      guard let variant = try ExperimentPlan(file: config, overrides: []).variants.first else {
        throw CommandFailure("\(config): no variant to time")
      }
      experiment = variant.config
      label = experiment.agent.algorithm.rawValue + " gradient step"
    } else if sac {
      experiment.env.id = "Pendulum-v1"
      experiment.agent = AgentConfig.defaults(for: .sac)
      label = "SAC gradient step"
    } else {
      experiment.env.id = "CartPole-v1"
      experiment.agent = AgentConfig.defaults(for: .dqn)
      experiment.agent.network.hidden = [256, 256]
      experiment.agent.batchSize = 64
    }
    let defaultSteps = experiment.agent.algorithm == .sac ? 200 : 2_000
    let result: LearnerBenchmark.Result
    do {
      result = try LearnerBenchmark.run(experiment: experiment, steps: steps ?? defaultSteps)
    } catch { throw CommandFailure("\(error)") }
    let counts = result.gemms
    let hidden = experiment.agent.network.hidden.map(String.init).joined(separator: "x")
    print(
      label.padding(toLength: 19, withPad: " ", startingAt: 0)
        + String(format: "%8.1f us", result.gradientStepMicroseconds))
    print(
      String(
        format:
          "GEMM floor         %8.1f us  (per hidden pair: %d forward, %d weight- and %d input-gradient GEMMs; batch %d, hidden %@)",
        result.gemmFloorMicroseconds, counts.forward, counts.weightGradient, counts.inputGradient,
        experiment.agent.batchSize, hidden))
    print(
      String(
        format: "ratio to floor     %8.2f",
        result.gradientStepMicroseconds / result.gemmFloorMicroseconds))
    print(String(format: "action selection   %8.1f us  (one state)", result.actMicroseconds))
  }
}
