import Foundation

extension EnvironmentCatalog {
  /// Gridworlds from the shipped ASCII maps, a user's map file, and the Fu et al. 2019 generator.
  static let gridworldEntries: [EnvironmentEntry] =
    [
      ("open-room", "open-room", false, "8x8 empty room"),
      ("four-rooms", "four-rooms", false, "four rooms joined by doorways (Sutton et al. 1999)"),
      ("cliff-walking", "cliff-walking", false, "4x12 cliff walk; the cliff is lava that restarts"),
      ("lava", "lava", false, "lava field with a safe detour; lava costs 1 and ends the episode"),
      ("two-routes", "two-routes", false, "two routes to the goal (SMERL training environment)"),
      ("two-routes-blocked", "two-routes", true, "two routes, the short one blocked (SMERL test)"),
      (
        "two-routes-upper-blocked", "two-routes-upper", true,
        "two routes, the long one blocked (SMERL's second test)"
      ),
    ].map { id, mapName, blocked, summary in
      EnvironmentEntry(id: "gridworld/\(id)", summary: summary) { options in
        let map = try GridMap.parse(BuiltinMaps.text(named: mapName), file: "Maps/\(mapName).txt")
        return Gridworld.make(map: map, id: "gridworld/\(id)", options: options, blocked: blocked)
      }
    } + [
      EnvironmentEntry(
        id: "gridworld/fu",
        summary:
          "Fu et al. 2019 random NxN grid (map_seed), 20% walls, dense reward, non-terminal goal"
      ) { options in
        let size = options.size ?? 16
        let fraction = options.wallFraction ?? 0.2
        guard size >= 3 else {
          throw EnvironmentError.invalidOption("size must be at least 3, got \(size)")
        }
        guard (0..<1).contains(fraction) else {
          throw EnvironmentError.invalidOption(
            "wall_fraction must be within [0, 1), got \(fraction)")
        }
        let map = GridMap.fu(size: size, wallFraction: fraction, seed: options.mapSeed ?? 0)
        var defaults = options
        defaults.observation = options.observation ?? .rowColOnehot
        return Gridworld.make(map: map, id: "gridworld/fu", options: defaults, blocked: false)
      },
      EnvironmentEntry(id: "gridworld/file", summary: "a map of your own (env option map_file)") {
        options in
        guard let path = options.mapFile else {
          throw EnvironmentError.invalidOption("gridworld/file needs the option map_file: PATH")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
          throw EnvironmentError.invalidOption("cannot read map file '\(path)'")
        }
        let map = try GridMap.parse(text, file: path)
        return Gridworld.make(map: map, id: "gridworld/file", options: options, blocked: false)
      },
    ]
}

extension Gridworld {
  static func make(map: GridMap, id: String, options: EnvironmentOptions, blocked: Bool)
    -> Gridworld
  {
    Gridworld(
      map: map, id: id, observation: options.observation ?? .onehot,
      blocked: options.blocked ?? blocked, actionNoise: options.actionNoise,
      timeLimit: options.timeLimit, featureCount: options.featureCount ?? 32,
      featureSeed: options.mapSeed ?? 0)
  }
}

/// Finds the shipped map files: beside the executable in the package's resource bundle, or in
/// the source tree (tests, `swift run`). Never traps when they are missing.
enum BuiltinMaps {
  static func text(named name: String) throws -> String {
    let file = "\(name).txt"
    let candidates = [
      Bundle.main.bundleURL.appendingPathComponent("ranklab_Environments.resources/Maps/\(file)"),
      Bundle.main.bundleURL.deletingLastPathComponent()
        .appendingPathComponent("ranklab_Environments.resources/Maps/\(file)"),
      URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Maps/\(file)"),
    ]
    for url in candidates {
      if let text = try? String(contentsOf: url, encoding: .utf8) { return text }
    }
    throw EnvironmentError.invalidOption(
      "cannot find the built-in map '\(file)' (looked in: \(candidates.map(\.path).joined(separator: ", ")))"
    )
  }
}
