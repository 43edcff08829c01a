import ArgumentParser
import Environments
import RankLab

/// `ranklab adapt`: few-shot adaptation of a finished run's policy to a (perturbed) environment.
struct AdaptCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "adapt",
    abstract:
      "Try each latent of a run's policy a few episodes, keep the best, and score it on fresh ones.",
    discussion: """
      SMERL's test protocol: every latent plays --trials episodes in the environment (the \
      run's own, changed by --set env.KEY=VALUE), the latent with the best mean is chosen, \
      and its return is measured on --episodes fresh episodes seeded apart from the trials \
      (PCG64 streams 10 and 11 of --seed). A policy without latents has one, so a plain SAC \
      or DQN run adapts trivially through the same command.
      Examples:
        ranklab adapt runs/smerl-routes/0 --set env.blocked=true
        ranklab adapt runs/smerl-pendulum/0 --set env.params.m=1.5 --json
      """)

  @OptionGroup var target: PolicyTarget

  @Option(help: "Trial episodes per latent.")
  var trials = 5

  @Option(help: "Fresh episodes that score the chosen latent.")
  var episodes = 20

  @Option(help: "Seed of the trial and scoring episode seeds.")
  var seed: UInt64 = 0

  @Flag(
    help: "Print one JSON object: latents, chosen, return_mean, return_std, trials, episodes, env.")
  var json = false

  func validate() throws {
    guard trials >= 1 else { throw ValidationError("--trials must be at least 1") }
    guard episodes >= 1 else { throw ValidationError("--episodes must be at least 1") }
  }

  func run() throws {
    let (policy, env) = try target.load()
    let result = try target.reportingFailures {
      try PolicyAdaptation.run(policy, env: env, trials: trials, episodes: episodes, seed: seed)
    }
    if json {
      try PolicyTarget.printJSON(result)
    } else {
      for trial in result.latents {
        print(
          String(
            format: "latent %d: trial return %.3f%@", trial.latent, trial.trialReturnMean,
            trial.latent == result.chosen ? "  <- chosen" : ""))
      }
      print(
        String(
          format: "%@ on %@: latent %d scores %.3f ± %.3f over %d fresh episodes",
          policy.meta.algorithm, env.id, result.chosen, result.returnMean, result.returnStd,
          result.episodes))
    }
  }
}
