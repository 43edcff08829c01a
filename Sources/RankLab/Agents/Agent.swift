import Environments

/// A learning agent driven by the shared runner loop (act, step, store, update, evaluate,
/// measure rank, log, checkpoint). Each algorithm keeps its update rule in one file and is built
/// through `AgentCatalog`; nothing in `Experiment/` names a concrete agent.
///
/// Actions may be discrete or continuous; the loop tells the agent where episodes start and end
/// (a skill latent may be drawn at the start, returns relabelled or a Lagrange multiplier moved
/// at the end); every agent's state round-trips through a checkpoint archive, and its acting
/// networks alone through a policy file (`PolicyFile`), which is how a teacher is loaded.
public protocol Agent: AnyObject {
  /// Chooses an action for one observation; `explore: false` is the greedy evaluation policy.
  func act(_ observation: UnsafeBufferPointer<Float>, explore: Bool) -> Action

  /// An episode begins (`training`: in the training environment, else an evaluation episode).
  /// Evaluation episodes run in the middle of a training episode and no hook marks the training
  /// episode going on: an agent with per-episode state (a latent) keeps the training episode's
  /// apart, and tells the two apart in `act` by `explore` (training explores, evaluation not).
  func episodeStarted(training: Bool)

  /// A training episode ended with this environment return, summed cost and length.
  func episodeEnded(return: Double, cost: Double, length: Int)

  /// Runs whatever updates are due after environment step `step` (the agent owns its schedule:
  /// learning starts, train frequency, gradient steps, target updates). Returns the training
  /// metrics of the update, or nil when none ran.
  func update(replay: ReplayBuffer, step: Int) -> [(key: String, value: Double)]?

  /// Runs `gradientSteps` updates now, whatever the training schedule (offline training from a
  /// fixed dataset), with step-dependent settings (the learning rate) taken at `step`, and
  /// returns their mean metrics.
  func train(replay: ReplayBuffer, gradientSteps: Int, step: Int) -> [(key: String, value: Double)]

  /// Width of the penultimate layer of the measured network, whose features the rank
  /// diagnostics measure.
  var featureCount: Int { get }

  /// Writes the penultimate-layer features of `count` observations (row-major) into `features`
  /// (count × featureCount, row-major).
  func features(
    of observations: UnsafeBufferPointer<Float>, count: Int,
    into features: UnsafeMutableBufferPointer<Float>)

  /// The empirical NTK of a fixed scalar output (not one that flips, like the greedy action's) on `count` observations (count × count,
  /// row-major), or nil for agents without one.
  func tangentKernel(of observations: UnsafeBufferPointer<Float>, count: Int) -> [Float]?

  /// The action values of `count` observations (count × actions, row-major), or nil for agents
  /// without them: the divergence check compares them with r_max / (1 − γ).
  func actionValues(of observations: UnsafeBufferPointer<Float>, count: Int) -> [Float]?

  /// What the agent records beside each step of an episode file (Q-values, action
  /// probabilities, a log-probability, a latent), in column order; may be empty.
  var recordedFields: [EpisodeHeader.ExtraField] { get }

  /// The values of `recordedFields` for one observation and the action taken there, one array
  /// per field.
  func recordedValues(_ observation: UnsafeBufferPointer<Float>, action: Action) -> [[Float]]

  /// Other policies the agent can act with, evaluated beside it at the end of a run on the same
  /// episode seeds (a distillation student's teachers and their ensemble); may be empty.
  var comparisonPolicies: [String] { get }
  /// Makes the greedy `act` (and `featureCount` / `features`, where that policy has a feature
  /// layer of its own, else `featureCount` 0) follow one of `comparisonPolicies` (nil: the
  /// agent's own policy).
  func actAs(_ policy: String?)
  /// The task a comparison policy is evaluated on in a multi-task environment (a multi-task
  /// student's teacher K: task K); nil: every task, as the agent.
  func comparisonTask(_ policy: String) -> Int?

  /// Scalars to log with every metrics row, e.g. the exploration rate.
  func statusMetrics(step: Int) -> [(key: String, value: Double)]

  /// How many distinct policies the agent holds, one per latent (SMERL's skills); 1 for most.
  /// Evaluation and `ranklab adapt` play each in turn.
  var latentCount: Int { get }

  /// Fixes the latent of the evaluation episodes that start from now on (nil: the agent's own
  /// choice). Training episodes keep drawing their own.
  func selectLatent(_ latent: Int?)

  /// Wall-clock seconds spent sampling minibatches (for the run's time breakdown).
  var samplingSeconds: Double { get }

  /// Saves everything needed to continue bit for bit (networks, optimizer moments, generators).
  func save(into archive: inout CheckpointArchive) throws
  /// Restores what `save` wrote.
  func load(from archive: CheckpointArchive) throws

  /// Saves only what acting greedily needs (the policy file): no optimizer, replay or target.
  func savePolicy(into archive: inout CheckpointArchive) throws
  /// Restores what `savePolicy` wrote into an agent built from the same config and spaces.
  func loadPolicy(from archive: CheckpointArchive) throws
}

extension Agent {
  public func episodeStarted(training: Bool) {}
  public func episodeEnded(return: Double, cost: Double, length: Int) {}
  public func statusMetrics(step: Int) -> [(key: String, value: Double)] { [] }
  public var latentCount: Int { 1 }
  public func selectLatent(_ latent: Int?) {}
  public var comparisonPolicies: [String] { [] }
  public func actAs(_ policy: String?) {}
  public func comparisonTask(_ policy: String) -> Int? { nil }
  public func tangentKernel(of observations: UnsafeBufferPointer<Float>, count: Int) -> [Float]? {
    nil
  }
  public func actionValues(of observations: UnsafeBufferPointer<Float>, count: Int) -> [Float]? {
    nil
  }
}
