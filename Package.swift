// swift-tools-version:6.1
import PackageDescription

// Layers, bottom up; a target depends only on targets below it: C shims, GlimpseCore (token
// ids, seeded random numbers, the core count), GlimpseDistributed (the ranks of an MPI job) ->
// GlimpseIO (files, JSON) -> GlimpseImage -> GlimpseTensor -> GlimpseLayers -> GlimpseModels ->
// GlimpseData -> GlimpseInference (model folders; caption, attend, ask) and GlimpseEvaluation ->
// GlimpseTraining -> GlimpseBench -> GlimpseCLI.
// Linux only: the C shims load OpenBLAS (and, under mpirun, Open MPI) with dlopen and use Glibc.
// The numeric modules are compiled for x86-64-v3 (AVX2 and FMA, x86 CPUs from about 2015 on):
// their eight-float SIMD loops then run in one instruction instead of two SSE halves. The C
// shim's define makes `glimpse` refuse, with a message, to run on a CPU without them.
// `GLIMPSE_PORTABLE=1 swift build` builds for baseline x86-64 instead.
#if arch(x86_64)
let vectorLevel = Context.environment["GLIMPSE_PORTABLE"] == nil
#else
let vectorLevel = false
#endif
let vectorSettings: [SwiftSetting] = vectorLevel ? [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])] : []
let vectorDefine: [CSetting] = vectorLevel ? [.define("GLIMPSE_X86_64_V3")] : []

let package = Package(
  name: "Glimpse",
  products: [
    .executable(name: "glimpse", targets: ["GlimpseCLI"]),
    .library(name: "GlimpseImage", targets: ["GlimpseImage"]),
    // For embedding glimpse: captions, attention maps and answers from a model folder.
    .library(name: "GlimpseInference", targets: ["GlimpseInference"]),
    // For training on your own data from Swift.
    .library(name: "GlimpseTraining", targets: ["GlimpseTraining"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    // The HTTP service (GlimpseServer); without Foundation, which would slow glimpse's cold start.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
  ],
  targets: [
    // OpenBLAS itself is loaded with dlopen.
    .target(name: "CBLAS", cSettings: vectorDefine, linkerSettings: [.linkedLibrary("dl")]),
    // Kernels of our own in C where Swift cannot pick the CPU's instructions at run time.
    .target(name: "CKernels"),
    .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16")]),
    .target(name: "CJPEG", linkerSettings: [.linkedLibrary("jpeg")]),
    // oneDNN itself is loaded with dlopen, when the photo encoder first runs.
    .target(name: "CDNNL", linkerSettings: [.linkedLibrary("dl")]),
    // Open MPI's libmpi is loaded with dlopen, only when glimpse is launched as a rank of an MPI job.
    .target(name: "CMPI", linkerSettings: [.linkedLibrary("dl")]),
    .target(name: "GlimpseCore"),
    .target(name: "GlimpseIO"),
    // The ranks of a job and their collectives (one process, or MPI's).
    .target(name: "GlimpseDistributed", dependencies: ["CMPI"]),
    .target(name: "GlimpseImage", dependencies: ["CPNG", "CJPEG", "GlimpseIO"]),
    .target(
      name: "GlimpseTensor", dependencies: ["CBLAS", "CKernels", "GlimpseCore", "GlimpseIO"],
      swiftSettings: vectorSettings),
    .target(
      name: "GlimpseLayers", dependencies: ["CKernels", "GlimpseCore", "GlimpseTensor"], swiftSettings: vectorSettings),
    .target(
      name: "GlimpseModels", dependencies: ["CDNNL", "GlimpseCore", "GlimpseIO", "GlimpseLayers", "GlimpseTensor"],
      swiftSettings: vectorSettings),
    .target(name: "GlimpseData", dependencies: ["GlimpseCore", "GlimpseIO", "GlimpseImage"]),
    .target(name: "GlimpseEvaluation", dependencies: ["GlimpseData"]),
    .target(
      name: "GlimpseInference",
      dependencies: [
        "GlimpseCore", "GlimpseData", "GlimpseModels", "GlimpseLayers", "GlimpseImage", "GlimpseIO", "GlimpseTensor",
      ]),
    .target(
      name: "GlimpseTraining",
      dependencies: [
        "GlimpseInference", "GlimpseEvaluation", "GlimpseData", "GlimpseDistributed", "GlimpseModels", "GlimpseLayers",
        "GlimpseImage", "GlimpseIO", "GlimpseTensor",
      ]),
    .target(
      name: "GlimpseBench",
      dependencies: [
        "GlimpseCore", "GlimpseDistributed", "GlimpseImage", "GlimpseIO", "GlimpseModels", "GlimpseLayers",
        "GlimpseTensor", "GlimpseData",
        "GlimpseInference", "GlimpseTraining",
      ]),
    .target(
      name: "GlimpseServer",
      dependencies: [
        "GlimpseCore", "GlimpseData", "GlimpseImage", "GlimpseIO", "GlimpseInference", "GlimpseModels", "GlimpseTensor",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Prometheus", package: "swift-prometheus"),
      ]),
    // Fuzz targets for every parser of untrusted bytes: scripts/fuzz builds them with libFuzzer and
    // sanitizers; a plain build replays files through them (GlimpseFuzz TARGET FILE...).
    .executableTarget(
      name: "GlimpseFuzz",
      dependencies: [
        "GlimpseData", "GlimpseIO", "GlimpseImage", "GlimpseInference", "GlimpseTensor", "GlimpseTraining",
      ]),
    .executableTarget(
      name: "GlimpseCLI",
      dependencies: [
        "GlimpseCore", "GlimpseImage", "GlimpseIO", "GlimpseBench", "GlimpseTensor", "GlimpseData", "GlimpseModels",
        "GlimpseInference", "GlimpseTraining", "GlimpseServer", "GlimpseDistributed",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(
      name: "GlimpseImageTests", dependencies: ["GlimpseImage", "GlimpseIO", "GlimpseTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "GlimpseCLITests",
      dependencies: [
        "GlimpseCLI", "GlimpseBench", "GlimpseInference", "GlimpseTraining", "GlimpseImage", "GlimpseData",
        "GlimpseTensor", "GlimpseIO", "GlimpseTestSupport",
      ]),
    .testTarget(name: "GlimpseTensorTests", dependencies: ["CKernels", "GlimpseTensor"], exclude: ["Fixtures"]),
    .target(name: "GlimpseTestSupport", dependencies: ["GlimpseTensor"], path: "Tests/GlimpseTestSupport"),
    .testTarget(name: "GlimpseLayersTests", dependencies: ["GlimpseLayers", "GlimpseTestSupport"]),
    .testTarget(name: "GlimpseDistributedTests", dependencies: ["GlimpseDistributed", "GlimpseCore"]),
    .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
    .testTarget(
      name: "GlimpseTrainingTests",
      dependencies: [
        "GlimpseInference", "GlimpseTraining", "GlimpseData", "GlimpseModels", "GlimpseTensor", "GlimpseTestSupport",
        "GlimpseImage",
      ]),
    .testTarget(
      name: "GlimpseEvaluationTests", dependencies: ["GlimpseEvaluation", "GlimpseData", "GlimpseIO"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "GlimpseDataTests", dependencies: ["GlimpseData", "GlimpseIO", "GlimpseImage"], exclude: ["Fixtures"]),
    .testTarget(
      name: "GlimpseInferenceTests",
      dependencies: [
        "GlimpseInference", "GlimpseModels", "GlimpseImage", "GlimpseIO", "GlimpseTensor", "GlimpseTestSupport",
      ],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "GlimpseServerTests",
      dependencies: [
        "GlimpseServer", "GlimpseInference", "GlimpseImage", "GlimpseIO", "GlimpseTestSupport",
        .product(name: "HummingbirdTesting", package: "hummingbird"),
      ]),
    .testTarget(
      name: "GlimpseModelsTests", dependencies: ["GlimpseModels", "GlimpseTestSupport", "CAllocationCounter"],
      exclude: ["Fixtures"]),
  ]
)
