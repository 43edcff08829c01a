/// The table of final figures: for each group and metric, the mean ± std across seeds of each
/// seed's last logged value.
public struct FinalFigures: Sendable {
  /// One cell: statistics over the seeds that logged the metric.
  public struct Cell: Equatable, Sendable {
    public var mean: Double
    public var std: Double
    public var seeds: Int
  }

  /// The metrics the report tabulates, in column order, when logged.
  public static let candidates = [
    "eval/return_mean", "rank/srank", "rank/entropy_rank", "rank/sigma_max", "train/loss",
    "train/q_mean", "replay/compression_ratio", "safety/failures_total", "time/steps_per_s",
  ]

  /// Column headings; the full key shows on hover.
  static let shortNames = [
    "eval/return_mean": "return", "rank/srank": "srank", "rank/entropy_rank": "entropy rank",
    "rank/sigma_max": "σ_max", "train/loss": "loss", "train/q_mean": "mean Q",
    "replay/compression_ratio": "compression", "safety/failures_total": "failures",
    "time/steps_per_s": "steps / s",
  ]

  public var metrics: [String]
  public var rows: [(label: String, cells: [Cell?])]

  public init(_ groups: [RunGroup], metrics: [String]? = nil) {
    let keys = Set(RunGroup.availableKeys(groups))
    let columns = metrics ?? Self.candidates.filter { keys.contains($0) }
    self.metrics = columns
    rows = groups.map { group in
      (
        group.fullLabel,
        columns.map { metric in
          let finals = group.runs.compactMap { $0.finalValue(metric) }
          guard !finals.isEmpty else { return nil }
          let mean = finals.reduce(0, +) / Double(finals.count)
          return Cell(
            mean: mean, std: SeedAggregate.standardDeviation(finals, mean: mean),
            seeds: finals.count)
        }
      )
    }
  }

  /// "12.3 ± 0.45" with significant digits suited to the value.
  public static func text(_ cell: Cell) -> String {
    "\(NumberText.compact(cell.mean)) ± \(NumberText.compact(cell.std))"
  }

  /// The table as HTML.
  public var html: String {
    var out = "<div class=\"scroll\"><table class=\"final\">\n<thead><tr><th>run</th>"
    for metric in metrics {
      let short = Self.shortNames[metric] ?? metric
      out += "<th title=\"\(SVGMarkup.escape(metric))\">\(SVGMarkup.escape(short))</th>"
    }
    out += "</tr></thead>\n<tbody>\n"
    for row in rows {
      out += "<tr><td>\(SVGMarkup.escape(row.label))</td>"
      for cell in row.cells {
        guard let cell else {
          out += "<td>–</td>"
          continue
        }
        out += "<td>\(NumberText.compact(cell.mean)) <span class=\"sd\">± "
        out += "\(NumberText.compact(cell.std))</span>"
        out += cell.seeds == 1 ? " <span class=\"sd\">(1 seed)</span>" : ""
        out += "</td>"
      }
      out += "</tr>\n"
    }
    return out + "</tbody>\n</table></div>\n"
  }
}
