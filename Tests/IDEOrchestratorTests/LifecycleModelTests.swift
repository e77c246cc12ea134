import Foundation
import Synchronization
import Testing
@testable import IDEOrchestrator

/// Issue 7: random interleavings of claim, reconcile, health, housekeeping, stop, task
/// restarts, agent faults and crash-restarts against the store and an in-memory Swarm. After
/// each step: no container is assigned twice and no bucket is on two live containers; after
/// a reconcile pass no live record lacks its service; and a pass past every deadline leaves no
/// record in a non-terminal in-flight status. Seeded, so a failure names its seed and replays.
@Suite struct LifecycleModelTests {
    static let buckets = ["bucket-a", "bucket-b", "bucket-c", "bucket-d"]
    static let users: [String?] = [nil, "user-1"]

    @Test(arguments: 0..<24)
    func randomInterleavingsKeepTheLifecycleInvariants(seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        var lab = try LifecycleTests.Lab(["HEALTH_CHECK_RETRIES": "1", "IDLE_TIMEOUT_SECONDS": "60", "COLD_START_TIMEOUT": "2s", "MAX_CONCURRENT_COLD_STARTS": "2"])
        var log: [String] = []
        for step in 0..<40 {
            let op = random.next(upTo: 10)
            log.append("\(step):\(op)")
            switch op {
            case 0, 1:
                _ = try? await lab.ready()
            case 2, 3:
                _ = try? await lab.start(Self.buckets[random.next(upTo: Self.buckets.count)], userId: Self.users[random.next(upTo: 2)])
            case 4:
                await lab.reconciler.sync()
            case 5:
                await HealthMonitor(lab.orchestrator, probe: AgentOnlyProbe(agent: lab.agent)).checkAll()
            case 6:
                await Housekeeper(store: lab.store, stopper: lab.orchestrator.stopper, settings: lab.orchestrator.settings, logger: quietLogger())
                    .sweep(now: Date().addingTimeInterval(Double(random.next(upTo: 200))))
            case 7:
                if let victim = try await pick(lab, random: &random) {
                    switch random.next(upTo: 3) {
                    case 0: _ = try? await lab.orchestrator.stopper.stop(victim.id, reason: .manual, detail: "model")
                    case 1: lab.swarm.restartTask(of: victim.serviceName)
                    default: try? await lab.swarm.removeService(victim.serviceName)
                    }
                }
            case 8:
                if let victim = try await pick(lab, random: &random), let address = victim.taskAddress {
                    let behaviours: [FakeAgent.Behaviour] = [.accept, .refuse, .alreadyAssigned, .unreachable, .acceptSilently]
                    lab.agent.set(behaviours[random.next(upTo: behaviours.count)], at: address)
                    if random.next(upTo: 4) == 0 { lab.agent.setDown(true, at: address) }
                }
            default:
                // Crash with an assignment in flight, then restart.
                let ready = try await lab.store.containers(in: [.ready]).filter { $0.taskAddress != nil }
                if !ready.isEmpty {
                    // Whichever container the claim takes hangs; a claim that reuses or is
                    // refused ends without reaching an agent.
                    for record in ready { lab.agent.set(.hang, at: record.taskAddress!) }
                    let bucket = Self.buckets[random.next(upTo: Self.buckets.count)]
                    let current = lab
                    let finished = Mutex(false)
                    _ = Task { _ = try? await current.start(bucket); finished.withLock { $0 = true } }
                    try await lab.eventually("the in-flight assignment") {
                        current.agent.hangingCount > 0 || finished.withLock { $0 }
                    }
                    let holding = random.next(upTo: 2) == 0
                    for record in try await lab.store.containers(in: [.assigning]) where holding {
                        if let address = record.taskAddress { lab.agent.hold(bucket, at: address) }
                    }
                    for record in ready { lab.agent.set(.accept, at: record.taskAddress!) }
                }
                lab = try lab.restarted()
            }
            try await checkInvariants(lab, seed: seed, log: log)
        }
        // Every non-terminal status recovers: a pass past every deadline leaves none in flight.
        let later = Date().addingTimeInterval(3600)
        try await lab.restarted().reconciler.sync(now: later)
        try await lab.restarted().reconciler.sync(now: later)
        let stuck = try await lab.store.containers(in: [.creating, .warming, .assigning, .stopping])
        #expect(stuck.isEmpty, "seed \(seed): stuck \(stuck.map { "\($0.id):\($0.status)" }) after \(log)")
    }

    private func pick(_ lab: LifecycleTests.Lab, random: inout SplitMix64) async throws -> ContainerRecord? {
        let live = try await lab.store.containers(in: [.ready, .assigning, .running])
        return live.isEmpty ? nil : live[random.next(upTo: live.count)]
    }

    private func checkInvariants(_ lab: LifecycleTests.Lab, seed: UInt64, log: [String]) async throws {
        let context = "seed \(seed) after \(log.suffix(6))"
        let live = try await lab.store.containers(in: ContainerStatus.assigned)
        var holders: [String: [String]] = [:]
        for record in live { if let bucket = record.s3Bucket { holders[bucket, default: []].append(record.id) } }
        for (bucket, ids) in holders {
            #expect(ids.count == 1, "\(context): bucket \(bucket) on \(ids)")
        }
        let all = try await lab.store.containers(status: nil, limit: 10_000, offset: 0).records
        for record in all {
            let assignments = try await lab.store.events(of: record.id, limit: 1000).filter { $0.toStatus == .running }
            #expect(assignments.count <= 1, "\(context): \(record.id) assigned \(assignments.count) times")
        }
        // After a reconcile pass, every live record past creating has its service.
        await lab.reconciler.sync()
        let services = lab.swarm.serviceNames
        for record in try await lab.store.containers(in: [.warming, .ready, .assigning, .running]) {
            #expect(services.contains(record.serviceName), "\(context): \(record.id) is \(record.status) without a service")
        }
    }
}

/// A small seeded generator (SplitMix64), so each interleaving replays from its seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed &+ 0x9E37_79B9_7F4A_7C15
    }

    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(upTo bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}
