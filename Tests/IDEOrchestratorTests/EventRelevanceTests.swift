import Foundation
import Testing
@testable import IDEOrchestrator

@Suite struct EventRelevanceTests {
    let id = "abcdefghijklmnop"

    func event(_ type: String, _ action: String, _ attributes: [String: String]) -> DockerEvent {
        DockerEvent(type: type, action: action, actor: .init(id: "x", attributes: attributes), time: nil, timeNano: nil)
    }

    @Test func deathOfOurContainerNamesIt() {
        let labels = [ServiceBlueprint.instanceLabel: "mine", ServiceBlueprint.idLabel: id]
        for action in ["die", "kill", "oom", "destroy"] {
            #expect(EventRelevance.subject(of: event("container", action, labels), instance: "mine") == .container(id))
        }
        #expect(EventRelevance.subject(of: event("container", "start", labels), instance: "mine") == .none)
        #expect(EventRelevance.subject(of: event("container", "die", [ServiceBlueprint.instanceLabel: "mine"]), instance: "mine") == .unnamed)
    }

    @Test func otherInstancesAndOurOwnLaunchesAreIgnored() {
        let theirs = [ServiceBlueprint.instanceLabel: "theirs", ServiceBlueprint.idLabel: id]
        #expect(EventRelevance.subject(of: event("container", "die", theirs), instance: "mine") == .none)
        #expect(EventRelevance.subject(of: event("service", "create", ["name": "ide-\(id)"]), instance: "mine") == .none)
        #expect(EventRelevance.subject(of: event("service", "update", ["name": "ide-\(id)"]), instance: "mine") == .none)
        #expect(EventRelevance.subject(of: event("service", "remove", ["name": "traefik"]), instance: "mine") == .none)
        #expect(EventRelevance.subject(of: event("network", "remove", ["name": "ide-\(id)"]), instance: "mine") == .none)
    }

    @Test func removedServiceNamesItsContainer() {
        #expect(EventRelevance.subject(of: event("service", "remove", ["name": "ide-\(id)"]), instance: "mine") == .container(id))
    }

    @Test func onlyLiveRecordsNobodyIsStoppingMatter() throws {
        var record = ContainerRecord(id: id, isPreWarmed: true, cpuLimit: 1, memoryLimitBytes: 1, urls: RoutePlan(settings: try testSettings([:])).urls(for: id), now: Date())
        #expect(!EventRelevance.matters(nil), "a service of another instance, or one of ours already forgotten")
        for status in ContainerStatus.allCases {
            record.status = status
            #expect(EventRelevance.matters(record) == (status.isLive && status != .stopping), "\(status)")
        }
    }
}
