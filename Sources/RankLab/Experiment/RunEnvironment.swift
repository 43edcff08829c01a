import Environments

/// The environment a run trains in: `env`, or for multi-task distillation
/// (`agent.distill.multitask`) one task per teacher, each its teacher's own environment, played
/// as one `MultiTaskEnvironment` (the task's observation, then a one-hot task id).
enum RunEnvironment {
  /// The tasks of a multi-task run: each teacher's environment, read from its policy file, in
  /// teacher order; nil for every other run. Refuses, in one line naming the teacher, teachers
  /// whose action spaces or observation sizes differ from the first teacher's.
  static func tasks(of config: ExperimentConfig) throws -> [EnvConfig]? {
    guard config.agent.algorithm == .distill, let distill = config.agent.distill,
      distill.multitask
    else { return nil }
    if let evalEnv = config.eval.env {
      throw RunError.unsupported(
        "eval.env (\(evalEnv.id)): a multi-task student is evaluated on its teachers' environments, task by task; remove eval.env"
      )
    }
    var metas: [PolicyFile.Meta] = []
    for (index, path) in distill.teachers.enumerated() {
      let key = "agent.distill.teachers[\(index)]"
      let meta: PolicyFile.Meta
      do { meta = try PolicyFile.load(path).meta } catch let error as PolicyError {
        throw RunError.unsupported("\(key): \(error.description)")
      }
      guard case .discrete = meta.actionSpace else {
        throw RunError.unsupported(
          "\(key) (\(path)): its actions are \(meta.actionSpace.summary) (\(meta.env.id)); multi-task distillation takes discrete teachers"
        )
      }
      if let first = metas.first {
        let firstPath = distill.teachers[0]
        if meta.actionSpace != first.actionSpace {
          throw RunError.unsupported(
            "\(key) (\(path)): its action space is \(meta.actionSpace.summary) (\(meta.env.id)), teacher 0's (\(firstPath)) is \(first.actionSpace.summary) (\(first.env.id)); the tasks of one student share an action space"
          )
        }
        if meta.observationSpace.flatCount != first.observationSpace.flatCount {
          throw RunError.unsupported(
            "\(key) (\(path)): it observes \(meta.observationSpace.flatCount) floats (\(meta.env.id)), teacher 0 (\(firstPath)) \(first.observationSpace.flatCount) (\(first.env.id)); the tasks of one student share an observation size"
          )
        }
      }
      metas.append(meta)
    }
    return metas.map(\.env)
  }

  /// The run's environment: `config.env`, or the tasks played as one.
  static func make(_ config: ExperimentConfig, tasks: [EnvConfig]?) throws -> any Environment {
    guard let tasks else {
      return try EnvironmentCatalog.make(id: config.env.id, options: config.env.options)
    }
    return try make(tasks: tasks)
  }

  /// Several environments of one kind played as one `MultiTaskEnvironment`.
  static func make(tasks: [EnvConfig]) throws -> any Environment {
    let environments = try tasks.map {
      try EnvironmentCatalog.make(id: $0.id, options: $0.options)
    }
    func combine<E: Environment>(_ first: E) throws -> any Environment {
      var same: [E] = [first]
      for (k, environment) in environments.enumerated().dropFirst() {
        guard let task = environment as? E else {
          throw RunError.unsupported(
            "task \(k): \(tasks[k].id) is another kind of environment than task 0's \(tasks[0].id); a multi-task student's tasks are environments of one kind"
          )
        }
        same.append(task)
      }
      return try MultiTaskEnvironment(tasks: same)
    }
    return try combine(environments[0])
  }
}
