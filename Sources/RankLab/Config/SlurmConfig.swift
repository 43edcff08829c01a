import Foundation
import Yams

/// `slurm:` the resources of `ranklab sweep --backend slurm`'s array tasks. The section is read
/// beside the experiment, not into it: a run's config.yaml (and the hash its checkpoints hold)
/// leaves it out, so moving a sweep to another partition or time limit never makes its runs'
/// configs differ. The sweep's flags (`--partition`, `--time`, `--jobs`, ...) win over it.
public struct SlurmConfig: Codable, Equatable, Sendable {
  public init() {}

  /// sbatch --partition (null: the cluster's default).
  public var partition: String? = nil
  /// sbatch --account (null: the user's default).
  public var account: String? = nil
  /// sbatch --qos (null: the default).
  public var qos: String? = nil
  /// Each task's time limit, sbatch --time: MINUTES, MINUTES:SECONDS, HOURS:MINUTES:SECONDS,
  /// DAYS-HOURS, DAYS-HOURS:MINUTES or DAYS-HOURS:MINUTES:SECONDS (null: the partition's).
  public var time: String? = nil
  /// Cores of each task, also its OpenBLAS threads (one keeps a run's numbers those of the
  /// local pool's single-threaded runs).
  public var cpusPerTask = 1
  /// Each task's memory, sbatch --mem: a number with an optional K, M, G or T (null: the
  /// partition's default).
  public var mem: String? = nil
  /// Tasks running at once, the array's %M (0: as many as Slurm schedules).
  public var maxParallel = 0
  /// Let Slurm requeue a task after a node failure or preemption (it resumes its run).
  public var requeue = true
  /// Further sbatch options, one per item, e.g. `--constraint=avx2` or `--gres=gpu:1`; each
  /// becomes a `#SBATCH` line.
  public var extra: [String] = []
  /// Shell lines each task runs before ranklab, e.g. `module load openblas`.
  public var setup: [String] = []

  enum CodingKeys: String, CodingKey {
    case partition, account, qos, time
    case cpusPerTask = "cpus_per_task"
    case mem
    case maxParallel = "max_parallel"
    case requeue, extra, setup
  }

  /// One-line problems by key (`slurm.KEY`).
  public func problems() -> [(path: String, message: String)] {
    var problems: [(String, String)] = []
    func require(_ ok: Bool, _ key: String, _ message: String) {
      if !ok { problems.append(("slurm.\(key)", "'slurm.\(key)' \(message)")) }
    }
    for (key, value) in [("partition", partition), ("account", account), ("qos", qos)] {
      if let value {
        require(
          !value.isEmpty && value.allSatisfy { !$0.isWhitespace && $0 != "'" && $0 != "\"" }, key,
          "must be one name without spaces or quotes, got '\(value)'")
      }
    }
    if let time {
      require(
        Self.isTimeLimit(time), "time",
        "must be a Slurm time limit (MINUTES, HOURS:MINUTES:SECONDS, DAYS-HOURS[:MINUTES[:SECONDS]], e.g. 1:00:00), got '\(time)'"
      )
    }
    if let mem {
      require(
        mem.range(of: "^[0-9]+[KMGT]?$", options: .regularExpression) != nil, "mem",
        "must be a number with an optional K, M, G or T (e.g. 2G), got '\(mem)'")
    }
    require(cpusPerTask >= 1, "cpus_per_task", "must be at least 1")
    require(maxParallel >= 0, "max_parallel", "must be non-negative (0: no limit)")
    for (index, line) in extra.enumerated() {
      require(
        line.hasPrefix("-") && !line.contains("\n")
          && !["--array", "--output", "--job-name", "-a", "-o", "-J"].contains {
            line == $0 || line.hasPrefix($0 + "=") || line.hasPrefix($0 + " ")
          },
        "extra.\(index)",
        "must be one sbatch option such as --constraint=avx2 (not --array, --output or --job-name, which the sweep writes), got '\(line)'"
      )
    }
    for (index, line) in setup.enumerated() {
      require(!line.contains("\n"), "setup.\(index)", "must be one shell line")
    }
    return problems
  }

  /// Slurm's accepted spellings of a time limit.
  static func isTimeLimit(_ text: String) -> Bool {
    let patterns = [
      "^[0-9]+$", "^[0-9]+:[0-9]{1,2}$", "^[0-9]+:[0-9]{1,2}:[0-9]{1,2}$", "^[0-9]+-[0-9]+$",
      "^[0-9]+-[0-9]+:[0-9]{1,2}$", "^[0-9]+-[0-9]+:[0-9]{1,2}:[0-9]{1,2}$",
    ]
    return text == "UNLIMITED" || text == "INFINITE"
      || patterns.contains { text.range(of: $0, options: .regularExpression) != nil }
  }
}

/// The schema `slurm:` is checked by: the one section, at its place in the experiment's file,
/// so errors give the file, line and `slurm.KEY` like every other section's.
public struct SlurmSection: ConfigSchema {
  public var slurm = SlurmConfig()

  public init() {}

  public static let choices: [String: [String]] = [:]

  public static var shapes: [String: Node] {
    ["slurm.extra[]": Node("", Tag(.str)), "slurm.setup[]": Node("", Tag(.str))]
  }

  public func validate() -> [(path: String, message: String)] { slurm.problems() }
}

extension ConfigLoader {
  /// The `slurm:` section of an experiment's file (its defaults when absent), with the
  /// `--set slurm.KEY=VALUE` overrides applied and everything checked as any section is.
  public static func loadSlurm(text: String, file: String, overrides: [String] = []) throws
    -> SlurmConfig
  {
    let whole = try parse(text, file: file)
    var tree = Node.mapping(.init([]))
    if let pair = whole.mapping?.first(where: { $0.key.string == "slurm" }) {
      tree = .mapping(.init([(pair.key, pair.value)]))
    }
    var overridePaths: [[String]: String] = [:]
    for override in overrides {
      let (path, value) = try parseOverride(override)
      guard path.first == "slurm" else { continue }
      try checkListIndices(path, in: tree, override: override)
      tree = set(value, at: path, in: tree)
      overridePaths[path] = override
    }
    return try resolve(SlurmSection.self, tree: tree, file: file, overridePaths: overridePaths)
      .config.slurm
  }
}
