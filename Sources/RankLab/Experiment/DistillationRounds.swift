import Foundation
import Yams

/// Self-distillation rounds (`agent.distill.rounds: N`, Mobahi et al. 2020; Allen-Zhu & Li
/// 2020): round 1 distils the configured teachers, round k + 1 distils round k's student into a
/// fresh network of the same architecture. Each round is a run of its own in
/// `<experiment>[/<variant>]/round-K/<seed>`; every round after the first also measures its
/// agreement with the original teacher (`distill/agreement_reference`).
public enum DistillationRounds {
  /// What to do with one round's directory when the command runs (again).
  public enum Start: Equatable, Sendable {
    case fresh
    /// Continue from its newest checkpoint.
    case resume
    /// Finished before: its policy teaches the next round as it is.
    case finished
  }

  public struct Round {
    public var number: Int
    public var run: TrainingRun
    public var start: Start
  }

  /// The rounds of one seed, in the order they must run. `force`: start every round afresh.
  public static func plan(
    config: ExperimentConfig, variant: String, seed: Int, experiment: URL, force: Bool
  ) throws -> [Round] {
    guard let distill = config.agent.distill, distill.rounds > 1 else { return [] }
    var rounds: [Round] = []
    var teacher = distill.teachers
    for number in 1...distill.rounds {
      var round = config
      round.agent.distill?.rounds = 1
      round.agent.distill?.teachers = teacher
      if number > 1 && distill.reference == nil {
        round.agent.distill?.reference = distill.teachers.first
      }
      let label = (variant.isEmpty ? "" : variant + "/") + "round-\(number)"
      let directory = RunDirectory(experiment: experiment, variant: label, seed: seed)
      let yaml = try Yams.serialize(node: try NodeEncoder().encode(round), sortKeys: false)
      let run = TrainingRun(
        config: round, variant: label, seed: seed, directory: directory, resolvedYAML: yaml)
      let start = force ? Start.fresh : start(of: directory)
      if start != .fresh,
        let written = try? String(contentsOf: directory.config, encoding: .utf8),
        ExperimentConfig.differ(written: written, planned: yaml, finished: start == .finished)
      {
        // Keeping (or resuming) a round made from another config would mix two experiments.
        throw StaleRound(config: directory.config.path)
      }
      rounds.append(Round(number: number, run: run, start: start))
      teacher = [directory.url.path]
    }
    return rounds
  }

  /// A round whose run finished is kept; one with a checkpoint continues; anything else
  /// (never started, or stopped before its first checkpoint) starts again.
  static func start(of directory: RunDirectory) -> Start {
    if let data = try? Data(contentsOf: directory.runInfo),
      let info = try? JSONDecoder().decode(RunInfo.self, from: data), info.status == "finished",
      FileManager.default.fileExists(atPath: directory.policy.path)
    {
      return .finished
    }
    return directory.checkpointFiles().isEmpty ? .fresh : .resume
  }
}

/// A round directory that holds a run made from another config than this command's.
public struct StaleRound: Error, CustomStringConvertible {
  public var config: String
  public var description: String {
    "\(config) was made from another config than this command's; move the rounds away, or run with --force to train them again"
  }
}
