import Environments
import Foundation

/// Few-shot adaptation of a saved policy (`ranklab adapt`, SMERL's test protocol): play every
/// latent a few trial episodes in the given environment, keep the latent with the best trial
/// mean, and score it on fresh episodes. A policy without latents has one: baselines go
/// through the same protocol and adapt trivially.
public enum PolicyAdaptation {
  public struct LatentTrial: Codable, Sendable {
    public var latent: Int
    public var trialReturnMean: Double

    enum CodingKeys: String, CodingKey {
      case latent
      case trialReturnMean = "trial_return_mean"
    }
  }

  /// What `ranklab adapt --json` prints.
  public struct Result: Codable, Sendable {
    public var latents: [LatentTrial]
    public var chosen: Int
    public var returnMean: Double
    public var returnStd: Double
    public var trials: Int
    public var episodes: Int
    public var env: String

    enum CodingKeys: String, CodingKey {
      case latents, chosen, trials, episodes, env
      case returnMean = "return_mean"
      case returnStd = "return_std"
    }
  }

  /// Trial episode k of every latent starts from the k-th draw of `PCG64(seed: seed, stream:
  /// [10])` (each latent sees the same starts); the scoring episodes from stream [11], so the
  /// chosen latent is never scored on the trials that chose it. Draws are shifted right by one,
  /// as a run's final evaluation's are. Ties go to the lowest latent.
  public static func run(
    _ policy: PolicyFile.Loaded, env: EnvConfig, trials: Int, episodes: Int, seed: UInt64 = 0
  ) throws -> Result {
    let environment = try PolicyEvaluation.environment(for: policy, env: env)
    return try run(
      policy, environment: environment, env: env, trials: trials, episodes: episodes, seed: seed)
  }

  private static func run<E: Environment>(
    _ policy: PolicyFile.Loaded, environment: E, env: EnvConfig, trials: Int, episodes: Int,
    seed: UInt64
  ) throws -> Result {
    var environment = environment
    func seeds(_ stream: UInt32, _ count: Int) -> [UInt64] {
      var generator = PCG64(seed: seed, stream: [stream])
      return (0..<count).map { _ in generator.next() >> 1 }
    }
    let trialSeeds = seeds(10, trials)
    let agent = policy.agent
    var tried: [LatentTrial] = []
    for latent in 0..<agent.latentCount {
      agent.selectLatent(latent)
      let result = try Evaluation.run(
        &environment, agent: agent, episodes: trials, seeds: trialSeeds)
      tried.append(LatentTrial(latent: latent, trialReturnMean: result.mean))
    }
    var chosen = tried[0]
    for trial in tried.dropFirst() where trial.trialReturnMean > chosen.trialReturnMean {
      chosen = trial
    }
    agent.selectLatent(chosen.latent)
    let scored = try Evaluation.run(
      &environment, agent: agent, episodes: episodes, seeds: seeds(11, episodes))
    agent.selectLatent(nil)
    return Result(
      latents: tried, chosen: chosen.latent, returnMean: scored.mean,
      returnStd: scored.standardDeviation, trials: trials, episodes: episodes, env: env.id)
  }
}
