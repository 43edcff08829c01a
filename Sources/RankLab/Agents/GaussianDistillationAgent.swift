import Environments
import Foundation

/// A teacher whose policy is a diagonal Gaussian squashed by tanh into the action Box
/// (continuous SAC).
public protocol GaussianPolicyTeacher: Agent {
  /// Observations in; per action dimension the mean, then the log standard deviation, both
  /// before the tanh.
  var gaussianPolicyNetwork: MLP { get }
}

extension SACAgent: GaussianPolicyTeacher {
  public var gaussianPolicyNetwork: MLP { actor }
}

/// Policy distillation for continuous actions (`agent.algorithm: distill` on a Box action
/// space): a student Gaussian policy, tanh-squashed as SAC's actor, learns a SAC teacher by
/// KL(π_teacher ‖ π_student). tanh is one-to-one, so the KL of the squashed policies is the
/// closed-form KL of the Gaussians before it. The student acts with tanh of its mean, scaled to
/// the Box; states come from the teacher's (greedy) rollouts, DAgger or a dataset, as for the
/// discrete student (`DistillationAgent`).
public final class GaussianDistillationAgent: Agent, DistillationStudent {
  public let config: AgentConfig
  let distill: DistillConfig
  let actionWidth: Int
  let low: [Float]
  let high: [Float]
  let student: MLP
  var optimizer: Adam
  var rng: PCG64
  let learningRate: LinearSchedule
  let daggerBeta: LinearSchedule
  var currentStep = 0
  var gradientStepsTaken = 0
  let teacher: (any GaussianPolicyTeacher)?
  /// `agent.distill.reference` (self-distillation rounds: the original teacher).
  let reference: (any GaussianPolicyTeacher)?
  var actingPolicy: String?
  public internal(set) var samplingSeconds = 0.0

  var batch: TransitionBatch
  let studentWork: MLPWorkspace
  let studentSingle: MLPWorkspace
  let teacherWork: MLPWorkspace?
  let teacherSingle: MLPWorkspace?
  let referenceWork: MLPWorkspace?
  var probeWork: MLPWorkspace?
  var outputGradient: [Float]
  var singleOutput: [Float]

  public init(context: AgentContext) throws {
    let config = context.config.agent
    self.config = config
    distill = config.distill ?? DistillConfig()
    guard case .box(let lo, let hi) = context.actionSpace,
      zip(lo, hi).allSatisfy({ $0.isFinite && $1.isFinite && $0 < $1 })
    else {
      throw RunError.unsupported(
        "a continuous distillation student scales tanh into the action Box; \(context.config.env.id)'s action space \(context.actionSpace.summary) has infinite or empty bounds"
      )
    }
    guard distill.loss == .kl else {
      throw RunError.unsupported(
        "agent.distill.loss: a continuous (Gaussian) policy is distilled by KL between the policies; set loss: kl (nll, mse and kd are for discrete actions)"
      )
    }
    actionWidth = lo.count
    low = lo
    high = hi
    let m = actionWidth
    let sizes = [context.observationSpace.flatCount] + config.network.hidden + [2 * m]
    try DistillationAgent.checkMemory(sizes: sizes, batchSize: config.batchSize)
    var initRNG = context.initializationRNG
    student = MLP(
      sizes: sizes, activation: config.network.activation, initialization: config.network.`init`,
      rng: &initRNG)
    optimizer = Adam(
      parameterCount: student.parameters.count, learningRate: Float(config.learningRate),
      epsilon: Float(config.adamEps))
    rng = context.agentRNG
    learningRate = LinearSchedule(
      initial: config.learningRate, final: config.learningRateFinal ?? config.learningRate,
      fraction: 1, total: context.config.steps)
    daggerBeta = LinearSchedule(
      initial: 1, final: 0, fraction: distill.daggerFraction, total: context.config.steps)
    if context.policyOnly {
      teacher = nil
      reference = nil
    } else {
      guard distill.teachers.count == 1 else {
        throw RunError.unsupported(
          "agent.distill.teachers: a continuous student learns from one teacher (ensembles are implemented for discrete actions only)"
        )
      }
      func load(_ path: String, key: String) throws -> any GaussianPolicyTeacher {
        let loaded = try DistillationAgent.loadPolicy(path, key: key, context: context)
        guard let gaussian = loaded.agent as? any GaussianPolicyTeacher,
          gaussian.gaussianPolicyNetwork.outputCount == 2 * m
        else {
          throw RunError.unsupported(
            "\(key) (\(path)): a \(loaded.meta.algorithm) policy is not a Gaussian policy; a continuous student learns from a SAC teacher"
          )
        }
        return gaussian
      }
      teacher = try load(distill.teachers[0], key: "agent.distill.teachers[0]")
      reference = try distill.reference.map { try load($0, key: "agent.distill.reference") }
    }
    let b = config.batchSize
    batch = TransitionBatch(
      capacity: b, observationCount: context.observationSpace.flatCount, actionWidth: m,
      continuous: true, extras: [])
    studentWork = MLPWorkspace(for: student, capacity: b)
    studentSingle = MLPWorkspace(for: student, capacity: 1)
    teacherWork = teacher.map { MLPWorkspace(for: $0.gaussianPolicyNetwork, capacity: b) }
    teacherSingle = teacher.map { MLPWorkspace(for: $0.gaussianPolicyNetwork, capacity: 1) }
    referenceWork = reference.map { MLPWorkspace(for: $0.gaussianPolicyNetwork, capacity: b) }
    outputGradient = [Float](repeating: 0, count: b * 2 * m)
    singleOutput = [Float](repeating: 0, count: 2 * m)
  }

  public var featureCount: Int { featureNetwork.featureCount }
  var featureNetwork: MLP {
    actingPolicy == "teacher_0" ? teacher?.gaussianPolicyNetwork ?? student : student
  }

  // MARK: Acting

  public func act(_ observation: UnsafeBufferPointer<Float>, explore: Bool) -> Action {
    guard explore else {
      return greedyAction(observation, teacher: actingPolicy == "teacher_0")
    }
    if distill.explorationEps > 0 && rng.nextDouble() < distill.explorationEps {
      return Space.box(low: low, high: high).randomAction(&rng)
    }
    if distill.data == .dagger && rng.nextDouble() >= daggerBeta.value(at: currentStep) {
      return greedyAction(observation, teacher: false)
    }
    return greedyAction(observation, teacher: teacher != nil)
  }

  /// tanh of the policy's mean, scaled into the Box.
  func greedyAction(_ observation: UnsafeBufferPointer<Float>, teacher useTeacher: Bool) -> Action {
    singleOutput.withUnsafeMutableBufferPointer {
      if useTeacher, let teacher, let teacherSingle {
        teacherSingle.forwardSingle(teacher.gaussianPolicyNetwork, input: observation, output: $0)
      } else {
        studentSingle.forwardSingle(student, input: observation, output: $0)
      }
    }
    return .continuous(
      (0..<actionWidth).map {
        low[$0] + (Float.hyperbolicTangent(singleOutput[$0]) + 1) * 0.5 * (high[$0] - low[$0])
      })
  }

  // MARK: Learning

  public func update(replay: ReplayBuffer, step: Int) -> [(key: String, value: Double)]? {
    scheduledUpdate(replay: replay, step: step).map(metrics)
  }

  public func train(replay: ReplayBuffer, gradientSteps: Int, step: Int) -> [(
    key: String, value: Double
  )] {
    metrics(trainSteps(replay: replay, gradientSteps: gradientSteps, step: step))
  }

  func metrics(_ figures: StudentStepFigures) -> [(key: String, value: Double)] {
    var values: [(key: String, value: Double)] = [
      ("distill/loss", figures.loss), ("distill/action_error", figures.match),
      ("train/grad_norm", figures.gradientNorm),
      ("distill/teacher_parameters", Double(teacher?.gaussianPolicyNetwork.parameters.count ?? 0)),
      ("distill/student_parameters", Double(student.parameters.count)),
    ]
    if reference != nil {
      values.append(("distill/action_error_reference", figures.referenceMatch))
    }
    return values
  }

  /// One gradient step on KL(π_teacher ‖ π_student) over a sampled minibatch. The action errors
  /// are mean |tanh μ_student − tanh μ_other| in the policy's [−1, 1] units.
  func trainStep(replay: ReplayBuffer) -> StudentStepFigures {
    guard let teacher, let teacherWork else { return StudentStepFigures() }
    sampleMinibatch(from: replay)
    let n = batch.count
    let m = actionWidth
    batch.observations.withUnsafeBufferPointer {
      teacherWork.forward(teacher.gaussianPolicyNetwork, input: $0, rows: n)
      studentWork.forward(student, input: $0, rows: n)
    }
    let t = teacherWork.output
    // The teacher's σ as it acts (SAC clamps log σ).
    for i in 0..<n {
      for j in 0..<m {
        let k = i * 2 * m + m + j
        t[k] = min(max(t[k], SACAgent.logStdRange.lowerBound), SACAgent.logStdRange.upperBound)
      }
    }
    let loss = outputGradient.withUnsafeMutableBufferPointer {
      DistillationLoss.gaussianKL(
        teacher: UnsafeBufferPointer(t), student: UnsafeBufferPointer(studentWork.output),
        rows: n, dimensions: m, gradient: $0)
    }
    let z = studentWork.output
    func meanActionError(_ other: UnsafeMutableBufferPointer<Float>) -> Double {
      var error = 0.0
      for i in 0..<n {
        for j in 0..<m {
          let k = i * 2 * m + j
          error += Double(abs(Float.hyperbolicTangent(z[k]) - Float.hyperbolicTangent(other[k])))
        }
      }
      return error / Double(n * m)
    }
    let error = meanActionError(t)
    var referenceError = 0.0
    if let reference, let referenceWork {
      batch.observations.withUnsafeBufferPointer {
        referenceWork.forward(reference.gaussianPolicyNetwork, input: $0, rows: n)
      }
      referenceError = meanActionError(referenceWork.output)
    }
    let norm = applyGradient(count: n * 2 * m)
    return StudentStepFigures(
      loss: Double(loss), match: error, referenceMatch: referenceError,
      gradientNorm: Double(norm))
  }

  // MARK: Diagnostics and files

  public func features(
    of observations: UnsafeBufferPointer<Float>, count: Int,
    into features: UnsafeMutableBufferPointer<Float>
  ) {
    measureFeatures(of: featureNetwork, observations: observations, count: count, into: features)
  }

  public func statusMetrics(step: Int) -> [(key: String, value: Double)] {
    studentStatusMetrics(step: step)
  }

  public var comparisonPolicies: [String] { teacher == nil ? [] : ["teacher_0"] }
  public func actAs(_ policy: String?) { actingPolicy = policy }

  public var recordedFields: [EpisodeHeader.ExtraField] {
    [.init(name: "gaussian_policy", width: 2 * actionWidth)]
  }

  public func recordedValues(_ observation: UnsafeBufferPointer<Float>, action: Action)
    -> [[Float]]
  {
    var values = [Float](repeating: 0, count: 2 * actionWidth)
    values.withUnsafeMutableBufferPointer {
      studentSingle.forwardSingle(student, input: observation, output: $0)
    }
    return [values]
  }

  public func save(into archive: inout CheckpointArchive) throws { try saveStudent(into: &archive) }
  public func load(from archive: CheckpointArchive) throws { try loadStudent(from: archive) }
  /// The policy file holds the student alone: acting needs no teacher.
  public func savePolicy(into archive: inout CheckpointArchive) throws {
    saveStudentPolicy(into: &archive)
  }
  public func loadPolicy(from archive: CheckpointArchive) throws {
    try loadStudentPolicy(from: archive)
  }
}

/// A Gaussian student teaches the next self-distillation round as its own policy.
extension GaussianDistillationAgent: GaussianPolicyTeacher {
  public var gaussianPolicyNetwork: MLP { student }
}

extension DistillationLoss {
  /// KL(N(μ_t, σ_t²) ‖ N(μ_s, σ_s²)) summed over action dimensions, mean over rows; each row of
  /// `teacher` and `student` holds the means, then the log standard deviations. Per dimension:
  /// log σ_s − log σ_t + (σ_t² + (μ_t − μ_s)²) / (2 σ_s²) − ½; the gradient goes to the student.
  public static func gaussianKL(
    teacher t: UnsafeBufferPointer<Float>, student s: UnsafeBufferPointer<Float>, rows: Int,
    dimensions m: Int, gradient: UnsafeMutableBufferPointer<Float>
  ) -> Float {
    var total: Float = 0
    let scale = 1 / Float(rows)
    for i in 0..<rows {
      let base = i * 2 * m
      for j in 0..<m {
        let (muT, logT) = (t[base + j], t[base + m + j])
        let (muS, logS) = (s[base + j], s[base + m + j])
        let varianceS = (2 * logS).exp()
        let difference = muT - muS
        let spread = (2 * logT).exp() + difference * difference
        total += logS - logT + spread / (2 * varianceS) - 0.5
        gradient[base + j] = -difference / varianceS * scale
        gradient[base + m + j] = (1 - spread / varianceS) * scale
      }
    }
    return total * scale
  }
}
