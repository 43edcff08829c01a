import Foundation
import Testing

@testable import RankLab

@Suite struct ReportTests {
  @Test func finalFiguresAreMeanAndStdOfEachSeedsLastValue() throws {
    let root = try PlotFixtures.directory()
    for (seed, last) in [10, 12, 14].enumerated() {
      try PlotFixtures.write(
        "{\"step\":1,\"rank/srank\":50,\"eval/return_mean\":1}\n"
          + "{\"step\":2,\"rank/srank\":\(last),\"eval/return_mean\":null}\n",
        to: root.appendingPathComponent("study/K=8/\(seed)/metrics.jsonl"))
      try PlotFixtures.write(
        #"{"name":"study","variant":"K=8","seed":\#(seed)}"#,
        to: root.appendingPathComponent("study/K=8/\(seed)/run.json"))
    }
    let groups = try RunGroup.load(paths: [root.path])
    let table = FinalFigures(groups)
    #expect(table.metrics == ["eval/return_mean", "rank/srank"])
    #expect(table.rows[0].cells[1] == FinalFigures.Cell(mean: 12, std: 2, seeds: 3))
    // A null final value falls back to the last finite one.
    #expect(table.rows[0].cells[0] == FinalFigures.Cell(mean: 1, std: 0, seeds: 3))
    let html = try StudyReport(groups: groups, outputDirectory: root).html()
    #expect(html.contains("<table class=\"final\">"))
    #expect(html.contains("<td>study K=8</td><td>1 <span class=\"sd\">± 0</span></td>"))
    #expect(html.contains("<td>12 <span class=\"sd\">± 2</span></td>"))
  }

  @Test func studyReportShowsEverySectionAndLinksReplays() throws {
    let root = try PlotFixtures.directory()
    try PlotFixtures.writeStudy(at: root, ks: [4, 64], seeds: 2)
    try PlotFixtures.write(
      "episode", to: root.appendingPathComponent("mc-gridworld/0/replays/ep0.rlr"))
    let groups = try RunGroup.load(paths: [
      root.appendingPathComponent("fqi-gradsteps").path,
      root.appendingPathComponent("mc-gridworld").path,
    ])
    let html = try StudyReport(groups: groups, outputDirectory: root).html()
    for heading in [
      "Final figures", "Return", "Feature rank", "Singular-value spectrum", "Loss",
      "Replay compression", "Resolved configuration", "Recorded replays",
    ] {
      #expect(html.contains("<h2>\(heading)</h2>"), "missing \(heading)")
    }
    #expect(!html.contains("<h2>Safety</h2>"))  // no failures were logged
    #expect(html.contains("href=\"mc-gridworld/0/replays/ep0.rlr\""))
    #expect(html.contains("Monte-Carlo regression"))
    // Every inline SVG parses as XML.
    var rest = Substring(html)
    var svgs = 0
    while let start = rest.range(of: "<svg "), let end = rest.range(of: "</svg>") {
      let counter = PlotFixtures.SVGCounter.parse(String(rest[start.lowerBound..<end.upperBound]))
      #expect(counter.parseError == nil)
      svgs += 1
      rest = rest[end.upperBound...]
    }
    #expect(svgs == 5)  // return, rank, spectrum, loss, replay
  }
}
