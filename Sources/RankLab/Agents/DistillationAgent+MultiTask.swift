import Environments

/// Multi-task distillation (`agent.distill.multitask`): teacher K is task K, trained in an
/// environment of its own. The student's observation is the task's observation followed by a
/// one-hot task id (`MultiTaskEnvironment`), so a single network (any `agent.network`) acts in
/// every task; a teacher sees the task's observation alone, collects the data of its task and
/// labels those rows, and nothing else.
///
/// The task id is an input rather than a head per task: the loop, replay, evaluation, policy
/// file and `ranklab eval` stay those of any agent (the task is part of the state), and the
/// hidden layers are shared by every task. A linear student (`hidden: []`) can use it only as a
/// per-task bias on each action, the same in every state of the task.
extension DistillationAgent {
  /// The task an observation belongs to: its largest task-id float.
  func task(of observation: UnsafeBufferPointer<Float>) -> Int {
    TaskID.of(
      observation, taskObservationCount: taskObservationCount, taskCount: taskCount)
  }

  /// The teachers' targets on `rows` observations, row i labelled by the teacher of its task:
  /// the rows of each task are gathered (the task id left off), run through that task's
  /// teacher, and its outputs scattered back (`teacherOutputs`), then softened at the target
  /// temperature (`teacherProbabilities`) with their argmax (`teacherLabels`).
  func labelByTask(_ observations: UnsafeBufferPointer<Float>, rows n: Int) {
    let a = actionCount
    let width = taskObservationCount + taskCount
    let own = taskObservationCount
    for i in 0..<n {
      rowTasks[i] = task(
        of: UnsafeBufferPointer(rebasing: observations[(i * width)..<(i * width + width)]))
    }
    var start = 0
    for k in 0..<taskCount {
      var count = 0
      for i in 0..<n where rowTasks[i] == k {
        taskOrder[start + count] = i
        for j in 0..<own { taskInputs[count * own + j] = observations[i * width + j] }
        count += 1
      }
      guard count > 0 else { continue }
      let work = teacherWorks[k]
      taskInputs.withUnsafeBufferPointer {
        work.forward(teachers[k].teacherNetwork, input: $0, rows: count)
      }
      let out = work.output
      for r in 0..<count {
        let i = taskOrder[start + r]
        for j in 0..<a { teacherOutputs[i * a + j] = out[r * a + j] }
      }
      start += count
    }
    teacherOutputs.withUnsafeBufferPointer { q in
      teacherProbabilities.withUnsafeMutableBufferPointer {
        Losses.softmax(
          UnsafeBufferPointer(rebasing: q[0..<n * a]), rows: n, columns: a,
          temperature: targetTemperature, into: $0)
      }
    }
    for i in 0..<n { teacherLabels[i] = Int32(QLearningAgent.argmax(teacherOutputs, i * a, a)) }
  }

  /// Counts row `row` of the last labelled minibatch for its task's agreement.
  func countAgreement(row: Int, agrees: Bool) {
    let k = rowTasks[row]
    taskRows[k] += 1
    if agrees { taskAgreed[k] += 1 }
  }

  /// `distill/task_K/agreement`: the share of task K's rows where student and teacher K pick
  /// the same action, over the minibatches since the last call (tasks without rows left out).
  func takeTaskAgreements() -> [(key: String, value: Double)] {
    defer {
      for k in 0..<taskCount {
        taskRows[k] = 0
        taskAgreed[k] = 0
      }
    }
    return (0..<taskCount).compactMap { k in
      taskRows[k] > 0
        ? ("distill/task_\(k)/agreement", Double(taskAgreed[k]) / Double(taskRows[k])) : nil
    }
  }

  /// `rows` observations with their task ids left off (rows × the task's observation floats).
  func taskObservations(_ observations: UnsafeBufferPointer<Float>, rows: Int) -> [Float] {
    let width = taskObservationCount + taskCount
    var own = [Float](repeating: 0, count: rows * taskObservationCount)
    for i in 0..<rows {
      for j in 0..<taskObservationCount {
        own[i * taskObservationCount + j] = observations[i * width + j]
      }
    }
    return own
  }

  /// Teacher K is evaluated on its own task; with one environment every policy plays it.
  public func comparisonTask(_ policy: String) -> Int? {
    guard taskCount > 1, policy.hasPrefix("teacher_") else { return nil }
    return Int(policy.dropFirst("teacher_".count))
  }
}
