// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "vidtemporal",
    products: [
        // MARK: The C library: libvidtemporal.so, exporting exactly the vt_* functions of include/vidtemporal.h
        .library(name: "vidtemporal", type: .dynamic, targets: ["VidTemporal"]),
    ],
    targets: [
        // MARK: The C ABI header, imported into Swift so @c @implementation checks every signature
        .systemLibrary(name: "CVidTemporal", path: "include"),
        // MARK: OpenBLAS (apt-get install libopenblas-dev) for the GEMM-shaped kernels; Accelerate on Darwin
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),

        // MARK: Non-temporal stores for channels_last data movement (C: Swift has none)
        .target(name: "CStreamingStores", path: "Sources/CStreamingStores"),
        // MARK: Tasks on the process's OpenMP threads when torch has loaded them (C: dlopen'd API)
        .target(name: "COpenMPTasks", path: "Sources/COpenMPTasks"),

        // MARK: Kernels and exports
        .target(
            name: "VidTemporal",
            dependencies: [
                "CVidTemporal", "CStreamingStores", "COpenMPTasks",
                .target(name: "COpenBLAS", condition: .when(platforms: [.linux])),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)],
            linkerSettings: [.linkedFramework("Accelerate", .when(platforms: [.macOS]))]
        ),

        // MARK: Tests
        .target(
            name: "VidTemporalTestSupport",
            path: "Tests/VidTemporalTestSupport",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "VidTemporalTests",
            dependencies: ["VidTemporal", "CVidTemporal", "VidTemporalTestSupport"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
