import ArgumentParser
import Foundation
import RankLab

extension BandKind: ExpressibleByArgument {}
extension Alignment: ExpressibleByArgument {}
extension SpectrumChart.Style: ExpressibleByArgument {}

/// Options shared by the commands that read groups of runs.
struct RunGroupOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Sweep axes whose values are replicates, pooled with the seeds (repeat; 'none' keeps every variant apart).",
      valueName: "axis"))
  var pool: [String] = ["map"]

  @Option(
    help: ArgumentHelp(
      "Group by these sweep axes only, pooling every other axis with the seeds (repeat; overrides --pool), e.g. --by lr.",
      valueName: "axis"))
  var by: [String] = []

  var axes: [String] { pool.filter { $0 != "none" } }

  /// Where an output goes by default: beside the inputs (in the deepest directory holding all
  /// of them), never the working directory unless the inputs are there.
  static func besideInputs(_ paths: [String], file: String) -> String {
    let directories = paths.map { path -> [String] in
      var isDirectory: ObjCBool = false
      let url = URL(fileURLWithPath: path).standardizedFileURL
      let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
      return (exists && !isDirectory.boolValue ? url.deletingLastPathComponent() : url)
        .pathComponents
    }
    guard var common = directories.first else { return file }
    for components in directories.dropFirst() {
      var n = 0
      while n < min(common.count, components.count) && common[n] == components[n] { n += 1 }
      common = Array(common.prefix(n))
    }
    let directory = common.isEmpty ? "/" : NSString.path(withComponents: common)
    return URL(fileURLWithPath: directory).appendingPathComponent(file).path
  }
}

/// `ranklab plot`: curves of one or many runs (default), or `plot spectrum`.
struct PlotCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plot",
    abstract: "Plot metrics of runs (mean over seeds with a band) as SVG, HTML or PNG.",
    subcommands: [PlotCurvesCommand.self, PlotSpectrumCommand.self, PlotVisitationCommand.self],
    defaultSubcommand: PlotCurvesCommand.self)
}

/// `ranklab plot [curves] runs/A runs/B --metric rank/srank --out plot.html`.
struct PlotCurvesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "curves",
    abstract: "One panel per metric, one line per run or swept value, seeds averaged.",
    discussion: """
      Each path may be a seed directory, a sweep variant or a whole study: every directory \
      holding a metrics.jsonl below it is read, and seeds are grouped by the name and variant \
      in their run.json. Seeds logged at different steps are compared on the union of their \
      steps, each seed interpolated inside its own range only (--align common: only the steps \
      every seed logged). A run still writing its last line is plotted without that line.
      """)

  @Argument(help: "Run, variant or study directories; each is one group or a set of groups.")
  var paths: [String]

  @Option(name: .customLong("metric"), help: "Metric to plot (repeat for several panels).")
  var metrics: [String] = []

  @Option(help: "The x axis: step or another logged key.")
  var x = "step"

  @Option(help: "Band around the mean: std, ci (95% bootstrap) or none.")
  var band: BandKind = .std

  @Option(help: "Seeds at different steps: union (interpolated) or common.")
  var align: Alignment = .union

  @Option(help: "EMA smoothing weight in [0, 1), as TensorBoard's slider.")
  var smooth = 0.0

  @Flag(help: "Logarithmic y axis.")
  var logY = false

  @Flag(help: "Logarithmic x axis.")
  var logX = false

  @Option(help: "Bootstrap resamples for --band ci.")
  var resamples = 1000

  @Option(help: "Seed of the bootstrap's PCG64 generator.")
  var bootstrapSeed: UInt64 = 0

  @Option(help: "Chart title (default: the run names).")
  var title: String?

  @Option(
    help:
      "Output file: .svg, .html (interactive, offline) or .png (default: plot.svg beside the inputs)."
  )
  var out: String?

  @OptionGroup var grouping: RunGroupOptions

  func validate() throws {
    guard smooth >= 0, smooth < 1 else { throw ValidationError("--smooth must be in [0, 1)") }
    guard resamples > 0 else { throw ValidationError("--resamples must be positive") }
  }

  func run() throws {
    let groups = try RunGroup.load(paths: paths, pool: grouping.axes, by: grouping.by)
    let out = out ?? RunGroupOptions.besideInputs(paths, file: "plot.svg")
    let options = CurveOptions(
      metrics: metrics.isEmpty ? CurveOptions.defaultMetrics(groups) : metrics, x: x,
      band: band, alignment: align, smoothing: smooth, logX: logX, logY: logY,
      bootstrap: BootstrapOptions(resamples: resamples, seed: bootstrapSeed))
    let chart = try LineChart.curves(groups, options: options, title: title)
    try PlotOutput.write(chart, to: out)
    let seeds = groups.map(\.runs.count).reduce(0, +)
    print(
      "wrote \(out): \(options.metrics.joined(separator: ", ")); \(groups.count) group(s), \(seeds) seed(s)"
    )
  }
}

/// `ranklab plot spectrum runs/A`: the singular-value spectrum over training.
struct PlotSpectrumCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "spectrum",
    abstract: "The singular-value spectrum of the features over training (from spectra.jsonl).")

  @Argument(help: "Run, variant or study directories.")
  var paths: [String]

  @Option(help: "heatmap (log10 σ_i/σ_1 by step and index, srank on top) or curves.")
  var style: SpectrumChart.Style = .heatmap

  @Option(help: "Chart title.")
  var title: String?

  @Option(help: "Output file: .svg, .html or .png (default: spectrum.svg beside the inputs).")
  var out: String?

  @OptionGroup var grouping: RunGroupOptions

  func run() throws {
    let groups = try RunGroup.load(paths: paths, pool: grouping.axes, by: grouping.by)
    let out = out ?? RunGroupOptions.besideInputs(paths, file: "spectrum.svg")
    let chart = try SpectrumChart.make(
      groups, style: style, title: title, path: paths.joined(separator: ", "))
    try PlotOutput.write(chart, to: out)
    print("wrote \(out): spectrum of \(chart.panels.count) group(s)")
  }
}

/// `ranklab plot visitation runs/A/0`: which cells each latent's recorded episodes visit.
struct PlotVisitationCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "visitation",
    abstract:
      "Heat maps of the gridworld cells a run's recorded episodes visit, one per latent (SMERL).",
    discussion: """
      Reads RUN_DIR/replays/*.rlep (or the directory given, if it holds .rlep files), \
      re-simulates each episode from its seed and actions, and prints the mean pairwise total \
      variation distance between the latents' visitation distributions.
      """)

  @Argument(help: "A run directory (its replays/ are read) or a directory of .rlep files.")
  var path: String

  @Option(help: "Chart title.")
  var title: String?

  @Option(help: "Output file: .svg, .html or .png (default: visitation.svg beside the episodes).")
  var out: String?

  func run() throws {
    var directory = URL(fileURLWithPath: path)
    let replays = directory.appendingPathComponent("replays")
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: replays.path, isDirectory: &isDirectory),
      isDirectory.boolValue
    {
      directory = replays
    }
    let chart: VisitationChart
    do { chart = try VisitationChart.load(directory: directory, title: title) } catch let error
      as PlotError
    {
      throw CommandFailure(error.description)
    } catch {
      throw CommandFailure("\(directory.path): \(error)")
    }
    let output = out ?? directory.appendingPathComponent("visitation.svg").path
    try PlotOutput.write(chart, to: output)
    print(
      "wrote \(output): \(chart.panels.count) panel(s); mean pairwise total variation \(String(format: "%.3f", chart.meanPairwiseDistance))"
    )
  }
}
