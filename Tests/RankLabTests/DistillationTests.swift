import Environments
import Foundation
import Testing

@testable import RankLab

/// Policy distillation: each loss's gradient against finite differences, a student learning to
/// agree with a hand-built teacher, ensembles, self-distillation rounds and the bad inputs.
@Suite(.serialized) struct DistillationTests {
  /// A hand-built teacher: a DQN agent's randomly initialised Q-network (a fixed, nonlinear
  /// greedy policy) on CartPole, saved as a finished run's policy file in `directory`.
  static func makeTeacher(_ directory: URL, seed: UInt64, hidden: [Int] = [32, 32]) throws {
    var config = ExperimentConfig()
    config.agent.network.hidden = hidden
    var initRNG = PCG64(seed: seed, stream: [2])
    let teacher = QLearningAgent(
      config: config.agent, observationCount: 4, actionCount: 2, totalSteps: config.steps,
      initRNG: &initRNG, rng: PCG64(seed: seed, stream: [3]))
    let env = CartPole()
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try PolicyFile.write(
      agent: teacher, config: config, observationSpace: env.observationSpace,
      actionSpace: env.actionSpace, to: directory.appendingPathComponent(PolicyFile.name))
  }

  static func config(teachers: [URL], extra: String = "", hidden: String = "[16]") -> String {
    """
    name: student
    steps: 3000
    env: {id: CartPole-v1}
    agent:
      algorithm: distill
      network: {hidden: \(hidden)}
      batch_size: 32
      learning_starts: 200
      distill:
        teachers: [\(teachers.map(\.path).joined(separator: ", "))]
        exploration_eps: 0.2
    \(extra)
    replay: {capacity: 3000}
    eval: {every: 3000, episodes: 2, final_episodes: 3}
    rank: {every: 1000, probe_size: 64}
    checkpoint: {every: 0}
    log: {every: 500}
    """
  }

  static func makeRun(_ root: URL, text: String, name: String = "student") throws -> TrainingRun {
    let loaded = try ConfigLoader.load(ExperimentConfig.self, text: text, file: "distill.yaml")
    let run = TrainingRun(
      config: loaded.config, variant: "", seed: 0,
      directory: RunDirectory(
        experiment: root.appendingPathComponent(name), variant: "", seed: 0),
      resolvedYAML: loaded.resolvedYAML)
    run.showProgress = false
    return run
  }

  static func lastRow(_ directory: RunDirectory, with key: String) throws -> [String: Double] {
    let lines = try String(contentsOf: directory.metrics, encoding: .utf8).split(separator: "\n")
    for line in lines.reversed() {
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
      if object[key] != nil { return object.compactMapValues { $0 as? Double } }
    }
    return [:]
  }

  @Test(arguments: [
    (DistillConfig.Loss.kl, Float(0)), (.nll, 0), (.mse, 0), (.kd, 0), (.kd, 0.3),
  ])
  func lossGradientsMatchFiniteDifferences(loss: DistillConfig.Loss, hardLabelWeight: Float) {
    var rng = PCG64(seed: 9)
    let (rows, columns) = (3, 4)
    let temperature: Float = loss == .kd ? 2 : 1
    let z0 = GradientCheckTests.randoms(rows * columns, &rng, scale: 2)
    let q = GradientCheckTests.randoms(rows * columns, &rng, scale: 3)
    var p = [Float](repeating: 0, count: rows * columns)
    q.withUnsafeBufferPointer { qb in
      p.withUnsafeMutableBufferPointer {
        // kl: Rusu's sharpening of Q-values (τ = 0.5 keeps the targets soft enough to test).
        Losses.softmax(
          qb, rows: rows, columns: columns, temperature: loss == .kd ? temperature : 0.5, into: $0)
      }
    }
    let labels = (0..<rows).map { Int32(QLearningAgent.argmax(q, $0 * columns, columns)) }
    var gradient = [Float](repeating: 0, count: rows * columns)
    var scratch = gradient
    var unused = gradient
    var unusedScratch = gradient
    func value(_ z: [Float], _ g: inout [Float], _ s: inout [Float]) -> Float {
      z.withUnsafeBufferPointer { zb in
        q.withUnsafeBufferPointer { qb in
          p.withUnsafeBufferPointer { pb in
            labels.withUnsafeBufferPointer { lb in
              g.withUnsafeMutableBufferPointer { gb in
                s.withUnsafeMutableBufferPointer { sb in
                  DistillationLoss.evaluate(
                    loss, student: zb, teacherOutputs: qb, teacherProbabilities: pb, labels: lb,
                    rows: rows, columns: columns, temperature: temperature,
                    hardLabelWeight: hardLabelWeight, gradient: gb, scratch: sb)
                }
              }
            }
          }
        }
      }
    }
    let total = value(z0, &gradient, &scratch)
    #expect(total > 0)
    for i in 0..<z0.count {
      let numeric = GradientCheckTests.numeric(z0, i, h: 1e-3) {
        Double(value($0, &unused, &unusedScratch))
      }
      #expect(
        GradientCheckTests.close(Double(gradient[i]), numeric),
        "\(loss) \(i): \(gradient[i]) vs \(numeric)")
    }
  }

  @Test func hintonScaleKeepsTheSoftGradientComparableAcrossTemperatures() {
    // Hinton et al.: for large T the soft term's gradient is ≈ (z − q) / (rows · columns) once
    // scaled by T², whatever T; without T² it would shrink as 1/T².
    var rng = PCG64(seed: 3)
    let (rows, columns) = (2, 3)
    let q = GradientCheckTests.randoms(rows * columns, &rng)
    let z = GradientCheckTests.randoms(rows * columns, &rng)
    func gradientNorm(_ t: Float) -> Float {
      var p = [Float](repeating: 0, count: rows * columns)
      var g = p
      var s = p
      q.withUnsafeBufferPointer { qb in
        p.withUnsafeMutableBufferPointer {
          Losses.softmax(qb, rows: rows, columns: columns, temperature: t, into: $0)
        }
      }
      let labels = [Int32](repeating: 0, count: rows)
      _ = z.withUnsafeBufferPointer { zb in
        q.withUnsafeBufferPointer { qb in
          p.withUnsafeBufferPointer { pb in
            labels.withUnsafeBufferPointer { lb in
              g.withUnsafeMutableBufferPointer { gb in
                s.withUnsafeMutableBufferPointer { sb in
                  DistillationLoss.evaluate(
                    .kd, student: zb, teacherOutputs: qb, teacherProbabilities: pb, labels: lb,
                    rows: rows, columns: columns, temperature: t, hardLabelWeight: 0,
                    gradient: gb, scratch: sb)
                }
              }
            }
          }
        }
      }
      return g.map { $0 * $0 }.reduce(0, +).squareRoot()
    }
    let (at10, at40) = (gradientNorm(10), gradientNorm(40))
    #expect(abs(at10 - at40) / at40 < 0.1, "\(at10) vs \(at40)")
  }

  @Test func studentLearnsToAgreeWithAHandBuiltTeacher() throws {
    let root = try temporaryDirectory()
    let teacher = root.appendingPathComponent("teacher")
    try Self.makeTeacher(teacher, seed: 5)
    let run = try Self.makeRun(root, text: Self.config(teachers: [teacher]))
    let summary = try run.run()
    let last = try Self.lastRow(run.directory, with: "distill/agreement")
    #expect((last["distill/agreement"] ?? 0) >= 0.95, "\(last)")
    #expect(last["distill/student_parameters"] == Double(4 * 16 + 16 + 16 * 2 + 2))
    #expect(last["distill/teacher_parameters"] == Double(4 * 32 + 32 + 32 * 32 + 32 + 32 * 2 + 2))
    let rank = try Self.lastRow(run.directory, with: "rank/srank")
    #expect((rank["rank/srank"] ?? 0) >= 1)
    // The teacher acts on the final evaluation's seeds beside the student.
    #expect(summary.comparisons?["teacher_0"] != nil)
    // The teacher's srank on the student's probe states, beside the student's.
    #expect((summary.comparisonSranks?["teacher_0"] ?? 0) >= 1)
    // The student's policy file acts without its teachers.
    let student = try PolicyFile.load(run.directory.url.path)
    #expect(student.meta.algorithm == "distill")
    var env = CartPole()
    var seedSource = PCG64(seed: 0, stream: [6])
    let seeds = (0..<3).map { _ in seedSource.next() >> 1 }
    let replayed = try Evaluation.run(&env, agent: student.agent, episodes: 3, seeds: seeds)
    #expect(replayed.mean == summary.finalReturnMean)
  }

  @Test func discreteSACTeacherIsMatchedAsAPolicy() throws {
    // A policy teacher: the student matches softmax of the actor's logits (KL between the
    // policies, no τ sharpening).
    let root = try temporaryDirectory()
    let teacher = root.appendingPathComponent("sac")
    var config = ExperimentConfig()
    config.agent = AgentConfig.defaults(for: .sac)
    config.agent.network.hidden = [16]
    let env = CartPole()
    let sac = try AgentCatalog.make(
      AgentContext(
        config: config, observationSpace: env.observationSpace, actionSpace: env.actionSpace,
        seed: 3))
    try FileManager.default.createDirectory(at: teacher, withIntermediateDirectories: true)
    try PolicyFile.write(
      agent: sac, config: config, observationSpace: env.observationSpace,
      actionSpace: env.actionSpace, to: teacher.appendingPathComponent(PolicyFile.name))
    let run = try Self.makeRun(root, text: Self.config(teachers: [teacher]))
    try run.run()
    let rows = try String(contentsOf: run.directory.metrics, encoding: .utf8)
      .split(separator: "\n").compactMap {
        (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?[
          "distill/loss"] as? Double
      }
    let last = try Self.lastRow(run.directory, with: "distill/agreement")
    #expect(rows.count >= 2 && rows.last! < rows.first! / 2, "\(rows)")
    #expect((last["distill/agreement"] ?? 0) >= 0.9, "\(last)")
  }

  @Test func gaussianKLGradientMatchesFiniteDifferences() {
    var rng = PCG64(seed: 12)
    let (rows, m) = (3, 2)
    let teacher = GradientCheckTests.randoms(rows * 2 * m, &rng)
    let s0 = GradientCheckTests.randoms(rows * 2 * m, &rng)
    var gradient = [Float](repeating: 0, count: rows * 2 * m)
    var unused = gradient
    func value(_ s: [Float], _ g: inout [Float]) -> Float {
      teacher.withUnsafeBufferPointer { t in
        s.withUnsafeBufferPointer { sb in
          g.withUnsafeMutableBufferPointer {
            DistillationLoss.gaussianKL(
              teacher: t, student: sb, rows: rows, dimensions: m, gradient: $0)
          }
        }
      }
    }
    #expect(value(s0, &gradient) > 0)
    #expect(abs(value(teacher, &unused)) < 1e-6)
    for i in 0..<s0.count {
      let numeric = GradientCheckTests.numeric(s0, i, h: 1e-3) { Double(value($0, &unused)) }
      #expect(
        GradientCheckTests.close(Double(gradient[i]), numeric),
        "gaussian kl \(i): \(gradient[i]) vs \(numeric)")
    }
  }

  @Test func gaussianStudentLearnsAContinuousSACTeacher() throws {
    let root = try temporaryDirectory()
    let teacher = root.appendingPathComponent("sac")
    var config = ExperimentConfig()
    config.env.id = "Pendulum-v1"
    config.agent = AgentConfig.defaults(for: .sac)
    config.agent.network.hidden = [16]
    let env = try EnvironmentCatalog.make(id: config.env.id, options: config.env.options)
    let sac = try AgentCatalog.make(
      AgentContext(
        config: config, observationSpace: env.observationSpace, actionSpace: env.actionSpace,
        seed: 4))
    try FileManager.default.createDirectory(at: teacher, withIntermediateDirectories: true)
    try PolicyFile.write(
      agent: sac, config: config, observationSpace: env.observationSpace,
      actionSpace: env.actionSpace, to: teacher.appendingPathComponent(PolicyFile.name))
    let text = Self.config(teachers: [teacher])
      .replacingOccurrences(of: "CartPole-v1", with: "Pendulum-v1")
      .replacingOccurrences(of: "steps: 3000", with: "steps: 2000")
    let run = try Self.makeRun(root, text: text)
    let summary = try run.run()
    var losses: [Double] = []
    var errors: [Double] = []
    for line in try String(contentsOf: run.directory.metrics, encoding: .utf8).split(
      separator: "\n")
    {
      let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
      if let loss = row["distill/loss"] as? Double { losses.append(loss) }
      if let error = row["distill/action_error"] as? Double { errors.append(error) }
    }
    #expect(losses.count >= 2 && losses.last! < losses.first! / 5, "\(losses)")
    #expect((errors.last ?? 1) < 0.05, "\(errors)")
    #expect(summary.comparisons?["teacher_0"] != nil)
    // The student reloads from its policy file as a continuous student.
    let student = try PolicyFile.load(run.directory.url.path)
    #expect(student.agent is GaussianDistillationAgent)
  }

  @Test func ensembleOfTwoTeachersIntoALinearStudentWithDAgger() throws {
    let root = try temporaryDirectory()
    let teachers = [root.appendingPathComponent("t0"), root.appendingPathComponent("t1")]
    for (k, url) in teachers.enumerated() { try Self.makeTeacher(url, seed: UInt64(10 + k)) }
    let text = Self.config(teachers: teachers, hidden: "[]")
      .replacingOccurrences(of: "steps: 3000", with: "steps: 1200")
      .replacingOccurrences(
        of: "exploration_eps: 0.2", with: "exploration_eps: 0.2\n    data: dagger\n    loss: kd")
    let run = try Self.makeRun(root, text: text)
    let summary = try run.run()
    #expect(
      Set(summary.comparisons?.keys.map { $0 } ?? []) == ["teacher_0", "teacher_1", "ensemble"])
    let last = try Self.lastRow(run.directory, with: "distill/dagger_beta")
    #expect((last["distill/dagger_beta"] ?? 1) < 1)
    let row = try Self.lastRow(run.directory, with: "distill/student_parameters")
    #expect(row["distill/student_parameters"] == Double(4 * 2 + 2))
  }

  @Test func offlineDistillationFromACollectedDataset() throws {
    let root = try temporaryDirectory()
    let teacher = root.appendingPathComponent("teacher")
    try Self.makeTeacher(teacher, seed: 7)
    let text = Self.config(teachers: [teacher])
      .replacingOccurrences(of: "steps: 3000", with: "steps: 2000")
      .replacingOccurrences(of: "exploration_eps: 0.2", with: "data: offline")
      .replacingOccurrences(
        of: "replay: {capacity: 3000}",
        with: "replay: {capacity: 3000}\noffline: {enabled: true, dataset_steps: 2000}")
    let run = try Self.makeRun(root, text: text)
    try run.run()
    let last = try Self.lastRow(run.directory, with: "distill/agreement")
    #expect((last["distill/agreement"] ?? 0) >= 0.95, "\(last)")
  }

  @Test func interruptedDistillationResumesToTheSameNumbers() throws {
    let root = try temporaryDirectory()
    let teacher = root.appendingPathComponent("teacher")
    try Self.makeTeacher(teacher, seed: 8)
    let text = Self.config(teachers: [teacher], extra: "")
      .replacingOccurrences(of: "steps: 3000", with: "steps: 1500")
      .replacingOccurrences(of: "checkpoint: {every: 0}", with: "checkpoint: {every: 500}")
      .replacingOccurrences(
        of: "exploration_eps: 0.2", with: "exploration_eps: 0.2\n    data: dagger")
    let whole = try Self.makeRun(root, text: text, name: "whole")
    try whole.run()
    let parts = try Self.makeRun(root, text: text, name: "parts")
    parts.stopAfter = 1000
    try parts.run()
    try Self.makeRun(root, text: text, name: "parts").run(resume: true)
    #expect(try TrainingRunTests.rows(whole.directory) == TrainingRunTests.rows(parts.directory))
  }

  /// `{seed}` in a teacher path (and the reference) is the run's seed; config.yaml keeps it.
  @Test func teacherPathsNameTheStudentsSeed() throws {
    var config = ExperimentConfig()
    config.agent.algorithm = .distill
    var distill = DistillConfig()
    distill.teachers = ["runs/t/{seed}", "runs/fixed/0"]
    distill.reference = "runs/r/{seed}/policy.rlck"
    config.agent.distill = distill
    let run = TrainingRun(
      config: config, variant: "", seed: 2,
      directory: RunDirectory(url: try temporaryDirectory().appendingPathComponent("2")),
      resolvedYAML: "")
    #expect(run.config.agent.distill?.teachers == ["runs/t/2", "runs/fixed/0"])
    #expect(run.config.agent.distill?.reference == "runs/r/2/policy.rlck")
    let shipped = try StudyConfigTests.variants("distill-cartpole.yaml")
    #expect(shipped.first?.loaded.config.agent.distill?.teachers == ["runs/dqn-cartpole/{seed}"])
  }

  @Test func selfDistillationRoundsChainAndResume() throws {
    let root = try temporaryDirectory()
    let teacher = root.appendingPathComponent("teacher")
    try Self.makeTeacher(teacher, seed: 5, hidden: [16])
    let text = Self.config(teachers: [teacher])
      .replacingOccurrences(of: "steps: 3000", with: "steps: 600")
      .replacingOccurrences(of: "exploration_eps: 0.2", with: "exploration_eps: 0.2\n    rounds: 2")
    let loaded = try ConfigLoader.load(ExperimentConfig.self, text: text, file: "rounds.yaml")
    let experiment = root.appendingPathComponent("rounds")
    let rounds = try DistillationRounds.plan(
      config: loaded.config, variant: "", seed: 0, experiment: experiment, force: false)
    #expect(rounds.map(\.start) == [.fresh, .fresh])
    #expect(rounds[1].run.config.agent.distill?.teachers == [rounds[0].run.directory.url.path])
    #expect(rounds[1].run.config.agent.distill?.reference == teacher.path)
    for round in rounds {
      round.run.showProgress = false
      try round.run.run()
    }
    let second = try Self.lastRow(rounds[1].run.directory, with: "distill/agreement_reference")
    #expect(second["distill/agreement_reference"] != nil)
    // Run again: both rounds are kept as they are.
    let again = try DistillationRounds.plan(
      config: loaded.config, variant: "", seed: 0, experiment: experiment, force: false)
    #expect(again.map(\.start) == [.finished, .finished])
    // Rounds made from another config are not kept as if they were this one's.
    var changed = loaded.config
    changed.steps = 700
    #expect(throws: StaleRound.self) {
      _ = try DistillationRounds.plan(
        config: changed, variant: "", seed: 0, experiment: experiment, force: false)
    }
    let forced = try DistillationRounds.plan(
      config: changed, variant: "", seed: 0, experiment: experiment, force: true)
    #expect(forced.map(\.start) == [.fresh, .fresh])
  }

  @Test func badTeachersAreOneLineErrorsAndNothingIsWritten() throws {
    let root = try temporaryDirectory()
    let empty = root.appendingPathComponent("unfinished")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    let gridTeacher = root.appendingPathComponent("grid")
    try FileManager.default.createDirectory(at: gridTeacher, withIntermediateDirectories: true)
    var grid = ExperimentConfig()
    grid.env.id = "gridworld/four-rooms"
    grid.agent.network.hidden = [8]
    let gridEnv = try EnvironmentCatalog.make(id: grid.env.id, options: grid.env.options)
    let gridAgent = try AgentCatalog.make(
      AgentContext(
        config: grid, observationSpace: gridEnv.observationSpace,
        actionSpace: gridEnv.actionSpace, seed: 0))
    try PolicyFile.write(
      agent: gridAgent, config: grid, observationSpace: gridEnv.observationSpace,
      actionSpace: gridEnv.actionSpace, to: gridTeacher.appendingPathComponent(PolicyFile.name))
    // A student wider than the memory allows is refused before anything is allocated.
    let wide = try Self.makeRun(
      root, text: Self.config(teachers: [gridTeacher], hidden: "[4000000, 4000000]"), name: "bad")
    do {
      try wide.run()
      Issue.record("a 16e12-parameter student was built")
    } catch let error as RunError {
      #expect(error.description.hasPrefix("agent.network.hidden"), "\(error)")
      #expect(error.description.contains("make it narrower"))
    }
    for (teacher, expected) in [
      (empty, "agent.distill.teachers[0]: \(empty.path): no policy.rlck"),
      (gridTeacher, "the teacher's observation space is"),
    ] {
      let run = try Self.makeRun(root, text: Self.config(teachers: [teacher]), name: "bad")
      do {
        try run.run()
        Issue.record("a run started with teacher \(teacher.path)")
      } catch let error as RunError {
        #expect(error.description.contains(expected), "\(error)")
        #expect(!error.description.contains("\n"))
      }
      #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("bad").path))
    }
  }

  @Test func temperaturesAndSectionsAreChecked() throws {
    let teacher = URL(fileURLWithPath: "/nonexistent")
    for (extra, key) in [
      ("tau: 0", "agent.distill.tau"), ("temperature: -1", "agent.distill.temperature"),
      ("data: offline", "agent.distill.data"),
    ] {
      let text = Self.config(teachers: [teacher]).replacingOccurrences(
        of: "exploration_eps: 0.2", with: "exploration_eps: 0.2\n    \(extra)")
      do {
        _ = try ConfigLoader.load(ExperimentConfig.self, text: text, file: "d.yaml")
        Issue.record("\(extra) was accepted")
      } catch let error as ConfigError {
        #expect(error.description.contains(key), "\(error)")
      }
    }
    do {
      _ = try ConfigLoader.load(
        ExperimentConfig.self, text: "agent: {algorithm: dqn, distill: {tau: 0.1}}",
        file: "d.yaml")
      Issue.record("a distill section was accepted for dqn")
    } catch let error as ConfigError {
      #expect(error.description.contains("belongs to algorithm distill"))
    }
    let overridden = try ConfigLoader.load(
      ExperimentConfig.self, text: Self.config(teachers: [teacher]), file: "d.yaml",
      overrides: ["agent.distill.teachers=[runs/a/0,runs/b/0]"])
    #expect(overridden.config.agent.distill?.teachers == ["runs/a/0", "runs/b/0"])
  }
}
