import ArgumentParser
import Foundation
import RankLab

/// `ranklab sweep`: every variant × seed of a config as a run in the directory `run` gives it;
/// finished runs are skipped and unfinished ones continue from their checkpoint, so running the
/// same command again after any failure or kill does only the missing work.
struct SweepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep",
    abstract: "Run every variant × seed of a config, skipping finished runs and resuming the rest.",
    discussion: """
      Each run goes to runs/<name>[/<variant>]/<seed>/ (or OUT[/<variant>]/<seed>/), as with \
      `ranklab run`; its output goes to the log beside it (<seed>.log). Re-running the command \
      skips finished runs and resumes interrupted ones from their last checkpoint.
      Examples:
        ranklab sweep Configs/mc-gridworld.yaml --seeds 0,1,2 --list
        ranklab sweep Configs/mc-gridworld.yaml --seeds 0,1,2 --jobs 2
        ranklab status runs/mc-gridworld
        ranklab sweep Configs/mc-gridworld.yaml --seeds 0,1,2 --backend slurm --time 1:00:00
        ranklab sweep Configs/mc-gridworld.yaml --seeds 0,1,2 --backend slurm --retry-failed
      The slurm backend's resources come from the config's `slurm:` section (partition, \
      account, qos, time, cpus_per_task, mem, max_parallel, requeue, extra, setup; see \
      `ranklab run --help-config`); the flags below win over it.
      """)

  @Argument(help: "The experiment config (YAML), usually with a `sweep:` section.")
  var config: String

  @Option(help: "Run these seeds, comma-separated (overrides the config's seeds).")
  var seeds: String?

  @Option(
    name: .customLong("set"),
    help:
      "Override a config key in every variant, e.g. --set steps=20000 (repeatable); setting the key a sweep axis is labelled by (--set env.map_seed=1) runs only that axis entry's variants."
  )
  var overrides: [String] = []

  @Option(help: "The sweep's output directory (default: runs/<name>).")
  var out: String?

  @Option(
    help:
      "Runs at once (default 1), each its own process with one OpenBLAS thread; slurm: the array's %M (default slurm.max_parallel)."
  )
  var jobs: Int?

  @Option(
    help:
      "local: a pool of processes here; slurm: submit an sbatch array (one task per unfinished run, --jobs at a time)."
  )
  var backend: Backend = .local

  @Option(help: "slurm: the partition (default: slurm.partition, else the cluster's default).")
  var partition: String?

  @Option(help: "slurm: the account (default: slurm.account).")
  var account: String?

  @Option(help: "slurm: the QOS (default: slurm.qos).")
  var qos: String?

  @Option(help: "slurm: the time limit of each task (sbatch --time, e.g. 1:00:00).")
  var time: String?

  @Option(help: "slurm: the memory of each task (sbatch --mem, e.g. 2G).")
  var mem: String?

  @Option(help: "slurm: cores (and OpenBLAS threads) of each task (default: slurm.cpus_per_task).")
  var cpusPerTask: Int?

  @Option(
    name: .customLong("sbatch"),
    help:
      "slurm: a further sbatch option, e.g. --sbatch=--constraint=avx2 (repeatable; added to slurm.extra)."
  )
  var sbatchOptions: [String] = []

  @Flag(
    help:
      "Run again only the runs that stopped without finishing (failed, interrupted, or a Slurm task that ended before its run began); runs never started are left alone."
  )
  var retryFailed = false

  enum Backend: String, ExpressibleByArgument, CaseIterable {
    case local, slurm
  }

  @Flag(help: "Print the plan (each run's directory and state) without running anything.")
  var list = false

  @Option(help: "Run only the planned run with this index (see --list), in this process.")
  var task: Int?

  @Flag(help: "No progress line.")
  var quiet = false

  /// One planned run.
  struct Planned {
    var index: Int
    var variant: ExperimentPlan.Variant
    var seed: Int
    var directory: RunDirectory
    /// The log of the processes that ran it, beside its directory.
    var log: URL { directory.url.deletingLastPathComponent().appendingPathComponent("\(seed).log") }

    func makeRun() -> TrainingRun {
      TrainingRun(
        config: variant.config, variant: variant.label, seed: seed, directory: directory,
        resolvedYAML: variant.yaml)
    }

    /// True when the directory holds a started run made from another config than this plan's.
    func configChanged() -> Bool {
      guard let text = try? String(contentsOf: directory.config, encoding: .utf8) else {
        return false
      }
      return ExperimentConfig.differ(
        written: text, planned: variant.yaml, finished: directory.state() == .finished)
    }
  }

  func validate() throws {
    if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    let slurmOnly =
      [
        ("--partition", partition), ("--account", account), ("--qos", qos), ("--time", time),
        ("--mem", mem),
      ].filter { $0.1 != nil }.map(\.0) + (cpusPerTask == nil ? [] : ["--cpus-per-task"])
      + (sbatchOptions.isEmpty ? [] : ["--sbatch"])
    if backend == .local, let flag = slurmOnly.first {
      throw ValidationError("\(flag) is a Slurm resource; it goes with --backend slurm")
    }
    if retryFailed && (list || task != nil) {
      throw ValidationError(
        "--retry-failed selects runs to run; it goes with neither --list nor --task")
    }
  }

  func run() throws {
    RunInterruption.install()
    // A closed pipe (`ranklab sweep ... | head`) must not kill the pool while its runs go on.
    signal(SIGPIPE, SIG_IGN)
    let (plan, slurm) = try makePlan()
    if list {
      printPlan(plan)
      return
    }
    if let task {
      guard plan.indices.contains(task) else {
        throw CommandFailure("--task \(task): the sweep has runs 0..<\(plan.count) (see --list)")
      }
      try runTask(plan[task])
      return
    }
    // A run made from another config (a finished one would be skipped, a started one resumed)
    // would mix two experiments under one sweep: refused before anything runs.
    let changed = plan.filter { planned in
      (planned.directory.state() == .finished || !planned.directory.checkpointFiles().isEmpty)
        && planned.configChanged()
    }
    if let first = changed.first {
      throw CommandFailure(
        "\(changed.count) run(s) of this sweep were made from another config than this sweep's, "
          + "or one this ranklab no longer accepts (first: \(first.directory.config.path)); move "
          + "them away, or sweep into another --out (`--list` marks them)")
    }
    // Every run's environments and agent are built before any run starts.
    for planned in plan where planned.directory.state() != .finished {
      do { try planned.makeRun().preflight() } catch {
        let label = planned.variant.label.isEmpty ? "" : " (variant \(planned.variant.label))"
        throw CommandFailure("\(config)\(label): \(error)")
      }
    }
    try writePlanFile(plan)
    switch backend {
    case .local: try runLocally(plan)
    case .slurm: try submitToSlurm(plan, resources: try resources(slurm))
    }
  }

  /// This executable, by absolute path (child processes and Slurm tasks run it).
  private static var executable: URL {
    URL(
      fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? CommandLine.arguments[0])
  }

  /// The arguments every `--task` process gets besides its index.
  private var taskArguments: [String] {
    var arguments = ["--quiet"] + overrides.flatMap { ["--set", $0] }
    if let seeds { arguments += ["--seeds", seeds] }
    if let out { arguments += ["--out", URL(fileURLWithPath: out).standardizedFileURL.path] }
    return arguments
  }

  /// The config's `slurm:` section with the flags applied over it, checked as the section is.
  func resources(_ section: SlurmConfig) throws -> SlurmConfig {
    var resources = section
    if let partition { resources.partition = partition }
    if let account { resources.account = account }
    if let qos { resources.qos = qos }
    if let time { resources.time = time }
    if let mem { resources.mem = mem }
    if let cpusPerTask { resources.cpusPerTask = cpusPerTask }
    if let jobs { resources.maxParallel = jobs }
    resources.extra += sbatchOptions
    let flags = [
      "slurm.partition": "--partition", "slurm.account": "--account", "slurm.qos": "--qos",
      "slurm.time": "--time", "slurm.mem": "--mem", "slurm.cpus_per_task": "--cpus-per-task",
      "slurm.max_parallel": "--jobs",
    ]
    if let problem = resources.problems().first {
      // Name the flag when the value came from one, the section's key otherwise (the section
      // itself was checked, with its line, when the config was read).
      let key = problem.path.hasPrefix("slurm.extra.") ? "slurm.extra" : problem.path
      let source = key == "slurm.extra" ? "--sbatch" : (flags[key] ?? key)
      throw CommandFailure("\(source): \(problem.message)")
    }
    return resources
  }

  /// The sweep's directory: OUT, else runs/<name>.
  private func root(_ plan: [Planned]) -> URL? {
    guard let first = plan.first else { return nil }
    return URL(fileURLWithPath: out ?? "runs/\(first.variant.config.name)").standardizedFileURL
  }

  /// A run's directory relative to the sweep's (nil for a run whose variant lies elsewhere).
  private static func relative(_ planned: Planned, to root: URL) -> String? {
    let path = planned.directory.url.standardizedFileURL.path
    return path.hasPrefix(root.path + "/") ? String(path.dropFirst(root.path.count + 1)) : nil
  }

  /// The sbatch script of an array over `indices` (plan indices: each task runs `ranklab sweep
  /// CONFIG --task $SLURM_ARRAY_TASK_ID`, so a requeued or resubmitted task resumes).
  func sbatchScript(
    name: String, indices: [Int], resources: SlurmConfig, logs: URL, workingDirectory: String
  ) -> String {
    let quote = { (text: String) in "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    let configPath = URL(fileURLWithPath: config).standardizedFileURL.path
    let command =
      [
        quote(Self.executable.path), "sweep", quote(configPath), "--task",
        "\"$SLURM_ARRAY_TASK_ID\"",
      ]
      + taskArguments.map(quote)
    let throttle = resources.maxParallel > 0 ? "%\(resources.maxParallel)" : ""
    var lines = [
      "#!/bin/bash",
      "#SBATCH --job-name=\(name)",
      "#SBATCH --array=\(SlurmQueue.arraySpec(indices))\(throttle)",
      "#SBATCH --output=\(logs.path)/%A_%a.log",
      "#SBATCH --cpus-per-task=\(resources.cpusPerTask)",
    ]
    if resources.requeue { lines.append("#SBATCH --requeue") }
    for (flag, value) in [
      ("partition", resources.partition), ("account", resources.account),
      ("qos", resources.qos), ("time", resources.time), ("mem", resources.mem),
    ] {
      if let value { lines.append("#SBATCH --\(flag)=\(value)") }
    }
    lines += resources.extra.map { "#SBATCH \($0)" }
    lines += [
      "# One planned run per task (see `ranklab sweep ... --list`); a finished one is skipped.",
      "export OPENBLAS_NUM_THREADS=\(resources.cpusPerTask)",
      "cd \(quote(workingDirectory))",
    ]
    lines += resources.setup
    lines.append("exec " + command.joined(separator: " "))
    return lines.joined(separator: "\n") + "\n"
  }

  /// Writes `sweep.sbatch` in the sweep's directory, an array with one task per run to submit,
  /// submits it with `sbatch`, records the job in sweep.json and prints its id. Runs already
  /// queued or running in a job of this sweep are not submitted again; `--retry-failed` submits
  /// only the runs that stopped without finishing. Slurm's SIGTERM on preemption or `scancel`
  /// makes a task checkpoint and stop; submitting again continues it.
  private func submitToSlurm(_ plan: [Planned], resources: SlurmConfig) throws {
    guard let first = plan.first, let root = root(plan) else { return }
    let planFile = SweepPlanFile.read(in: root)
    let name = "ranklab-\(first.variant.config.name)"
    var queue: SlurmQueue?
    let names = Set((planFile?.submissions ?? []).map(\.name))
    if !names.isEmpty {
      let read = SlurmQueue.read(names: names.sorted())
      if let problem = read.problem {
        throw CommandFailure(
          "cannot read Slurm's queue (\(problem)), so runs already queued could be submitted twice; run where squeue works"
        )
      }
      queue = read.queue
    }
    let states = SweepRunState.assess(
      plan.map { (Self.relative($0, to: root), $0.directory) }, plan: planFile, queue: queue)
    let chosen = zip(plan, states).filter { _, state in
      retryFailed
        ? state.stoppedUnfinished : ![.finished, .running, .queued].contains(state.state)
    }
    .map(\.0)
    let active = states.filter { [.running, .queued].contains($0.state) }.count
    guard !chosen.isEmpty else {
      let finished = states.filter { $0.state == .finished }.count
      print(
        "sweep: nothing to submit: \(finished) of \(plan.count) runs finished, \(active) queued or running"
          + (retryFailed ? ", none stopped unfinished" : ""))
      return
    }
    let logs = root.appendingPathComponent("slurm-logs")
    try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
    let script = root.appendingPathComponent("sweep.sbatch")
    try AtomicFile.write(
      Array(
        sbatchScript(
          name: name, indices: chosen.map(\.index), resources: resources, logs: logs,
          workingDirectory: FileManager.default.currentDirectoryPath
        ).utf8), to: script)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sbatch", "--parsable", script.path]
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    do { try process.run() } catch {
      throw CommandFailure(
        "cannot run sbatch (\(error)); is Slurm installed? (bench/local-slurm.sh)")
    }
    // --parsable prints `id` or `id;cluster`.
    let id =
      String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init)
      ?? ""
    let why = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0, !id.isEmpty else {
      throw CommandFailure(
        "sbatch \(script.path) failed: \(why.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
    let submission = SlurmSubmission(
      job: id, name: name, submitted: ISO8601DateFormatter().string(from: Date()),
      tasks: chosen.compactMap { planned in
        Self.relative(planned, to: root).map { SlurmSubmission.Task(index: planned.index, run: $0) }
      })
    var recorded = planFile ?? SweepPlanFile(config: config, runs: [])
    recorded.submissions = (recorded.submissions ?? []) + [submission]
    try recorded.write(in: root)
    print(
      "sweep: submitted \(chosen.count) of \(plan.count) runs"
        + (retryFailed ? " (those that stopped unfinished)" : "")
        + " as Slurm job \(id) (\(script.path); logs in \(logs.path))"
        + (active > 0 ? "; \(active) already queued or running" : "")
        + "; follow it with `ranklab status \(root.path)`"
    )
  }

  /// sweep.json in the sweep's directory, for `ranklab status` (runs of variants whose
  /// directories lie elsewhere, a name swept, are left out); earlier Slurm submissions are kept.
  private func writePlanFile(_ plan: [Planned]) throws {
    guard let root = root(plan) else { return }
    let runs = plan.compactMap { Self.relative($0, to: root) }
    var file = SweepPlanFile(config: config, runs: runs)
    file.submissions = SweepPlanFile.read(in: root)?.submissions
    try file.write(in: root)
  }

  func makePlan() throws -> (runs: [Planned], slurm: SlurmConfig) {
    var extra = overrides
    if let seeds { extra.append("seeds=[\(seeds)]") }
    let experiment = try ExperimentPlan(file: config, overrides: extra)
    let variants = experiment.variants
    var plan: [Planned] = []
    for variant in variants {
      if (variant.config.agent.distill?.rounds ?? 1) > 1 {
        throw CommandFailure(
          "\(config): agent.distill.rounds > 1 chains runs in order; run it with `ranklab run \(config)`"
        )
      }
      for seed in variant.config.seeds {
        plan.append(
          Planned(
            index: plan.count, variant: variant, seed: seed,
            directory: ExperimentPlan.directory(out: out, variant: variant, seed: seed)))
      }
    }
    return (plan, experiment.slurm)
  }

  private func printPlan(_ plan: [Planned]) {
    print("index  state        step        directory")
    for planned in plan {
      let state = planned.directory.state()
      let info = RunInfo.read(from: planned.directory.runInfo)
      let step = info.map { "\($0.step)/\($0.steps)" } ?? "-"
      print(
        String(planned.index).padding(toLength: 7, withPad: " ", startingAt: 0)
          + state.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)
          + step + String(repeating: " ", count: max(1, 12 - step.count))
          + planned.directory.url.path
          + (planned.configChanged() ? "  (config.yaml differs from this sweep's)" : ""))
    }
  }

  /// One run in this process: skipped when finished, resumed from its checkpoint, else started
  /// (again) from step 0.
  private func runTask(_ planned: Planned) throws {
    let directory = planned.directory
    switch directory.state() {
    case .finished:
      if planned.configChanged() {
        throw CommandFailure(
          "\(directory.url.path) finished with another config than this sweep's; move it away to run it again"
        )
      }
      print("\(directory.url.path): finished before; skipped")
      return
    case .running:
      throw CommandFailure("\(directory.url.path) is being written by another process")
    case .pending, .failed, .interrupted:
      break
    }
    let resume = !directory.checkpointFiles().isEmpty
    if resume && planned.configChanged() {
      throw CommandFailure(
        "\(directory.config.path) differs from this sweep's config for the run; restore the sweep's config, or move the directory away to start the run again"
      )
    }
    if !resume { try? FileManager.default.removeItem(at: directory.url) }
    let run = planned.makeRun()
    run.showProgress = !quiet
    try RunCommand.reportingRunErrors {
      let summary = try run.run(resume: resume)
      print(
        "\(directory.url.path): finished; final eval return "
          + (summary.finalReturnMean.map { String(format: "%.1f", $0) } ?? "-"))
    }
  }

  /// A pool of `jobs` processes, each `ranklab sweep CONFIG ... --task I`, with one progress
  /// line for the whole sweep. A failed run is reported with its log and the others go on.
  private func runLocally(_ plan: [Planned]) throws {
    let executable = Self.executable
    var environment = ProcessInfo.processInfo.environment
    environment["OPENBLAS_NUM_THREADS"] = "1"
    let common = taskArguments

    let jobs = self.jobs ?? 1
    let skipped = plan.filter { $0.directory.state() == .finished }.count
    var waiting = plan.filter { $0.directory.state() != .finished }
    var left = 0
    if retryFailed {
      // Only what stopped unfinished; runs never started wait for a plain sweep.
      let all = waiting.count
      waiting = waiting.filter { [.failed, .interrupted].contains($0.directory.state()) }
      left = all - waiting.count
    }
    let resumed = waiting.filter { !$0.directory.checkpointFiles().isEmpty }.count
    print(
      "sweep: \(plan.count) runs: \(skipped) finished before (skipped), "
        + (retryFailed
          ? "\(waiting.count) stopped unfinished to retry (\(left) others left alone), " : "")
        + "\(resumed) to resume, \(waiting.count - resumed) to start; \(jobs) at a time"
    )
    var running: [(planned: Planned, process: Process, started: Date)] = []
    var done = skipped
    var failed: [Planned] = []
    var durations: [Double] = []
    var forwarded = false
    let progress = SweepProgress(enabled: !quiet)
    while !waiting.isEmpty || !running.isEmpty {
      let signal = RunInterruption.signal
      if signal != 0 && !forwarded {
        // Each run checkpoints and stops; nothing new starts.
        for job in running { kill(job.process.processIdentifier, signal) }
        forwarded = true
        waiting.removeAll()
      }
      while running.count < jobs, !waiting.isEmpty {
        let planned = waiting.removeFirst()
        try FileManager.default.createDirectory(
          at: planned.log.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: planned.log.path, contents: nil),
          let log = FileHandle(forWritingAtPath: planned.log.path)
        else { throw CommandFailure(OutputError.cannotCreate(planned.log.path).description) }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["sweep", config, "--task", "\(planned.index)"] + common
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try? log.close()
        running.append((planned, process, Date()))
      }
      usleep(100_000)
      for job in running where !job.process.isRunning {
        job.process.waitUntilExit()
        if job.process.terminationReason == .exit && job.process.terminationStatus == 0 {
          done += 1
          durations.append(Date().timeIntervalSince(job.started))
        } else if signal == 0 {
          failed.append(job.planned)
          progress.clear()
          let tail =
            (try? String(contentsOf: job.planned.log, encoding: .utf8))?
            .split(separator: "\n").suffix(5).joined(separator: "\n    ") ?? ""
          print(
            "FAILED \(job.planned.directory.url.path) (exit \(job.process.terminationStatus)); log \(job.planned.log.path):\n    \(tail)"
          )
        }
      }
      running.removeAll { !$0.process.isRunning }
      let remaining = waiting.count + running.count
      let eta =
        durations.isEmpty
        ? nil : durations.reduce(0, +) / Double(durations.count) * Double(remaining) / Double(jobs)
      progress.show(
        done: done, total: plan.count, running: running.count, failed: failed.count,
        pending: waiting.count, eta: eta)
    }
    progress.clear()
    print(
      "sweep: \(done)/\(plan.count) done, \(failed.count) failed"
        + (failed.isEmpty
          ? "" : "; running the same command again (or with --retry-failed) retries them"))
    if RunInterruption.signal != 0 {
      print("sweep: interrupted; running the same command again resumes it")
      throw ExitCode(128 + RunInterruption.signal)
    }
    if !failed.isEmpty { throw ExitCode.failure }
  }
}

/// One status line for a whole sweep, redrawn in place on a terminal and written when it
/// changes otherwise.
final class SweepProgress {
  private let enabled: Bool
  private let terminal = isatty(STDERR_FILENO) != 0
  private var last = ""

  init(enabled: Bool) { self.enabled = enabled }

  func show(done: Int, total: Int, running: Int, failed: Int, pending: Int, eta: Double?) {
    guard enabled else { return }
    let line =
      "sweep: \(done)/\(total) done, \(running) running, \(failed) failed, \(pending) pending"
      + (eta.map { ", ETA \(Self.duration($0))" } ?? "")
    if terminal {
      Self.write("\r\u{1B}[K\(line)")
    } else if line.prefix(while: { $0 != "E" }) != last.prefix(while: { $0 != "E" }) {
      Self.write("\(line)\n")
    }
    last = line
  }

  func clear() {
    if enabled && terminal { Self.write("\r\u{1B}[K") }
  }

  /// To stderr, ignoring a closed pipe (the runs matter more than the display).
  private static func write(_ text: String) {
    var text = text
    text.withUTF8 { _ = Foundation.write(STDERR_FILENO, $0.baseAddress, $0.count) }
  }

  static func duration(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    return total >= 60 ? "\(total / 60)m\(String(format: "%02d", total % 60))s" : "\(total)s"
  }
}
