import Environments
import Foundation

/// Where a gridworld policy goes: one heat map per latent (SMERL's skills; one panel for a
/// policy without latents) of the cells its recorded episodes visited, from the episode files of
/// a run (`replays/*.rlep`, re-simulated from their seeds and actions), and how far apart the
/// latents' visitation distributions are (total variation, ½ Σ |p − q|).
public struct VisitationChart: SVGChart {
  public struct Panel: Sendable {
    /// The latent, or nil for episodes without one.
    public var latent: Int?
    public var episodes: Int
    /// Visit counts per cell (row-major over the map).
    public var visits: [Int]
  }

  public var title: String
  public var map: GridMap
  public var blocked: Bool
  public var panels: [Panel]

  static let cell = 18.0
  static let gap = 24.0

  /// Reads every episode file in `directory` (a run's `replays/`) on one gridworld.
  public static func load(directory: URL, title: String? = nil) throws -> VisitationChart {
    let files = try FileManager.default.contentsOfDirectory(
      at: directory, includingPropertiesForKeys: nil
    ).filter { $0.pathExtension == "rlep" }.sorted { $0.path < $1.path }
    guard !files.isEmpty else {
      throw PlotError.unusable("\(directory.path): no recorded episodes (.rlep) to count visits in")
    }
    var map: GridMap?
    var blocked = false
    var counts: [Int?: (episodes: Int, visits: [Int])] = [:]
    for file in files {
      let episode = try EpisodeReader.read(from: file)
      let simulation = try EpisodeSimulation(episode)
      guard case .grid(let grid, let isBlocked, let positions) = simulation.frames else {
        throw PlotError.unusable(
          "\(file.path): \(episode.header.environmentID) is not a gridworld; visitation maps need grid positions"
        )
      }
      if let map, map.cells.count != grid.cells.count {
        throw PlotError.unusable(
          "\(file.path): a different map from the other episodes in \(directory.path)")
      }
      map = grid
      blocked = isBlocked
      let latent = episode.extra("latent", at: 0).flatMap { $0.first }.map { Int($0) }
      var entry = counts[latent] ?? (0, [Int](repeating: 0, count: grid.cells.count))
      entry.episodes += 1
      for position in positions { entry.visits[position] += 1 }
      counts[latent] = entry
    }
    let panels = counts.keys.sorted { ($0 ?? -1) < ($1 ?? -1) }.map { key in
      Panel(latent: key, episodes: counts[key]!.episodes, visits: counts[key]!.visits)
    }
    return VisitationChart(
      title: title ?? "Visited cells by latent (\(directory.path))", map: map!, blocked: blocked,
      panels: panels)
  }

  /// Total variation distance between the visitation distributions of panels a and b.
  public func distance(_ a: Int, _ b: Int) -> Double {
    let p = panels[a].visits
    let q = panels[b].visits
    let sp = Double(max(1, p.reduce(0, +)))
    let sq = Double(max(1, q.reduce(0, +)))
    return 0.5 * zip(p, q).map { abs(Double($0) / sp - Double($1) / sq) }.reduce(0, +)
  }

  /// The mean distance over all pairs of latents (0 with one panel).
  public var meanPairwiseDistance: Double {
    var total = 0.0
    var pairs = 0
    for a in panels.indices {
      for b in panels.indices where b > a {
        total += distance(a, b)
        pairs += 1
      }
    }
    return pairs == 0 ? 0 : total / Double(pairs)
  }

  var panelWidth: Double { Double(map.columns) * Self.cell }
  public var width: Double { Double(panels.count) * (panelWidth + Self.gap) + Self.gap }
  public var height: Double { Double(map.rows) * Self.cell + 90 }

  public func svg(id: String) -> String {
    var out =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(id)\" width=\"\(width)\" height=\"\(height)\" font-family=\"\(SVGMarkup.fontFamily)\" font-size=\"12\">"
    out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
    out += "<text x=\"\(Self.gap)\" y=\"20\" font-size=\"14\">\(SVGMarkup.escape(title))</text>"
    out +=
      "<text x=\"\(Self.gap)\" y=\"\(height - 10)\" fill=\"#555\">mean pairwise total variation between latents: \(String(format: "%.3f", meanPairwiseDistance)); colour: share of the panel's visits (log scale); S start, G goal, B barrier\(blocked ? " (walls here)" : "")</text>"
    for (k, panel) in panels.enumerated() {
      let x0 = Self.gap + Double(k) * (panelWidth + Self.gap)
      let y0 = 50.0
      let label = panel.latent.map { "latent \($0)" } ?? "policy"
      out +=
        "<text x=\"\(x0)\" y=\"42\">\(label) (\(panel.episodes) episode\(panel.episodes == 1 ? "" : "s"))</text>"
      let total = Double(max(1, panel.visits.reduce(0, +)))
      for r in 0..<map.rows {
        for c in 0..<map.columns {
          let i = r * map.columns + c
          let cell = map.cells[i]
          let x = x0 + Double(c) * Self.cell
          let y = y0 + Double(r) * Self.cell
          var fill = "#ffffff"
          if cell == .wall {
            fill = "#333333"
          } else if panel.visits[i] > 0 {
            // log scale from 1/1000 of the visits to all of them.
            let share = Double(panel.visits[i]) / total
            let t = min(1, max(0, (log10(share) + 3) / 3))
            fill = Palette.viridis(t)
          }
          out +=
            "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(Self.cell)\" height=\"\(Self.cell)\" fill=\"\(fill)\" stroke=\"#ddd\" stroke-width=\"0.5\"><title>\(panel.visits[i]) visits</title></rect>"
          let mark: String? =
            switch cell {
            case .start: "S"
            case .goal: "G"
            case .barrier: "B"
            case .lava: "L"
            default: nil
            }
          if let mark {
            out +=
              "<text x=\"\(x + Self.cell / 2)\" y=\"\(y + Self.cell * 0.7)\" text-anchor=\"middle\" font-size=\"11\" fill=\"#c00\">\(mark)</text>"
          }
        }
      }
    }
    return out + "</svg>"
  }

  public func hoverJSON() -> String { "{}" }
}
