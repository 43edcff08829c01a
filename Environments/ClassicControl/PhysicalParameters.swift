/// Checks physical parameters given by Gymnasium's attribute names against an environment's
/// list, and fills in the defaults of those not given.
enum PhysicalParameters {
  static func resolve(
    _ given: [String: Double], defaults: [(name: String, value: Double)], environment: String
  ) throws -> [String: Double] {
    var values = Dictionary(uniqueKeysWithValues: defaults.map { ($0.name, $0.value) })
    let names = defaults.map(\.name).joined(separator: ", ")
    for (name, value) in given.sorted(by: { $0.key < $1.key }) {
      guard values[name] != nil else {
        throw EnvironmentError.invalidOption(
          "\(environment) has no parameter '\(name)'; its parameters: \(names)")
      }
      guard value.isFinite, value > 0 else {
        throw EnvironmentError.invalidOption(
          "\(environment) parameter '\(name)' must be a positive finite number, got \(value)")
      }
      values[name] = value
    }
    return values
  }
}
