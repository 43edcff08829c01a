import Environments

/// What the two distillation students (discrete and Gaussian) share: one network trained by one
/// Adam, a step counter and a generator, the training schedule and loop around their own
/// gradient step (`trainStep`), and how they go into checkpoints and policy files.
protocol DistillationStudent: AnyObject {
  var config: AgentConfig { get }
  var distill: DistillConfig { get }
  var student: MLP { get }
  var optimizer: Adam { get set }
  var rng: PCG64 { get set }
  var learningRate: LinearSchedule { get }
  /// DAgger's β: the probability that the teacher acts while collecting.
  var daggerBeta: LinearSchedule { get }
  var currentStep: Int { get set }
  var gradientStepsTaken: Int { get set }
  var samplingSeconds: Double { get set }
  var batch: TransitionBatch { get set }
  var studentWork: MLPWorkspace { get }
  /// dLoss/d(student outputs) of the last minibatch (rows × outputs).
  var outputGradient: [Float] { get }
  /// The workspace of the rank probe (made at the first measurement).
  var probeWork: MLPWorkspace? { get set }

  /// One gradient step on a sampled minibatch (`sampleMinibatch`, then `applyGradient`).
  func trainStep(replay: ReplayBuffer) -> StudentStepFigures
}

/// What one gradient step of a student measured: the loss, how closely the student matches the
/// teacher and the reference (discrete: the share of rows where the greedy actions agree;
/// continuous: the mean action error), and the gradient norm before clipping.
struct StudentStepFigures {
  var loss = 0.0
  var match = 0.0
  var referenceMatch = 0.0
  var gradientNorm = 0.0
}

extension DistillationStudent {
  /// The training schedule every online agent follows (`AgentConfig.trainsAt`).
  func scheduledUpdate(replay: ReplayBuffer, step: Int) -> StudentStepFigures? {
    currentStep = step
    guard config.trainsAt(step: step, sampleable: replay.count) else { return nil }
    return trainSteps(replay: replay, gradientSteps: config.gradientSteps, step: step)
  }

  /// `gradientSteps` steps at `step`'s learning rate; their mean figures.
  func trainSteps(replay: ReplayBuffer, gradientSteps: Int, step: Int) -> StudentStepFigures {
    optimizer.learningRate = Float(learningRate.value(at: step))
    var sum = StudentStepFigures()
    for _ in 0..<gradientSteps {
      let figures = trainStep(replay: replay)
      sum.loss += figures.loss
      sum.match += figures.match
      sum.referenceMatch += figures.referenceMatch
      sum.gradientNorm += figures.gradientNorm
      gradientStepsTaken += 1
    }
    let n = Double(max(1, gradientSteps))
    return StudentStepFigures(
      loss: sum.loss / n, match: sum.match / n, referenceMatch: sum.referenceMatch / n,
      gradientNorm: sum.gradientNorm / n)
  }

  /// Samples a minibatch into `batch`, timing it.
  func sampleMinibatch(from replay: ReplayBuffer) {
    let sampleStart = TimeBreakdown.now
    replay.sample(into: &batch, rng: &rng)
    samplingSeconds += TimeBreakdown.since(sampleStart)
  }

  /// Backpropagates the first `count` floats of `outputGradient` through the student (after its
  /// forward pass on the minibatch), clips and takes an Adam step; returns the gradient norm.
  func applyGradient(count: Int) -> Float {
    outputGradient.withUnsafeBufferPointer {
      studentWork.backward(
        student, outputGradient: UnsafeBufferPointer(rebasing: $0[0..<count]), accumulate: false)
    }
    let norm =
      config.maxGradNorm > 0
      ? student.clipGradients(maxNorm: Float(config.maxGradNorm)) : student.gradientNorm()
    optimizer.update(&student.parameters, gradients: student.gradients)
    return norm
  }

  /// The penultimate features of `network` on `count` observations (the probe batch has the
  /// same size at every measurement: one workspace serves them all; a teacher is measured
  /// once, at the end).
  func measureFeatures(
    of network: MLP, observations: UnsafeBufferPointer<Float>, count: Int,
    into features: UnsafeMutableBufferPointer<Float>
  ) {
    if probeWork?.capacity != count || probeWork?.sizes != network.sizes {
      probeWork = MLPWorkspace(for: network, capacity: count)
    }
    guard let work = probeWork else { return }
    work.forward(network, input: observations, rows: count)
    _ = features.update(fromContentsOf: work.features)
  }

  func studentStatusMetrics(step: Int) -> [(key: String, value: Double)] {
    var values: [(key: String, value: Double)] = [
      ("train/learning_rate", learningRate.value(at: step)),
      ("train/gradient_steps", Double(gradientStepsTaken)),
    ]
    if distill.data == .dagger {
      values.append(("distill/dagger_beta", daggerBeta.value(at: step)))
    }
    return values
  }
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
    archive.putMoments(of: optimizer, scope: "agent")
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
    try archive.restoreMoments(of: &optimizer, step: counters.adamStep, scope: "agent")
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
