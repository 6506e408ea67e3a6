// swift-tools-version: 6.1
// finetuned — a systemd-native daemon that fine-tunes transformer language models on several tasks at once.
// Dependencies point one way: COpenBLAS ← Tensor ← NN ← Models ← Training ← Plugins; Tokenizers and Datasets
// stand alone (Foundation only); PipelineCore knows nothing of ML or systemd. See docs/architecture.md.
import PackageDescription

let package = Package(
    name: "finetuned",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "finetunectl", targets: ["finetunectl"]),
        .executable(name: "finetuned", targets: ["finetuned"]),
        .executable(name: "finetuned-stage-wordcount", targets: ["WordCountPlugin"]),
        .executable(name: "finetuned-stage-testkit", targets: ["TestKitPlugin"]),
        .executable(name: "finetuned-stage-tokenize", targets: ["TokenizePlugin"]),
        .executable(name: "finetuned-stage-domain-pretrain", targets: ["DomainPretrainPlugin"]),
        .executable(name: "finetuned-stage-evaluate", targets: ["EvaluatePlugin"]),
        .executable(name: "finetuned-stage-multitask-finetune", targets: ["MultitaskFinetunePlugin"]),
        .executable(name: "tokenizers-bench", targets: ["TokenizersBench"]),
        .executable(name: "pipeline-fuzz", targets: ["pipeline-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // MARK: ML core
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "Tensor", dependencies: ["COpenBLAS"]),
        .target(name: "NN", dependencies: ["Tensor"]),
        .target(name: "Models", dependencies: ["Tensor", "NN", "Tokenizers", "BoundedIO"]),
        // The capped reader of files a user controls (Foundation only), shared by the engine and the ML code.
        .target(name: "BoundedIO"),
        .target(name: "Training", dependencies: ["Tensor", "NN", "Models", "Datasets"]),
        .executableTarget(name: "tensor-bench", dependencies: ["Tensor", "NN", "Models"], path: "Benchmarks/TensorBench"),
        .executableTarget(name: "gguf-inspect", dependencies: ["Models"], path: "Tools/GGUFInspect"),
        .executableTarget(
            name: "llama-bench", dependencies: ["Models", "NN", "Tensor", "Tokenizers", "Training"],
            path: "Benchmarks/LlamaBench"),

        // MARK: Data
        .target(name: "Datasets"),
        .target(name: "Tokenizers"),
        .executableTarget(name: "TokenizersBench", dependencies: ["Tokenizers"], path: "Benchmarks/TokenizersBench"),

        // MARK: Evaluation (Foundation only): metrics with bootstrap intervals, and the report they fill
        .target(name: "Metrics"),
        .target(name: "Report", dependencies: ["Metrics"]),

        // MARK: Pipeline engine
        .target(name: "StageKit"),
        // openat2(2) for run-time confinement of data files (glibc has no wrapper).
        .target(name: "COpenat2"),
        .target(
            name: "PipelineCore",
            dependencies: [
                "StageKit", "COpenat2", "BoundedIO",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The parser/validator fuzzer: a library for the test suite's fixed budget, an executable for long runs.
        .target(name: "PipelineFuzzing", dependencies: ["PipelineCore", "StageKit"]),
        .executableTarget(name: "pipeline-fuzz", dependencies: ["PipelineFuzzing"]),
        .executableTarget(
            name: "finetunectl",
            dependencies: [
                // The control client lives in ControlProtocol: the CLI does not link libsystemd.
                "PipelineCore", "StageKit", "ControlProtocol", "Report",
                // predict runs multitask models.
                "Training", "Models", "Tokenizers", "Tensor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // MARK: The daemon
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(name: "ControlProtocol"),
        .target(
            name: "Daemon",
            dependencies: [
                "PipelineCore", "ControlProtocol", "CSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]),
        .executableTarget(
            name: "finetuned",
            dependencies: [
                "Daemon", "PipelineCore", "ControlProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),

        // MARK: Stage plugins (finetuned-stage-<name>)
        // What the training stage plugins share over StageKit and Training (the loop's events as protocol events).
        .target(name: "StageTraining", dependencies: ["StageKit", "Training"]),
        .executableTarget(name: "WordCountPlugin", dependencies: ["StageKit"], path: "Plugins/Examples/WordCount"),
        .executableTarget(name: "TestKitPlugin", dependencies: ["StageKit"], path: "Plugins/Examples/TestKit"),
        .executableTarget(name: "TokenizePlugin", dependencies: ["StageKit", "Tokenizers", "Datasets", "Models"], path: "Plugins/Tokenize"),
        .executableTarget(
            name: "DomainPretrainPlugin",
            dependencies: [
                "StageKit", "Training", "Models", "NN", "Tensor", "Datasets", "StageTraining",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Plugins/DomainPretrain"),
        .executableTarget(
            name: "EvaluatePlugin",
            dependencies: [
                "StageKit", "Training", "Models", "Tensor", "Datasets", "Metrics", "Report", "NN",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Plugins/Evaluate"),
        .executableTarget(
            name: "MultitaskFinetunePlugin",
            dependencies: [
                "StageKit", "Training", "Models", "NN", "Tensor", "Datasets", "Metrics", "StageTraining",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Plugins/MultitaskFinetune"),

        // MARK: Tests
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "StageKitTests", dependencies: ["StageKit"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Tensor"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "NN", "Tensor", "Tokenizers", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "DaemonTests",
            // finetuned and the plugins are dependencies so that `swift test` builds what the systemd test runs.
            dependencies: [
                "Daemon", "TestSupport", "finetuned", "finetunectl", "TestKitPlugin", "WordCountPlugin",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "NN", "Tensor", "Datasets"]),
        .testTarget(
            name: "DomainPretrainPluginTests",
            // Runs the real plugin executable (the dependency makes `swift test` build it).
            dependencies: ["StageKit", "TestSupport", "Models", "NN", "Datasets", "DomainPretrainPlugin"]),
        .testTarget(
            name: "EvaluatePluginTests",
            // Runs the real plugin executables, through the engine too (the dependencies make `swift test` build them).
            dependencies: [
                "PipelineCore", "StageKit", "TestSupport", "Models", "NN", "Tensor", "Datasets", "Report", "EvaluatePlugin",
                "DomainPretrainPlugin", "TokenizePlugin", "finetunectl", "Training", "Metrics", "Tokenizers",
            ]),
        .testTarget(
            name: "MultitaskFinetunePluginTests",
            // Runs the real plugin executable (the dependency makes `swift test` build it).
            dependencies: [
                "StageKit", "TestSupport", "Models", "NN", "Tensor", "Datasets", "Training", "MultitaskFinetunePlugin",
            ]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers"], resources: [.copy("Fixtures")]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Metrics"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "TokenizePluginTests",
            // Runs the real plugin executable through the engine (the dependency makes `swift test` build it).
            dependencies: ["PipelineCore", "StageKit", "TestSupport", "Tokenizers", "Datasets", "TokenizePlugin"]),
        .testTarget(
            name: "PipelineCoreTests",
            // The executables are dependencies so that `swift test` builds them: the tests run the real ones.
            dependencies: [
                "PipelineCore", "StageKit", "TestSupport", "PipelineFuzzing", "finetunectl", "WordCountPlugin",
                "TestKitPlugin",
            ]),
    ]
)
