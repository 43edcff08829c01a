import Foundation

/// Finds and reads run directories (any directory holding a `metrics.jsonl`).
public enum RunReader {
  /// Every run directory at or under `path`, sorted by path; `checkpoint/` folders are skipped.
  public static func discover(_ path: String) throws -> [URL] {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw PlotError.pathMissing(path)
    }
    let root = URL(fileURLWithPath: path).standardizedFileURL
    guard isDirectory.boolValue else {
      // A metrics.jsonl given directly stands for its directory.
      if root.lastPathComponent == "metrics.jsonl" { return [root.deletingLastPathComponent()] }
      throw PlotError.noRuns(path: path)
    }
    var found: [URL] = []
    var pending = [root]
    while let directory = pending.popLast() {
      if fm.fileExists(atPath: directory.appendingPathComponent("metrics.jsonl").path) {
        found.append(directory)
        continue
      }
      let children =
        (try? fm.contentsOfDirectory(
          at: directory, includingPropertiesForKeys: [.isDirectoryKey])) ?? []
      for child in children where child.lastPathComponent != "checkpoint" {
        let values = try? child.resourceValues(forKeys: [.isDirectoryKey])
        if values?.isDirectory == true { pending.append(child) }
      }
    }
    guard !found.isEmpty else { throw PlotError.noRuns(path: path) }
    return found.sorted { NaturalOrder.less($0.path, $1.path) }
  }

  /// Reads one run directory: `run.json` (or the layout when it is absent) and `metrics.jsonl`.
  public static func read(_ directory: URL) throws -> RunRecord {
    let file = directory.appendingPathComponent("metrics.jsonl")
    let parsed = try parseMetrics(Data(contentsOf: file), file: file.path)
    var record = RunRecord(
      directory: directory, info: info(of: directory), rows: parsed.rows, keys: parsed.keys)
    record.outcome = outcome(of: directory)
    // Summaries from before `q_abs_final` existed: the last measurement in metrics.jsonl.
    if var outcome = record.outcome, outcome.qAbsFinal == nil, let q = outcome.qAbsMax,
      let bound = outcome.qBound, bound > 0
    {
      outcome.qAbsFinal = record.finalValue("rank/q_abs_max") ?? q
      outcome.diverged = RunSummary.diverged(
        qAbsMax: q, qAbsFinal: outcome.qAbsFinal ?? q, bound: bound)
      record.outcome = outcome
    }
    // A run.json left `running` by a process that is gone is an interrupted run.
    if record.info.status == "running" {
      record.info.status = RunDirectory(url: directory).state().rawValue
    }
    return record
  }

  /// `summary.json` when present and readable (a finished run), else nil.
  public static func outcome(of directory: URL) -> RunOutcome? {
    guard let data = try? Data(contentsOf: directory.appendingPathComponent("summary.json")),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return nil }
    func number(_ key: String) -> Double? { (object[key] as? NSNumber)?.doubleValue }
    var diverged = (object["diverged"] as? NSNumber)?.boolValue
    // Summaries written under an earlier rule follow today's (see `read` for those without
    // `q_abs_final`).
    if let q = number("q_abs_max"), let final = number("q_abs_final"),
      let bound = number("q_bound"),
      bound > 0
    {
      diverged = RunSummary.diverged(qAbsMax: q, qAbsFinal: final, bound: bound)
    }
    return RunOutcome(
      finalReturnMean: number("final_return_mean"), finalSrank: number("final_srank"),
      qAbsMax: number("q_abs_max"), qAbsFinal: number("q_abs_final"), qBound: number("q_bound"),
      diverged: diverged)
  }

  /// `run.json` when readable; otherwise the seed from the directory name and the parent
  /// directory as the run's name, so hand-made directories still group by their parent.
  public static func info(of directory: URL) -> RunIdentity {
    let url = directory.appendingPathComponent("run.json")
    if let data = try? Data(contentsOf: url),
      let info = try? JSONDecoder().decode(RunIdentity.self, from: data)
    {
      return info
    }
    let parent = directory.deletingLastPathComponent()
    return RunIdentity(name: parent.lastPathComponent, seed: Int(directory.lastPathComponent) ?? 0)
  }

  /// Parses `metrics.jsonl` text. A last line without its newline that does not parse is a
  /// write in progress and is skipped; any other malformed line is an error naming file:line.
  public static func parseMetrics(_ data: Data, file: String) throws -> (
    rows: [MetricsRow], keys: Set<String>
  ) {
    var rows: [MetricsRow] = []
    var keys: Set<String> = []
    try forEachLine(data, file: file) { line, number, isPartial in
      let object: Any
      do {
        object = try JSONSerialization.jsonObject(with: line)
      } catch {
        if isPartial { return }
        throw PlotError.malformedLine(file: file, line: number, reason: "not valid JSON")
      }
      guard let dictionary = object as? [String: Any] else {
        if isPartial { return }
        throw PlotError.malformedLine(file: file, line: number, reason: "not a JSON object")
      }
      guard let stepNumber = dictionary["step"] as? NSNumber,
        let step = Int(exactly: stepNumber.doubleValue)
      else {
        if isPartial { return }
        throw PlotError.malformedLine(
          file: file, line: number, reason: "missing integer \"step\"")
      }
      var values: [String: Double] = [:]
      for (written, value) in dictionary where written != "step" {
        let key = MetricLabel.canonical(written)
        keys.insert(key)
        if let number = value as? NSNumber, number.doubleValue.isFinite {
          values[key] = number.doubleValue
        }
      }
      rows.append(MetricsRow(step: step, values: values))
    }
    return (rows, keys)
  }

  /// Reads `spectra.jsonl` of one run directory, or nil when the run has none.
  public static func readSpectra(_ directory: URL) throws -> [SpectrumRow]? {
    let file = directory.appendingPathComponent("spectra.jsonl")
    guard let data = try? Data(contentsOf: file) else { return nil }
    var rows: [SpectrumRow] = []
    try forEachLine(data, file: file.path) { line, number, isPartial in
      guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
        let stepNumber = object["step"] as? NSNumber,
        let values = object["singular_values"] as? [Any]
      else {
        if isPartial { return }
        throw PlotError.malformedLine(
          file: file.path, line: number, reason: "expected {\"step\", \"singular_values\"}")
      }
      let sigma = values.map { ($0 as? NSNumber)?.doubleValue ?? .nan }
      rows.append(SpectrumRow(step: stepNumber.intValue, singularValues: sigma))
    }
    return rows
  }

  /// Calls `body` with each non-empty line, its 1-based number, and whether it is an
  /// unterminated last line.
  private static func forEachLine(
    _ data: Data, file: String, _ body: (Data, Int, Bool) throws -> Void
  ) throws {
    let bytes = [UInt8](data)
    var start = 0
    var number = 1
    while start < bytes.count {
      let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
      let isPartial = end == bytes.count
      let line = bytes[start..<end]
      if line.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) {
        try body(Data(line), number, isPartial)
      }
      start = end + 1
      number += 1
    }
  }
}
