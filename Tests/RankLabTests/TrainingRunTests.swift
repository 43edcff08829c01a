import Environments
import Foundation
import Testing

@testable import RankLab

/// Runs are deterministic, and a run interrupted after a checkpoint resumes to exactly the rows
/// an uninterrupted run writes.
@Suite(.serialized) struct TrainingRunTests {
  static let smallConfig = """
    name: tiny
    steps: 3000
    env: {id: gridworld/four-rooms, observation: rowcol_onehot}
    agent:
      network: {hidden: [32, 32]}
      learning_rate: 1e-3
      batch_size: 32
      train_freq: 4
      gradient_steps: 1
      learning_starts: 200
      dqn:
        target_update: {every: 200}
        exploration: {fraction: 0.5}
        regularizer: {kind: srank_penalty, coefficient: 1e-3}
    replay: {capacity: 2000}
    eval: {every: 1000, episodes: 3, final_episodes: 3}
    rank: {every: 500, probe_size: 64, ntk_velocity: true}
    checkpoint: {every: 1000}
    log: {every: 250}
    """

  static func makeRun(_ root: URL, text: String = smallConfig, seed: Int = 0) throws -> TrainingRun
  {
    let loaded = try ConfigLoader.load(ExperimentConfig.self, text: text, file: "tiny.yaml")
    let run = TrainingRun(
      config: loaded.config, variant: "", seed: seed,
      directory: RunDirectory(
        experiment: root.appendingPathComponent("tiny"), variant: "", seed: seed),
      resolvedYAML: loaded.resolvedYAML)
    run.showProgress = false
    return run
  }

  /// metrics.jsonl without the wall-clock keys (`time/steps_per_s`, `replay/sample_us`),
  /// which no two runs share.
  static func rows(_ directory: RunDirectory) throws -> [String] {
    try String(contentsOf: directory.metrics, encoding: .utf8).split(separator: "\n").map { line in
      line.replacingOccurrences(
        of: #","(time/steps_per_s|replay/sample_us)":[^,}]*"#, with: "",
        options: .regularExpression)
    }
  }

  @Test func sameSeedSameNumbers() throws {
    let a = try Self.makeRun(try temporaryDirectory())
    let b = try Self.makeRun(try temporaryDirectory())
    try a.run()
    try b.run()
    #expect(try Self.rows(a.directory) == Self.rows(b.directory))
    #expect(
      try String(contentsOf: a.directory.spectra, encoding: .utf8)
        == String(contentsOf: b.directory.spectra, encoding: .utf8))
    let rows = try Self.rows(a.directory)
    #expect(
      rows.contains { $0.contains("rank/srank") }
        && rows.contains { $0.contains("eval/final_return_mean") })
    #expect(rows.contains { $0.contains("rank/ntk_velocity") })
  }

  @Test func divergenceIsAbsoluteQBeyondTheDiscountedRewardBound() {
    #expect(RunSummary.diverged(qAbsMax: 20.5, rewardAbsMax: 1, gamma: 0.95) == true)
    #expect(RunSummary.diverged(qAbsMax: 19.5, rewardAbsMax: 1, gamma: 0.95) == false)
    #expect(RunSummary.diverged(qAbsMax: .nan, rewardAbsMax: 1, gamma: 0.95) == true)
    #expect(RunSummary.diverged(qAbsMax: .infinity, rewardAbsMax: 0, gamma: 0.95) == true)
    #expect(RunSummary.diverged(qAbsMax: 0.1, rewardAbsMax: 0, gamma: 0.95) == nil)
  }

  /// A finished run's summary.json carries the check: on a Fu gridworld (rewards in [0, 1],
  /// γ = 0.95) the bound is 20 and a short run at 1e-3 stays inside it. The probe is every
  /// reachable state.
  @Test func finishedRunsRecordTheDivergenceCheck() throws {
    let learningRate = 1e-3
    let diverges = false
    let text = """
      name: tiny-fu
      steps: 1500
      env: {id: gridworld/fu, size: 8}
      agent:
        algorithm: fqi
        network: {hidden: [32, 32]}
        learning_rate: \(learningRate)
        batch_size: 32
        gamma: 0.95
        train_freq: 16
        gradient_steps: 16
        learning_starts: 64
        fqi: {k: 16}
        dqn:
          loss: mse
          exploration: {initial_eps: 0.3, final_eps: 0.3}
      replay: {capacity: 2000}
      eval: {every: 1500, episodes: 1, final_episodes: 2}
      rank: {every: 500}
      checkpoint: {every: 0}
      log: {every: 500}
      """
    let run = try Self.makeRun(try temporaryDirectory(), text: text)
    try run.run()
    let summary =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: run.directory.summary)) as? [String: Any]
    #expect(summary?["diverged"] as? Bool == diverges, "\(summary ?? [:])")
    #expect(abs((summary?["q_bound"] as? Double ?? 0) - 20) < 1e-9)
    let rows = try Self.rows(run.directory)
    let reachable = GridMap.fu(size: 8, seed: 0).reachable(blocked: false).count
    #expect(rows.contains { $0.contains("\"rank/probe_states\":\(reachable)") })
  }

  @Test func episodesRecordedDuringTrainingReplayAndChangeNothing() throws {
    let plain = try Self.makeRun(try temporaryDirectory())
    try plain.run()
    let elsewhere = try temporaryDirectory()
    let text = Self.smallConfig.replacingOccurrences(
      of: "final_episodes: 3}",
      with: "final_episodes: 3, record_every: 1500, record_dir: \(elsewhere.path)}")
    let recording = try Self.makeRun(try temporaryDirectory(), text: text)
    try recording.run()
    #expect(try Self.rows(recording.directory) == Self.rows(plain.directory))
    let files = try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).sorted()
    #expect(
      files == [
        // Every 1500 steps, whatever eval.every (1000) is.
        "tiny-seed0-final-00.rlep", "tiny-seed0-step-000001500.rlep",
        "tiny-seed0-step-000003000.rlep",
      ])
    for file in files {
      let episode = try EpisodeReader.read(from: elsewhere.appendingPathComponent(file))
      #expect(try EpisodeSimulation(episode).divergence == nil, "\(file)")
    }
  }

  @Test func interruptedRunResumesToTheSameRows() throws {
    let whole = try Self.makeRun(try temporaryDirectory())
    try whole.run()
    let root = try temporaryDirectory()
    let first = try Self.makeRun(root)
    first.stopAfter = 2300  // past the checkpoint at 2000: rows 2000..2300 must be rewritten
    try first.run()
    #expect(first.directory.checkpointFiles().count == 2)
    try Self.makeRun(root).run(resume: true)
    #expect(try Self.rows(first.directory) == Self.rows(whole.directory))
    #expect(
      try String(contentsOf: first.directory.spectra, encoding: .utf8)
        == String(contentsOf: whole.directory.spectra, encoding: .utf8))
  }

  @Test func killedProcessResumesToTheSameRows() throws {
    let binary = try #require(
      Self.ranklabBinary(), "the ranklab executable is built by `swift build`/`swift test`")
    let root = try temporaryDirectory()
    let config = root.appendingPathComponent("tiny.yaml")
    try Self.smallConfig.replacingOccurrences(of: "steps: 3000", with: "steps: 12000").write(
      to: config, atomically: true, encoding: .utf8)
    let reference = root.appendingPathComponent("reference")
    let killed = root.appendingPathComponent("killed")
    try Self.execute(binary, ["run", config.path, "--out", reference.path, "--quiet"])

    let process = Process()
    process.executableURL = binary
    process.arguments = ["run", config.path, "--out", killed.path, "--quiet"]
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let directory = RunDirectory(experiment: killed, variant: "", seed: 0)
    let deadline = Date().addingTimeInterval(120)
    while directory.checkpointFiles().isEmpty && process.isRunning && Date() < deadline {
      usleep(2_000)
    }
    let wasRunning = process.isRunning
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(wasRunning, "the run finished before it could be killed; the test needs a longer run")
    #expect(process.terminationReason == .uncaughtSignal)

    try Self.execute(binary, ["run", "--resume", directory.url.path, "--quiet"])
    let expected = RunDirectory(experiment: reference, variant: "", seed: 0)
    #expect(try Self.rows(directory) == Self.rows(expected))
  }

  @Test func badConfigFailsWithItsLocationAndWritesNothing() throws {
    let binary = try #require(Self.ranklabBinary())
    let root = try temporaryDirectory()
    let config = root.appendingPathComponent("bad.yaml")
    try "steps: 100\nagent:\n  learning_rat: 0.1\n".write(
      to: config, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = binary
    process.arguments = ["run", config.path, "--out", root.appendingPathComponent("out").path]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus != 0)
    #expect(
      message.contains(
        "bad.yaml:3:3: unknown key 'learning_rat' under 'agent'; did you mean 'learning_rate'?"),
      "\(message)")
    #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("out").path))
  }

  static func ranklabBinary() -> URL? {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = dir.appendingPathComponent("ranklab")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    return nil
  }

  static func execute(_ binary: URL, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "ranklab \(arguments.joined(separator: " ")) failed")
  }
}
