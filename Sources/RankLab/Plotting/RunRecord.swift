import Foundation

/// What `run.json` says about one seed's run, read leniently so plots work on any run's files;
/// when the file is absent or unreadable, the directory layout stands in.
public struct RunIdentity: Codable, Equatable, Sendable {
  public var name: String
  public var variant: String?
  public var seed: Int
  public var env: String?
  public var algorithm: String?
  public var status: String?
  public var steps: Int?

  public init(
    name: String, variant: String? = nil, seed: Int, env: String? = nil,
    algorithm: String? = nil, status: String? = nil, steps: Int? = nil
  ) {
    self.name = name
    self.variant = variant
    self.seed = seed
    self.env = env
    self.algorithm = algorithm
    self.status = status
    self.steps = steps
  }
}

/// One row of `metrics.jsonl`: the step and the finite values logged at it.
public struct MetricsRow: Equatable, Sendable {
  public var step: Int
  public var values: [String: Double]

  public init(step: Int, values: [String: Double]) {
    self.step = step
    self.values = values
  }
}

/// One rank measurement of `spectra.jsonl`: singular values in descending order.
public struct SpectrumRow: Equatable, Sendable {
  public var step: Int
  public var singularValues: [Double]

  public init(step: Int, singularValues: [Double]) {
    self.step = step
    self.singularValues = singularValues
  }
}

/// What a finished run's `summary.json` says, read leniently (absent for unfinished runs).
public struct RunOutcome: Equatable, Sendable {
  /// The final evaluation's mean return (`eval.final_episodes` episodes).
  public var finalReturnMean: Double?
  public var finalSrank: Double?
  public var qAbsMax: Double?
  /// The largest |Q| at the last measurement.
  public var qAbsFinal: Double?
  public var qBound: Double?
  /// The run diverged by `RunSummary.diverged`'s rule (nil: not checked, e.g. an agent without
  /// action values).
  public var diverged: Bool?

  public init(
    finalReturnMean: Double? = nil, finalSrank: Double? = nil, qAbsMax: Double? = nil,
    qAbsFinal: Double? = nil, qBound: Double? = nil, diverged: Bool? = nil
  ) {
    self.finalReturnMean = finalReturnMean
    self.finalSrank = finalSrank
    self.qAbsMax = qAbsMax
    self.qAbsFinal = qAbsFinal
    self.qBound = qBound
    self.diverged = diverged
  }
}

/// One seed's run directory, read: its identity, metric rows and the keys it ever logged.
public struct RunRecord: Sendable {
  public var directory: URL
  public var info: RunIdentity
  /// From `summary.json`, when the run finished.
  public var outcome: RunOutcome?
  public var rows: [MetricsRow]
  /// Every key seen, including those whose values were all `null`.
  public var keys: Set<String>

  public init(directory: URL, info: RunIdentity, rows: [MetricsRow], keys: Set<String>) {
    self.directory = directory
    self.info = info
    self.rows = rows
    self.keys = keys
  }

  /// The (x, y) pairs of `metric` against `xKey` ("step" or another logged key), in file order.
  public func points(_ metric: String, x xKey: String = "step") -> [(x: Double, y: Double)] {
    rows.compactMap { row in
      guard let y = row.values[metric] else { return nil }
      if xKey == "step" { return (Double(row.step), y) }
      guard let x = row.values[xKey] else { return nil }
      return (x, y)
    }
  }

  /// The last finite value of `metric`, or nil when it was never logged.
  public func finalValue(_ metric: String) -> Double? {
    rows.last { $0.values[metric] != nil }?.values[metric]
  }
}
