import Foundation

/// Where a run's files live: `runs/<name>[/<variant>]/<seed>/`.
public struct RunDirectory: Sendable {
  public let url: URL

  public init(url: URL) {
    self.url = url
  }

  /// The directory for a seed of an experiment whose outputs go to `experiment` (by default
  /// `runs/<name>`); a sweep variant gets a level of its own.
  public init(experiment: URL, variant: String, seed: Int) {
    var url = experiment
    if !variant.isEmpty { url = url.appendingPathComponent(variant) }
    self.url = url.appendingPathComponent("\(seed)")
  }

  public var config: URL { url.appendingPathComponent("config.yaml") }
  public var runInfo: URL { url.appendingPathComponent("run.json") }
  public var metrics: URL { url.appendingPathComponent("metrics.jsonl") }
  public var spectra: URL { url.appendingPathComponent("spectra.jsonl") }
  public var summary: URL { url.appendingPathComponent("summary.json") }
  public var checkpoints: URL { url.appendingPathComponent("checkpoint") }

  public func checkpoint(step: Int) -> URL {
    checkpoints.appendingPathComponent(String(format: "step-%09d.rlck", step))
  }

  /// Checkpoint files, newest first.
  public func checkpointFiles() -> [URL] {
    let files =
      (try? FileManager.default.contentsOfDirectory(
        at: checkpoints, includingPropertiesForKeys: nil)) ?? []
    return files.filter { $0.pathExtension == "rlck" && $0.lastPathComponent.hasPrefix("step-") }
      .sorted { $0.lastPathComponent > $1.lastPathComponent }
  }
}

/// `run.json`: what a run is, for tools that group runs (plots, reports).
public struct RunInfo: Codable, Sendable, Equatable {
  public var name: String
  public var variant: String?
  public var seed: Int
  public var env: String
  public var algorithm: String
  public var status: String
  public var steps: Int
  public var step: Int
}
