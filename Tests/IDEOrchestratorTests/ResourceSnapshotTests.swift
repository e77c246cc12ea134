import Testing
@testable import IDEOrchestrator

@Suite struct ResourceSnapshotTests {
    func evaluate(memory: Double?, cpu: Double?, maxMemory: Double = 90, maxCPU: Double = 90) -> ResourceSnapshot {
        ResourceSnapshot.evaluate(memoryPercent: memory, cpuPercent: cpu, maxMemoryPercent: maxMemory, maxCpuPercent: maxCPU, nodes: [], at: nil)
    }

    @Test func belowBothCeilingsSpawningIsAllowed() {
        let snapshot = evaluate(memory: 40, cpu: 50)
        #expect(snapshot.spawnAllowed)
        #expect(snapshot.reason == nil)
    }

    @Test func atTheMemoryCeilingSpawningStopsAndSaysWhy() {
        let snapshot = evaluate(memory: 90, cpu: 10)
        #expect(!snapshot.spawnAllowed)
        #expect(snapshot.reason?.contains("MAX_MEMORY_PERCENT") == true)
    }

    @Test func aboveTheCPUCeilingSpawningStopsAndSaysWhy() {
        let snapshot = evaluate(memory: 10, cpu: 95)
        #expect(!snapshot.spawnAllowed)
        #expect(snapshot.reason?.contains("MAX_CPU_PERCENT") == true)
    }

    @Test func aCeilingOf100TurnsThatCheckOff() {
        #expect(evaluate(memory: 10, cpu: 100, maxCPU: 100).spawnAllowed)
        #expect(evaluate(memory: 100, cpu: 10, maxMemory: 100).spawnAllowed)
    }

    @Test func unknownFiguresDoNotBlock() {
        #expect(evaluate(memory: nil, cpu: nil).spawnAllowed)
    }
}
