import Foundation

/// A trajectory recorded from Gymnasium's own environment (the format of
/// `shared/reference/README.md`): the seed, the state after `reset(seed=)`, then every action
/// with what `step` returned.
public struct ReferenceTrajectory: Decodable, Sendable {
  public var env: String
  public var seed: UInt64
  public var gymnasiumVersion: String?
  public var resetObservation: [Double]
  public var resetState: [Double]
  public var steps: [ReferenceStep]
  /// Physical parameters set on `env.unwrapped` before reset (`gymnasium-params/` files).
  public var params: [String: Double]?

  enum CodingKeys: String, CodingKey {
    case env, seed, steps, params
    case gymnasiumVersion = "gymnasium_version"
    case resetObservation = "reset_obs"
    case resetState = "reset_state"
  }

  /// Reads a reference file; errors name the file and the missing or malformed key.
  public static func load(from url: URL) throws -> ReferenceTrajectory {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw ReferenceError.unreadable(url.path, "cannot read the file")
    }
    do {
      return try JSONDecoder().decode(ReferenceTrajectory.self, from: data)
    } catch let DecodingError.keyNotFound(key, context) {
      throw ReferenceError.unreadable(
        url.path, "missing key '\(Self.path(context.codingPath + [key]))'")
    } catch let DecodingError.typeMismatch(_, context) {
      throw ReferenceError.unreadable(
        url.path, "wrong type at '\(Self.path(context.codingPath))': \(context.debugDescription)")
    } catch let DecodingError.valueNotFound(_, context) {
      throw ReferenceError.unreadable(url.path, "null at '\(Self.path(context.codingPath))'")
    } catch {
      throw ReferenceError.unreadable(url.path, "not valid JSON")
    }
  }

  private static func path(_ keys: [any CodingKey]) -> String {
    keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
      .trimmingCharacters(in: CharacterSet(charactersIn: "."))
  }
}

/// One recorded step: the action given and what Gymnasium returned.
public struct ReferenceStep: Decodable, Sendable {
  public var action: Action
  public var observation: [Double]
  public var reward: Double
  public var terminated: Bool
  public var truncated: Bool

  enum CodingKeys: String, CodingKey {
    case action, reward, terminated, truncated
    case observation = "obs"
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    if let index = try? c.decode(Int.self, forKey: .action) {
      action = .discrete(index)
    } else {
      action = .continuous(try c.decode([Float].self, forKey: .action))
    }
    observation = try c.decode([Double].self, forKey: .observation)
    reward = try c.decode(Double.self, forKey: .reward)
    terminated = try c.decode(Bool.self, forKey: .terminated)
    truncated = try c.decode(Bool.self, forKey: .truncated)
  }
}

/// A reference file that cannot be used.
public enum ReferenceError: Error, CustomStringConvertible {
  case unreadable(String, String)
  case unsupportedEnvironment(String, String)

  public var description: String {
    switch self {
    case .unreadable(let file, let why): return "\(file): \(why)"
    case .unsupportedEnvironment(let file, let id):
      return "\(file): environment '\(id)' is not a classic-control environment ranklab has"
    }
  }
}
