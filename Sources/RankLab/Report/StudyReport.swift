import Foundation

/// One self-contained HTML page for a study: what was run, the final figures across seeds,
/// the curves (return, feature rank, spectrum, loss, replay, safety), configs and replays.
public struct StudyReport {
  public var groups: [RunGroup]
  public var band: BandKind
  /// Where the page will be written, so links to replays can be relative.
  public var outputDirectory: URL
  /// A paragraph shown under the title (what the runs are, e.g. "a reduced run").
  public var note: String?

  public init(groups: [RunGroup], band: BandKind = .std, outputDirectory: URL) {
    self.groups = groups
    self.band = band
    self.outputDirectory = outputDirectory
  }

  /// Figures drawn when their metrics were logged: (heading, metrics, log y, caption).
  static let figures: [(String, [String], Bool, String?)] = [
    ("Return", ["eval/return_mean"], false, nil),
    ("Feature rank", ["rank/srank", "rank/entropy_rank"], false, nil),
    ("Loss", ["train/loss"], true, nil),
    ("Singular values", ["rank/sigma_max"], true, nil),
    ("Kernel velocity", ["rank/ntk_velocity"], false, nil),
    ("Safety", ["safety/failures_total"], false, "Failures counted during training, cumulative."),
  ]

  public func html() throws -> String {
    let names = groups.map(\.name).reduce(into: [String]()) {
      if !$0.contains($1) { $0.append($1) }
    }
    let title = "ranklab report: " + names.joined(separator: ", ")
    var page = HTMLPage(title: title)
    page.sections.append("<h1>\(SVGMarkup.escape(title))</h1>\n<p class=\"meta\">\(meta)</p>\n")
    if let note { page.sections.append("<p><strong>\(SVGMarkup.escape(note))</strong></p>\n") }
    page.sections.append(
      "<h2>Final figures</h2>\n<p class=\"note\">Final value of each run (the return: the "
        + "final evaluation's mean, as summary.json stores it; the rest: the last logged value), "
        + "mean ± standard deviation across runs (seeds, and the maps pooled with them).</p>\n"
        + FinalFigures(groups).html + kSweepSummary)
    var keys = Set(RunGroup.availableKeys(groups))
    // Environments that can fail log the counter for every agent; a study in which nothing
    // ever failed (the gridworld FQI study) gets no safety figures.
    let failed = groups.contains { group in
      group.runs.contains { run in run.points("safety/failures_total").contains { $0.y > 0 } }
    }
    if !failed { keys.remove("safety/failures_total") }
    var chartIndex = 0
    for (heading, metrics, logY, caption) in Self.figures {
      let present = metrics.filter { keys.contains($0) }
      guard !present.isEmpty else { continue }
      let positive = groups.allSatisfy { group in
        group.runs.allSatisfy { run in
          present.allSatisfy { m in run.points(m).allSatisfy { $0.y > 0 } }
        }
      }
      let chart = try LineChart.curves(
        groups, options: CurveOptions(metrics: present, band: band, logY: logY && positive),
        title: "")
      page.sections.append("<h2>\(SVGMarkup.escape(heading))</h2>\n")
      page.add(chart, id: "chart\(chartIndex)", caption: caption ?? defaultCaption(heading))
      chartIndex += 1
      if heading == "Feature rank", let spectrum = try? SpectrumChart.make(groups, title: "") {
        page.sections.append("<h2>Singular-value spectrum</h2>\n")
        page.add(
          spectrum, id: "chart\(chartIndex)",
          caption: "Each column is one rank measurement; rows are singular values in "
            + "descending order. Collapse shows as the dark region rising towards index 1.")
        chartIndex += 1
      }
    }
    if keys.contains("safety/failures_total"), keys.contains("eval/return_mean") {
      try addSafetySection(to: &page, chartIndex: chartIndex)
    }
    page.sections.append(configSection)
    page.sections.append(replaySection)
    return page.html
  }

  /// Safe exploration's headline (Bharadhwaj et al. 2021's plot): return against cumulative
  /// training failures, one curve per configuration, and the final figures beside it.
  private func addSafetySection(to section: inout HTMLPage, chartIndex: Int) throws {
    let chart = try LineChart.curves(
      groups,
      options: CurveOptions(
        metrics: ["eval/return_mean"], x: "safety/failures_total", band: band),
      title: "")
    section.sections.append("<h2>Failures against return</h2>\n")
    section.add(
      chart, id: "chart\(chartIndex)",
      caption: "Evaluation return against the failures counted during training so far: a "
        + "curve further left reached its return with fewer failures. Where a method adds no "
        + "failures for a while, its points share one x and the latest return is drawn.")
    let keys = Set(RunGroup.availableKeys(groups))
    let metrics = ["eval/final_return_mean", "safety/failures_total", "eval/cost_mean"].filter {
      $0 == "eval/final_return_mean" || keys.contains($0)
    }
    section.sections.append(FinalFigures(groups, metrics: metrics).html)
  }

  private var meta: String {
    let runs = groups.flatMap(\.runs)
    let envs = Set(runs.compactMap(\.info.env)).sorted().joined(separator: ", ")
    let algorithms = Set(runs.compactMap(\.info.algorithm)).sorted().joined(separator: ", ")
    let running = runs.filter { $0.info.status == "running" }.count
    var parts = [
      "\(groups.count) configuration\(groups.count == 1 ? "" : "s")", "\(runs.count) runs",
    ]
    if !envs.isEmpty { parts.append("environment " + envs) }
    if !algorithms.isEmpty { parts.append("algorithm " + algorithms) }
    if running > 0 { parts.append("\(running) still running (plotted up to their last line)") }
    parts.append("ranklab \(RankLabVersion.string)")
    return SVGMarkup.escape(parts.joined(separator: " · "))
  }

  private func defaultCaption(_ heading: String) -> String? {
    guard heading == "Feature rank" else { return nil }
    return "srank(δ = 0.01): the fewest singular values of the penultimate-layer features that "
      + "hold 99% of their sum; entropy rank: Roy & Vetterli's exp(H(σ/Σσ)). Measured on fixed "
      + "distinct probe states (every reachable state of a gridworld)."
  }

  /// For each study sweeping K (variants labelled `K=...`): its final srank by K, as measured
  /// here, and whether it falls as K grows, the direction Kumar et al. (2020) report.
  private var kSweepSummary: String {
    let table = FinalFigures(groups, metrics: ["rank/srank"])
    var studies: [String] = []
    var points: [String: [(k: Int, srank: Double)]] = [:]
    for (group, row) in zip(groups, table.rows) {
      guard let variant = group.variant, variant.hasPrefix("K="),
        let k = Int(variant.dropFirst(2).prefix { $0.isNumber }), let cell = row.cells[0]
      else { continue }
      if points[group.name] == nil { studies.append(group.name) }
      points[group.name, default: []].append((k, cell.mean))
    }
    var out = ""
    for study in studies {
      guard let measured = points[study]?.sorted(by: { $0.k < $1.k }), measured.count >= 2
      else { continue }
      let list = measured.map { "K=\($0.k) \(NumberText.compact($0.srank))" }
      let falling = zip(measured, measured.dropFirst()).allSatisfy { $1.srank < $0.srank }
      let lower = measured.last!.srank < measured.first!.srank
      let verdict =
        falling
        ? "It falls with every increase of K, the direction Kumar et al. (2020) report."
        : lower
          ? "It is lower at the largest K than at the smallest but does not fall at every step "
            + "of K: only partly the monotone fall Kumar et al. (2020) report."
          : "It does not fall as K grows, unlike the fall Kumar et al. (2020) report."
      out +=
        "<p class=\"note\">\(SVGMarkup.escape(study)): measured final srank by K (mean over "
        + "runs that did not diverge): " + SVGMarkup.escape(list.joined(separator: ", ")) + ". "
        + SVGMarkup.escape(verdict) + "</p>\n"
    }
    return out
  }

  private var configSection: String {
    var out = "<h2>Resolved configuration</h2>\n"
    for group in groups {
      guard let run = group.runs.first,
        let text = try? String(
          contentsOf: run.directory.appendingPathComponent("config.yaml"), encoding: .utf8)
      else { continue }
      out += "<details><summary>\(SVGMarkup.escape(group.fullLabel))</summary>\n"
      out += "<p class=\"note\">\(SVGMarkup.escape(run.directory.path))/config.yaml</p>\n"
      out += "<pre>\(SVGMarkup.escape(text))</pre></details>\n"
    }
    return out
  }

  /// Recorded episodes (files under each run's `replays/` folder) and where the page links
  /// them: in place when they lie under the page's directory, else copied to
  /// `report-replays/<run path>/<file>` beside the page (`ranklab report` makes the copies).
  public var replayCopies: [(from: URL, to: URL, group: String, seed: Int, file: String)] {
    var copies: [(from: URL, to: URL, group: String, seed: Int, file: String)] = []
    let fm = FileManager.default
    let base = outputDirectory.standardizedFileURL
    for group in groups {
      for run in group.runs {
        let folder = run.directory.appendingPathComponent("replays")
        let files = ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        for file in files {
          let source = folder.appendingPathComponent(file).standardizedFileURL
          var target = source
          if !source.path.hasPrefix(base.path + "/") {
            let runPath = run.directory.standardizedFileURL.pathComponents.suffix(3)
              .joined(separator: "-")
            target = base.appendingPathComponent("report-replays")
              .appendingPathComponent(runPath).appendingPathComponent(file)
          }
          copies.append((source, target, group.label, run.info.seed, file))
        }
      }
    }
    return copies
  }

  private var replaySection: String {
    let links = replayCopies.map { copy in
      "<li><a href=\"\(SVGMarkup.escape(relativePath(copy.to.path)))\">"
        + "\(SVGMarkup.escape(copy.group)) seed \(copy.seed): \(SVGMarkup.escape(copy.file))</a></li>"
    }
    var out = "<h2>Recorded replays</h2>\n"
    if links.isEmpty {
      return out
        + "<p class=\"note\">No recorded episodes (nothing under &lt;run&gt;/replays/).</p>\n"
    }
    out += "<ul>\n" + links.joined(separator: "\n") + "\n</ul>\n"
    return out
  }

  private func relativePath(_ path: String) -> String {
    let base = outputDirectory.standardizedFileURL.pathComponents
    let target = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
    var common = 0
    while common < min(base.count, target.count), base[common] == target[common] { common += 1 }
    let up = Array(repeating: "..", count: base.count - common)
    return (up + target[common...]).joined(separator: "/")
  }
}
