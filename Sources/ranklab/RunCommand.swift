import ArgumentParser
import Foundation
import RankLab

/// `ranklab run`: trains the experiment a YAML config describes, one directory per seed.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Train the experiment a YAML config describes (every seed, every sweep variant).",
    discussion: """
      Outputs go to runs/<name>[/<variant>]/<seed>/ (or OUT[/<variant>]/<seed>/ with --out): config.yaml (fully resolved), run.json, \
      metrics.jsonl, spectra.jsonl, TensorBoard events, checkpoint/, summary.json.
      Examples:
        ranklab run Configs/dqn-cartpole.yaml --seeds 0,1,2,3,4
        ranklab run Configs/dqn-gridworld.yaml --set agent.learning_rate=1e-3 --set steps=20000
        ranklab run --resume runs/dqn-cartpole/0
        ranklab run --help-config
      """)

  @Argument(help: "The experiment config (YAML).", completion: .file(extensions: ["yaml", "yml"]))
  var config: String?

  @Option(help: "Run only this seed (overrides the config's seeds).")
  var seed: Int?

  @Option(help: "Run these seeds, comma-separated (overrides the config's seeds).")
  var seeds: String?

  @Option(
    name: .customLong("set"),
    help: "Override a config key, e.g. --set agent.learning_rate=1e-3 (repeatable).")
  var overrides: [String] = []

  @Option(help: "The experiment's output directory (default: runs/<name>); seeds go below it.")
  var out: String?

  @Option(help: "Continue the run in this directory (runs/NAME/SEED) from its last checkpoint.")
  var resume: String?

  @Flag(help: "Replace existing run directories instead of refusing to touch them.")
  var force = false

  @Flag(help: "No progress line.")
  var quiet = false

  @Flag(help: "Print every config key with its default and exit.")
  var helpConfig = false

  func run() throws {
    if helpConfig {
      let name = overrides.last { $0.hasPrefix("agent.algorithm=") }?.dropFirst(16)
      guard let algorithm = AgentConfig.Algorithm(rawValue: String(name ?? "dqn")) else {
        throw ValidationError("unknown agent.algorithm '\(name ?? "")'")
      }
      print(try ConfigDocumentation.defaultsYAML(algorithm: algorithm))
      return
    }
    RunInterruption.install()
    try Self.reportingRunErrors {
      if let resume {
        try resumeRun(resume)
      } else {
        try runConfig()
      }
    }
  }

  /// A run's own errors as one line and an exit code: a signal's 128 + its number after the
  /// checkpoint, 1 for the rest.
  static func reportingRunErrors(_ body: () throws -> Void) throws {
    do {
      try body()
    } catch let interrupted as RunInterrupted {
      FileHandle.standardError.write(Data("\(interrupted)\n".utf8))
      throw ExitCode(128 + interrupted.signal)
    } catch let error as RunError {
      throw CommandFailure(error.description)
    } catch let error as NonFiniteValue {
      throw CommandFailure(error.description)
    } catch let error as OutputError {
      throw CommandFailure(error.description)
    }
  }

  private func runConfig() throws {
    guard let config else {
      throw ValidationError("give a config file (e.g. Configs/dqn-cartpole.yaml), or --resume DIR")
    }
    var extra = overrides
    if let seed { extra.append("seeds=[\(seed)]") }
    if let seeds { extra.append("seeds=[\(seeds)]") }
    let variants = try ExperimentPlan(file: config, overrides: extra).variants
    // Check every destination before starting anything, so a refusal leaves nothing half-done.
    var plans: [TrainingRun] = []
    var rounds: [DistillationRounds.Round] = []
    for variant in variants {
      let resolved = variant.config
      let yaml = variant.yaml
      if (resolved.agent.distill?.rounds ?? 1) > 1 {
        // Self-distillation: every round of a seed, in order; finished rounds are kept and an
        // interrupted one continues, so the same command resumes the whole chain.
        for seed in resolved.seeds {
          rounds += try DistillationRounds.plan(
            config: resolved, variant: variant.label, seed: seed,
            experiment: URL(fileURLWithPath: out ?? "runs/\(resolved.name)"), force: force)
        }
        continue
      }
      for seed in resolved.seeds {
        let directory = RunDirectory(
          experiment: URL(fileURLWithPath: out ?? "runs/\(resolved.name)"), variant: variant.label,
          seed: seed)
        // A run stopped before its first checkpoint has nothing to continue: it starts again.
        if FileManager.default.fileExists(atPath: directory.metrics.path) && !force
          && (!directory.checkpointFiles().isEmpty || directory.state() != .interrupted)
        {
          throw CommandFailure(
            "\(directory.url.path) already holds a run (\(directory.state().rawValue)); continue it with `ranklab run --resume \(directory.url.path)`, or pass --force to replace it"
          )
        }
        if directory.isLocked() {
          throw CommandFailure(
            "\(directory.url.path) is being written by another process; wait for it or stop it first"
          )
        }
        plans.append(
          TrainingRun(
            config: resolved, variant: variant.label, seed: seed, directory: directory,
            resolvedYAML: yaml))
      }
    }
    // Every run's environments and agent are built once before any run starts: a variant that
    // cannot run stops the sweep before the others have written anything.
    for run in plans {
      do { try run.preflight() } catch {
        let label = run.variant.isEmpty ? "" : " (variant \(run.variant))"
        throw CommandFailure("\(config)\(label): \(error)")
      }
    }
    var results: [(TrainingRun, RunSummary)] = []
    for run in plans {
      if force || FileManager.default.fileExists(atPath: run.directory.metrics.path) {
        try? FileManager.default.removeItem(at: run.directory.url)
      }
      run.showProgress = !quiet
      results.append((run, try run.run()))
    }
    for round in rounds {
      round.run.showProgress = !quiet
      switch round.start {
      case .finished:
        print("\(round.run.directory.url.path): round \(round.number) finished before; kept")
      case .resume:
        results.append((round.run, try round.run.run(resume: true)))
      case .fresh:
        try? FileManager.default.removeItem(at: round.run.directory.url)
        results.append((round.run, try round.run.run()))
      }
    }
    printSummary(results)
  }

  private func resumeRun(_ path: String) throws {
    guard overrides.isEmpty, seed == nil, seeds == nil else {
      throw CommandFailure(
        "--resume continues a run with the config it started with (\(path)/config.yaml); --set, --seed and --seeds would change it. Start a new run with `ranklab run CONFIG --set ... --out DIR` instead"
      )
    }
    let directory = RunDirectory(url: URL(fileURLWithPath: path))
    guard let text = try? String(contentsOf: directory.config, encoding: .utf8) else {
      throw CommandFailure("\(path): no config.yaml; is this a run directory (runs/NAME/SEED)?")
    }
    guard let data = try? Data(contentsOf: directory.runInfo),
      let info = try? JSONDecoder().decode(RunInfo.self, from: data)
    else {
      throw CommandFailure(
        "\(path): no readable run.json; is this a run directory (runs/NAME/SEED)?")
    }
    let loaded: ConfigLoader.Loaded<ExperimentConfig>
    do {
      loaded = try ConfigLoader.load(
        ExperimentConfig.self, text: text, file: directory.config.path, overrides: overrides)
    } catch let error as ConfigError {
      throw CommandFailure(error.description)
    }
    if info.status == "finished" {
      print("\(path): the run already finished (\(info.steps) steps)")
      return
    }
    let run = TrainingRun(
      config: loaded.config, variant: info.variant ?? "", seed: info.seed, directory: directory,
      resolvedYAML: loaded.resolvedYAML)
    run.showProgress = !quiet
    printSummary([(run, try run.run(resume: true))])
  }

  private func printSummary(_ results: [(TrainingRun, RunSummary)]) {
    guard !results.isEmpty else { return }
    print("run                                      seed   final eval return   srank   directory")
    for (run, summary) in results {
      let label = run.config.name + (run.variant.isEmpty ? "" : " \(run.variant)")
      let ret =
        summary.finalReturnMean.map {
          String(format: "%8.1f ± %-7.1f", $0, summary.finalReturnStd ?? 0)
        } ?? "        -         "
      let srank = summary.finalSrank.map { String($0) } ?? "-"
      print(
        label.padding(toLength: 40, withPad: " ", startingAt: 0) + " "
          + String(run.seed).padding(toLength: 6, withPad: " ", startingAt: 0)
          + ret + "   " + srank.padding(toLength: 7, withPad: " ", startingAt: 0) + " "
          + run.directory.url.path)
    }
  }
}

/// A failure the user can act on: printed as `Error: ...` with a non-zero exit, no stack.
struct CommandFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
