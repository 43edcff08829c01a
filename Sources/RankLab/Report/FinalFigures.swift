/// The table of final figures: for each group and metric, the mean ± std across runs of each
/// run's final value, over the finished runs that did not diverge; diverged runs are listed
/// apart, and runs that failed or have not finished (a sweep's directory often holds some) are
/// counted beside the group but kept out of its figures, whose last values are not final.
public struct FinalFigures: Sendable {
  /// One cell: statistics over the runs that logged the metric.
  public struct Cell: Equatable, Sendable {
    public var mean: Double
    public var std: Double
    public var seeds: Int
  }

  /// A run that diverged by `RunSummary.diverged`'s rule.
  public struct DivergedRun: Equatable, Sendable {
    public var group: String
    /// The run directory, relative to its group's (e.g. `K=256,map=2/1`).
    public var run: String
    public var qAbsMax: Double?
    public var qAbsFinal: Double?
    public var qBound: Double?
    public var finalSrank: Double?
    public var finalReturn: Double?
  }

  /// The metrics the report tabulates, in column order, when logged. The return is the final
  /// evaluation's (`eval.final_episodes` episodes, as `run` prints and `summary.json` stores).
  public static let candidates = [
    "eval/final_return_mean", "rank/srank", "rank/entropy_rank", "rank/numerical_rank",
    "rank/sigma_max", "rank/q_abs_max", "train/loss", "train/q_mean", "safety/failures_total",
    "time/steps_per_s",
  ]

  /// Column headings; the full key shows on hover.
  static let shortNames = [
    "eval/final_return_mean": "final return", "eval/return_mean": "return",
    "rank/srank": "srank", "rank/entropy_rank": "entropy rank",
    "rank/numerical_rank": "numerical rank", "rank/sigma_max": "σ_max",
    "rank/q_abs_max": "max |Q|", "train/loss": "loss", "train/q_mean": "mean Q",
    "safety/failures_total": "failures", "time/steps_per_s": "steps / s",
  ]

  public var metrics: [String]
  /// Per group: its label, how many runs it has, how many diverged, how many are not finished
  /// by status (`failed`, `interrupted`, `running`), and the cells over the others.
  public var rows:
    [(
      label: String, runs: Int, diverged: Int, unfinished: [(status: String, count: Int)],
      cells: [Cell?]
    )]
  public var divergedRuns: [DivergedRun]

  public init(_ groups: [RunGroup], metrics: [String]? = nil) {
    var keys = Set(RunGroup.availableKeys(groups))
    if groups.contains(where: { $0.runs.contains { $0.outcome?.finalReturnMean != nil } }) {
      keys.insert("eval/final_return_mean")
    }
    var columns = metrics ?? Self.candidates.filter { keys.contains($0) }
    // A multi-task student's return per task and its teachers' (teacher K on task K), the
    // ensemble's, beside the return.
    if metrics == nil {
      let policies = keys.filter(Self.isPolicyReturn).sorted { Self.order($0) < Self.order($1) }
      columns.insert(contentsOf: policies, at: columns.isEmpty ? 0 : 1)
    }
    // Runs without a final evaluation (unfinished, or from before it existed): the periodic one.
    if metrics == nil && !keys.contains("eval/final_return_mean")
      && keys.contains("eval/return_mean")
    {
      columns.insert("eval/return_mean", at: 0)
    }
    self.metrics = columns
    var diverged: [DivergedRun] = []
    rows = groups.map { group in
      // A run without a status (no run.json) is taken as finished, as before run.json existed.
      let finished = group.runs.filter { ($0.info.status ?? "finished") == "finished" }
      let kept = finished.filter { $0.outcome?.diverged != true }
      let unfinished = ["failed", "interrupted", "running", "pending"].compactMap { status in
        let count = group.runs.filter { $0.info.status == status }.count
        return count > 0 ? (status, count) : nil
      }
      for run in finished where run.outcome?.diverged == true {
        let parts = run.directory.pathComponents.suffix(group.variant == nil ? 1 : 2)
        diverged.append(
          DivergedRun(
            group: group.fullLabel, run: parts.joined(separator: "/"),
            qAbsMax: run.outcome?.qAbsMax, qAbsFinal: run.outcome?.qAbsFinal,
            qBound: run.outcome?.qBound,
            finalSrank: run.finalValue("rank/srank"),
            finalReturn: Self.value(of: run, "eval/final_return_mean")))
      }
      return (
        group.fullLabel, group.runs.count, finished.count - kept.count, unfinished,
        columns.map { metric in
          let finals = kept.compactMap { Self.value(of: $0, metric) }
          guard !finals.isEmpty else { return nil }
          let mean = finals.reduce(0, +) / Double(finals.count)
          return Cell(
            mean: mean, std: SeedAggregate.standardDeviation(finals, mean: mean),
            seeds: finals.count)
        }
      )
    }
    divergedRuns = diverged
  }

  /// `eval/task_K/final_return_mean`, `eval/teacher_K/final_return_mean` or
  /// `eval/ensemble/final_return_mean`.
  static func isPolicyReturn(_ key: String) -> Bool {
    key.hasSuffix("/final_return_mean")
      && (key.hasPrefix("eval/task_") || key.hasPrefix("eval/teacher_")
        || key == "eval/ensemble/final_return_mean")
  }

  /// Tasks, then teachers, then the ensemble, each by number (task 2 before task 10).
  static func order(_ key: String) -> (String, Int) {
    (key.filter { !$0.isNumber }, Int(key.filter(\.isNumber)) ?? 0)
  }

  /// A column's heading: "task 1 return" for `eval/task_1/final_return_mean`.
  static func shortName(_ metric: String) -> String {
    if let short = shortNames[metric] { return short }
    guard isPolicyReturn(metric) else { return metric }
    let policy = metric.dropFirst("eval/".count).dropLast("/final_return_mean".count)
    return policy.replacingOccurrences(of: "_", with: " ") + " return"
  }

  /// A run's final value of `metric`: the summary's final return, else the last logged value.
  static func value(of run: RunRecord, _ metric: String) -> Double? {
    if metric == "eval/final_return_mean", let value = run.outcome?.finalReturnMean {
      return value
    }
    return run.finalValue(metric)
  }

  /// "12.3 ± 0.45" with significant digits suited to the value.
  public static func text(_ cell: Cell) -> String {
    "\(NumberText.compact(cell.mean)) ± \(NumberText.compact(cell.std))"
  }

  /// The table as HTML, then the diverged runs (if any) in a table of their own.
  public var html: String {
    var out = "<div class=\"scroll\"><table class=\"final\">\n<thead><tr><th>run</th>"
    out +=
      "<th title=\"runs in the group; diverged and unfinished runs are left out of the figures\">runs</th>"
    for metric in metrics {
      let short = Self.shortName(metric)
      out += "<th title=\"\(SVGMarkup.escape(metric))\">\(SVGMarkup.escape(short))</th>"
    }
    out += "</tr></thead>\n<tbody>\n"
    for row in rows {
      out += "<tr><td>\(SVGMarkup.escape(row.label))</td><td>\(row.runs)"
      let apart =
        (row.diverged > 0 ? ["\(row.diverged) diverged"] : [])
        + row.unfinished.map { "\($0.count) \($0.status)" }
      out += apart.isEmpty ? "" : " <span class=\"sd\">(\(apart.joined(separator: ", ")))</span>"
      out += "</td>"
      for cell in row.cells {
        guard let cell else {
          out += "<td>–</td>"
          continue
        }
        out += "<td>\(NumberText.compact(cell.mean)) <span class=\"sd\">± "
        out += "\(NumberText.compact(cell.std))</span>"
        out += cell.seeds == 1 ? " <span class=\"sd\">(1 run)</span>" : ""
        out += "</td>"
      }
      out += "</tr>\n"
    }
    out += "</tbody>\n</table></div>\n"
    guard !divergedRuns.isEmpty else { return out }
    func number(_ value: Double?) -> String { value.map(NumberText.compact) ?? "–" }
    out += "<h3>Diverged runs</h3>\n<p class=\"note\">Runs whose |Q| on the probe states ended "
    out += "more than a tenth past the bound (r_max + the largest entropy bonus) / (1 − γ), the "
    out += "most a discounted return can be, or passed twice the bound at any time; they are not "
    out += "in the figures above.</p>\n<div class=\"scroll\"><table class=\"final\">\n<thead><tr>"
    out += "<th>group</th><th>run</th><th>max |Q|</th><th>final |Q|</th><th>bound</th>"
    out += "<th>final srank</th><th>final return</th></tr></thead>\n<tbody>\n"
    for run in divergedRuns {
      out += "<tr><td>\(SVGMarkup.escape(run.group))</td><td>\(SVGMarkup.escape(run.run))</td>"
      out += "<td>\(number(run.qAbsMax))</td><td>\(number(run.qAbsFinal))</td>"
      out += "<td>\(number(run.qBound))</td>"
      out += "<td>\(number(run.finalSrank))</td><td>\(number(run.finalReturn))</td></tr>\n"
    }
    return out + "</tbody>\n</table></div>\n"
  }
}
