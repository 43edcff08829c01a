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
      pending. A run whose process is gone counts as interrupted, never running.
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
    var counts: [RunState: Int] = [:]
    for run in runs {
      let state = run.state()
      counts[state, default: 0] += 1
      guard state != .finished else { continue }
      let info = RunInfo.read(from: run.runInfo)
      let step = info.map { "step \($0.step)/\($0.steps)" } ?? ""
      let error = info?.error.map { ": \($0)" } ?? ""
      print(
        "\(state.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(run.url.path)  \(step)\(error)"
      )
    }
    let order: [RunState] = [.finished, .running, .failed, .interrupted, .pending]
    print(
      "\(runs.count) runs: "
        + order.map { "\(counts[$0] ?? 0) \($0 == .finished ? "done" : $0.rawValue)" }
        .joined(separator: ", "))
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

/// sweep.json: the runs a sweep planned, relative to its directory (so `status` counts the ones
/// not started yet).
struct SweepPlanFile: Codable {
  static let name = "sweep.json"
  var config: String
  var runs: [String]
}
