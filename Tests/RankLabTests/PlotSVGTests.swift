import Foundation
import Testing

@testable import RankLab

@Suite struct PlotSVGTests {
  @Test func svgIsWellFormedWithOneSeriesPerGroupAndPanel() throws {
    let root = try PlotFixtures.directory()
    try PlotFixtures.writeStudy(at: root)
    let groups = try RunGroup.load(paths: [
      root.appendingPathComponent("fqi-gradsteps").path,
      root.appendingPathComponent("mc-gridworld").path,
    ])
    let options = CurveOptions(metrics: CurveOptions.defaultMetrics(groups))
    #expect(options.metrics == ["eval/return_mean", "rank/srank"])
    let svg = try LineChart.curves(groups, options: options).svg(id: "c")
    let counter = PlotFixtures.SVGCounter.parse(svg)
    #expect(counter.parseError == nil)
    #expect(counter.counts["g.panel"] == 2)
    #expect(counter.counts["g.series"] == 2 * groups.count)
    #expect(counter.counts["path.band"] == 2 * groups.count)
    for label in ["K=4", "K=16", "K=64", "mc-gridworld", "Evaluation return"] {
      #expect(svg.contains(">\(label)</text>"))
    }
  }

  @Test func bootstrapBandsGiveByteIdenticalSVG() throws {
    let root = try PlotFixtures.directory()
    try PlotFixtures.writeStudy(at: root, ks: [4, 64])
    let options = CurveOptions(metrics: ["rank/srank", "train/loss"], band: .ci, smoothing: 0.3)
    let first = try LineChart.curves(RunGroup.load(paths: [root.path]), options: options).svg()
    let second = try LineChart.curves(RunGroup.load(paths: [root.path]), options: options).svg()
    #expect(first == second)
    var other = options
    other.bootstrap.seed = 1
    let reseeded = try LineChart.curves(RunGroup.load(paths: [root.path]), options: other).svg()
    #expect(reseeded != first)
  }

  @Test func inProgressRunIsPlottedWithoutItsPartialLine() throws {
    let root = try PlotFixtures.directory()
    let run = root.appendingPathComponent("r/0")
    try PlotFixtures.writeRun(at: run, name: "r", variant: nil, seed: 0, status: "running")
    let handle = try FileHandle(forWritingTo: run.appendingPathComponent("metrics.jsonl"))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("{\"step\":5500,\"rank/sr".utf8))
    try handle.close()
    let groups = try RunGroup.load(paths: [root.path])
    #expect(groups[0].runs[0].rows.last?.step == 5000)
    let chart = try LineChart.curves(groups, options: CurveOptions(metrics: ["rank/srank"]))
    #expect(chart.panels[0].series[0].x.last == 5000)
  }

  @Test func spectrumChartsAreWellFormed() throws {
    let root = try PlotFixtures.directory()
    try PlotFixtures.writeStudy(at: root, ks: [4, 64], seeds: 2)
    let groups = try RunGroup.load(paths: [root.path])
    for style in SpectrumChart.Style.allCases {
      let chart = try SpectrumChart.make(groups, style: style)
      #expect(chart.panels.count == 3)
      // Larger K collapses more: its final srank is lower than K=4's.
      #expect((chart.panels[1].srank.last ?? 0) < (chart.panels[0].srank.last ?? 0))
      let counter = PlotFixtures.SVGCounter.parse(chart.svg(id: "s"))
      #expect(counter.parseError == nil)
      #expect(counter.counts["g.panel"] == 3)
    }
    let bare = try PlotFixtures.directory()
    try PlotFixtures.write(
      "{\"step\":1,\"a\":1}\n", to: bare.appendingPathComponent("x/0/metrics.jsonl"))
    #expect(throws: PlotError.noSpectra(path: "p")) {
      try SpectrumChart.make(RunGroup.load(paths: [bare.path]), path: "p")
    }
  }

  @Test func htmlPageIsSelfContained() throws {
    let root = try PlotFixtures.directory()
    try PlotFixtures.writeStudy(at: root, ks: [4], seeds: 2)
    let chart = try LineChart.curves(
      RunGroup.load(paths: [root.path]), options: CurveOptions(metrics: ["rank/srank"]))
    let out = root.appendingPathComponent("p.html")
    try PlotOutput.write(chart, to: out.path)
    let html = try String(contentsOf: out, encoding: .utf8)
    #expect(html.contains("<svg") && html.contains("addEventListener('mousemove'"))
    #expect(html.contains("\"chart0\":{\"panels\":["))
    for remote in ["src=\"http", "href=\"http", "@import", "src=\"//"] {
      #expect(!html.contains(remote))
    }
  }

  @Test func pngIsWrittenOrTheMessageNamesWhatToInstall() throws {
    let root = try PlotFixtures.directory()
    try PlotFixtures.writeStudy(at: root, ks: [4], seeds: 1)
    let chart = try LineChart.curves(
      RunGroup.load(paths: [root.path]), options: CurveOptions(metrics: ["rank/srank"]))
    let out = root.appendingPathComponent("p.png")
    do {
      try PlotOutput.write(chart, to: out.path)
      #expect(PNGConverter.isPNG(out))
    } catch let error as PlotError {
      #expect(error.description.contains("apt-get install librsvg2-bin"))
    }
    try "not a png".write(to: out, atomically: true, encoding: .utf8)
    #expect(!PNGConverter.isPNG(out))
  }
}
