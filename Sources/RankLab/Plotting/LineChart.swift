/// One curve of a panel: a group's mean with its band, already aggregated over seeds.
public struct ChartSeries: Sendable {
  public var label: String
  public var color: String
  public var dash: String
  public var x: [Double]
  public var y: [Double]
  public var lower: [Double]
  public var upper: [Double]
  public var seeds: Int

  public init(
    label: String, color: String, dash: String = "", aggregate: SeedAggregate, seeds: Int
  ) {
    self.label = label
    self.color = color
    self.dash = dash
    x = aggregate.x
    y = aggregate.mean
    lower = aggregate.lower
    upper = aggregate.upper
    self.seeds = seeds
  }
}

/// One set of axes: a metric against x for every group.
public struct ChartPanel: Sendable {
  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var logX: Bool
  public var logY: Bool
  public var series: [ChartSeries]

  public init(
    title: String, xLabel: String, yLabel: String, logX: Bool = false, logY: Bool = false,
    series: [ChartSeries]
  ) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.logX = logX
    self.logY = logY
    self.series = series
  }
}

/// Stacked panels sharing one legend and title: what `ranklab plot` draws.
public struct LineChart: Sendable {
  public var title: String
  public var subtitle: String
  public var panels: [ChartPanel]
  public var width: Double
  public var panelHeight: Double

  public init(
    title: String, subtitle: String = "", panels: [ChartPanel], width: Double = 920,
    panelHeight: Double = 280
  ) {
    self.title = title
    self.subtitle = subtitle
    self.panels = panels
    self.width = width
    self.panelHeight = panelHeight
  }
}

/// Options that turn groups of runs into a chart.
public struct CurveOptions: Sendable {
  public var metrics: [String]
  public var x: String
  public var band: BandKind
  public var alignment: Alignment
  public var smoothing: Double
  public var logX: Bool
  public var logY: Bool
  public var bootstrap: BootstrapOptions

  public init(
    metrics: [String], x: String = "step", band: BandKind = .std, alignment: Alignment = .union,
    smoothing: Double = 0, logX: Bool = false, logY: Bool = false,
    bootstrap: BootstrapOptions = .init()
  ) {
    // Old runs' renamed keys are read under their new names; asking for an old name is fine.
    self.metrics = metrics.map(MetricLabel.canonical)
    self.x = MetricLabel.canonical(x)
    self.band = band
    self.alignment = alignment
    self.smoothing = smoothing
    self.logX = logX
    self.logY = logY
    self.bootstrap = bootstrap
  }

  /// The metrics plotted when none are named: return and srank, those that were logged.
  public static func defaultMetrics(_ groups: [RunGroup]) -> [String] {
    let keys = Set(RunGroup.availableKeys(groups))
    let preferred = ["eval/return_mean", "rank/srank"].filter { keys.contains($0) }
    if !preferred.isEmpty { return preferred }
    return keys.sorted().first.map { [$0] } ?? []
  }
}

extension LineChart {
  /// One panel per metric, one series per group (mean over seeds with the chosen band).
  /// Throws for a metric or x key no run logged, listing the ones that exist.
  public static func curves(
    _ groups: [RunGroup], options: CurveOptions, title: String? = nil
  ) throws -> LineChart {
    let available = RunGroup.availableKeys(groups)
    for key in options.metrics + (options.x == "step" ? [] : [options.x])
    where !available.contains(key) {
      throw PlotError.unknownMetric(key, available: available)
    }
    let panels = options.metrics.map { metric in
      ChartPanel(
        title: MetricLabel.title(metric), xLabel: MetricLabel.axis(options.x),
        yLabel: MetricLabel.axis(metric), logX: options.logX, logY: options.logY,
        series: series(groups, metric: metric, options: options))
    }
    let seeds = groups.map { $0.runs.count }
    let seedText =
      Set(seeds).count == 1
      ? "\(seeds[0]) seed\(seeds[0] == 1 ? "" : "s")"
      : "\(seeds.min() ?? 0)–\(seeds.max() ?? 0) seeds"
    let bandText: String
    switch options.band {
    case .std: bandText = "mean ± 1 std over \(seedText)"
    case .ci:
      bandText =
        "mean and \(Int((options.bootstrap.level * 100).rounded()))% bootstrap CI over \(seedText)"
    case .none: bandText = "mean over \(seedText)"
    }
    var notes = [bandText]
    if options.smoothing > 0 { notes.append("EMA smoothing \(options.smoothing)") }
    let names = groups.map(\.name).reduce(into: [String]()) {
      if !$0.contains($1) { $0.append($1) }
    }
    return LineChart(
      title: title ?? names.joined(separator: " vs "), subtitle: notes.joined(separator: " · "),
      panels: panels)
  }

  static func series(_ groups: [RunGroup], metric: String, options: CurveOptions)
    -> [ChartSeries]
  {
    groups.enumerated().compactMap { index, group in
      let seeds = group.runs.map {
        Smoothing.ema(
          SeedAggregate.sortedUnique($0.points(metric, x: options.x)), weight: options.smoothing)
      }
      guard seeds.contains(where: { !$0.isEmpty }) else { return nil }
      let aggregate = SeedAggregate.make(
        seeds: seeds, band: options.band, alignment: options.alignment,
        bootstrap: options.bootstrap)
      return ChartSeries(
        label: group.label, color: Palette.color(index), dash: Palette.dash(index),
        aggregate: aggregate, seeds: seeds.filter { !$0.isEmpty }.count)
    }
  }
}
