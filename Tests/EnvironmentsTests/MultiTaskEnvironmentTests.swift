import Foundation
import Testing

@testable import Environments

/// `MultiTaskEnvironment`: the task id after the task's observation, training episodes round
/// the tasks, a selected task for evaluation, and tasks that cannot be played as one.
@Suite struct MultiTaskEnvironmentTests {
  static func fu(_ seed: UInt64, size: Int = 5) throws -> Gridworld {
    let options = EnvironmentOptions(size: size, mapSeed: seed)
    return try #require(
      try EnvironmentCatalog.make(id: "gridworld/fu", options: options) as? Gridworld)
  }

  @Test func observationIsTheTasksFollowedByItsOneHotID() throws {
    let tasks = try [0, 1, 2].map { try Self.fu($0) }
    var env = try MultiTaskEnvironment(tasks: tasks)
    let own = tasks[0].observationSpace.flatCount
    #expect(env.observationSpace.flatCount == own + 3)
    #expect(env.taskCount == 3)
    #expect(env.actionSpace == tasks[0].actionSpace)
    // Training episodes go round the tasks; each observation carries its task's id.
    for episode in 0..<6 {
      let observation = env.reset(seed: episode == 0 ? 7 : nil)
      let k = episode % 3
      #expect(env.currentTask == k)
      #expect(Array(observation[own...]) == (0..<3).map { $0 == k ? 1 : 0 })
      var single = tasks[k]
      let alone = single.reset(seed: nil)
      #expect(Array(observation[..<own]) == alone)
      let (next, _) = env.step(.discrete(1))
      #expect(Array(next[own...]) == (0..<3).map { $0 == k ? 1 : 0 })
      #expect(
        observation.withUnsafeBufferPointer {
          TaskID.of($0, taskObservationCount: own, taskCount: 3)
        } == k)
    }
    // A selected task holds until released.
    env.selectTask(2)
    for _ in 0..<3 {
      _ = env.reset(seed: 1)
      #expect(env.currentTask == 2)
    }
    env.selectTask(nil)
    _ = env.reset(seed: nil)
    #expect(env.currentTask == 0)
  }

  @Test func seededEpisodesOfATaskRepeat() throws {
    var env = try MultiTaskEnvironment(tasks: [Self.fu(0), Self.fu(1)])
    func episode(_ seed: UInt64) -> [Float] {
      env.selectTask(1)
      var trace = env.reset(seed: seed)
      for move in [1, 2, 2, 3, 0, 1] { trace += env.step(.discrete(move)).observation }
      return trace
    }
    #expect(episode(5) == episode(5))
  }

  @Test func tasksOfOtherSpacesAreRefusedNamingTheTask() throws {
    #expect(throws: EnvironmentError.self) { try MultiTaskEnvironment<Gridworld>(tasks: []) }
    do {
      _ = try MultiTaskEnvironment(tasks: [Self.fu(0), Self.fu(1), Self.fu(2, size: 6)])
      Issue.record("tasks of other observation sizes were accepted")
    } catch {
      #expect("\(error)".contains("task 2") && "\(error)".contains("12 observation floats"))
    }
  }
}
