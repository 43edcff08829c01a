import Environments
import Foundation
import Testing

@testable import RankLab

@Suite struct PlotAggregateTests {
  @Test func meanAndSampleStdOnKnownInputs() {
    let seeds: [[(x: Double, y: Double)]] = [
      [(0, 1), (10, 4)], [(0, 2), (10, 6)], [(0, 3), (10, 8)],
    ]
    let a = SeedAggregate.make(seeds: seeds, band: .std)
    #expect(a.x == [0, 10])
    #expect(a.mean == [2, 6])
    #expect(a.lower == [1, 4])
    #expect(a.upper == [3, 8])
    #expect(a.count == [3, 3])
  }

  @Test func unionAlignmentInterpolatesInsideEachSeedsRangeOnly() {
    let seeds: [[(x: Double, y: Double)]] = [[(0, 0), (10, 10)], [(0, 2), (5, 4), (20, 4)]]
    let union = SeedAggregate.make(seeds: seeds, band: .none, alignment: .union)
    #expect(union.x == [0, 5, 10, 20])
    // At 5 the first seed is interpolated to 5; at 20 only the second seed still counts.
    #expect(union.mean == [1, 4.5, 7, 4])
    #expect(union.count == [2, 2, 2, 1])
    let common = SeedAggregate.make(seeds: seeds, band: .none, alignment: .common)
    #expect(common.x == [0])
    #expect(common.mean == [1])
  }

  @Test func bootstrapIntervalIsDeterministicAndSensible() {
    let values = [1.3, 2.7, 3.1, 4.4, 10.2, 0.4, 6.6]
    var g1 = PCG64(seed: 7)
    var g2 = PCG64(seed: 7)
    var g3 = PCG64(seed: 8)
    let a = SeedAggregate.bootstrapInterval(values, resamples: 500, level: 0.95, generator: &g1)
    let b = SeedAggregate.bootstrapInterval(values, resamples: 500, level: 0.95, generator: &g2)
    let c = SeedAggregate.bootstrapInterval(values, resamples: 500, level: 0.95, generator: &g3)
    #expect(a == b)
    #expect(a != c)
    // The interval holds the mean (4.1) and is narrower than the data's range.
    #expect(a.0 < 4.1 && a.1 > 4.1)
    #expect(a.0 > 0.4 && a.1 < 10.2)
    var g4 = PCG64(seed: 0)
    let flat = SeedAggregate.bootstrapInterval(
      [3, 3, 3], resamples: 100, level: 0.95, generator: &g4)
    #expect(flat == (3, 3))
  }

  @Test func smoothingFollowsTensorBoardsDebiasedEMA() {
    let points: [(x: Double, y: Double)] = [(0, 10), (1, 0)]
    let smoothed = Smoothing.ema(points, weight: 0.5)
    #expect(smoothed[0].y == 10)  // debiased: the first value is kept
    #expect(abs(smoothed[1].y - 10.0 / 3) < 1e-12)  // (2.5 + 0) / 0.75
  }

  @Test func ticksAreOneTwoFiveNumbers() {
    let scale = AxisScale(covering: [0.3, 87], isLog: false, pixels: (0, 100))
    #expect(scale.low == 0 && scale.high == 100)
    #expect(scale.ticks() == [0, 20, 40, 60, 80, 100])
    #expect(AxisScale.niceStep(0.031) == 0.05)
    #expect(AxisScale.niceStep(1400) == 2000)
    #expect(NumberText.tick(150_000, step: 50_000) == "150k")
    #expect(NumberText.tick(0.25, step: 0.05) == "0.25")
    let log = AxisScale(covering: [0.02, 300], isLog: true, pixels: (0, 100))
    #expect(log.ticks() == [0.01, 0.1, 1, 10, 100, 1000])
  }

  @Test func srankOfASpectrum() {
    #expect(SpectrumChart.srank([1, 0, 0]) == 1)
    #expect(SpectrumChart.srank([1, 1, 1, 1]) == 4)
    // 99% of 100 + 0.5 + 0.5 = 100.99 is reached by the first value alone.
    #expect(SpectrumChart.srank([100, 0.5, 0.5]) == 1)
    #expect(SpectrumChart.srank([50, 49, 1, 0.001]) == 3)
  }
}
