/// `smerl:` structured max-ent RL on top of SAC (Kumar, Kumar, Levine, Finn 2020): a latent z
/// per episode appended to what the actor and critics see, and a diversity bonus
/// α · 1[R(τ) ≥ R* − ε] · (log q(z|s′) − log p(z)) from a discriminator q(z|s′).
public struct SMERLConfig: Codable, Equatable, Sendable {
  public init() {}

  public enum Mode: String, Codable, CaseIterable, Sendable {
    /// Plain SAC: no latents, no bonus.
    case none
    /// The bonus only on transitions of finished episodes whose return is within ε of R*.
    case smerl
    /// DIAYN plus task reward: the bonus on every transition (the indicator always 1).
    case diayn
  }

  /// A return threshold: `auto` (chosen from the training episodes) or a number.
  public enum Threshold: Codable, Equatable, Sendable {
    case auto
    case value(Double)

    public init(from decoder: any Decoder) throws {
      let container = try decoder.singleValueContainer()
      if let number = try? container.decode(Double.self) {
        self = .value(number)
      } else if let text = try? container.decode(String.self), text == "auto" {
        self = .auto
      } else {
        throw DecodingError.dataCorruptedError(
          in: container, debugDescription: "must be auto or a number")
      }
    }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.singleValueContainer()
      switch self {
      case .auto: try container.encode("auto")
      case .value(let number): try container.encode(number)
      }
    }
  }

  /// `smerl.discriminator:` the classifier q(z | s′).
  public struct Discriminator: Codable, Equatable, Sendable {
    public init() {}
    /// The paper's [300, 300].
    public var hidden = [300, 300]
    public var activation = Activation.relu
    public var learningRate = 3e-4
    /// Which observation floats it sees (0-based); empty: the whole observation.
    public var inputs: [Int] = []

    enum CodingKeys: String, CodingKey {
      case hidden, activation, inputs
      case learningRate = "learning_rate"
    }
  }

  public var mode = Mode.none
  /// Number of latents N (p(z) uniform over them).
  public var latents = 5
  /// Weight α of the diversity bonus (the paper's 10).
  public var alpha = 10.0
  /// How far below R* an episode's return may be and still earn the bonus: a number, or `auto`
  /// for 0.1 · |R*|.
  public var epsilon = Threshold.auto
  /// R*: `auto` for the best training-episode return so far, or a number (a known optimum).
  public var targetReturn = Threshold.auto
  public var discriminator = Discriminator()
  /// The bonus as the paper writes it (`signed`), or floored at 0 (`nonnegative`): log q(z|s′)
  /// − log p(z) is negative where another latent owns the state, so a near-optimal episode
  /// that shares another latent's route earns less than a failed one, which earns nothing.
  public var bonus = Bonus.signed

  /// The share of every SAC minibatch drawn from transitions of near-optimal episodes (those
  /// whose return is within ε of R*, while the replay holds them), the rest drawn uniformly as
  /// usual; 0 (the default) draws every row uniformly. Read in `smerl` mode only (`diayn` and
  /// `none` ignore it, so one config serves every mode).
  public var nearOptimalFraction = 0.0

  /// Where a near-optimal episode's bonus is paid: on each of its transitions (`step`, the
  /// paper's per-step reward), or once, on its last transition, as α times the episode's mean
  /// of log q(z|s′) − log p(z) (`episode`). Paid per step, a positive bonus on a transition
  /// that stays put (a move into a wall) is worth b / (1 − γ) to a critic that cannot see the
  /// episode's return, more than the goal; paid at the end it buys only reaching the goal.
  /// `first_visit`: per step, but only on transitions into a state (next observation) the
  /// episode has not been in before, so no loop earns it twice. States are compared exactly,
  /// so this is for discrete observations (gridworlds); on continuous ones every state is new.
  public var credit = Credit.step

  public enum Credit: String, Codable, CaseIterable, Sendable {
    case step, episode
    case firstVisit = "first_visit"
  }

  public enum Bonus: String, Codable, CaseIterable, Sendable {
    case signed, nonnegative
  }

  enum CodingKeys: String, CodingKey {
    case mode, latents, alpha, epsilon, discriminator, bonus, credit
    case targetReturn = "target_return"
    case nearOptimalFraction = "near_optimal_fraction"
  }
}
