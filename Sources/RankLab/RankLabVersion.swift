/// The version `ranklab --version` prints and runs record in their resolved config.
public enum RankLabVersion {
  public static let string = "0.1.0"
}
