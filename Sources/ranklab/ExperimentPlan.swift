import Foundation
import RankLab

/// The variants of a config file (its `sweep:` expanded, `--set` applied) with their resolved
/// configs, as `run` and `sweep` both read them: the config file is read and checked (not
/// empty, a name that stays inside runs/), and settings that make a variant record nothing are
/// reported on stderr.
struct ExperimentPlan {
  struct Variant {
    var label: String
    var config: ExperimentConfig
    /// config.yaml of its runs.
    var yaml: String
  }

  var variants: [Variant]
  /// The file's `slurm:` section (checked whichever command reads the file, so a typo in it
  /// is found before a sweep is submitted).
  var slurm: SlurmConfig

  init(file: String, overrides: [String]) throws {
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
      throw CommandFailure("cannot read config file '\(file)': no such file, or not readable UTF-8")
    }
    try Self.refuseIncomplete(text, file: file, overrides: overrides)
    let loaded: [ConfigLoader.Variant<ExperimentConfig>]
    do {
      loaded = try ConfigLoader.loadVariants(
        ExperimentConfig.self, text: text, file: file, overrides: overrides)
      slurm = try ConfigLoader.loadSlurm(text: text, file: file, overrides: overrides)
    } catch let error as ConfigError {
      throw CommandFailure(error.description)
    }
    let defaultName = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
    variants = try loaded.map { variant in
      var resolved = variant.loaded.config
      if resolved.name.isEmpty { resolved.name = defaultName }
      do {
        try RunDirectory.checkName(resolved.name, key: "\(file): name")
      } catch let error as RunError {
        throw CommandFailure(error.description)
      }
      let yaml = variant.loaded.resolvedYAML.replacingOccurrences(
        of: "name: \"\"", with: "name: \"\(resolved.name)\"")
      for warning in Self.warnings(resolved) {
        let label = variant.label.isEmpty ? "" : " (variant \(variant.label))"
        FileHandle.standardError.write(Data("warning: \(file)\(label): \(warning)\n".utf8))
      }
      return Variant(label: variant.label, config: resolved, yaml: yaml)
    }
  }

  /// The directory of one seed of a variant (`OUT` or runs/<name>, then the variant, the seed).
  static func directory(out: String?, variant: Variant, seed: Int) -> RunDirectory {
    RunDirectory(
      experiment: URL(fileURLWithPath: out ?? "runs/\(variant.config.name)"),
      variant: variant.label, seed: seed)
  }

  /// A config with no keys (empty, or only comments), or none for the agent, would silently run
  /// every default.
  static func refuseIncomplete(_ text: String, file: String, overrides: [String]) throws {
    let keys = text.split(whereSeparator: \.isNewline).contains {
      let line = $0.trimmingCharacters(in: .whitespaces)
      return !line.isEmpty && !line.hasPrefix("#") && line != "---" && line != "{}"
    }
    guard keys else {
      throw CommandFailure(
        "\(file): the config is empty; give at least `env` and `agent` (see Configs/ or `ranklab run --help-config`)"
      )
    }
    // Without `agent` (e.g. only a name) the defaults would run a whole CartPole DQN study.
    // (`env` may be left out: a multi-task student takes its teachers' environments.)
    let lines = text.split(whereSeparator: \.isNewline).filter {
      let line = $0.trimmingCharacters(in: .whitespaces)
      return !line.isEmpty && !line.hasPrefix("#")
    }
    // A top-level key starts its line: `agent:`, `"agent":`, `agent :`.
    let names = lines.compactMap { line -> String? in
      guard let first = line.first, first.isLetter || first == "_" || first == "\"" || first == "'"
      else { return nil }
      return line.split(separator: ":", maxSplits: 1).first?
        .trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
    }
    let flowStyle = lines.first?.trimmingCharacters(in: .whitespaces).hasPrefix("{") ?? false
    let setsAgent = overrides.contains { $0.hasPrefix("agent.") || $0.hasPrefix("agent=") }
    if !flowStyle, !names.contains("agent"), !setsAgent {
      throw CommandFailure(
        "\(file): no `agent` section; give the agent (and `env`) to run (see Configs/ or `ranklab run --help-config`)"
      )
    }
  }

  /// Intervals beyond the run's length (often a `--set steps=` applied to every variant of a
  /// sweep): that measurement is never made.
  static func warnings(_ config: ExperimentConfig) -> [String] {
    [
      ("rank.every", config.rank.every, "no feature rank will be recorded"),
      ("eval.every", config.eval.every, "no evaluation before the final one"),
      ("checkpoint.every", config.checkpoint.every, "no checkpoint: a killed run starts again"),
    ].compactMap { key, every, consequence in
      every > config.steps
        ? "\(key) = \(every) is beyond steps = \(config.steps): \(consequence); lower \(key)"
        : nil
    }
  }
}
