import Testing

@testable import RankLab

/// The `slurm:` section: checked like every section, with file, line and key, and kept out of a
/// run's resolved config.
@Suite struct SlurmConfigTests {
  func issues(_ text: String, overrides: [String] = []) -> [String] {
    do {
      _ = try ConfigLoader.loadSlurm(text: text, file: "c.yaml", overrides: overrides)
      return []
    } catch let error as ConfigError {
      return error.issues.map(\.description)
    } catch {
      return ["unexpected \(error)"]
    }
  }

  @Test func valuesAndOverridesAreRead() throws {
    let text = """
      steps: 10
      slurm:
        partition: short
        time: "2-00:30"
        cpus_per_task: 2
        extra: [--constraint=avx2]
      """
    let slurm = try ConfigLoader.loadSlurm(
      text: text, file: "c.yaml", overrides: ["slurm.mem=4G", "steps=20"])
    #expect(slurm.partition == "short")
    #expect(slurm.time == "2-00:30")
    #expect(slurm.cpusPerTask == 2)
    #expect(slurm.mem == "4G")
    #expect(slurm.extra == ["--constraint=avx2"])
    #expect(slurm.maxParallel == 0 && slurm.requeue)
    #expect(try ConfigLoader.loadSlurm(text: "steps: 10", file: "c.yaml") == SlurmConfig())
  }

  @Test func mistakesNameTheLineAndTheKey() {
    #expect(
      issues("steps: 10\nslurm:\n  partion: short\n") == [
        "c.yaml:3:3: unknown key 'partion' under 'slurm'; did you mean 'partition'?"
      ])
    #expect(
      issues("slurm:\n  time: 1h\n").first?.hasPrefix(
        "c.yaml:2:3: 'slurm.time' must be a Slurm time limit") == true)
    #expect(
      issues("slurm:\n  cpus_per_task: two\n") == [
        "c.yaml:2:3: 'slurm.cpus_per_task' must be a number, got 'two'"
      ])
    #expect(issues("slurm: {extra: [--array=0-3]}").first?.contains("'slurm.extra.0'") == true)
    #expect(
      issues("steps: 10", overrides: ["slurm.mem=lots"]) == [
        "--set slurm.mem=lots: 'slurm.mem' must be a number with an optional K, M, G or T (e.g. 2G), got 'lots'"
      ])
  }

  @Test func theSectionStaysOutOfARunsConfigAndIsNotSwept() throws {
    let text = "steps: 10\nslurm: {partition: short}\n"
    let loaded = try ConfigLoader.load(ExperimentConfig.self, text: text, file: "c.yaml")
    #expect(!loaded.resolvedYAML.contains("slurm"))
    #expect(
      throws: ConfigError.self,
      "sweeping a reserved section would silently do nothing"
    ) {
      try ConfigLoader.loadVariants(
        ExperimentConfig.self, text: "steps: 10\nsweep:\n  slurm.time: [\"1:00\", \"2:00\"]\n",
        file: "c.yaml")
    }
  }
}
