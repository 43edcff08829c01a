import Foundation
import Testing

@testable import RankLab

@Suite struct PlotReadingTests {
  @Test func partialLastLineIsSkippedAndNullsAreDropped() throws {
    let text = """
      {"step":1,"a":1.5,"b":null}
      {"step":2,"a":2.5,"b":3}
      {"step":3,"a":
      """
    let parsed = try RunReader.parseMetrics(Data(text.utf8), file: "m.jsonl")
    #expect(parsed.rows.map(\.step) == [1, 2])
    #expect(parsed.rows[0].values == ["a": 1.5])
    #expect(parsed.rows[1].values == ["a": 2.5, "b": 3])
    #expect(parsed.keys == ["a", "b"])
  }

  @Test func renamedKeysOfOldRunsReadUnderTheirNewNames() throws {
    let old = try RunReader.parseMetrics(
      Data("{\"step\":1,\"rank/effective_rank\":7.5}\n".utf8), file: "m.jsonl")
    #expect(old.keys == ["rank/entropy_rank"] && old.rows[0].values["rank/entropy_rank"] == 7.5)
    #expect(CurveOptions(metrics: ["rank/effective_rank"]).metrics == ["rank/entropy_rank"])
  }

  @Test func malformedMiddleLineNamesFileAndLine() {
    let text = "{\"step\":1,\"a\":1}\n\n{\"step\":2,\"a\":\n{\"step\":3,\"a\":1}\n"
    #expect(throws: PlotError.malformedLine(file: "m.jsonl", line: 3, reason: "not valid JSON")) {
      try RunReader.parseMetrics(Data(text.utf8), file: "m.jsonl")
    }
    // A complete (newline-terminated) last line that is broken is an error too.
    #expect(throws: PlotError.self) {
      try RunReader.parseMetrics(Data("{\"step\":1}\n{\"a\":2}\n".utf8), file: "m.jsonl")
    }
  }

  @Test func missingRunsAndUnknownMetricsSayWhatExists() throws {
    let root = try PlotFixtures.directory()
    let empty = root.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    #expect(throws: PlotError.noRuns(path: empty.path)) { try RunGroup.load(paths: [empty.path]) }
    try PlotFixtures.writeRun(
      at: root.appendingPathComponent("a/0"), name: "a", variant: nil, seed: 0)
    let groups = try RunGroup.load(paths: [root.appendingPathComponent("a").path])
    do {
      _ = try LineChart.curves(groups, options: CurveOptions(metrics: ["rank/srnk"]))
      Issue.record("an unknown metric must throw")
    } catch let error as PlotError {
      guard case .unknownMetric(let name, let available) = error else {
        Issue.record("wrong error \(error)")
        return
      }
      #expect(name == "rank/srnk")
      #expect(available.contains("rank/srank") && available.contains("eval/return_mean"))
      #expect(error.description.contains("available: eval/return_mean"))
    }
  }

  @Test func groupsSeedsBySweepValueInNaturalOrder() throws {
    let root = try PlotFixtures.directory()
    try PlotFixtures.writeStudy(at: root, ks: [64, 4, 16], seeds: 2)
    let groups = try RunGroup.load(paths: [
      root.appendingPathComponent("fqi-gradsteps").path,
      root.appendingPathComponent("mc-gridworld/1").path,
    ])
    #expect(groups.map(\.label) == ["K=4", "K=16", "K=64", "mc-gridworld"])
    #expect(groups.map(\.runs.count) == [2, 2, 2, 1])
    #expect(groups[1].runs.map(\.info.seed) == [0, 1])
    #expect(groups[3].source == 1)
    #expect(groups[0].fullLabel == "fqi-gradsteps K=4")
  }

  @Test func withoutRunJsonTheParentDirectoryNamesTheGroup() throws {
    let root = try PlotFixtures.directory()
    for seed in 0..<2 {
      try PlotFixtures.write(
        "{\"step\":10,\"x\":\(seed)}\n",
        to: root.appendingPathComponent("hand/\(seed)/metrics.jsonl"))
    }
    let groups = try RunGroup.load(paths: [root.path])
    #expect(groups.count == 1)
    #expect(groups[0].name == "hand")
    #expect(groups[0].runs.map(\.info.seed) == [0, 1])
  }

  @Test func csvExportHasOneRowPerLoggedValue() throws {
    let root = try PlotFixtures.directory()
    try PlotFixtures.write(
      "{\"step\":1,\"b\":2,\"a\":1}\n{\"step\":2,\"a\":null,\"b\":0.5}\n",
      to: root.appendingPathComponent("s/K=1,x/0/metrics.jsonl"))
    try PlotFixtures.write(
      #"{"name":"s","variant":"K=1,x","seed":0}"#,
      to: root.appendingPathComponent("s/K=1,x/0/run.json"))
    let csv = MetricsCSV.csv(try RunGroup.load(paths: [root.path]))
    #expect(
      csv == """
        run,variant,seed,step,key,value
        s,"K=1,x",0,1,a,1.0
        s,"K=1,x",0,1,b,2.0
        s,"K=1,x",0,2,b,0.5

        """)
  }
}
