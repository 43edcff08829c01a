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

  static func ranklab(_ arguments: [String], path: String? = nil) throws -> (
    status: Int32, output: String
  ) {
    let binary = try #require(TrainingRunTests.ranklabBinary())
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    if let path {
      var environment = ProcessInfo.processInfo.environment
      environment["PATH"] = path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
      process.environment = environment
    }
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
    let retry = try Self.ranklab(sweep + ["--jobs", "2", "--quiet", "--retry-failed"])
    #expect(
      retry.output.contains("2 finished before (skipped), 2 stopped unfinished to retry"),
      "\(retry.output)")
    #expect(retry.output.split(separator: "\n").filter { $0.hasPrefix("FAILED") }.count == 2)

    // Finished runs made from another config are not skipped as if they were this sweep's.
    let changed = try Self.ranklab(
      sweep + ["--jobs", "2", "--quiet", "--set", "agent.batch_size=16"])
    #expect(changed.status != 0)
    #expect(
      changed.output.contains("2 run(s) of this sweep were made from another config"),
      "\(changed.output)")
    #expect(try Self.ranklab(["status", out]).output.contains("2 done, 0 running, 2 failed"))
    // Adding a seed to a sweep keeps the runs of the seeds it had.
    let more = try Self.ranklab(sweep + ["--list", "--seeds", "0,1,2"])
    #expect(more.status == 0 && !more.output.contains("differs"), "\(more.output)")

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

  /// `--backend slurm` against stand-ins for sbatch and squeue (the real Slurm is
  /// Tests/Slurm/sweep-through-slurm.sh, which `make test` runs): the script follows the
  /// `slurm:` section with the flags over it, status reads the queue, a task that left the
  /// queue without starting its run is failed, and --retry-failed submits exactly those.
  @Test func slurmBackendReadsTheQueueAndRetriesWhatFailed() throws {
    let root = try temporaryDirectory()
    let bin = root.appendingPathComponent("bin")
    try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
    let queue = root.appendingPathComponent("queue")
    let jobs = root.appendingPathComponent("jobs")
    try "42".write(to: jobs, atomically: true, encoding: .utf8)
    let fakes = [
      // Prints the next job id and counts up.
      "sbatch": "id=$(cat '\(jobs.path)'); echo $((id + 1)) > '\(jobs.path)'; echo \"$id\"",
      "squeue": "cat '\(queue.path)'",
    ]
    for (name, body) in fakes {
      let file = bin.appendingPathComponent(name)
      try "#!/bin/sh\n\(body)\n".write(to: file, atomically: true, encoding: .utf8)
      try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
    }
    try "".write(to: queue, atomically: true, encoding: .utf8)
    let file = root.appendingPathComponent("sw.yaml")
    try
      (Self.config
      + "\nslurm: {partition: p, time: \"5:00\", max_parallel: 3, setup: [module load blas]}\n")
      .write(to: file, atomically: true, encoding: .utf8)
    let out = root.appendingPathComponent("out").path
    let sweep = ["sweep", file.path, "--out", out, "--backend", "slurm"]

    let submitted = try Self.ranklab(sweep + ["--partition", "q"], path: bin.path)
    #expect(
      submitted.output.contains("submitted 4 of 4 runs as Slurm job 42"), "\(submitted.output)")
    let script = try String(contentsOfFile: "\(out)/sweep.sbatch", encoding: .utf8)
    for line in [
      "#SBATCH --array=0-3%3", "#SBATCH --partition=q", "#SBATCH --time=5:00", "module load blas",
    ] {
      #expect(script.contains(line + "\n"), "\(script)")
    }

    try "42|0|RUNNING|42_0|None\n42|1-3%3|PENDING|42_[1-3%3]|JobArrayTaskLimit\n".write(
      to: queue, atomically: true, encoding: .utf8)
    let waiting = try Self.ranklab(["status", out], path: bin.path)
    #expect(
      waiting.output.contains(
        "4 runs: 0 done, 1 running, 0 failed, 0 interrupted, 3 queued, 0 pending"),
      "\(waiting.output)")
    #expect(waiting.output.contains("Slurm 42_0 RUNNING"))
    #expect(waiting.output.contains("Slurm 42_3 PENDING (JobArrayTaskLimit)"))
    let again = try Self.ranklab(sweep, path: bin.path)
    #expect(again.output.contains("nothing to submit"), "queued runs are not submitted twice")

    // Task 0 finishes, task 2 diverges, tasks 1 and 3 die before their runs begin.
    #expect(try Self.ranklab(sweep.prefix(4) + ["--task", "0", "--quiet"]).status == 0)
    #expect(try Self.ranklab(sweep.prefix(4) + ["--task", "2", "--quiet"]).status != 0)
    try "".write(to: queue, atomically: true, encoding: .utf8)
    let ended = try Self.ranklab(["status", out], path: bin.path)
    #expect(
      ended.output.contains(
        "4 runs: 1 done, 0 running, 3 failed, 0 interrupted, 0 queued, 0 pending"),
      "\(ended.output)")
    #expect(
      ended.output.contains(
        "Slurm task 42_1 ended before the run began; see \(out)/slurm-logs/42_1.log"))

    let retried = try Self.ranklab(sweep + ["--retry-failed"], path: bin.path)
    #expect(
      retried.output.contains(
        "submitted 3 of 4 runs (those that stopped unfinished) as Slurm job 43"),
      "\(retried.output)")
    let retryScript = try String(contentsOfFile: "\(out)/sweep.sbatch", encoding: .utf8)
    #expect(retryScript.contains("#SBATCH --array=1-3%3\n"), "\(retryScript)")

    // Without a readable queue, the directories alone decide, and status says so.
    let broken = bin.appendingPathComponent("squeue")
    try "#!/bin/sh\necho 'slurm_load_jobs error: Unable to contact slurm controller' >&2; exit 1\n"
      .write(to: broken, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: broken.path)
    let blind = try Self.ranklab(["status", out], path: bin.path)
    #expect(
      blind.output.contains(
        "4 runs: 1 done, 0 running, 1 failed, 0 interrupted, 0 queued, 2 pending (Slurm's queue not read: squeue failed: slurm_load_jobs error: Unable to contact slurm controller"
      ),
      "\(blind.output)")
  }
}
