import Environments

/// A learning agent driven by the shared runner loop (act, step, store, update, evaluate,
/// measure rank, log, checkpoint). Each algorithm keeps its update rule in one file.
///
/// The protocol is shaped for what comes after the value-based agents: actions may be continuous
/// (SAC), a latent may condition the policy (SMERL: `setLatent`), transitions carry a per-step
/// cost (safety critic), and every agent's state round-trips through a checkpoint archive, which
/// is also how a teacher is loaded for distillation.
public protocol Agent: AnyObject {
  /// Chooses an action for one observation; `explore: false` is the greedy evaluation policy.
  func act(_ observation: UnsafeBufferPointer<Float>, explore: Bool) -> Action

  /// Runs whatever updates are due after environment step `step` (the agent owns its schedule:
  /// learning starts, train frequency, gradient steps, target updates). Returns the training
  /// metrics of the update, or nil when none ran.
  func update(replay: ReplayBuffer, step: Int) -> [(key: String, value: Double)]?

  /// Runs `gradientSteps` updates now, whatever the training schedule (offline training from a
  /// fixed dataset), with step-dependent settings (the learning rate) taken at `step`, and
  /// returns their mean metrics.
  func train(replay: ReplayBuffer, gradientSteps: Int, step: Int) -> [(key: String, value: Double)]

  /// Width of the penultimate layer, whose features the rank diagnostics measure.
  var featureCount: Int { get }

  /// Writes the penultimate-layer features of `count` observations (row-major) into `features`
  /// (count × featureCount, row-major).
  func features(
    of observations: UnsafeBufferPointer<Float>, count: Int,
    into features: UnsafeMutableBufferPointer<Float>)

  /// The empirical NTK of the greedy value on `count` observations (count × count, row-major),
  /// or nil for agents without one.
  func tangentKernel(of observations: UnsafeBufferPointer<Float>, count: Int) -> [Float]?

  /// The agent's value of each action for one observation (recorded beside replayed episodes),
  /// or nil for agents without one.
  func actionValues(_ observation: UnsafeBufferPointer<Float>) -> [Float]?

  /// Scalars to log with every metrics row, e.g. the exploration rate.
  func statusMetrics(step: Int) -> [(key: String, value: Double)]

  /// Conditions the policy on a discrete latent skill (SMERL); agents without one ignore it.
  func setLatent(_ latent: Int?)

  /// Saves everything needed to continue bit for bit (networks, optimizer moments, generators).
  func save(into archive: inout CheckpointArchive) throws
  /// Restores what `save` wrote.
  func load(from archive: CheckpointArchive) throws
}

extension Agent {
  public func statusMetrics(step: Int) -> [(key: String, value: Double)] { [] }
  public func setLatent(_ latent: Int?) {}
}
