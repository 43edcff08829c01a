// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "ranklab",
  products: [
    .library(name: "RankLab", targets: ["RankLab"]),
    .library(name: "Environments", targets: ["Environments"]),
    .executable(name: "ranklab", targets: ["ranklab"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
  ],
  targets: [
    .systemLibrary(
      name: "CBLAS", path: "Sources/CBLAS",
      providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(
      name: "CZstd", path: "Sources/CZstd",
      providers: [.apt(["libzstd-dev"])]),
    // Elementwise hot loops in C: vectorized square roots without errno (see CKernels.h).
    .target(
      name: "CKernels", path: "Sources/CKernels",
      cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]),
    .target(
      name: "Environments", path: "Environments", exclude: ["Maps", "PointNavigation/README.md"],
      resources: [.copy("Maps")]),
    .target(
      name: "RankLab",
      dependencies: [
        "Environments", "CBLAS", "CZstd", "CKernels", .product(name: "Yams", package: "Yams"),
      ],
      exclude: ["Episodes/FORMAT.md"]),
    .executableTarget(
      name: "ranklab",
      dependencies: [
        "RankLab", "Environments",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .testTarget(
      name: "EnvironmentsTests", dependencies: ["Environments"], resources: [.copy("Fixtures")]),
    .testTarget(name: "RankLabTests", dependencies: ["RankLab", "Environments"]),
  ]
)
