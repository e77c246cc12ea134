import Foundation
import Hummingbird
import Testing
@testable import IDEOrchestrator

/// One reader of the store fans events out to every subscriber.
@Suite struct EventBroadcasterTests {
    static func broadcaster(_ store: AppDatabase) throws -> EventBroadcaster {
        EventBroadcaster(store: store, settings: try testSettings(), logger: quietLogger())
    }

    static func insertContainer(_ store: AppDatabase) async throws -> String {
        let id = ContainerID.generate()
        let urls = ContainerURLs(codeServer: "c", vnc: "v", webServer: "w")
        try await store.insert(ContainerRecord(id: id, isPreWarmed: true, cpuLimit: 1, memoryLimitBytes: 1, urls: urls, now: Date()), reason: "test")
        return id
    }

    static func text(_ frame: EventStreamFrame) -> String { String(buffer: frame.bytes) }

    @Test func everySubscriberGetsEachNewEventOnceInOrder() async throws {
        let store = try AppDatabase.inMemory()
        _ = try await Self.insertContainer(store)
        let broadcaster = try Self.broadcaster(store)
        await broadcaster.pass()  // notes where the log ends: the event before is not sent again
        let first = broadcaster.subscribe()
        let second = broadcaster.subscribe()
        #expect(broadcaster.subscriberCount == 2)
        let id = try await Self.insertContainer(store)
        _ = try await store.transition(id, from: [.creating], to: .warming, kind: "service_created")
        await broadcaster.pass()
        await broadcaster.pass()
        broadcaster.unsubscribe(first.id)
        broadcaster.unsubscribe(second.id)
        #expect(broadcaster.subscriberCount == 0)
        for subscription in [first, second] {
            var frames: [EventStreamFrame] = []
            for await frame in subscription.frames { frames.append(frame) }
            #expect(frames.map(\.eventID) == [2, 3])
            #expect(Self.text(frames[0]).hasPrefix("id: 2\nevent: container\ndata: {"))
            #expect(Self.text(frames[1]).contains(#""containerId":"\#(id)""#))
            #expect(Self.text(frames[1]).contains(#""toStatus":"warming""#))
            #expect(Self.text(frames[1]).hasSuffix("\n\n"))
        }
    }

    @Test func aPassReadsPastOneBatch() async throws {
        let store = try AppDatabase.inMemory()
        let broadcaster = try Self.broadcaster(store)
        await broadcaster.pass()
        let subscription = broadcaster.subscribe()
        for _ in 0..<(EventBroadcaster.batchSize + 3) { _ = try await Self.insertContainer(store) }
        await broadcaster.pass()
        broadcaster.unsubscribe(subscription.id)
        var count = 0
        for await _ in subscription.frames { count += 1 }
        #expect(count == EventBroadcaster.batchSize + 3)
    }

    @Test func heartbeatIsACommentAndTheOpeningSetsTheRetry() {
        #expect(Self.text(.heartbeat) == ": keepalive\n\n")
        #expect(EventStreamFrame.heartbeat.eventID == nil)
        #expect(Self.text(.opening(retryMillis: 2000)) == "retry: 2000\nevent: open\ndata: {}\n\n")
    }

    @Test func storeReadsEventsAfterAnIdOldestFirst() async throws {
        let store = try AppDatabase.inMemory()
        #expect(try await store.latestEventID() == 0)
        for _ in 0..<5 { _ = try await Self.insertContainer(store) }
        #expect(try await store.latestEventID() == 5)
        #expect(try await store.events(after: 2, limit: 2).compactMap(\.id) == [3, 4])
        #expect(try await store.recentEvents(limit: 3).compactMap(\.id) == [3, 4, 5])
    }
}
