import Foundation

/// The singular-value spectrum of the features over training, one panel per group: a heat map
/// of log10(σ_i / σ_1) by step and index with the srank curve on top, or a family of curves.
public struct SpectrumChart: Sendable {
  /// How each group's spectrum is drawn.
  public enum Style: String, CaseIterable, Sendable {
    case heatmap
    case curves
  }

  /// One group's spectra averaged over seeds (in log10 of σ_i / σ_1) at common steps.
  public struct Panel: Sendable {
    public var label: String
    public var steps: [Int]
    public var logRatios: [[Double]]
    /// srank_δ (δ = 0.01) of each step's spectrum, averaged over seeds.
    public var srank: [Double]
  }

  public var title: String
  public var subtitle: String
  public var panels: [Panel]
  public var style: Style
  public var width: Double = 920
  /// Colour floor of the heat map, in decades below σ_1.
  public var floor: Double

  /// Reads `spectra.jsonl` of every run of `groups`; groups without spectra are left out.
  public static func make(
    _ groups: [RunGroup], style: Style = .heatmap, title: String? = nil, path: String = ""
  ) throws -> SpectrumChart {
    var panels: [Panel] = []
    for group in groups {
      let seeds = try group.runs.compactMap { try RunReader.readSpectra($0.directory) }
        .filter { !$0.isEmpty }
      guard let first = seeds.first else { continue }
      var common = Set(first.map(\.step))
      for seed in seeds.dropFirst() { common.formIntersection(seed.map(\.step)) }
      let used = common.isEmpty ? [first] : seeds
      let steps = common.isEmpty ? first.map(\.step) : common.sorted()
      var ratios: [[Double]] = []
      var sranks: [Double] = []
      for step in steps {
        let rows = used.compactMap { seed in seed.last { $0.step == step }?.singularValues }
        let length = rows.map(\.count).min() ?? 0
        var mean = [Double](repeating: 0, count: length)
        for row in rows {
          let top = max(row.first ?? 1, .leastNormalMagnitude)
          for i in 0..<length { mean[i] += log10(max(row[i] / top, 1e-12)) / Double(rows.count) }
        }
        ratios.append(mean)
        sranks.append(rows.map { Double(srank($0)) }.reduce(0, +) / Double(max(rows.count, 1)))
      }
      panels.append(Panel(label: group.label, steps: steps, logRatios: ratios, srank: sranks))
    }
    guard !panels.isEmpty else { throw PlotError.noSpectra(path: path) }
    // Directions below 1e-7 of σ_1 are float32 round-off (dead units, fewer probe states than
    // units): the colour scale spans the 2nd percentile of the rest.
    let alive = panels.flatMap { $0.logRatios.flatMap { $0 } }.filter { $0.isFinite && $0 > -7 }
      .sorted()
    let floor = max(-6, min(-1, (alive.isEmpty ? -4 : alive[alive.count / 50]).rounded(.down)))
    let names = groups.map(\.name).reduce(into: [String]()) {
      if !$0.contains($1) { $0.append($1) }
    }
    return SpectrumChart(
      title: title
        ?? "Singular-value spectrum of the features: " + names.joined(separator: " vs "),
      subtitle: style == .heatmap
        ? "colour: log10(σ_i / σ_1) by step and index (mean over seeds); white line: srank(δ = 0.01)"
        : "σ_i / σ_1 against index i, at 8 points of training, early (dark) to late (yellow)",
      panels: panels, style: style, floor: floor)
  }

  /// srank_δ: the fewest leading singular values holding 1 - δ of their sum.
  public static func srank(_ sigma: [Double], delta: Double = 0.01) -> Int {
    let total = sigma.reduce(0) { $0 + max($1, 0) }
    guard total > 0 else { return 0 }
    var sum = 0.0
    for (index, value) in sigma.enumerated() {
      sum += max(value, 0)
      if sum >= (1 - delta) * total { return index + 1 }
    }
    return sigma.count
  }
}
