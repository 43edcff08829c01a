import Foundation
import RankLab

/// sweep.json: the runs a sweep planned, relative to its directory (so `status` counts the ones
/// not started yet), and the Slurm jobs it submitted (so `status` and `--retry-failed` can tell
/// a queued task from a lost one).
struct SweepPlanFile: Codable {
  static let name = "sweep.json"
  var config: String
  var runs: [String]
  /// Every `--backend slurm` submission, oldest first.
  var submissions: [SlurmSubmission]? = nil

  static func read(in root: URL) -> SweepPlanFile? {
    guard let data = try? Data(contentsOf: root.appendingPathComponent(name)) else { return nil }
    return try? JSONDecoder().decode(SweepPlanFile.self, from: data)
  }

  func write(in root: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    try AtomicFile.write(
      Array(try encoder.encode(self)), to: root.appendingPathComponent(Self.name))
  }

  /// The latest submission of each run (relative path) and the array index it ran under.
  var lastSubmission: [String: (job: String, index: Int)] {
    var latest: [String: (job: String, index: Int)] = [:]
    for submission in submissions ?? [] {
      for task in submission.tasks { latest[task.run] = (submission.job, task.index) }
    }
    return latest
  }
}

/// One `sbatch` of a sweep: its job id and which run each array index is.
struct SlurmSubmission: Codable {
  var job: String
  /// The array job's name (what `squeue --name` selects).
  var name: String
  /// When it was submitted (ISO 8601).
  var submitted: String
  var tasks: [Task]

  struct Task: Codable {
    var index: Int
    /// The run's directory relative to the sweep's.
    var run: String
  }
}
