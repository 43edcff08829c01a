import Environments
import Foundation

/// One seed of one experiment: builds the environment, agent and replay from the config and runs
/// the loop every agent shares (act, step, store, update, evaluate, measure rank, log,
/// checkpoint). A run killed at any moment resumes from its last checkpoint and then writes
/// exactly the rows an uninterrupted run writes (wall-clock `time/` keys aside).
public final class TrainingRun {
  public let config: ExperimentConfig
  public let variant: String
  public let seed: Int
  public let directory: RunDirectory
  let resolvedYAML: String
  /// Stops after this step without finishing (tests of interrupted runs).
  public var stopAfter: Int?
  public var showProgress = true

  public init(
    config: ExperimentConfig, variant: String, seed: Int, directory: RunDirectory,
    resolvedYAML: String
  ) {
    var config = config
    // A teacher path may name the seed (`runs/teacher/{seed}`); the config.yaml keeps the
    // pattern, everything that runs sees the path.
    config.agent.distill = config.agent.distill?.forSeed(seed)
    self.config = config
    self.variant = variant
    self.seed = seed
    self.directory = directory
    self.resolvedYAML = resolvedYAML
  }

  /// Trains from scratch, or from the newest checkpoint with `resume` (from step 0 when the run
  /// was stopped before its first checkpoint). The run holds its directory's lock throughout;
  /// run.json ends `finished`, `interrupted` (a signal: `RunInterrupted` is thrown after the
  /// checkpoint) or `failed` with the error.
  @discardableResult
  public func run(resume: Bool = false) throws -> RunSummary {
    tasks = try RunEnvironment.tasks(of: config)
    let environment = try RunEnvironment.make(config, tasks: tasks)
    try checkNetworkFitsInMemory(observationCount: environment.observationSpace.flatCount)
    defer {
      lock?.release()
      lock = nil
    }
    do {
      return try run(prototype: environment, resume: resume)
    } catch let error where lock == nil {
      throw error  // refused before the run began: nothing written, nothing to record
    } catch RunError.resumeRefused(let why) {
      throw RunError.resumeRefused(why)  // the run stays as it was (interrupted, say), not failed
    } catch var interrupted as RunInterrupted {
      interrupted.directory = directory.url
      try? writeInfo(status: "interrupted", step: interrupted.step)
      throw interrupted
    } catch {
      // Foundation's file errors name no path: say which file and what to do.
      var shown: any Error =
        error is OutputError || (error as NSError).domain == NSCocoaErrorDomain
        ? OutputError.failed(directory.url.path, error) : error
      if var nonFinite = error as? NonFiniteValue {
        nonFinite.lastCheckpoint = directory.checkpointFiles().first?.path
        shown = nonFinite
      }
      try? writeInfo(status: "failed", step: lastStep, error: "\(shown)")
      throw shown
    }
  }

  /// This process's hold on the run directory, from the moment the run starts writing it.
  private var lock: RunLock?
  /// The step of the last run.json write (a failed run's run.json says where it stopped).
  private var lastStep = 0
  /// When run.json last said the process is alive.
  private var lastHeartbeat = Date.distantPast
  /// A hash of config.yaml as the run started, kept in every checkpoint.
  private var configHash = ""
  /// A multi-task student's tasks (its teachers' environments), else nil.
  private var tasks: [EnvConfig]?

  /// FNV-1a (64 bit) of a file's bytes: enough to notice an edited config.
  static func hash(_ bytes: [UInt8]) -> String {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return String(format: "%016llx", value)
  }

  /// Builds what the run needs (environments, agent) and discards it: the checks a run makes
  /// before writing anything, so a sweep can make them for every run before starting the first.
  public func preflight() throws {
    tasks = try RunEnvironment.tasks(of: config)
    try preflight(prototype: try RunEnvironment.make(config, tasks: tasks))
  }

  private func preflight<E: Environment>(prototype: E) throws {
    _ = try evaluationPrototype(for: prototype)
    try checkNetworkFitsInMemory(observationCount: prototype.observationSpace.flatCount)
    _ = try makeAgent(prototype: prototype)
  }

  /// Refuses a network whose parameters (with their target copy, gradients and Adam moments)
  /// cannot fit in this machine's memory, before allocating it: a huge `hidden` would otherwise
  /// die in an allocation trap.
  func checkNetworkFitsInMemory(observationCount: Int) throws {
    // A distillation student is checked by its agent (DistillationAgent.checkMemory), before
    // it allocates anything.
    guard config.agent.algorithm != .distill else { return }
    let widths = [Double(observationCount)] + config.agent.network.hidden.map(Double.init)
    let parameters = zip(widths, widths.dropFirst()).reduce(0) { $0 + ($1.0 + 1) * $1.1 }
    let copies = 6.0  // online, target, gradient, two Adam moments, one spare (SAC's critics)
    let bytes = parameters * copies * Double(MemoryLayout<Float>.size)
    let available = Double(ProcessInfo.processInfo.physicalMemory)
    guard bytes < available else {
      let gib = { (value: Double) in String(format: "%.1f GiB", value / 1_073_741_824) }
      throw RunError.unsupported(
        "agent.network.hidden: \(config.agent.network.hidden) needs about \(gib(bytes)) (\(Int(parameters)) parameters, each with its copies), more than this machine's \(gib(available)); use smaller layers"
      )
    }
  }

  /// `eval.env`, which must be the training environment's kind and spaces (or the training
  /// environment itself when the config has none).
  private func evaluationPrototype<E: Environment>(for prototype: E) throws -> E {
    guard let evalEnv = config.eval.env else { return prototype }
    let made = try EnvironmentCatalog.make(id: evalEnv.id, options: evalEnv.options)
    guard let same = made as? E, same.observationSpace == prototype.observationSpace,
      same.actionSpace == prototype.actionSpace
    else {
      throw RunError.unsupported(
        "eval.env: \(evalEnv.id) must be an environment of the same kind and spaces as env (\(config.env.id)) so the trained agent can act in it"
      )
    }
    return same
  }

  private func makeAgent<E: Environment>(prototype: E) throws -> any Agent {
    if config.safety.method != .none, !prototype.hasFailureSignal {
      throw RunError.unsupported(
        "safety.method \(config.safety.method.rawValue): \(config.env.id) has no failure signal (its cost is always 0); use a map with lava, point-nav/hazards, or declare env.safety on CartPole-v1 / Pendulum-v1"
      )
    }
    return try AgentCatalog.make(
      AgentContext(
        config: config, observationSpace: prototype.observationSpace,
        actionSpace: prototype.actionSpace, seed: seed,
        tabularEnvironment: prototype as? any TabularEnvironment, taskCount: prototype.taskCount))
  }

  private func run<E: Environment>(prototype: E, resume: Bool) throws -> RunSummary {
    let evaluationPrototype = try evaluationPrototype(for: prototype)
    let agent = try makeAgent(prototype: prototype)
    let replay = try makeReplay(prototype: prototype)
    lock = try directory.takeLock()
    let fm = FileManager.default
    try fm.createDirectory(at: directory.checkpoints, withIntermediateDirectories: true)
    // A checkpoint's temporary file left by a killed process is garbage: nothing reads it.
    for name in (try? fm.contentsOfDirectory(atPath: directory.checkpoints.path)) ?? []
    where name.hasPrefix(".") && name.hasSuffix(".rlck.tmp") {
      try? fm.removeItem(at: directory.checkpoints.appendingPathComponent(name))
    }
    // run.json first: a run killed at any later moment says what it is and where it stood.
    if !resume { try writeInfo(status: "running", step: 0) }
    if !resume { try AtomicFile.write(Array(resolvedYAML.utf8), to: directory.config) }
    configHash = Self.hash(Array(try Data(contentsOf: directory.config)))
    var loop = TrainingLoop(
      config: config, seed: seed, prototype: prototype, evaluationPrototype: evaluationPrototype,
      agent: agent, replay: replay)
    loop.taskEnvironments = tasks
    if config.eval.recordDir.isEmpty {
      loop.recordings = (directory.url.appendingPathComponent("replays"), "")
    } else {
      let label = [config.name, variant, "seed\(seed)"].filter { !$0.isEmpty }
        .joined(separator: "-").replacingOccurrences(of: "/", with: "_")
      loop.recordings = (URL(fileURLWithPath: config.eval.recordDir), label + "-")
    }

    var position: TrainingLoop<E>.OutputPosition?
    // Without a checkpoint (stopped before its first one) a resumed run starts from step 0.
    if resume, let file = directory.checkpointFiles().first {
      let archive = try CheckpointArchive.read(from: file)
      if archive.names.contains("run/config_hash") {
        let started = try archive.json("run/config_hash", as: String.self)
        guard started == configHash else {
          throw RunError.resumeRefused(
            "\(directory.config.path) changed since the run started (its checkpoints were made with another config); restore the file, or start a new run from the edited config with `ranklab run CONFIG --out DIR`"
          )
        }
      }
      position = try loop.load(from: archive)
    }
    try writeInfo(status: "running", step: loop.state.step)
    let metrics = try MetricsWriter(
      directory: directory.url, tensorBoard: config.log.tensorboard, resumeFrom: position?.metrics)
    let spectra = try AppendOnlyFile(url: directory.spectra, resumeAt: position?.spectraBytes)
    let progress = ProgressReporter(
      label: "\(config.name)\(variant.isEmpty ? "" : " \(variant)") seed \(seed)",
      total: config.steps,
      startStep: loop.state.step)

    let finished = try loop.run(
      until: stopAfter.map { min($0, config.steps) } ?? config.steps, metrics: metrics,
      spectra: spectra,
      progress: showProgress ? progress : nil,
      heartbeat: { step in
        if Date().timeIntervalSince(self.lastHeartbeat) > 10 {
          try self.writeInfo(status: "running", step: step)
        }
      },
      checkpoint: { current, step in
        try self.checkpoint(loop: current, step: step, metrics: metrics, spectra: spectra)
      })
    guard finished else {
      try metrics.flush()
      try spectra.flush()
      return RunSummary(
        directory: directory.url, finalReturnMean: nil, finalReturnStd: nil, finalSrank: nil)
    }
    var policy = CheckpointArchive()
    try agent.savePolicy(into: &policy)
    if let key = policy.firstNonFiniteSection(excluding: []) {
      throw NonFiniteValue(step: loop.state.step, key: key)
    }
    let summary = try loop.finish(metrics: metrics, directory: directory)
    try PolicyFile.write(
      agent: agent, config: config, observationSpace: prototype.observationSpace,
      actionSpace: prototype.actionSpace, tasks: tasks, to: directory.policy)
    try metrics.flush()
    try spectra.flush()
    try writeInfo(status: "finished", step: config.steps)
    if showProgress {
      progress.finish(
        "done: final eval return \(String(format: "%.1f", summary.finalReturnMean ?? .nan))"
          + (summary.finalSrank.map { ", srank \($0)" } ?? "") + " -> \(directory.url.path)")
    }
    return summary
  }

  private func checkpoint<E: Environment>(
    loop: TrainingLoop<E>, step: Int, metrics: MetricsWriter, spectra: AppendOnlyFile
  ) throws {
    let position = TrainingLoop<E>.OutputPosition(
      metrics: try metrics.flush(), spectraBytes: try spectra.flush())
    var archive = CheckpointArchive()
    try loop.save(into: &archive, position: position)
    try archive.put("run/config_hash", json: configHash)
    // A diverged parameter stops the run here, before it replaces a good checkpoint.
    if let key = archive.firstNonFiniteSection(excluding: ["replay/", "loop/"]) {
      throw NonFiniteValue(step: step, key: key)
    }
    try archive.write(to: directory.checkpoint(step: step))
    for old in directory.checkpointFiles().dropFirst(config.checkpoint.keep) {
      try? FileManager.default.removeItem(at: old)
    }
    try writeInfo(status: "running", step: step)
  }

  /// An empty buffer, or for `offline.dataset` the saved dataset (checked against the env).
  private func makeReplay<E: Environment>(prototype: E) throws -> ReplayBuffer {
    guard config.offline.enabled, let path = config.offline.dataset else {
      return try ReplayBuffer(
        config: config.replay, observationCount: prototype.observationSpace.flatCount,
        actionSpace: prototype.actionSpace, discount: Float(config.agent.gamma),
        observationsRepeat: prototype.observationsRepeat)
    }
    let (replay, info) = try OfflineDataset.load(from: URL(fileURLWithPath: path))
    guard info.observationCount == prototype.observationSpace.flatCount,
      info.actionSpace == prototype.actionSpace
    else {
      throw RunError.unsupported(
        "\(path): the dataset was collected on \(info.environment) (\(info.observationCount) observation floats, \(info.actionSpace.summary) actions); this run's environment has \(prototype.observationSpace.flatCount) and \(prototype.actionSpace.summary)"
      )
    }
    // The stored returns and n-step discounts were computed with the collecting config's
    // gamma, and sampling follows the dataset's settings: a different value here would be
    // silently ignored.
    let mismatches = [
      ("agent.gamma", "\(info.returnDiscount)", "\(Float(config.agent.gamma))"),
      ("replay.n_step", "\(replay.nStep)", "\(config.replay.nStep)"),
      (
        "replay.prioritized.enabled", "\(replay.prioritized != nil)",
        "\(config.replay.prioritized.enabled)"
      ),
    ].filter { $0.1 != $0.2 }
    if let (key, saved, wanted) = mismatches.first {
      throw RunError.unsupported(
        "\(path): the dataset was collected with \(key) = \(saved), this run asks for \(wanted); collect it again with this config (`ranklab dataset collect`) or set \(key) to \(saved)"
      )
    }
    return replay
  }

  private func writeInfo(status: String, step: Int, error: String? = nil) throws {
    lastStep = step
    lastHeartbeat = Date()
    let info = RunInfo(
      name: config.name, variant: variant.isEmpty ? nil : variant, seed: seed,
      env: tasks == nil ? config.env.id : "multitask",
      algorithm: config.agent.algorithm.rawValue, status: status, steps: config.steps, step: step,
      pid: status == "running" ? getpid() : nil,
      host: ProcessInfo.processInfo.hostName,
      heartbeat: ISO8601DateFormatter().string(from: lastHeartbeat), error: error)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    try AtomicFile.write(Array(try encoder.encode(info)), to: directory.runInfo)
  }
}

/// The figures a finished run reports.
public struct RunSummary: Codable, Sendable {
  public var directory: URL
  public var finalReturnMean: Double?
  public var finalReturnStd: Double?
  public var finalSrank: Int?
  /// Wall-clock seconds by part of the loop, in the process that finished the run.
  public var timeSeconds: TimeBreakdown?
  public var timeFractions: [String: Double]?
  /// The final evaluation's mean return of each latent (SMERL), in latent order.
  public var latentReturnMeans: [Double]?
  /// A multi-task run's tasks (its teachers' environments) and the final evaluation's mean
  /// return on each, in task order (teacher K's own, on the same episodes, is
  /// `comparisons["teacher_K"]`).
  public var tasks: [EnvConfig]?
  public var taskReturnMeans: [Double]?
  /// The largest |Q| measured on the probe states over training and at its end, the bound
  /// `valueBound` (r_max the largest |reward| of the model, for a tabular environment, else of
  /// the training data), and whether the run diverged by `diverged`'s rule.
  public var qAbsMax: Double?
  public var qAbsFinal: Double?
  public var qBound: Double?
  public var diverged: Bool?
  /// Final return means of the agent's comparison policies on the same episodes (a
  /// distillation run: `teacher_K`, `ensemble`).
  public var comparisons: [String: Double]?
  /// Their feature rank on the run's probe states.
  public var comparisonSranks: [String: Int]?

  public init(
    directory: URL, finalReturnMean: Double? = nil, finalReturnStd: Double? = nil,
    finalSrank: Int? = nil,
    timeSeconds: TimeBreakdown? = nil, timeFractions: [String: Double]? = nil,
    comparisons: [String: Double]? = nil, comparisonSranks: [String: Int]? = nil
  ) {
    self.directory = directory
    self.finalReturnMean = finalReturnMean
    self.finalReturnStd = finalReturnStd
    self.finalSrank = finalSrank
    self.timeSeconds = timeSeconds
    self.timeFractions = timeFractions
    self.comparisons = comparisons
    self.comparisonSranks = comparisonSranks
  }

  /// The most any discounted return can be: (r_max + b) / (1 − γ), b the largest entropy bonus
  /// a step can pay (soft backups: τ · log |A|; else 0).
  public static func valueBound(rewardAbsMax: Double, gamma: Double, entropyBonus: Double = 0)
    -> Double
  {
    (rewardAbsMax + entropyBonus) / (1 - gamma)
  }

  /// How far past the bound the final estimate may be before the run counts as diverged: a
  /// tenth. Values near the bound are normal (the Fu goal pays almost 1 per step forever, so
  /// Q* itself sits within a few percent of it) and a regression overshoots them by its error.
  public static let divergenceMargin = 0.1
  /// How far past the bound an estimate may spike at any time: twice the bound. The Q*
  /// regression control, whose targets are exact, spikes 10-15% past it early in training and
  /// comes back; a run that passes twice the bound has run away, even if it later returns.
  public static let runawayFactor = 2.0

  /// A run diverged when its final |Q| on the probe is more than `divergenceMargin` past
  /// `valueBound`, or its largest |Q| ever more than `runawayFactor` times it (a NaN or
  /// infinite |Q| too). Without any reward in the data the bound says nothing about an
  /// untrained network's small values: nil, not checked.
  public static func diverged(
    qAbsMax: Double, qAbsFinal: Double, rewardAbsMax: Double, gamma: Double,
    entropyBonus: Double = 0
  ) -> Bool? {
    guard rewardAbsMax > 0 else { return qAbsMax.isFinite && qAbsFinal.isFinite ? nil : true }
    return diverged(
      qAbsMax: qAbsMax, qAbsFinal: qAbsFinal,
      bound: valueBound(rewardAbsMax: rewardAbsMax, gamma: gamma, entropyBonus: entropyBonus))
  }

  /// The rule above for a bound already computed (as `summary.json` stores it).
  public static func diverged(qAbsMax: Double, qAbsFinal: Double, bound: Double) -> Bool {
    !(qAbsFinal <= bound * (1 + divergenceMargin)) || !(qAbsMax <= bound * runawayFactor)
  }

  enum CodingKeys: String, CodingKey {
    case directory
    case timeSeconds = "time_seconds"
    case timeFractions = "time_fractions"
    case finalReturnMean = "final_return_mean"
    case finalReturnStd = "final_return_std"
    case finalSrank = "final_srank"
    case latentReturnMeans = "latent_return_means"
    case tasks
    case taskReturnMeans = "task_return_means"
    case qAbsMax = "q_abs_max"
    case qAbsFinal = "q_abs_final"
    case qBound = "q_bound"
    case diverged
    case comparisons = "comparison_final_return_mean"
    case comparisonSranks = "comparison_final_srank"
  }
}

/// Why a run cannot start.
public enum RunError: Error, CustomStringConvertible {
  case unsupported(String)
  /// A resume refused before anything was written (run.json keeps what it said).
  case resumeRefused(String)

  public var description: String {
    switch self {
    case .unsupported(let why), .resumeRefused(let why): return why
    }
  }
}
