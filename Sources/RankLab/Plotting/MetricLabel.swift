/// Human titles and units of the metric keys every algorithm logs; unknown keys show as is.
public enum MetricLabel {
  static let known: [String: (title: String, unit: String)] = [
    "step": ("Environment steps", "steps"),
    "train/loss": ("Training loss", "loss"),
    "train/q_mean": ("Mean Q-value", "Q"),
    "train/grad_norm": ("Gradient norm", "‖g‖"),
    "eval/return_mean": ("Evaluation return", "return per episode"),
    "eval/return_std": ("Evaluation return std", "return"),
    "rank/srank": ("Feature rank srank(δ = 0.01)", "singular directions"),
    "rank/entropy_rank": ("Entropy rank exp(H(σ/Σσ)) (Roy & Vetterli)", "rank"),
    "rank/numerical_rank": ("Numerical rank (σ > σ_max·n·ε)", "singular directions"),
    "rank/sigma_max": ("Largest singular value σ_max", "σ"),
    "rank/sigma_min": ("Smallest singular value σ_min", "σ"),
    "rank/sigma_min_nonzero": ("Smallest non-zero singular value", "σ"),
    "rank/probe_states": ("Distinct probe states", "states"),
    "rank/q_abs_max": ("Largest |Q| on the probe states", "|Q|"),
    "train/fitting_iterations": ("Fitting iterations", "target refreshes"),
    "rank/count_above_threshold": ("Singular values above threshold", "count"),
    "rank/ntk_velocity": ("NTK velocity", "cosine distance per step"),
    "replay/bytes": ("Replay memory", "bytes"),
    "replay/transitions": ("Replay size", "transitions"),
    "replay/compression_ratio": ("Replay compression ratio", "raw / compressed"),
    "safety/failures_total": ("Cumulative failures", "failures"),
    "time/steps_per_s": ("Throughput", "steps / s"),
  ]

  /// Keys renamed since older runs were written, old to new: readers file an old run's values
  /// under the new key, and a plot asked for the old key draws the new one.
  public static let renamed = ["rank/effective_rank": "rank/entropy_rank"]

  /// The current name of `key`.
  public static func canonical(_ key: String) -> String { renamed[key] ?? key }

  /// The panel title of `key`.
  public static func title(_ key: String) -> String { known[key]?.title ?? key }

  /// The axis label of `key`: its unit, with the key itself so the raw name stays findable.
  public static func axis(_ key: String) -> String {
    guard let entry = known[key] else { return key }
    return key == "step"
      ? "steps (environment; gradient steps if offline)" : "\(entry.unit)  (\(key))"
  }
}
