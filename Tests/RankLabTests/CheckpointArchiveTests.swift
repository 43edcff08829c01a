import Testing

@testable import RankLab

@Suite struct CheckpointArchiveTests {
  @Test func nonFiniteNumbersInJSONSectionsRoundTrip() throws {
    // A diverged learner's running loss sums are saved like any other.
    var archive = CheckpointArchive()
    try archive.put("sums", json: [Double.nan, .infinity, -.infinity, 2.5])
    let back = try archive.json("sums", as: [Double].self)
    #expect(back[0].isNaN && back[1] == .infinity && back[2] == -.infinity && back[3] == 2.5)
  }
}
