import Foundation
import RankLab

/// What `squeue` says about a sweep's array tasks. Slurm forgets a task once it ends (this
/// set-up has no accounting), so a task missing here has ended and its run directory tells how.
struct SlurmQueue {
  /// One array task still known to the controller.
  struct Task: Equatable {
    /// The array job's id (%F; %A is each running task's own job id).
    var job: String
    /// The array index (%K): the sweep's plan index.
    var index: Int
    /// PENDING, RUNNING, COMPLETING, REQUEUED, ...
    var state: String
    /// Slurm's name for the task, e.g. 123_4.
    var id: String
    /// Why a pending task waits (Priority, Resources, JobArrayTaskLimit, ...).
    var reason: String

    /// On a node now (or about to be): its run may not have taken its lock yet.
    var isRunning: Bool { ["RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED"].contains(state) }
  }

  var tasks: [Task]

  /// The tasks of jobs named `names`, or why squeue could not say (not installed, no
  /// controller); nil names the reason.
  static func read(names: [String]) -> (queue: SlurmQueue?, problem: String?) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    // One line per array element (-r); %a prints (null) for pending elements, %K does not.
    process.arguments = [
      "squeue", "--noheader", "--array", "--name=\(names.joined(separator: ","))",
      "--format=%F|%K|%T|%i|%r",
    ]
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    guard (try? process.run()) != nil else { return (nil, "squeue cannot be run") }
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let why = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      // env exits 127 when squeue is not on PATH.
      let reason =
        process.terminationStatus == 127
        ? "squeue is not installed"
        : "squeue failed: \(why.split(separator: "\n").first.map(String.init) ?? "exit \(process.terminationStatus)")"
      return (nil, reason)
    }
    return (SlurmQueue(tasks: parse(text)), nil)
  }

  /// squeue's `%F|%K|%T|%i|%r` lines; a still-pending range (`5-9%2`) counts for each index.
  static func parse(_ text: String) -> [Task] {
    var tasks: [Task] = []
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: "|", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      guard fields.count >= 5 else { continue }
      // %K, else the part of %i after the array job's id (123_4).
      let fromID = fields[3].split(separator: "_").dropFirst().first.map(String.init) ?? ""
      for index in indices(fields[1]).isEmpty ? indices(fromID) : indices(fields[1]) {
        // A pending range's %i names the range (123_[5-9%2]); each index is its own task.
        tasks.append(
          Task(
            job: fields[0], index: index, state: fields[2], id: "\(fields[0])_\(index)",
            reason: fields[4]))
      }
    }
    return tasks
  }

  /// `4`, or a range list `[0-3,7%2]`.
  static func indices(_ text: String) -> [Int] {
    if let index = Int(text) { return [index] }
    let list =
      text.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
      .split(separator: "%").first ?? ""
    return list.split(separator: ",").flatMap { part -> [Int] in
      let bounds = part.split(separator: "-").compactMap { Int($0) }
      if bounds.count == 2, bounds[0] <= bounds[1] { return Array(bounds[0]...bounds[1]) }
      return bounds.count == 1 ? bounds : []
    }
  }

  /// Indices as sbatch's --array wants them, runs of consecutive ones as ranges: 0-3,7,9-10.
  static func arraySpec(_ indices: [Int]) -> String {
    var ranges: [ClosedRange<Int>] = []
    for index in Set(indices).sorted() {
      if let last = ranges.last, last.upperBound + 1 == index {
        ranges[ranges.count - 1] = last.lowerBound...index
      } else {
        ranges.append(index...index)
      }
    }
    return ranges.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
      .joined(separator: ",")
  }

}

/// Where each run of a sweep stands: its directory, and for a sweep submitted to Slurm, the
/// queue. A run whose task has left the queue without leaving anything behind is `lost` (the
/// task died before the run began: see its Slurm log).
struct SweepRunState {
  enum State: String {
    case finished, running, failed, interrupted, queued, pending
    /// Submitted, gone from the queue, nothing in its directory.
    case lost
  }

  var state: State
  /// The queue's entry for it, if any.
  var task: SlurmQueue.Task?
  /// The latest submission of it (job id, index), if any.
  var submitted: (job: String, index: Int)?

  /// Stopped without finishing: what `--retry-failed` runs again.
  var stoppedUnfinished: Bool { [.failed, .interrupted, .lost].contains(state) }

  /// The states of `runs` (relative paths under `root`); `queue` nil when squeue could not be
  /// read, and then the directories alone decide.
  static func assess(
    _ runs: [(relative: String?, directory: RunDirectory)], plan: SweepPlanFile?,
    queue: SlurmQueue?
  ) -> [SweepRunState] {
    let latest = plan?.lastSubmission ?? [:]
    return runs.map { run in
      let submitted = run.relative.flatMap { latest[$0] }
      let task = submitted.flatMap { submission in
        queue?.tasks.first { $0.job == submission.job && $0.index == submission.index }
      }
      let disk = run.directory.state()
      let state: State
      switch disk {
      case .finished: state = .finished
      case .running: state = .running
      case .failed, .interrupted, .pending:
        if let task {
          state = task.isRunning ? .running : .queued
        } else if disk == .pending {
          state = submitted != nil && queue != nil ? .lost : .pending
        } else {
          state = disk == .failed ? .failed : .interrupted
        }
      }
      return SweepRunState(state: state, task: task, submitted: submitted)
    }
  }
}
