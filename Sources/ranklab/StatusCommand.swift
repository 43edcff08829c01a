import ArgumentParser
import Foundation
import RankLab

/// `ranklab status`: where each run below a directory stands, from its files and its process.
struct StatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract:
      "Count the runs below a directory as finished, running, failed, interrupted, pending.",
    discussion: """
      A sweep's directory lists its planned runs (sweep.json), so runs not started yet count as \
      pending. A run whose process is gone counts as interrupted, never running. For a sweep \
      submitted with --backend slurm, squeue (when it can be run) shows which runs are queued \
      and which task runs each; a task that left the queue without starting its run is failed.
      Example: ranklab status runs/mc-gridworld
      """)

  @Argument(help: "A sweep's or an experiment's output directory (e.g. runs/NAME).")
  var directory: String

  func run() throws {
    let root = URL(fileURLWithPath: directory)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      throw CommandFailure("\(directory): no such directory; give a sweep's output (runs/NAME)")
    }
    let runs = Self.planned(in: root) ?? Self.runDirectories(below: root)
    guard !runs.isEmpty else {
      throw CommandFailure("\(directory): no runs below it (no run.json or config.yaml)")
    }
    let plan = SweepPlanFile.read(in: root)
    let submissions = plan?.submissions ?? []
    // Only a sweep submitted to Slurm asks the queue; without squeue the directories decide.
    var queue: SlurmQueue?
    var queueProblem: String?
    if !submissions.isEmpty {
      (queue, queueProblem) = SlurmQueue.read(names: Set(submissions.map(\.name)).sorted())
    }
    let base = root.standardizedFileURL.path + "/"
    let states = SweepRunState.assess(
      runs.map { run in
        let path = run.url.standardizedFileURL.path
        return (path.hasPrefix(base) ? String(path.dropFirst(base.count)) : nil, run)
      }, plan: plan, queue: queue)
    var counts: [SweepRunState.State: Int] = [:]
    for (run, assessed) in zip(runs, states) {
      counts[assessed.state, default: 0] += 1
      guard assessed.state != .finished else { continue }
      let info = RunInfo.read(from: run.runInfo)
      var detail: [String] = []
      if assessed.state != .queued, let info { detail.append("step \(info.step)/\(info.steps)") }
      if let task = assessed.task {
        detail.append(
          "Slurm \(task.id) \(task.state)"
            + (task.isRunning || task.reason.isEmpty || task.reason == "None"
              ? "" : " (\(task.reason))"))
      }
      if assessed.state == .lost, let submitted = assessed.submitted {
        detail.append(
          "Slurm task \(submitted.job)_\(submitted.index) ended before the run began; see \(root.appendingPathComponent("slurm-logs/\(submitted.job)_\(submitted.index).log").path)"
        )
      }
      let error =
        [.failed, .interrupted].contains(assessed.state) ? info?.error.map { ": \($0)" } ?? "" : ""
      let name = assessed.state == .lost ? "failed" : assessed.state.rawValue
      print(
        "\(name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(run.url.path)  \(detail.joined(separator: "  "))\(error)"
      )
    }
    // `lost` runs are failures (the task died) and count as such.
    counts[.failed, default: 0] += counts[.lost] ?? 0
    var order: [SweepRunState.State] = [.finished, .running, .failed, .interrupted]
    if !submissions.isEmpty { order.append(.queued) }
    order.append(.pending)
    print(
      "\(runs.count) runs: "
        + order.map { "\(counts[$0] ?? 0) \($0 == .finished ? "done" : $0.rawValue)" }
        .joined(separator: ", ")
        + (queueProblem.map { " (Slurm's queue not read: \($0); states from the run directories)" }
          ?? ""))
  }

  /// The runs a sweep planned in this directory, if it holds a sweep.
  static func planned(in root: URL) -> [RunDirectory]? {
    guard let data = try? Data(contentsOf: root.appendingPathComponent(SweepPlanFile.name)),
      let file = try? JSONDecoder().decode(SweepPlanFile.self, from: data)
    else { return nil }
    return file.runs.map { RunDirectory(url: root.appendingPathComponent($0)) }
  }

  /// Every directory below `root` holding a run (run.json or config.yaml).
  static func runDirectories(below root: URL) -> [RunDirectory] {
    guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
    else { return [] }
    var found: [RunDirectory] = []
    for case let url as URL in walker
    where url.lastPathComponent == "run.json" || url.lastPathComponent == "config.yaml" {
      let run = url.deletingLastPathComponent()
      if !found.contains(where: { $0.url.path == run.path }) {
        found.append(RunDirectory(url: run))
      }
    }
    return found.sorted { $0.url.path < $1.url.path }
  }
}
