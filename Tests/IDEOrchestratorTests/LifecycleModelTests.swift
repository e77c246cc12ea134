import Foundation
import Synchronization
import Testing
@testable import IDEOrchestrator

/// The lifecycle under concurrency: seeded batches of claims, stops, reconcile passes, health
/// rounds, housekeeping, task restarts, services removed behind our back, agent faults and
/// removals that finish late, run at once against the store and an in-memory Swarm whose
/// removed services keep running until their containers stop; crash-restarts between
/// batches. A watcher checks the invariant where it matters, all along: at no moment do two
/// running containers' agents hold the same bucket. After each batch: no bucket on two
/// assigned records, no container assigned twice, and after a reconcile pass no live record
/// lacks its service; at the end a pass past every deadline leaves nothing in flight.
/// The seed fixes each batch's operations and their start offsets; a failure names it.
@Suite struct LifecycleModelTests {
    static let buckets = ["bucket-a", "bucket-b", "bucket-c"]
    static let users: [String?] = [nil, "user-1"]
    static let environment = [
        "HEALTH_CHECK_RETRIES": "1", "IDLE_TIMEOUT_SECONDS": "60", "COLD_START_TIMEOUT": "2s", "MAX_CONCURRENT_COLD_STARTS": "2",
        "BUCKET_RELEASE_TIMEOUT": "300ms",
    ]

    @Test(arguments: 0..<20)
    func concurrentInterleavingsNeverPutTwoAgentsOnOneBucket(seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        let swarm = FakeSwarm()
        swarm.lingerOnRemove(true)
        var lab = try LifecycleTests.Lab(Self.environment, swarm: swarm)
        let watcher = BucketWatcher(swarm: swarm, agent: lab.agent)
        let watching = Task { await watcher.watch() }
        defer { watching.cancel() }
        var log: [String] = []
        for batch in 0..<24 {
            if random.next(upTo: 8) == 0 {
                log.append("\(batch):crash")
                lab = try await crashDuringAnAssignment(lab, random: &random)
            } else {
                let ops = (0...random.next(upTo: 3)).map { _ in (op: random.next(upTo: 11), arg: random.next(), offset: random.next(upTo: 4)) }
                log.append("\(batch):" + ops.map { "\($0.op)" }.joined(separator: ","))
                let current = lab
                await withTaskGroup(of: Void.self) { group in
                    for op in ops {
                        group.addTask {
                            for _ in 0..<op.offset { await Task.yield() }
                            await Self.perform(op.op, arg: op.arg, on: current)
                        }
                    }
                }
            }
            try await checkStore(lab, context: "seed \(seed) after \(log.suffix(4))")
            #expect(watcher.violations.isEmpty, "seed \(seed) after \(log.suffix(4)): \(watcher.violations.prefix(3))")
            if !watcher.violations.isEmpty { return }
        }
        // Every non-terminal status recovers: a pass past every deadline leaves none in flight.
        swarm.settleRemovals()
        let later = Date().addingTimeInterval(3600)
        try await lab.restarted().reconciler.sync(now: later)
        try await lab.restarted().reconciler.sync(now: later)
        let stuck = try await lab.store.containers(in: [.creating, .warming, .assigning, .stopping])
        #expect(stuck.isEmpty, "seed \(seed): stuck \(stuck.map { "\($0.id):\($0.status)" }) after \(log)")
    }

    /// One operation; what it throws is part of the model (a refused start, a stop of a
    /// container that moved on), not a failure of the test.
    private static func perform(_ op: Int, arg: UInt64, on lab: LifecycleTests.Lab) async {
        var random = SplitMix64(seed: arg)
        switch op {
        case 0, 1:
            _ = try? await lab.ready()
        case 2, 3:
            _ = try? await lab.start(buckets[random.next(upTo: buckets.count)], userId: users[random.next(upTo: users.count)])
        case 4:
            await lab.reconciler.sync()
        case 5:
            await HealthMonitor(lab.orchestrator, probe: AgentOnlyProbe(agent: lab.agent)).checkAll()
        case 6:
            await Housekeeper(store: lab.store, stopper: lab.orchestrator.stopper, settings: lab.orchestrator.settings, logger: quietLogger())
                .sweep(now: Date().addingTimeInterval(Double(random.next(upTo: 200))))
        case 7:
            guard let victim = try? await pick(lab, random: &random) else { return }
            switch random.next(upTo: 3) {
            case 0: _ = try? await lab.orchestrator.stopper.stop(victim.id, reason: .manual, detail: "model")
            case 1: lab.swarm.restartTask(of: victim.serviceName)
            default: try? await lab.swarm.removeService(victim.serviceName)
            }
        case 8:
            guard let victim = try? await pick(lab, random: &random), let address = victim.taskAddress else { return }
            let behaviours: [FakeAgent.Behaviour] = [.accept, .refuse, .alreadyAssigned, .unreachable, .acceptSilently]
            lab.agent.set(behaviours[random.next(upTo: behaviours.count)], at: address)
            if random.next(upTo: 4) == 0 { lab.agent.setDown(true, at: address) }
        default:
            // Containers of removed services stop.
            lab.swarm.settleRemovals()
        }
    }

    /// Crash with an assignment in flight, then restart.
    private func crashDuringAnAssignment(_ lab: LifecycleTests.Lab, random: inout SplitMix64) async throws -> LifecycleTests.Lab {
        let ready = try await lab.store.containers(in: [.ready]).filter { $0.taskAddress != nil }
        if !ready.isEmpty {
            // Whichever container the claim takes hangs; a claim that reuses or is refused
            // ends without reaching an agent.
            for record in ready { lab.agent.set(.hang, at: record.taskAddress!) }
            let bucket = Self.buckets[random.next(upTo: Self.buckets.count)]
            let finished = Mutex(false)
            let request = Task { _ = try? await lab.start(bucket); finished.withLock { $0 = true } }
            try await lab.eventually("the in-flight assignment") { lab.agent.hangingCount > 0 || finished.withLock { $0 } }
            let holding = random.next(upTo: 2) == 0
            for record in try await lab.store.containers(in: [.assigning]) where holding {
                if let address = record.taskAddress { lab.agent.hold(bucket, at: address) }
            }
            for record in ready { lab.agent.set(.accept, at: record.taskAddress!) }
            request.cancel()
            lab.agent.releaseHanging()
        }
        return try lab.restarted()
    }

    private static func pick(_ lab: LifecycleTests.Lab, random: inout SplitMix64) async throws -> ContainerRecord? {
        let live = try await lab.store.containers(in: [.ready, .assigning, .running])
        return live.isEmpty ? nil : live[random.next(upTo: live.count)]
    }

    private func checkStore(_ lab: LifecycleTests.Lab, context: String) async throws {
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

/// Watches the in-memory Swarm and agents all along: two running containers (removed
/// services' lingering ones included) whose agents hold one bucket is a violation. The agents'
/// holdings are read before the running tasks: a task running at the second read was running
/// at the first, so a reported pair held the bucket together at that moment.
final class BucketWatcher: Sendable {
    let swarm: FakeSwarm
    let agent: FakeAgent
    private let found = Mutex<[String]>([])

    init(swarm: FakeSwarm, agent: FakeAgent) {
        self.swarm = swarm
        self.agent = agent
    }

    var violations: [String] { found.withLock { $0 } }

    func watch() async {
        while !Task.isCancelled {
            check()
            try? await Task.sleep(for: .microseconds(200))
        }
    }

    func check() {
        let held = agent.heldBuckets
        var byBucket: [String: [String]] = [:]
        for address in swarm.runningAddresses {
            if let bucket = held[address] { byBucket[bucket, default: []].append(address) }
        }
        for (bucket, addresses) in byBucket where addresses.count > 1 {
            found.withLock { $0.append("\(bucket) held at once by \(addresses.sorted())") }
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
