import Environments
import Foundation

/// What a distillation student can learn from: an agent whose greedy policy is the argmax of
/// one network's outputs, one output per action.
public protocol DistillationTeacher: Agent {
  /// The network the greedy policy acts with (observations in, one output per action).
  var teacherNetwork: MLP { get }
  /// true: the outputs are action values (Rusu's τ sharpens them under `loss: kl`); false: the
  /// logits of a policy, matched as they are (KL between the policies).
  var teacherOutputsAreValues: Bool { get }
}

extension QLearningAgent: DistillationTeacher {
  public var teacherNetwork: MLP { averaged ?? online }
  public var teacherOutputsAreValues: Bool { true }
}

extension SACAgent: DistillationTeacher {
  /// Discrete SAC's actor outputs the policy's logits (a continuous actor teaches the Gaussian
  /// student, `GaussianDistillationAgent`; spaces must match, so it never gets here).
  public var teacherNetwork: MLP { actor }
  public var teacherOutputsAreValues: Bool { false }
}

/// Policy distillation (Rusu et al. 2016; Hinton et al. 2015): a student network learns to act
/// as one or more teachers, finished runs loaded from their `policy.rlck`.
///
/// The loop collects states into the replay buffer (the teachers' greedy rollouts, DAgger's
/// mixture of teacher and student, or a fixed dataset); each gradient step samples a minibatch,
/// labels it with the teachers' outputs on those states, and moves the student's outputs z
/// toward them by `agent.distill.loss` (`DistillationLoss`). Several teachers are averaged into
/// one target (an ensemble). The student acts greedily on argmax z.
public final class DistillationAgent: Agent, DistillationStudent {
  public let config: AgentConfig
  let distill: DistillConfig
  let actionCount: Int
  let student: MLP
  var optimizer: Adam
  /// ε-greedy noise, DAgger's coin and minibatch sampling.
  var rng: PCG64
  let learningRate: LinearSchedule
  /// DAgger's β: the probability that the teacher acts while collecting.
  let daggerBeta: LinearSchedule
  var currentStep = 0
  var gradientStepsTaken = 0
  /// Empty for a student rebuilt from its policy file (acting needs no teacher).
  let teachers: [any DistillationTeacher]
  let reference: (any DistillationTeacher)?
  /// Which policy the greedy `act` follows (`actAs`: a teacher or the ensemble, for the final
  /// comparison); nil: the student.
  var actingPolicy: String?
  public internal(set) var samplingSeconds = 0.0

  // Preallocated: a gradient step and an action allocate nothing.
  var batch: TransitionBatch
  let studentWork: MLPWorkspace
  let studentSingle: MLPWorkspace
  let teacherWorks: [MLPWorkspace]
  let teacherSingles: [MLPWorkspace]
  let referenceWork: MLPWorkspace?
  var probeWork: MLPWorkspace?
  /// The teachers' mean raw outputs on the minibatch (rows × actions).
  var teacherOutputs: [Float]
  /// The target distribution (rows × actions) and its argmax.
  var teacherProbabilities: [Float]
  var teacherLabels: [Int32]
  var memberProbabilities: [Float]
  var outputGradient: [Float]
  var lossScratch: [Float]
  var singleOutput: [Float]
  var singleAverage: [Float]
  /// Multi-task distillation (`DistillationAgent+MultiTask.swift`): the tasks (1: one
  /// environment) and the floats of a task's own observation, which the teachers see (the
  /// student's observations end in a one-hot task id).
  let taskCount: Int
  let taskObservationCount: Int
  /// Each minibatch row's task, the rows' task observations gathered task by task, the rows in
  /// that order, and the rows and agreeing rows per task since the metrics last read them.
  var rowTasks: [Int]
  var taskInputs: [Float]
  var taskOrder: [Int]
  var taskRows: [Int]
  var taskAgreed: [Int]

  public init(context: AgentContext) throws {
    let config = context.config.agent
    self.config = config
    distill = config.distill ?? DistillConfig()
    guard case .discrete(let actionCount) = context.actionSpace else {
      throw RunError.unsupported(
        "DistillationAgent is the discrete student; \(context.config.env.id) has continuous actions (\(context.actionSpace.summary)), which GaussianDistillationAgent learns"
      )
    }
    self.actionCount = actionCount
    let observationCount = context.observationSpace.flatCount
    let sizes = [observationCount] + config.network.hidden + [actionCount]
    try Self.checkMemory(sizes: sizes, batchSize: config.batchSize)
    var initRNG = context.initializationRNG
    student = MLP(
      sizes: sizes, activation: config.network.activation, initialization: config.network.`init`,
      rng: &initRNG)
    optimizer = Adam(
      parameterCount: student.parameters.count, learningRate: Float(config.learningRate),
      epsilon: Float(config.adamEps))
    rng = context.agentRNG
    taskCount = context.taskCount
    taskObservationCount = context.taskObservationSpace.flatCount
    learningRate = LinearSchedule(
      initial: config.learningRate, final: config.learningRateFinal ?? config.learningRate,
      fraction: 1, total: context.config.steps)
    daggerBeta = LinearSchedule(
      initial: 1, final: 0, fraction: distill.daggerFraction, total: context.config.steps)
    if context.policyOnly {
      teachers = []
      reference = nil
    } else {
      teachers = try distill.teachers.enumerated().map { index, path in
        try Self.loadTeacher(path, key: "agent.distill.teachers[\(index)]", context: context)
      }
      reference = try distill.reference.map {
        try Self.loadTeacher($0, key: "agent.distill.reference", context: context)
      }
      if taskCount > 1 && teachers.count != taskCount {
        throw RunError.unsupported(
          "agent.distill.teachers: \(teachers.count) teachers for \(taskCount) tasks; a multi-task student has one teacher per task"
        )
      }
      if Set(teachers.map(\.teacherOutputsAreValues)).count > 1 {
        throw RunError.unsupported(
          "agent.distill.teachers: some teachers output Q-values and others policy logits; an ensemble averages one kind only"
        )
      }
    }
    let b = config.batchSize
    batch = TransitionBatch(
      capacity: b, observationCount: observationCount, actionWidth: 1, continuous: false,
      extras: [])
    studentWork = MLPWorkspace(for: student, capacity: b)
    studentSingle = MLPWorkspace(for: student, capacity: 1)
    teacherWorks = teachers.map { MLPWorkspace(for: $0.teacherNetwork, capacity: b) }
    teacherSingles = teachers.map { MLPWorkspace(for: $0.teacherNetwork, capacity: 1) }
    referenceWork = reference.map { MLPWorkspace(for: $0.teacherNetwork, capacity: b) }
    teacherOutputs = [Float](repeating: 0, count: b * actionCount)
    teacherProbabilities = teacherOutputs
    memberProbabilities = teacherOutputs
    outputGradient = teacherOutputs
    lossScratch = teacherOutputs
    teacherLabels = [Int32](repeating: 0, count: b)
    singleOutput = [Float](repeating: 0, count: actionCount)
    singleAverage = singleOutput
    rowTasks = [Int](repeating: 0, count: b)
    taskOrder = rowTasks
    taskInputs = [Float](repeating: 0, count: taskCount > 1 ? b * taskObservationCount : 0)
    taskRows = [Int](repeating: 0, count: taskCount)
    taskAgreed = taskRows
  }

  /// A teacher from a run directory or policy file, its spaces checked against this run's.
  static func loadTeacher(_ path: String, key: String, context: AgentContext) throws
    -> any DistillationTeacher
  {
    let loaded = try loadPolicy(path, key: key, context: context)
    guard let teacher = loaded.agent as? any DistillationTeacher else {
      throw RunError.unsupported(
        "\(key) (\(path)): a \(loaded.meta.algorithm) policy cannot teach (no per-action outputs)")
    }
    return teacher
  }

  /// A policy from a run directory or policy file whose spaces are this run's, else a one-line
  /// error naming the key, the path and the space that differs.
  static func loadPolicy(_ path: String, key: String, context: AgentContext) throws
    -> PolicyFile.Loaded
  {
    let loaded: PolicyFile.Loaded
    do {
      loaded = try PolicyFile.load(path)
    } catch let error as PolicyError {
      throw RunError.unsupported("\(key): \(error.description)")
    }
    let env = context.taskCount > 1 ? "the tasks' environments" : context.config.env.id
    for (what, theirs, ours) in [
      ("observation", loaded.meta.observationSpace, context.taskObservationSpace),
      ("action", loaded.meta.actionSpace, context.actionSpace),
    ] where theirs != ours {
      throw RunError.unsupported(
        "\(key) (\(path)): the teacher's \(what) space is \(theirs.summary) (trained on \(loaded.meta.env.id)), this run's env \(env) has \(ours.summary); pick a teacher trained on \(env) or set env to the teacher's"
      )
    }
    return loaded
  }

  /// Refuses a student whose parameters, gradients, Adam moments and minibatch activations
  /// would take more than half of this machine's memory, before anything is allocated.
  static func checkMemory(sizes: [Int], batchSize: Int) throws {
    var parameters = 0
    var activations = 0
    var overflow = false
    for l in 0..<sizes.count - 1 {
      let (weights, o1) = sizes[l].multipliedReportingOverflow(by: sizes[l + 1])
      let (sum, o2) = parameters.addingReportingOverflow(weights + sizes[l + 1])
      parameters = sum
      activations += sizes[l]
      overflow = overflow || o1 || o2
    }
    // Parameters, gradients and two Adam moments; activations and deltas of a minibatch.
    let floats =
      Double(parameters) * 4 + Double(activations + sizes[sizes.count - 1]) * Double(batchSize) * 2
    let bytes = floats * 4
    let limit = Double(ProcessInfo.processInfo.physicalMemory) / 2
    guard overflow || bytes > limit else { return }
    throw RunError.unsupported(
      "agent.network.hidden \(Array(sizes.dropFirst().dropLast())): the student needs \(String(format: "%.1f", bytes / 1_073_741_824)) GiB (parameters, gradients, Adam moments, activations), more than half of this machine's \(String(format: "%.1f", limit * 2 / 1_073_741_824)) GiB; make it narrower"
    )
  }

  /// The student's, or while acting as a teacher that teacher's (the ensemble has none: 0).
  public var featureCount: Int {
    if actingPolicy == "ensemble" { return 0 }
    return featureNetwork.featureCount
  }

  var featureNetwork: MLP {
    guard let index = actingTeacher else { return student }
    return teachers[index].teacherNetwork
  }

  /// The teacher `actAs` selected, if any.
  var actingTeacher: Int? {
    guard let label = actingPolicy, label.hasPrefix("teacher_") else { return nil }
    return Int(label.dropFirst("teacher_".count))
  }
  public var teacherParameterCount: Int {
    teachers.reduce(0) { $0 + $1.teacherNetwork.parameters.count }
  }

  /// The temperature that turns the teachers' outputs into the target distribution.
  var targetTemperature: Float {
    if distill.loss == .kd { return Float(distill.temperature) }
    return teachers.first?.teacherOutputsAreValues ?? true ? Float(distill.tau) : 1
  }

  // MARK: Acting

  public func act(_ observation: UnsafeBufferPointer<Float>, explore: Bool) -> Action {
    guard explore else {
      if let index = actingTeacher { return .discrete(teacherAction(index, observation)) }
      return .discrete(
        actingPolicy == "ensemble" ? ensembleAction(observation) : studentAction(observation))
    }
    // Collecting data: ε-greedy noise on the teacher's (DAgger: the mixture's) greedy action.
    if distill.explorationEps > 0 && rng.nextDouble() < distill.explorationEps {
      return .discrete(rng.nextInt(below: actionCount))
    }
    if distill.data == .dagger && rng.nextDouble() >= daggerBeta.value(at: currentStep) {
      return .discrete(studentAction(observation))
    }
    if teachers.isEmpty { return .discrete(studentAction(observation)) }
    if taskCount > 1 { return .discrete(teacherAction(task(of: observation), observation)) }
    return .discrete(ensembleAction(observation))
  }

  func studentAction(_ observation: UnsafeBufferPointer<Float>) -> Int {
    singleOutput.withUnsafeMutableBufferPointer {
      studentSingle.forwardSingle(student, input: observation, output: $0)
    }
    return QLearningAgent.argmax(singleOutput, 0, actionCount)
  }

  func teacherAction(_ index: Int, _ observation: UnsafeBufferPointer<Float>) -> Int {
    singleOutput.withUnsafeMutableBufferPointer {
      teacherSingles[index].forwardSingle(
        teachers[index].teacherNetwork, input: observation, output: $0)
    }
    return QLearningAgent.argmax(singleOutput, 0, actionCount)
  }

  /// The ensemble acts on the average it teaches (one teacher: that teacher's greedy action).
  func ensembleAction(_ observation: UnsafeBufferPointer<Float>) -> Int {
    if teachers.count == 1 { return teacherAction(0, observation) }
    for j in 0..<actionCount { singleAverage[j] = 0 }
    let averageProbabilities = distill.ensemble == .probabilities && distill.loss != .mse
    for (k, teacher) in teachers.enumerated() {
      singleOutput.withUnsafeMutableBufferPointer { out in
        teacherSingles[k].forwardSingle(teacher.teacherNetwork, input: observation, output: out)
        if averageProbabilities {
          Losses.softmax(
            UnsafeBufferPointer(out), rows: 1, columns: actionCount,
            temperature: targetTemperature, into: out)
        }
      }
      for j in 0..<actionCount { singleAverage[j] += singleOutput[j] / Float(teachers.count) }
    }
    return QLearningAgent.argmax(singleAverage, 0, actionCount)
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
      ("distill/loss", figures.loss), ("distill/agreement", figures.match),
      ("train/grad_norm", figures.gradientNorm),
      ("distill/teacher_parameters", Double(teacherParameterCount)),
      ("distill/student_parameters", Double(student.parameters.count)),
    ]
    if reference != nil { values.append(("distill/agreement_reference", figures.referenceMatch)) }
    if taskCount > 1 { values += takeTaskAgreements() }
    return values
  }

  /// One gradient step: sample, label with the teachers, regress, clip, Adam.
  func trainStep(replay: ReplayBuffer) -> StudentStepFigures {
    sampleMinibatch(from: replay)
    let n = batch.count
    let a = actionCount
    batch.observations.withUnsafeBufferPointer { observations in
      labelMinibatch(observations, rows: n)
      studentWork.forward(student, input: observations, rows: n)
    }
    let loss = teacherOutputs.withUnsafeBufferPointer { q in
      teacherProbabilities.withUnsafeBufferPointer { p in
        teacherLabels.withUnsafeBufferPointer { labels in
          outputGradient.withUnsafeMutableBufferPointer { g in
            lossScratch.withUnsafeMutableBufferPointer { scratch in
              DistillationLoss.evaluate(
                distill.loss, student: UnsafeBufferPointer(studentWork.output),
                teacherOutputs: UnsafeBufferPointer(rebasing: q[0..<n * a]),
                teacherProbabilities: UnsafeBufferPointer(rebasing: p[0..<n * a]),
                labels: labels, rows: n, columns: a, temperature: Float(distill.temperature),
                hardLabelWeight: Float(distill.hardLabelWeight), gradient: g, scratch: scratch)
            }
          }
        }
      }
    }
    let z = studentWork.output
    var agreed = 0
    for i in 0..<n {
      let agrees = QLearningAgent.argmax(z, i * a, a) == Int(teacherLabels[i])
      if agrees { agreed += 1 }
      if taskCount > 1 { countAgreement(row: i, agrees: agrees) }
    }
    var referenceAgreed = 0
    if let reference, let referenceWork {
      batch.observations.withUnsafeBufferPointer {
        referenceWork.forward(reference.teacherNetwork, input: $0, rows: n)
      }
      let r = referenceWork.output
      for i in 0..<n
      where QLearningAgent.argmax(z, i * a, a) == QLearningAgent.argmax(r, i * a, a) {
        referenceAgreed += 1
      }
    }
    let norm = applyGradient(count: n * a)
    return StudentStepFigures(
      loss: Double(loss), match: Double(agreed) / Double(n),
      referenceMatch: Double(referenceAgreed) / Double(n), gradientNorm: Double(norm))
  }

  /// The teachers' targets on `rows` observations: their mean outputs (`teacherOutputs`), the
  /// target distribution (`teacherProbabilities`: softmax of the mean at the target
  /// temperature, or the mean of each teacher's softmax) and its argmax (`teacherLabels`).
  func labelMinibatch(_ observations: UnsafeBufferPointer<Float>, rows n: Int) {
    if taskCount > 1 { return labelByTask(observations, rows: n) }
    let a = actionCount
    let count = n * a
    let weight = 1 / Float(teachers.count)
    let temperature = targetTemperature
    let averageProbabilities =
      teachers.count > 1 && distill.ensemble == .probabilities && distill.loss != .mse
    for i in 0..<count {
      teacherOutputs[i] = 0
      teacherProbabilities[i] = 0
    }
    for (k, teacher) in teachers.enumerated() {
      let work = teacherWorks[k]
      work.forward(teacher.teacherNetwork, input: observations, rows: n)
      let out = work.output
      for i in 0..<count { teacherOutputs[i] += weight * out[i] }
      if averageProbabilities {
        memberProbabilities.withUnsafeMutableBufferPointer {
          Losses.softmax(
            UnsafeBufferPointer(out), rows: n, columns: a, temperature: temperature, into: $0)
        }
        for i in 0..<count { teacherProbabilities[i] += weight * memberProbabilities[i] }
      }
    }
    if !averageProbabilities {
      teacherOutputs.withUnsafeBufferPointer { q in
        teacherProbabilities.withUnsafeMutableBufferPointer {
          Losses.softmax(
            UnsafeBufferPointer(rebasing: q[0..<count]), rows: n, columns: a,
            temperature: temperature, into: $0)
        }
      }
    }
    let target = averageProbabilities ? teacherProbabilities : teacherOutputs
    for i in 0..<n { teacherLabels[i] = Int32(QLearningAgent.argmax(target, i * a, a)) }
  }

  // MARK: Diagnostics and files

  public func features(
    of observations: UnsafeBufferPointer<Float>, count: Int,
    into features: UnsafeMutableBufferPointer<Float>
  ) {
    guard taskCount > 1 && actingTeacher != nil else {
      return measureFeatures(
        of: featureNetwork, observations: observations, count: count, into: features)
    }
    // A teacher sees the task's observation alone (a diagnostic: allocating is fine).
    taskObservations(observations, rows: count).withUnsafeBufferPointer {
      measureFeatures(of: featureNetwork, observations: $0, count: count, into: features)
    }
  }

  public func statusMetrics(step: Int) -> [(key: String, value: Double)] {
    studentStatusMetrics(step: step)
  }

  /// Each teacher and, for several, their ensemble, evaluated beside the student at the end.
  public var comparisonPolicies: [String] {
    teachers.indices.map { "teacher_\($0)" }
      + (teachers.count > 1 && taskCount == 1 ? ["ensemble"] : [])
  }

  public func actAs(_ policy: String?) { actingPolicy = policy }

  public var recordedFields: [EpisodeHeader.ExtraField] {
    [.init(name: distill.loss == .mse ? "q_values" : "logits", width: actionCount)]
  }

  public func recordedValues(_ observation: UnsafeBufferPointer<Float>, action: Action)
    -> [[Float]]
  {
    var values = [Float](repeating: 0, count: actionCount)
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

/// A student teaches the next self-distillation round with its own outputs: values when it
/// learnt the teacher's Q-values (mse), else the logits of its policy.
extension DistillationAgent: DistillationTeacher {
  public var teacherNetwork: MLP { student }
  public var teacherOutputsAreValues: Bool { distill.loss == .mse }
}

/// The distillation losses on the student's outputs z (rows × columns) and their gradients
/// dLoss/dz, built from `Losses`.
public enum DistillationLoss {
  /// `teacherProbabilities`: the target distribution (kl: softmax(q / τ); kd: softmax(q / T));
  /// `labels`: its argmax (nll and kd's hard term); `teacherOutputs`: q (mse). `scratch` holds
  /// kd's second gradient. Returns the mean loss over rows (mse: over elements).
  public static func evaluate(
    _ loss: DistillConfig.Loss, student z: UnsafeBufferPointer<Float>,
    teacherOutputs q: UnsafeBufferPointer<Float>,
    teacherProbabilities p: UnsafeBufferPointer<Float>,
    labels: UnsafeBufferPointer<Int32>, rows: Int, columns: Int, temperature: Float,
    hardLabelWeight: Float, gradient: UnsafeMutableBufferPointer<Float>,
    scratch: UnsafeMutableBufferPointer<Float>
  ) -> Float {
    let count = rows * columns
    let z = UnsafeBufferPointer(rebasing: z[0..<count])
    switch loss {
    case .kl:
      return Losses.klDivergence(
        targets: p, logits: z, rows: rows, columns: columns, gradient: gradient)
    case .nll:
      return Losses.crossEntropy(
        logits: z, labels: labels, rows: rows, columns: columns, gradient: gradient)
    case .mse:
      return Losses.meanSquaredError(
        z, q, gradient: UnsafeMutableBufferPointer(rebasing: gradient[0..<count]))
    case .kd:
      // T² keeps the soft term's gradient scale independent of T (Hinton et al. 2015).
      let soft = 1 - hardLabelWeight
      let scale = soft * temperature * temperature
      let kl = Losses.klDivergence(
        targets: p, logits: z, rows: rows, columns: columns, temperature: temperature,
        gradient: gradient)
      var total = scale * kl
      for i in 0..<count { gradient[i] *= scale }
      if hardLabelWeight > 0 {
        let hard = Losses.crossEntropy(
          logits: z, labels: labels, rows: rows, columns: columns, gradient: scratch)
        total += hardLabelWeight * hard
        for i in 0..<count { gradient[i] += hardLabelWeight * scratch[i] }
      }
      return total
    }
  }
}
