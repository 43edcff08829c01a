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

  @Test func divergenceIsAbsoluteQRunningAwayFromTheDiscountedRewardBound() {
    func diverged(max: Double, final: Double, reward: Double = 1, bonus: Double = 0) -> Bool? {
      RunSummary.diverged(
        qAbsMax: max, qAbsFinal: final, rewardAbsMax: reward, gamma: 0.95, entropyBonus: bonus)
    }
    // The bound is 20. At the end a tenth past it is allowed (regression error near a value at
    // the bound); more is divergence.
    #expect(diverged(max: 22.5, final: 22.5) == true)
    #expect(diverged(max: 21.5, final: 21.5) == false)
    #expect(diverged(max: 19.5, final: 19.5) == false)
    // A spike that came back is not divergence, unless it passed twice the bound.
    #expect(diverged(max: 30, final: 20) == false)
    #expect(diverged(max: 41, final: 20) == true)
    #expect(diverged(max: .nan, final: 1) == true)
    #expect(diverged(max: .infinity, final: 1, reward: 0) == true)
    #expect(diverged(max: 0.1, final: 0.1, reward: 0) == nil)
    // Soft backups may add τ · log |A| per step: the bound becomes (1 + 0.1 · log 5) / 0.05 = 23.2.
    #expect(diverged(max: 25.5, final: 25.5, bonus: 0.1 * log(5)) == false)
    #expect(diverged(max: 25.5, final: 25.5) == true)
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

  /// When to stop the process and with which signal.
  enum KillPoint {
    /// Before the first checkpoint (metrics.jsonl exists).
    case beforeFirstCheckpoint
    /// While a checkpoint's temporary file exists: the process pauses there
    /// (`RANKLAB_TEST_PAUSE_BEFORE_RENAME_MS`), so the kill lands inside the write for certain.
    case insideCheckpointWrite
    /// Once the newest checkpoint is at least this step, plus a few milliseconds.
    case after(step: Int, delayMicroseconds: UInt32)
  }

  /// One process, killed (or signalled) again and again at different points and continued each
  /// time with `run --resume`, ends with the rows of an uninterrupted run.
  @Test func processKilledAtManyPointsResumesToTheSameRows() throws {
    let binary = try #require(
      Self.ranklabBinary(), "the ranklab executable is built by `swift build`/`swift test`")
    let root = try temporaryDirectory()
    let config = root.appendingPathComponent("tiny.yaml")
    try Self.smallConfig.replacingOccurrences(of: "steps: 3000", with: "steps: 12000").write(
      to: config, atomically: true, encoding: .utf8)
    let reference = root.appendingPathComponent("reference")
    let killed = root.appendingPathComponent("killed")
    try Self.execute(binary, ["run", config.path, "--out", reference.path, "--quiet"])
    let directory = RunDirectory(experiment: killed, variant: "", seed: 0)

    var points: [(KillPoint, Int32)] = [
      (.beforeFirstCheckpoint, SIGKILL),
      (.insideCheckpointWrite, SIGKILL),
      (.after(step: 3000, delayMicroseconds: 0), SIGTERM),
      (.insideCheckpointWrite, SIGKILL),
      (.after(step: 7000, delayMicroseconds: 3_000), SIGINT),
    ]
    // And three points drawn at random (seeded, so a failure can be replayed): a step past the
    // previous point's, a delay of up to 20 ms, any of the three signals.
    var rng = PCG64(seed: 20_261_203)
    for low in [7500, 8500, 9500] {
      let step = low + rng.nextInt(below: 1000)
      let signal = [SIGKILL, SIGTERM, SIGINT][rng.nextInt(below: 3)]
      points.append(
        (.after(step: step, delayMicroseconds: UInt32(rng.nextInt(below: 20_000))), signal))
    }
    var hit = 0
    for (index, (point, signal)) in points.enumerated() {
      let arguments =
        index == 0
        ? ["run", config.path, "--out", killed.path, "--quiet"]
        : ["run", "--resume", directory.url.path, "--quiet"]
      let process = Process()
      process.executableURL = binary
      process.arguments = arguments
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      if case .insideCheckpointWrite = point {
        var environment = ProcessInfo.processInfo.environment
        environment["RANKLAB_TEST_PAUSE_BEFORE_RENAME_MS"] = "400"
        process.environment = environment
      }
      try process.run()
      let reached = Self.wait(for: point, in: directory, while: process)
      if case .insideCheckpointWrite = point {
        #expect(reached, "kill point \(index): the checkpoint's temporary file must be seen")
      }
      guard process.isRunning else {
        process.waitUntilExit()
        continue
      }
      kill(process.processIdentifier, signal)
      process.waitUntilExit()
      if process.terminationReason == .exit && process.terminationStatus == 0 { continue }
      hit += 1
      if signal == SIGKILL {
        #expect(process.terminationReason == .uncaughtSignal)
      } else {
        // A handled signal: a checkpoint at the step it arrived, run.json `interrupted`.
        #expect(process.terminationStatus == 128 + signal)
        let info = try #require(RunInfo.read(from: directory.runInfo))
        #expect(info.status == "interrupted")
        #expect(
          directory.checkpointFiles().first?.lastPathComponent.contains("\(info.step)") == true)
      }
      // However it ended, nobody is writing the run any more: never shown as running.
      #expect(directory.state() == .interrupted, "kill point \(index)")
    }
    #expect(hit >= points.count - 2, "most kill points must stop a running process")

    try Self.execute(binary, ["run", "--resume", directory.url.path, "--quiet"])
    let expected = RunDirectory(experiment: reference, variant: "", seed: 0)
    #expect(try Self.rows(directory) == Self.rows(expected))
    #expect(
      try String(contentsOf: directory.spectra, encoding: .utf8)
        == String(contentsOf: expected.spectra, encoding: .utf8))
    #expect(directory.state() == .finished)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.checkpoints.path)
      .filter { $0.hasSuffix(".tmp") }
    #expect(leftovers.isEmpty)
  }

  /// Waits until the point is reached (true) or the process ends or 120 s pass (false).
  @discardableResult
  static func wait(for point: KillPoint, in directory: RunDirectory, while process: Process)
    -> Bool
  {
    let deadline = Date().addingTimeInterval(120)
    let launched = Date()
    let newest = { () -> Int in
      directory.checkpointFiles().first.flatMap {
        Int($0.deletingPathExtension().lastPathComponent.dropFirst(5))
      } ?? 0
    }
    // A checkpoint this process wrote: one left by the previous process does not count (a
    // signal before the new process installs its handler would kill it uncaught).
    let start = newest()
    while process.isRunning && Date() < deadline {
      switch point {
      case .beforeFirstCheckpoint:
        if FileManager.default.fileExists(atPath: directory.metrics.path) { return true }
      case .insideCheckpointWrite:
        // A temporary file this process is writing (not one a killed process left behind).
        let names =
          (try? FileManager.default.contentsOfDirectory(atPath: directory.checkpoints.path)) ?? []
        for name in names where name.hasSuffix(".rlck.tmp") {
          let path = directory.checkpoints.appendingPathComponent(name).path
          let modified = try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]
          if let modified = modified as? Date, modified >= launched { return true }
        }
      case .after(let step, let delay):
        let current = newest()
        if current >= step && current > start {
          usleep(delay)
          return true
        }
      }
      usleep(500)
    }
    return false
  }

  /// A resumed run refuses --set (it would silently not apply) and an edited config.yaml.
  @Test func resumeRefusesOverridesAndAnEditedConfig() throws {
    let root = try temporaryDirectory()
    let first = try Self.makeRun(root)
    first.stopAfter = 1500
    try first.run()
    #expect(first.directory.state() == .interrupted)
    let text = try String(contentsOf: first.directory.config, encoding: .utf8)
    try text.replacingOccurrences(of: "learning_rate: 0.001", with: "learning_rate: 0.002")
      .write(to: first.directory.config, atomically: true, encoding: .utf8)
    #expect(text.contains("learning_rate: 0.001"))
    #expect(throws: RunError.self) { try Self.makeRun(root).run(resume: true) }
    // The refusal leaves the run as it was (interrupted), not failed.
    #expect(first.directory.state() == .interrupted)
    try text.write(to: first.directory.config, atomically: true, encoding: .utf8)
    try Self.makeRun(root).run(resume: true)
    #expect(first.directory.state() == .finished)

    let binary = try #require(Self.ranklabBinary())
    let process = Process()
    process.executableURL = binary
    process.arguments = ["run", "--resume", first.directory.url.path, "--set", "steps=10"]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus != 0)
    #expect(message.contains("--resume continues a run with the config it started with"))
  }

  /// A learning rate of 1e30 makes the loss infinite: the run stops at that update naming the
  /// key, run.json says `failed` with the error, and no checkpoint holds a non-finite number.
  @Test func nonFiniteLossStopsTheRunAndKeepsTheLastGoodCheckpoint() throws {
    let root = try temporaryDirectory()
    let text = Self.smallConfig.replacingOccurrences(
      of: "learning_rate: 1e-3", with: "learning_rate: 1e30\n  max_grad_norm: 0"
    ).replacingOccurrences(
      of: "regularizer: {kind: srank_penalty, coefficient: 1e-3}", with: "loss: mse"
    ).replacingOccurrences(of: "checkpoint: {every: 1000}", with: "checkpoint: {every: 100}")
    // Checkpoints at steps 100 and 200 come before the first update (learning_starts 200).
    let run = try Self.makeRun(root, text: text)
    var caught: NonFiniteValue?
    do { try run.run() } catch let error as NonFiniteValue { caught = error }
    let error = try #require(caught, "the run must stop on the non-finite loss")
    #expect(error.key == "train/loss")
    let info = try #require(RunInfo.read(from: run.directory.runInfo))
    #expect(info.status == "failed")
    #expect(info.error?.contains("step \(error.step): train/loss") == true)
    #expect(run.directory.state() == .failed)
    let newest = try #require(run.directory.checkpointFiles().first, "a good checkpoint is kept")
    #expect(error.lastCheckpoint == newest.path)
    #expect(info.error?.contains("kept its last good checkpoint (\(newest.path))") == true)
    for file in run.directory.checkpointFiles() {
      let archive = try CheckpointArchive.read(from: file)
      #expect(archive.firstNonFiniteSection(excluding: ["replay/", "loop/"]) == nil)
    }
    #expect(try !String(contentsOf: run.directory.metrics, encoding: .utf8).contains("null"))
  }

  /// Two processes never write one run directory.
  @Test func aRunDirectoryHasOneWriter() throws {
    let directory = RunDirectory(url: try temporaryDirectory().appendingPathComponent("0"))
    let lock = try directory.takeLock()
    #expect(directory.isLocked())
    #expect(throws: RunError.self) { _ = try directory.takeLock() }
    lock.release()
    #expect(!directory.isLocked())
    _ = try directory.takeLock()
  }

  @Test func namesStayInsideTheirDirectoryAndHugeNetworksAreRefusedBeforeAllocating() throws {
    for bad in ["../../etc", "a/b", "..", ".", ""] {
      #expect(throws: RunError.self) { try RunDirectory.checkName(bad, key: "name") }
    }
    try RunDirectory.checkName("dqn-cartpole_v1.2", key: "name")
    let root = try temporaryDirectory()
    let run = try Self.makeRun(
      root,
      text: Self.smallConfig.replacingOccurrences(
        of: "hidden: [32, 32]", with: "hidden: [100000, 100000]"))
    #expect(throws: RunError.self) { try run.preflight() }
    #expect(throws: RunError.self) { try run.run() }
    #expect(!FileManager.default.fileExists(atPath: run.directory.url.path))
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

  /// SAC on Pendulum with a 100-step time limit: every 100th step ends an episode whatever the
  /// policy does, and a gradient step follows every step after the first 100.
  static let sacConfig = """
    name: tiny
    steps: 800
    env: {id: Pendulum-v1, time_limit: 100}
    agent:
      algorithm: sac
      network: {hidden: [16, 16]}
      batch_size: 32
      learning_starts: 100
    replay: {capacity: 1000}
    eval: {every: 400, episodes: 2, final_episodes: 2}
    rank: {every: 400, probe_size: 32}
    checkpoint: {every: 400}
    log: {every: 100}
    """

  static func metrics(_ directory: RunDirectory) throws -> [MetricsRow] {
    try RunReader.parseMetrics(Data(contentsOf: directory.metrics), file: "metrics.jsonl").rows
  }

  /// The options an episode file's header says its environment had.
  static func options(_ header: EpisodeHeader) throws -> EnvironmentOptions {
    try JSONDecoder().decode(
      EnvironmentOptions.self, from: JSONEncoder().encode(header.environmentOptions))
  }

  @Test func sacRunLogsItsFiguresCountsEpisodesAndRecordsItsFields() throws {
    let run = try Self.makeRun(try temporaryDirectory(), text: Self.sacConfig)
    try run.run()
    let rows = try Self.metrics(run.directory)
    let keys = Set(rows.flatMap(\.values.keys))
    for key in SACAgent.metricKeys + [
      "train/gradient_steps", "rank/srank", "eval/return_mean", "eval/final_return_mean",
    ] {
      #expect(keys.contains(key), "\(key)")
    }
    let logged = rows.filter { $0.values["train/episodes"] != nil }
    #expect(logged.map(\.step) == Array(stride(from: 100, through: 800, by: 100)))
    for row in logged {
      #expect(row.values["train/episodes"] == Double(row.step / 100), "step \(row.step)")
      #expect(row.values["train/gradient_steps"] == Double(row.step - 100), "step \(row.step)")
    }
    let episode = try EpisodeReader.read(
      from: run.directory.url.appendingPathComponent("replays/final-00.rlep"))
    #expect(
      episode.header.extras == [
        .init(name: "policy_mean", width: 1), .init(name: "policy_log_std", width: 1),
        .init(name: "q_value", width: 1),
      ])
    #expect(episode.stepCount == 100 && episode.extras.count == 3)
    #expect(try EpisodeSimulation(episode).divergence == nil)
  }

  @Test func discreteSACRunRecordsActionProbabilitiesAndQValues() throws {
    let text = Self.sacConfig.replacingOccurrences(
      of: "Pendulum-v1, time_limit: 100", with: "CartPole-v1"
    ).replacingOccurrences(of: "steps: 800", with: "steps: 400")
    let run = try Self.makeRun(try temporaryDirectory(), text: text)
    try run.run()
    let keys = Set(try Self.metrics(run.directory).flatMap(\.values.keys))
    #expect(Set(SACAgent.metricKeys + ["rank/srank"]).isSubset(of: keys))
    let episode = try EpisodeReader.read(
      from: run.directory.url.appendingPathComponent("replays/final-00.rlep"))
    #expect(
      episode.header.extras == [
        .init(name: "action_probs", width: 2), .init(name: "q_values", width: 2),
      ])
    // Each step's action probabilities are a distribution.
    let probabilities = episode.extras[0]
    #expect(probabilities.count == 2 * episode.stepCount)
    for t in 0..<episode.stepCount {
      #expect(abs(probabilities[2 * t] + probabilities[2 * t + 1] - 1) < 1e-5)
    }
  }

  @Test func sacEvaluatesOnTheEvaluationEnvironment() throws {
    let plain = try Self.makeRun(try temporaryDirectory(), text: Self.sacConfig)
    try plain.run()
    let text = Self.sacConfig.replacingOccurrences(
      of: "eval: {", with: "eval: {env: {id: Pendulum-v1, params: {m: 2}}, ")
    let heavy = try Self.makeRun(try temporaryDirectory(), text: text)
    try heavy.run()
    #expect(heavy.config.eval.env?.options.params == ["m": 2])
    // Training is the same; only the evaluations (same seeds, a pendulum twice as heavy) differ.
    let (a, b) = (try Self.metrics(plain.directory), try Self.metrics(heavy.directory))
    func training(_ rows: [MetricsRow]) -> [[String: Double]] {
      rows.map {
        $0.values.filter {
          !$0.key.hasPrefix("eval/") && !$0.key.hasPrefix("time/") && $0.key != "replay/sample_us"
        }
      }
    }
    #expect(training(a) == training(b))
    let evaluated = a.filter { $0.values["eval/return_mean"] != nil }
    #expect(evaluated.count == 2)
    for (x, y) in zip(a, b) {
      for key in ["eval/return_mean", "eval/final_return_mean"] where x.values[key] != nil {
        #expect(x.values[key] != y.values[key], "\(key) at step \(x.step)")
      }
    }
    let episode = { (run: TrainingRun) in
      try EpisodeReader.read(
        from: run.directory.url.appendingPathComponent("replays/final-00.rlep"))
    }
    let heavyEpisode = try episode(heavy)
    let plainEpisode = try episode(plain)
    #expect(try Self.options(heavyEpisode.header).params == ["m": 2])
    #expect(try Self.options(plainEpisode.header).params == nil)
    #expect(heavyEpisode.header.seed == plainEpisode.header.seed)
    #expect(heavyEpisode.totalReward != plainEpisode.totalReward)
    // The heavy episode re-simulates in the environment its header names.
    #expect(try EpisodeSimulation(heavyEpisode).divergence == nil)
  }

  @Test func interruptedSACRunResumesToTheSameRows() throws {
    let whole = try Self.makeRun(try temporaryDirectory(), text: Self.sacConfig)
    try whole.run()
    let root = try temporaryDirectory()
    let first = try Self.makeRun(root, text: Self.sacConfig)
    first.stopAfter = 600  // past the checkpoint at 400: rows 500 and 600 must be rewritten
    try first.run()
    #expect(first.directory.checkpointFiles().count == 1)
    try Self.makeRun(root, text: Self.sacConfig).run(resume: true)
    #expect(try Self.rows(first.directory) == Self.rows(whole.directory))
    #expect(
      try String(contentsOf: first.directory.spectra, encoding: .utf8)
        == String(contentsOf: whole.directory.spectra, encoding: .utf8))
    #expect(
      try Data(contentsOf: first.directory.policy) == Data(contentsOf: whole.directory.policy))
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
