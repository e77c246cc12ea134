import Synchronization
import Testing
@testable import IDEOrchestrator

/// Work for one bucket runs one at a time; work for different buckets does not wait.
@Suite struct KeyedLockTests {
    final class Overlap: Sendable {
        private let state = Mutex((inside: 0, most: 0, done: 0))
        func enter() { state.withLock { $0.inside += 1; $0.most = max($0.most, $0.inside) } }
        func leave() { state.withLock { $0.inside -= 1; $0.done += 1 } }
        var most: Int { state.withLock { $0.most } }
        var done: Int { state.withLock { $0.done } }
    }

    @Test func oneKeyIsHeldByOneCallerAtATime() async {
        let lock = KeyedLock()
        let overlap = Overlap()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    await lock.withLock("bucket") {
                        overlap.enter()
                        await Task.yield()
                        await Task.yield()
                        overlap.leave()
                    }
                }
            }
        }
        #expect(overlap.done == 50)
        #expect(overlap.most == 1)
    }

    @Test func differentKeysDoNotWaitForEachOther() async {
        let lock = KeyedLock()
        let overlap = Overlap()
        let bothInside = AsyncStream<Void>.makeStream()
        let releases = ["a": AsyncStream<Void>.makeStream(), "b": AsyncStream<Void>.makeStream()]
        await withTaskGroup(of: Void.self) { group in
            for (key, release) in releases {
                group.addTask {
                    await lock.withLock(key) {
                        overlap.enter()
                        bothInside.continuation.yield()
                        for await _ in release.stream { break }
                        overlap.leave()
                    }
                }
            }
            var entered = 0
            for await _ in bothInside.stream {
                entered += 1
                if entered == 2 { break }
            }
            #expect(overlap.most == 2)
            for release in releases.values { release.continuation.finish() }
        }
        #expect(overlap.done == 2)
    }
}
