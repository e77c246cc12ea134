// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "ide-orchestrator",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ide-orchestrator", targets: ["ide-orchestrator"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "IDEOrchestrator",
            dependencies: [
                "CCurl",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources/openapi.yaml")]
        ),
        .executableTarget(
            name: "ide-orchestrator",
            dependencies: [
                "IDEOrchestrator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: [
                // LLVM's linker, relative relocations packed (DT_RELR, glibc 2.36+) and no dynamic
                // export of every symbol: the loader reads and keeps 5 MB less of the binary
                // (docs/benchmarks.md, resident memory).
                .unsafeFlags(
                    ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
                    .when(platforms: [.linux])
                )
            ]
        ),
        .testTarget(
            name: "IDEOrchestratorTests",
            dependencies: [
                "IDEOrchestrator",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "IDEOrchestrator",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
