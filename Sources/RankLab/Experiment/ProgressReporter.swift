import Foundation

/// Shows how a run is going: a live, rewritten status line on a terminal, plain periodic lines
/// otherwise (CI logs, files), so long work is never silent.
public final class ProgressReporter {
  private let label: String
  private let total: Int
  private let isTerminal: Bool
  private let plainInterval: TimeInterval
  private let start = Date()
  /// The first line comes after one interval, when the rate means something.
  private var lastPrint = Date()
  private let stepsAtStart: Int
  private var lastLineLength = 0

  /// `label` names the run (e.g. `dqn-cartpole seed 0`); `startStep` is where a resumed run began.
  public init(label: String, total: Int, startStep: Int = 0, plainInterval: TimeInterval = 10) {
    self.label = label
    self.total = total
    self.stepsAtStart = startStep
    self.plainInterval = plainInterval
    isTerminal = isatty(STDERR_FILENO) != 0
  }

  /// Reports progress at `step` with the latest figures (nil ones are left out).
  public func update(step: Int, evalReturn: Double?, srank: Double?, force: Bool = false) {
    let now = Date()
    let interval = isTerminal ? 0.25 : plainInterval
    guard force || now.timeIntervalSince(lastPrint) >= interval else { return }
    lastPrint = now
    let elapsed = now.timeIntervalSince(start)
    let rate = elapsed > 0 ? Double(step - stepsAtStart) / elapsed : 0
    let remaining = rate > 0 ? Double(total - step) / rate : .nan
    var line = "\(label): step \(step)/\(total) (\(percent(step)))  \(Int(rate)) steps/s"
    if let evalReturn { line += "  eval return \(String(format: "%.1f", evalReturn))" }
    if let srank { line += "  srank \(Int(srank))" }
    if remaining.isFinite { line += "  ETA \(Self.duration(remaining))" }
    if isTerminal {
      let padding = String(repeating: " ", count: max(0, lastLineLength - line.count))
      FileHandle.standardError.write(Data(("\r" + line + padding).utf8))
      lastLineLength = line.count
    } else {
      FileHandle.standardError.write(Data((line + "\n").utf8))
    }
  }

  /// Ends the live line with a summary.
  public func finish(_ summary: String) {
    let prefix = isTerminal ? "\r" + String(repeating: " ", count: lastLineLength) + "\r" : ""
    FileHandle.standardError.write(Data((prefix + "\(label): \(summary)\n").utf8))
  }

  private func percent(_ step: Int) -> String {
    total > 0 ? "\(100 * step / total)%" : "-"
  }

  static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
  }
}
