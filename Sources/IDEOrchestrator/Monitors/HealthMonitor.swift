import AsyncAlgorithms
import Foundation
import Logging
import ServiceLifecycle

/// Checks every warm and running container at `HEALTH_CHECK_INTERVAL`, at most
/// `HEALTH_CHECK_CONCURRENCY` at once, and writes the round in one transaction. After
/// `HEALTH_CHECK_RETRIES` consecutive failures a warm one is replaced; a running one is marked
/// unhealthy, and stopped once it has stayed so for `UNHEALTHY_GRACE_PERIOD`. The agent's own
/// answer also brings the user's activity, and shows containers whose assignment changed
/// behind our back. A round in which most agents cannot be reached at once is our network's
/// fault, not theirs: it counts against nobody whose agent failed. A container whose agent
/// answers is reachable, so its failing IDE ports (code, vnc, web) are its own, whatever the
/// others do: such a warm one is skipped by claims at once (a broken image is not a blip).
public struct HealthMonitor: Service {
    /// Below this many probed containers, a round is never judged a mass failure.
    static let massFailureMinimum = 4

    let store: AppDatabase
    let probe: any HealthProbe
    let launcher: ContainerLauncher
    let stopper: ContainerStopper
    let pool: PoolMaintainer
    let settings: Settings
    let logger: Logger

    /// Creates a monitor over the orchestrator's parts.
    public init(_ orchestrator: Orchestrator, probe: any HealthProbe) {
        self.store = orchestrator.store
        self.probe = probe
        self.launcher = orchestrator.launcher
        self.stopper = orchestrator.stopper
        self.pool = orchestrator.pool
        self.settings = orchestrator.settings
        self.logger = orchestrator.logger
    }

    public func run() async throws {
        for try await _ in AsyncTimerSequence(interval: settings.healthCheckInterval, clock: .continuous).cancelOnGracefulShutdown() {
            await checkAll()
        }
    }

    /// One round over every warm and running container.
    public func checkAll(now: Date = Date()) async {
        guard let records = try? await store.containers(in: [.ready, .running]) else { return }
        let targets = records.filter { $0.taskAddress != nil }
        guard !targets.isEmpty else { return }
        let reports = await probeAll(targets)
        let massFailure = Self.isMassFailure(reports)
        if massFailure {
            logger.warning("Most agents failed their health check at once; taking it for a network fault, not theirs", metadata: [
                "failing": "\(reports.filter { !$0.agentAnswered }.count)", "checked": "\(targets.count)",
            ])
        }
        let results = zip(targets, reports).map { record, report in
            HealthResult(
                id: record.id, observedStatus: record.status, ports: report.ports, countsFailure: !massFailure || report.agentAnswered,
                agentActivity: record.status == .running ? report.agent?.lastActivityAt : nil,
                workspaceSync: record.status == .running ? report.agent?.sync?.storedText : nil
            )
        }
        do {
            let updated = try await store.recordHealth(results, at: now)
            let agents = Dictionary(zip(targets.map(\.id), reports.map(\.agent))) { a, _ in a }
            let blamed = Set(results.filter(\.countsFailure).map(\.id))
            for record in updated where blamed.contains(record.id) {
                try await act(on: record, agent: agents[record.id] ?? nil, now: now)
            }
        } catch {
            logger.error("Health bookkeeping failed", metadata: ["error": "\(error)"])
        }
    }

    /// Whether most agents failed at once (our network, not the containers), judged from
    /// agent reachability only: IDE ports failing everywhere is a broken image, not a blip.
    static func isMassFailure(_ reports: [ProbeReport]) -> Bool {
        let unreachable = reports.filter { !$0.agentAnswered }.count
        return reports.count >= massFailureMinimum && unreachable * 2 > reports.count
    }

    private func probeAll(_ records: [ContainerRecord]) async -> [ProbeReport] {
        await withTaskGroup(of: (Int, ProbeReport).self) { group in
            var reports = [ProbeReport?](repeating: nil, count: records.count)
            var next = 0
            func startNext() {
                guard next < records.count, let address = records[next].taskAddress else { return }
                let index = next
                let (id, agentPort) = (records[next].id, records[next].agentPort)
                next += 1
                group.addTask { (index, await probe.check(address: address, agentPort: agentPort, containerId: id)) }
            }
            for _ in 0..<min(settings.healthCheckConcurrency, records.count) { startNext() }
            while let (index, report) = await group.next() {
                reports[index] = report
                startNext()
            }
            return reports.map { $0 ?? ProbeReport(ports: [:], agent: nil) }
        }
    }

    private func act(on record: ContainerRecord, agent: AgentHealth?, now: Date) async throws {
        switch record.status {
        case .ready where agent?.assigned == true:
            await launcher.fail(record.id, expected: [.ready], serviceId: record.serviceId, reason: "its agent reports an assignment nobody made through this service")
            pool.wakeUp()
        case .running where agent?.assigned == false || (agent?.assigned == true && agent?.bucket != nil && agent?.bucket != record.s3Bucket):
            try await stopper.stop(record.id, reason: .containerRestarted, detail: "its agent no longer holds the assignment (the container was restarted or reset)", from: [.running])
        case .ready, .running:
            try await actOnFailures(record, now: now)
        default:
            break
        }
    }

    private func actOnFailures(_ record: ContainerRecord, now: Date) async throws {
        let retries = settings.healthCheckRetries
        guard record.consecutiveHealthFailures >= retries else { return }
        let failing = Self.failingPorts(record)
        let detail = "\(record.consecutiveHealthFailures) consecutive failed health checks (\(failing))"
        if record.status == .ready {
            let reason = "unhealthy while warm: \(detail)"
            if await launcher.fail(record.id, expected: [.ready], serviceId: record.serviceId, reason: reason, when: { $0.consecutiveHealthFailures >= retries }) {
                await pool.newContainerFailed(reason)
            }
            pool.wakeUp()
            return
        }
        let grace = Double(settings.unhealthyGracePeriod.milliseconds) / 1000
        if let since = record.unhealthySince {
            guard now.timeIntervalSince(since) >= grace else { return }
            try await stopper.stop(record.id, reason: .unhealthy, detail: detail, from: [.running]) { $0.unhealthySince == since }
        } else {
            let marked = try await store.update(record.id, in: [.running], event: (kind: "unhealthy", reason: detail), at: now) {
                $0.healthStatus = "unhealthy"
                $0.unhealthySince = now
            }
            if marked != nil { logger.warning("Running container unhealthy", metadata: ["container.id": "\(record.id)", "detail": "\(detail)"]) }
        }
    }

    private static func failingPorts(_ record: ContainerRecord) -> String {
        guard let json = record.healthPorts?.data(using: .utf8), let ports = try? JSONDecoder().decode([String: Bool].self, from: json) else { return "" }
        return ports.filter { !$0.value }.keys.sorted().joined(separator: ", ")
    }
}
