import Foundation
import Testing

@testable import RankLab

/// `ranklab sweep` through the CLI: the plan, a pool of processes, finished runs skipped, a
/// failed run reported with its log while the others go on, and `ranklab status`.
@Suite(.serialized) struct SweepTests {
  static let config = """
    name: sw
    seeds: [0, 1]
    steps: 1000
    env: {id: gridworld/four-rooms, observation: rowcol_onehot}
    agent:
      network: {hidden: [16, 16]}
      batch_size: 32
      train_freq: 4
      learning_starts: 200
      dqn: {loss: mse, target_update: {every: 200}}
    replay: {capacity: 1000}
    eval: {every: 500, episodes: 2, final_episodes: 2}
    rank: {every: 500, probe_size: 32}
    checkpoint: {every: 500}
    log: {every: 250}
    sweep:
      lr: {agent.learning_rate: [1e-3, 1e30], agent.max_grad_norm: [10, 0]}
    """

  static func ranklab(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let binary = try #require(TrainingRunTests.ranklabBinary())
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
  }

  @Test func sweepSkipsFinishedRunsReportsFailuresAndGoesOn() throws {
    let root = try temporaryDirectory()
    let file = root.appendingPathComponent("sw.yaml")
    try Self.config.write(to: file, atomically: true, encoding: .utf8)
    let out = root.appendingPathComponent("out").path
    let sweep = ["sweep", file.path, "--out", out]

    let plan = try Self.ranklab(sweep + ["--list"])
    #expect(plan.status == 0)
    #expect(plan.output.split(separator: "\n").filter { $0.contains("pending") }.count == 4)
    #expect(plan.output.contains("\(out)/lr=1e-3/0"), "\(plan.output)")
    // A --set that pushes every variant's rank interval beyond its length says so.
    let short = try Self.ranklab(sweep + ["--list", "--set", "steps=400"])
    #expect(
      short.output.contains("(variant lr=1e-3): rank.every = 500 is beyond steps = 400"),
      "\(short.output)")

    #expect(try Self.ranklab(sweep + ["--task", "0", "--quiet"]).status == 0)
    let whole = try Self.ranklab(sweep + ["--jobs", "2", "--quiet"])
    #expect(whole.status != 0, "two runs diverge: the sweep must say it failed")
    #expect(whole.output.contains("1 finished before (skipped)"), "\(whole.output)")
    let failures = whole.output.split(separator: "\n").filter { $0.hasPrefix("FAILED") }
    #expect(failures.count == 2, "\(whole.output)")
    #expect(failures.allSatisfy { $0.contains("lr=1e30") && $0.contains(".log") })
    #expect(whole.output.contains("train/loss is not finite"), "the log's tail names the cause")

    let status = try Self.ranklab(["status", out])
    #expect(status.output.contains("4 runs: 2 done, 0 running, 2 failed, 0 interrupted, 0 pending"))

    // The run made by `--task` alone and the one made by the pool equal a plain `run`.
    let single = root.appendingPathComponent("single").path
    let plain = root.appendingPathComponent("plain.yaml")
    try String(Self.config.prefix(upTo: Self.config.range(of: "sweep:")!.lowerBound)).write(
      to: plain, atomically: true, encoding: .utf8)
    #expect(
      try Self.ranklab([
        "run", plain.path, "--seed", "1", "--set", "agent.learning_rate=1e-3", "--set",
        "agent.max_grad_norm=10", "--out", single, "--quiet",
      ]).status == 0)
    #expect(
      try TrainingRunTests.rows(RunDirectory(url: URL(fileURLWithPath: "\(single)/1")))
        == TrainingRunTests.rows(RunDirectory(url: URL(fileURLWithPath: "\(out)/lr=1e-3/1"))))
  }
}
