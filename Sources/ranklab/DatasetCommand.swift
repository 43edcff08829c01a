import ArgumentParser
import Foundation
import RankLab

/// `ranklab dataset`: fixed datasets for offline training.
struct DatasetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dataset",
    abstract: "Collect or describe a fixed dataset for offline training (FQI, CQL).",
    discussion: """
      ranklab dataset collect Configs/cql-offline-gridworld.yaml --out data/fu16.rlck
      ranklab dataset info data/fu16.rlck
      Then train from it with --set offline.dataset=data/fu16.rlck.
      """,
    subcommands: [DatasetCollectCommand.self, DatasetInfoCommand.self])
}

/// `ranklab dataset collect CONFIG`.
struct DatasetCollectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "collect",
    abstract: "Collect offline.dataset_steps transitions of the config's behaviour policy.")

  @Argument(help: "The experiment config (its env and offline sections are used).")
  var config: String

  @Option(help: "Environment seed (and behaviour stream).")
  var seed = 0

  @Option(name: .customLong("set"), help: "Override a config key (repeatable).")
  var overrides: [String] = []

  @Option(help: "Output file.")
  var out: String

  func run() throws {
    guard let text = try? String(contentsOfFile: config, encoding: .utf8) else {
      throw CommandFailure(
        "cannot read config file '\(config)': no such file, or not readable UTF-8")
    }
    let loaded: ConfigLoader.Loaded<ExperimentConfig>
    do {
      loaded = try ConfigLoader.load(
        ExperimentConfig.self, text: text, file: config, overrides: overrides)
    } catch let error as ConfigError {
      throw CommandFailure(error.description)
    }
    let (replay, info) = try OfflineDataset.collect(config: loaded.config, seed: seed)
    try OfflineDataset.save(replay, info: info, to: URL(fileURLWithPath: out))
    print(
      "wrote \(out): \(info.transitions) transitions of \(info.environment) (\(info.behaviour) behaviour, seed \(seed))"
    )
  }
}

/// `ranklab dataset info FILE`.
struct DatasetInfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info", abstract: "Describe a dataset file.")

  @Argument(help: "A dataset written by `ranklab dataset collect`.")
  var file: String

  func run() throws {
    let (replay, info) = try OfflineDataset.load(from: URL(fileURLWithPath: file))
    let stats = replay.statistics()
    print("\(file)")
    print(
      "  environment   \(info.environment) (observations: \(info.observationCount) floats, actions: \(info.actionSpace.summary))"
    )
    print("  behaviour     \(info.behaviour), seed \(info.seed)")
    print("  transitions   \(replay.count)")
    print("  episodes      \(stats.episodes) finished (\(stats.terminations) terminated)")
    print(
      String(
        format: "  reward        mean %.4f per step; episode return mean %.3f", stats.meanReward,
        stats.meanReturn))
    print("  safety cost   \(Int(stats.totalCost)) total")
    let usage = replay.usage
    print(
      String(
        format: "  storage       %@ bytes (%.1f× smaller than plain columns; chunks of %d, %@)",
        "\(usage.bytes)", usage.compressionRatio, replay.chunkSize,
        replay.deduplicatesObservations ? "distinct observations stored once" : "observation rows"))
  }
}
