// swift-tools-version:6.1
// Micro-benchmarks (ordo-one/benchmark), apart from the main package so that `swift test` does
// not build them. Run from this folder: `swift package --allow-writing-to-directory .benchmarkBaselines benchmark`.
import PackageDescription

let package = Package(
    name: "TidingsBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "tidings", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "HubBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "TidingsCore", package: "tidings"),
                .product(name: "TidingsServer", package: "tidings"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Benchmarks/HubBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
