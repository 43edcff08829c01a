/// Several environments of one kind and one action space played as one: each episode runs in
/// one task, and the observation is that task's observation followed by a one-hot task id
/// (`taskCount` floats), so one network can act in every task. Training episodes go round the
/// tasks in order (episode i in task i mod K); `selectTask` fixes the task of the episodes that
/// start from then on (per-task evaluation). A multi-task distillation student learns in it.
public struct MultiTaskEnvironment<Base: Environment>: Environment {
  public private(set) var tasks: [Base]
  /// The task of the running episode.
  public private(set) var currentTask = 0
  /// The task the next unselected reset starts.
  private var nextTask = 0
  private var selected: Int?
  /// Floats of a task's own observation (the task id follows them).
  public let taskObservationCount: Int

  /// Refuses tasks whose observation or action spaces differ from the first's, naming the task.
  public init(tasks: [Base]) throws {
    guard let first = tasks.first else {
      throw EnvironmentError.invalidOption("a multi-task environment needs at least one task")
    }
    guard case .box = first.observationSpace else {
      throw EnvironmentError.invalidOption(
        "\(first.id) observes \(first.observationSpace.summary); a task id is appended to a Box observation"
      )
    }
    for (k, task) in tasks.enumerated().dropFirst() {
      if task.actionSpace != first.actionSpace {
        throw EnvironmentError.invalidOption(
          "task \(k) (\(task.id)) has actions \(task.actionSpace.summary), task 0 (\(first.id)) \(first.actionSpace.summary): the tasks of one student share an action space"
        )
      }
      if task.observationSpace != first.observationSpace {
        throw EnvironmentError.invalidOption(
          "task \(k) (\(task.id)) has \(task.observationSpace.flatCount) observation floats, task 0 (\(first.id)) \(first.observationSpace.flatCount): the tasks of one student share an observation space"
        )
      }
    }
    self.tasks = tasks
    taskObservationCount = first.observationSpace.flatCount
  }

  public var id: String { "multitask" }
  public var taskCount: Int { tasks.count }
  public var actionSpace: Space { tasks[0].actionSpace }
  public var observationSpace: Space {
    guard case .box(let low, let high) = tasks[0].observationSpace else {
      preconditionFailure("init refuses tasks without a Box observation")
    }
    let tail = [Float](repeating: 0, count: tasks.count)
    return .box(low: low + tail, high: high + tail.map { _ in 1 })
  }
  public var timeLimit: Int? { tasks[currentTask].timeLimit }
  public var observationsRepeat: Bool { tasks[0].observationsRepeat }
  public var hasFailureSignal: Bool { tasks.contains { $0.hasFailureSignal } }

  public mutating func selectTask(_ task: Int?) {
    precondition(task.map { (0..<tasks.count).contains($0) } ?? true, "task out of range")
    selected = task
  }

  /// A seed re-seeds every task (so each task's generator is fixed by it), then the episode's
  /// task is reset last.
  public mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
    if let chosen = selected {
      currentTask = chosen
    } else {
      currentTask = nextTask
      nextTask = (nextTask + 1) % tasks.count
    }
    let own = UnsafeMutableBufferPointer(rebasing: observation[0..<taskObservationCount])
    if seed != nil {
      for k in tasks.indices where k != currentTask { tasks[k].reset(seed: seed, into: own) }
    }
    tasks[currentTask].reset(seed: seed, into: own)
    writeTaskID(into: observation)
  }

  public mutating func step(_ action: Action, into observation: UnsafeMutableBufferPointer<Float>)
    -> Step
  {
    let own = UnsafeMutableBufferPointer(rebasing: observation[0..<taskObservationCount])
    let result = tasks[currentTask].step(action, into: own)
    writeTaskID(into: observation)
    return result
  }

  private func writeTaskID(into observation: UnsafeMutableBufferPointer<Float>) {
    for k in tasks.indices { observation[taskObservationCount + k] = k == currentTask ? 1 : 0 }
  }

}

/// Reading the task id a `MultiTaskEnvironment` appends to its observations.
public enum TaskID {
  /// The task of an observation whose task's own part is `taskObservationCount` floats,
  /// followed by `taskCount` task-id floats: the largest of those.
  public static func of(
    _ observation: UnsafeBufferPointer<Float>, taskObservationCount: Int, taskCount: Int
  ) -> Int {
    var best = 0
    for k in 1..<max(1, taskCount)
    where observation[taskObservationCount + k] > observation[taskObservationCount + best] {
      best = k
    }
    return best
  }
}
