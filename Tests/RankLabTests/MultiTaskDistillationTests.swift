import Environments
import Foundation
import Testing

@testable import RankLab

/// Multi-task distillation: one student from teachers of different gridworlds (one teacher per
/// task, each labelling its own task's states), evaluated task by task, its policy file played
/// by `ranklab eval`; and the teachers it refuses.
@Suite(.serialized) struct MultiTaskDistillationTests {
  /// A teacher that acts optimally on an 8x8 Fu gridworld (`map_seed`, one-hot cells): a DQN
  /// agent whose [cells] hidden layer is the identity and whose output layer holds the exact Q*
  /// of that map (value iteration), saved as a finished run's policy file in `directory`.
  static func makeOptimalTeacher(_ directory: URL, mapSeed: UInt64, size: Int = 8) throws {
    var config = ExperimentConfig()
    config.env.id = "gridworld/fu"
    config.env.options.size = size
    config.env.options.mapSeed = mapSeed
    config.env.options.observation = .onehot
    config.agent.gamma = 0.95
    let made = try EnvironmentCatalog.make(id: config.env.id, options: config.env.options)
    let env = try #require(made as? Gridworld)
    let cells = env.observationSpace.flatCount
    let actions = env.tabularActionCount
    config.agent.network.hidden = [cells]
    var initRNG = PCG64(seed: mapSeed, stream: [2])
    let teacher = QLearningAgent(
      config: config.agent, observationCount: cells, actionCount: actions,
      totalSteps: config.steps, initRNG: &initRNG, rng: PCG64(seed: mapSeed, stream: [3]))
    let network = teacher.online
    var parameters = [Float](repeating: 0, count: network.parameters.count)
    for j in 0..<cells { parameters[network.weightOffsets[0] + j * cells + j] = 1 }
    let states = env.reachableStates()
    let q = env.optimalActionValues(gamma: config.agent.gamma)
    let observations = env.observations(ofStates: states)
    for (row, state) in states.enumerated() {
      let cell = try #require((0..<cells).first { observations[row * cells + $0] == 1 })
      for a in 0..<actions {
        parameters[network.weightOffsets[1] + a * cells + cell] = Float(q[state * actions + a])
      }
    }
    network.parameters = parameters
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try PolicyFile.write(
      agent: teacher, config: config, observationSpace: env.observationSpace,
      actionSpace: env.actionSpace, to: directory.appendingPathComponent(PolicyFile.name))
  }

  static func config(teachers: [URL], extra: String = "", steps: Int = 3000) -> String {
    """
    name: student
    steps: \(steps)
    agent:
      algorithm: distill
      network: {hidden: [32]}
      learning_rate: 3e-3
      batch_size: 64
      learning_starts: 300
      distill:
        multitask: true
        teachers: [\(teachers.map(\.path).joined(separator: ", "))]
        exploration_eps: 0.2
    \(extra)
    replay: {capacity: \(steps)}
    eval: {every: \(steps), episodes: 2, final_episodes: 5}
    rank: {every: 0}
    checkpoint: {every: 0}
    log: {every: 500}
    """
  }

  static func temporaryDirectory() throws -> URL {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "multitask-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    return root
  }

  static func teachers(in root: URL, seeds: [UInt64] = [0, 1, 2]) throws -> [URL] {
    try seeds.map { seed in
      let directory = root.appendingPathComponent("teacher-\(seed)")
      try makeOptimalTeacher(directory, mapSeed: seed)
      return directory
    }
  }

  @Test func studentReachesEachTeachersReturnOnItsTask() throws {
    let root = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let teachers = try Self.teachers(in: root)
    let run = try DistillationTests.makeRun(root, text: Self.config(teachers: teachers))
    let summary = try run.run()
    let students = try #require(summary.taskReturnMeans)
    let comparisons = try #require(summary.comparisons)
    #expect(students.count == 3)
    #expect(summary.tasks?.map(\.options.mapSeed) == [0, 1, 2])
    for k in 0..<3 {
      let teacher = try #require(comparisons["teacher_\(k)"])
      #expect(teacher > 20, "teacher \(k) is optimal on its map: \(teacher)")
      #expect(students[k] >= 0.9 * teacher, "task \(k): student \(students[k]), teacher \(teacher)")
    }
    // The maps need different actions in the same cells: teacher 0 on map 1 falls far behind
    // its own score, so a student that ignored the task id could not pass the lines above.
    let teacher0 = try PolicyFile.load(teachers[0].path)
    var onMap1 = teacher0.meta.env
    onMap1.options.mapSeed = 1
    let elsewhere = try PolicyEvaluation.run(teacher0, env: onMap1, episodes: 5)
    #expect(elsewhere.returnMean < 0.5 * students[1], "teacher 0 on map 1: \(elsewhere.returnMean)")

    // Agreement per task is logged; Q* ties between equally short moves (the student splits
    // them, the teacher's argmax takes the first) keep it well below 1 with these teachers.
    let row = try DistillationTests.lastRow(run.directory, with: "distill/task_2/agreement")
    for k in 0..<3 { #expect((0.3...1).contains(row["distill/task_\(k)/agreement"] ?? 0)) }
    let final = try DistillationTests.lastRow(run.directory, with: "eval/task_0/final_return_mean")
    #expect(final["eval/task_1/final_return_mean"] == students[1])

    // `ranklab eval` on the student's policy file: every task in turn, or one with --task.
    let policy = try PolicyFile.load(run.directory.url.path)
    #expect(policy.meta.tasks?.count == 3)
    let all = try PolicyEvaluation.run(
      policy, env: policy.meta.env, episodes: 5, tasks: policy.meta.tasks)
    #expect(all.tasks?.map(\.task) == [0, 1, 2])
    for task in all.tasks ?? [] {
      #expect(task.returnMean >= 0.9 * (comparisons["teacher_\(task.task)"] ?? 0))
    }
    let one = try PolicyEvaluation.run(
      policy, env: policy.meta.env, episodes: 5, tasks: policy.meta.tasks, task: 2)
    #expect(one.tasks?.map(\.task) == [2])
    #expect(one.returnMean == all.tasks?[2].returnMean)
    #expect(throws: PolicyError.self) {
      try PolicyEvaluation.run(
        policy, env: policy.meta.env, episodes: 1, tasks: policy.meta.tasks, task: 3)
    }
  }

  @Test func interruptedMultiTaskRunResumesToTheSameNumbers() throws {
    let root = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let teachers = try Self.teachers(in: root, seeds: [0, 1])
    // Stopped mid-episode, between checkpoints: the task order and each task's generator
    // must come back from the checkpoint (eval every 500 steps, task by task).
    let text = Self.config(teachers: teachers, steps: 1500)
      .replacingOccurrences(of: "checkpoint: {every: 0}", with: "checkpoint: {every: 500}")
      .replacingOccurrences(of: "eval: {every: 1500,", with: "eval: {every: 500,")
      .replacingOccurrences(
        of: "exploration_eps: 0.2", with: "exploration_eps: 0.2\n    data: dagger")
    let whole = try DistillationTests.makeRun(root, text: text, name: "whole")
    try whole.run()
    let parts = try DistillationTests.makeRun(root, text: text, name: "parts")
    parts.stopAfter = 1017
    try parts.run()
    try DistillationTests.makeRun(root, text: text, name: "parts").run(resume: true)
    let rows = try TrainingRunTests.rows(whole.directory)
    #expect(rows.contains { $0.contains("eval/task_1/return_mean") })
    #expect(rows == (try TrainingRunTests.rows(parts.directory)))
  }

  /// Runs `text` and returns its one-line error; nothing may be written.
  static func refusal(_ root: URL, _ text: String) throws -> String {
    let run = try DistillationTests.makeRun(root, text: text, name: "refused")
    var message = ""
    do { try run.run() } catch { message = "\(error)" }
    #expect(!FileManager.default.fileExists(atPath: run.directory.url.path), "\(message)")
    #expect(!message.isEmpty && !message.contains("\n"), "\(message)")
    return message
  }

  @Test func teachersWithOtherSpacesAreRefusedNamingTheTeacher() throws {
    let root = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let gridTeachers = try Self.teachers(in: root, seeds: [0])
    // A CartPole teacher: Discrete(2) against the gridworld's Discrete(4).
    let cartPole = root.appendingPathComponent("cartpole")
    try DistillationTests.makeTeacher(cartPole, seed: 1)
    let actions = try Self.refusal(root, Self.config(teachers: gridTeachers + [cartPole]))
    #expect(actions.contains("agent.distill.teachers[1]") && actions.contains("action space"))
    #expect(actions.contains("Discrete(2)") && actions.contains("Discrete(5)"), "\(actions)")
    // A 6x6 map: 36 one-hot cells against 64.
    let small = root.appendingPathComponent("small")
    try Self.makeOptimalTeacher(small, mapSeed: 3, size: 6)
    let sizes = try Self.refusal(root, Self.config(teachers: gridTeachers + [small]))
    #expect(sizes.contains("agent.distill.teachers[1]") && sizes.contains("36"))
    #expect(sizes.contains("64"))
    // A teacher directory without a policy file.
    let missing = try Self.refusal(
      root, Self.config(teachers: gridTeachers + [root.appendingPathComponent("none")]))
    #expect(missing.contains("agent.distill.teachers[1]"))
    // eval.env: the tasks are the teachers' environments.
    let evalEnv = try Self.refusal(
      root,
      Self.config(teachers: gridTeachers + gridTeachers).replacingOccurrences(
        of: "final_episodes: 5}", with: "final_episodes: 5, env: {id: gridworld/four-rooms}}"))
    #expect(evalEnv.contains("eval.env"))
  }

  @Test func multitaskConfigsOutOfRangeAreRefused() throws {
    let teacher = URL(fileURLWithPath: "/nonexistent/teacher")
    for (extra, key) in [
      ("", "agent.distill.teachers"),
      ("    rounds: 2", "agent.distill.rounds"),
      ("    reference: /nonexistent", "agent.distill.reference"),
    ] {
      var text = Self.config(teachers: [teacher])
      if !extra.isEmpty {
        text = Self.config(teachers: [teacher, teacher]).replacingOccurrences(
          of: "    exploration_eps: 0.2", with: "    exploration_eps: 0.2\n\(extra)")
      }
      #expect(throws: ConfigError.self, "\(key)") {
        try ConfigLoader.load(ExperimentConfig.self, text: text, file: "x.yaml")
      }
      do {
        _ = try ConfigLoader.load(ExperimentConfig.self, text: text, file: "x.yaml")
      } catch let error as ConfigError {
        #expect(error.description.contains(key), "\(error.description)")
      }
    }
  }
}
