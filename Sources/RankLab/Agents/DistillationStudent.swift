import Environments

/// What the two distillation students (discrete and Gaussian) share: one network trained by one
/// Adam, a step counter and a generator, and how they go into checkpoints and policy files.
protocol DistillationStudent: AnyObject {
  var student: MLP { get }
  var optimizer: Adam { get set }
  var rng: PCG64 { get set }
  var currentStep: Int { get set }
  var gradientStepsTaken: Int { get set }
}

private struct StudentCounters: Codable {
  var currentStep: Int
  var gradientStepsTaken: Int
  var rng: PCG64
  var adamStep: Int
}

extension DistillationStudent {
  func saveStudent(into archive: inout CheckpointArchive) throws {
    archive.put("agent/student", array: student.parameters)
    archive.put("agent/adam_m", array: optimizer.firstMoment)
    archive.put("agent/adam_v", array: optimizer.secondMoment)
    try archive.put(
      "agent/state",
      json: StudentCounters(
        currentStep: currentStep, gradientStepsTaken: gradientStepsTaken, rng: rng,
        adamStep: optimizer.step))
  }

  func loadStudent(from archive: CheckpointArchive) throws {
    let count = student.parameters.count
    student.parameters = try archive.array("agent/student", of: Float.self, count: count)
    let counters = try archive.json("agent/state", as: StudentCounters.self)
    optimizer.restore(
      step: counters.adamStep,
      firstMoment: try archive.array("agent/adam_m", of: Float.self, count: count),
      secondMoment: try archive.array("agent/adam_v", of: Float.self, count: count))
    currentStep = counters.currentStep
    gradientStepsTaken = counters.gradientStepsTaken
    rng = counters.rng
  }

  func saveStudentPolicy(into archive: inout CheckpointArchive) {
    archive.put("policy/student", array: student.parameters)
  }

  func loadStudentPolicy(from archive: CheckpointArchive) throws {
    student.parameters = try archive.array(
      "policy/student", of: Float.self, count: student.parameters.count)
  }
}
