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
    #expect(html.contains("<td>study K=8</td><td>3</td><td>1 <span class=\"sd\">± 0</span></td>"))
    #expect(html.contains("<td>12 <span class=\"sd\">± 2</span></td>"))
  }

  @Test func multiTaskReturnsAndTeachersAreColumnsBesideTheReturn() throws {
    let root = try PlotFixtures.directory()
    var final = "{\"step\":10,\"eval/final_return_mean\":2"
    for k in [0, 1, 2, 10] {
      final +=
        ",\"eval/task_\(k)/final_return_mean\":\(k),\"eval/teacher_\(k)/final_return_mean\":\(k + 1)"
    }
    try PlotFixtures.write(
      "{\"step\":5,\"rank/srank\":3}\n" + final + "}\n",
      to: root.appendingPathComponent("student/0/metrics.jsonl"))
    try PlotFixtures.write(
      #"{"name":"student","seed":0}"#, to: root.appendingPathComponent("student/0/run.json"))
    let table = FinalFigures(try RunGroup.load(paths: [root.path]))
    let tasks = [0, 1, 2, 10].map { "eval/task_\($0)/final_return_mean" }
    let teachers = [0, 1, 2, 10].map { "eval/teacher_\($0)/final_return_mean" }
    #expect(table.metrics == ["eval/final_return_mean"] + tasks + teachers + ["rank/srank"])
    #expect(table.rows[0].cells[4] == FinalFigures.Cell(mean: 10, std: 0, seeds: 1))
    #expect(table.rows[0].cells[8] == FinalFigures.Cell(mean: 11, std: 0, seeds: 1))
    #expect(table.html.contains(">task 10 return</th>"))
    #expect(table.html.contains(">teacher 1 return</th>"))
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
      "Resolved configuration", "Recorded replays",
    ] {
      #expect(html.contains("<h2>\(heading)</h2>"), "missing \(heading)")
    }
    #expect(!html.contains("<h2>Safety</h2>"))  // no failures were logged
    // Nor when the counter is logged but nothing ever failed (any gridworld logs it).
    let metrics = root.appendingPathComponent("mc-gridworld/0/metrics.jsonl")
    let handle = try FileHandle(forWritingTo: metrics)
    handle.seekToEndOfFile()
    handle.write(
      Data(#"{"step":100000,"safety/failures_total":0,"eval/return_mean":1}"#.utf8 + [10]))
    try handle.close()
    let logged = try RunGroup.load(paths: [root.appendingPathComponent("mc-gridworld").path])
    #expect(RunGroup.availableKeys(logged).contains("safety/failures_total"))
    let zero = try StudyReport(groups: logged, outputDirectory: root).html()
    #expect(!zero.contains("<h2>Safety</h2>") && !zero.contains("<h2>Failures against return</h2>"))
    #expect(html.contains("href=\"mc-gridworld/0/replays/ep0.rlr\""))
    #expect(!html.contains("<h2>Replay compression</h2>"))  // not a rank-study figure
    // Our numbers, and how they compare, not the paper's claim.
    #expect(
      html.contains(
        "fqi-gradsteps: measured final srank by K (mean over runs that did not diverge): K=4 "))
    #expect(!html.contains("hold it up"))
    // Every inline SVG parses as XML.
    var rest = Substring(html)
    var svgs = 0
    while let start = rest.range(of: "<svg "), let end = rest.range(of: "</svg>") {
      let counter = PlotFixtures.SVGCounter.parse(String(rest[start.lowerBound..<end.upperBound]))
      #expect(counter.parseError == nil)
      svgs += 1
      rest = rest[end.upperBound...]
    }
    #expect(svgs == 4)  // return, rank, spectrum, loss
  }

  /// Maps pooled with seeds, the final return from summary.json, diverged runs apart, and
  /// replays outside the page's directory linked through copies beside it.
  @Test func pooledMapsDivergedRunsAndCopiedReplays() throws {
    let root = try PlotFixtures.directory()
    let study = root.appendingPathComponent("runs/study")
    for map in 0..<2 {
      for seed in 0..<2 {
        let run = study.appendingPathComponent("K=16,map=\(map)/\(seed)")
        try PlotFixtures.write(
          "{\"step\":1,\"rank/srank\":\(40 + 10 * map + seed),\"eval/return_mean\":3}\n",
          to: run.appendingPathComponent("metrics.jsonl"))
        try PlotFixtures.write(
          #"{"name":"study","variant":"K=16,map=\#(map)","seed":\#(seed)}"#,
          to: run.appendingPathComponent("run.json"))
        let diverged = map == 1 && seed == 1
        try PlotFixtures.write(
          #"{"final_return_mean": \#(10 + map), "q_abs_max": \#(diverged ? 55 : 12), "q_bound": 20, "diverged": \#(diverged)}"#,
          to: run.appendingPathComponent("summary.json"))
      }
    }
    try PlotFixtures.write(
      "episode", to: study.appendingPathComponent("K=16,map=0/0/replays/final-00.rlep"))
    let groups = try RunGroup.load(paths: [study.path], pool: ["map"])
    #expect(groups.map(\.label) == ["K=16"] && groups[0].runs.count == 4)
    let table = FinalFigures(groups)
    #expect(table.metrics.first == "eval/final_return_mean")
    // Three runs kept: returns 10, 10, 11 (summary.json, not the periodic 3); srank 40, 41, 50.
    let row = table.rows[0]
    #expect(row.runs == 4 && row.diverged == 1)
    #expect(abs(row.cells[0]!.mean - 31.0 / 3) < 1e-9 && row.cells[0]!.seeds == 3)
    #expect(abs(row.cells[1]!.mean - 131.0 / 3) < 1e-9)
    #expect(table.divergedRuns.map(\.run) == ["K=16,map=1/1"])
    #expect(table.divergedRuns[0].qAbsMax == 55 && table.divergedRuns[0].finalSrank == 51)
    // Unpooled, each map is its own group.
    #expect(try RunGroup.load(paths: [study.path]).count == 2)
    let docs = root.appendingPathComponent("docs")
    var report = StudyReport(groups: groups, outputDirectory: docs)
    report.note = "A reduced run."
    let html = try report.html()
    #expect(html.contains("<p><strong>A reduced run.</strong></p>"))
    #expect(html.contains("<h3>Diverged runs</h3>"))
    #expect(html.contains("<td>4 <span class=\"sd\">(1 diverged)</span></td>"))
    let copy = try #require(report.replayCopies.first)
    #expect(copy.to.path.hasPrefix(docs.standardizedFileURL.path + "/report-replays/"))
    #expect(html.contains("href=\"report-replays/"))
    #expect(!html.contains("href=\"../"))
  }

  /// A sweep's directory as `report` and `plot` read it: grouped by its swept keys (`by` keeps
  /// the named axes and pools the rest with the seeds), with failed and unfinished runs counted
  /// beside their group but kept out of its figures.
  @Test func sweepDirectoriesGroupBySweptKeysAndLeaveUnfinishedRunsOut() throws {
    let root = try PlotFixtures.directory()
    for (lr, hidden, seed, status, srank) in [
      ("1e-3", "8", 0, "finished", 10), ("1e-3", "16", 0, "finished", 20),
      ("1e-2", "8", 0, "finished", 30), ("1e-2", "16", 0, "failed", 99),
    ] {
      let run = root.appendingPathComponent("sw/lr=\(lr),hidden=\(hidden)/\(seed)")
      try PlotFixtures.write(
        "{\"step\":1,\"rank/srank\":\(srank)}\n", to: run.appendingPathComponent("metrics.jsonl"))
      try PlotFixtures.write(
        #"{"name":"sw","variant":"lr=\#(lr),hidden=\#(hidden)","seed":\#(seed),"status":"\#(status)"}"#,
        to: run.appendingPathComponent("run.json"))
    }
    let sweep = root.appendingPathComponent("sw").path
    #expect(try RunGroup.load(paths: [sweep]).map(\.label).count == 4)
    let byRate = try RunGroup.load(paths: [sweep], by: ["lr"])
    #expect(byRate.map(\.label) == ["lr=1e-2", "lr=1e-3"])
    let table = FinalFigures(byRate, metrics: ["rank/srank"])
    #expect(
      table.rows[1].cells[0] == FinalFigures.Cell(mean: 15, std: 7.0710678118654755, seeds: 2))
    // The failed run's last value (99) is not a final one.
    #expect(table.rows[0].cells[0] == FinalFigures.Cell(mean: 30, std: 0, seeds: 1))
    #expect(table.html.contains("<td>2 <span class=\"sd\">(1 failed)</span></td>"))
    #expect(throws: PlotError.unknownAxis("rate", known: ["lr", "hidden"])) {
      try RunGroup.load(paths: [sweep], by: ["rate"])
    }
  }
}
