import Foundation
import Testing
@testable import IDEOrchestrator

/// `GET /tasks` as the engine answers it: the resource monitor reads each task's reservations
/// from the task itself instead of listing every service.
@Suite struct SwarmTaskDecodingTests {
    static let answer = """
        [{"ID":"t1","Version":{"Index":12},"Spec":{"ContainerSpec":{"Image":"busybox"},
          "Resources":{"Limits":{"NanoCPUs":500000000,"MemoryBytes":134217728},"Reservations":{"NanoCPUs":250000000,"MemoryBytes":67108864}},
          "RestartPolicy":{"Condition":"any"}},
          "ServiceID":"s1","Slot":1,"NodeID":"n1","Status":{"Timestamp":"2026-11-23T17:45:45.123456789Z","State":"running",
          "Message":"started","ContainerStatus":{"ContainerID":"c1","PID":42,"ExitCode":0}},"DesiredState":"running",
          "CreatedAt":"2026-11-23T17:45:44.5Z"},
         {"ID":"t2","Spec":{"ContainerSpec":{"Image":"busybox"}},"ServiceID":"s2","NodeID":"n1",
          "Status":{"State":"running"},"DesiredState":"running"}]
        """

    @Test func aTaskCarriesTheReservationsItWasScheduledWith() throws {
        let tasks = try JSONDecoder().decode([SwarmTask].self, from: Data(Self.answer.utf8))
        #expect(tasks.count == 2)
        #expect(tasks[0].spec?.resources?.reservations == ServiceSpec.Limits(nanoCPUs: 250_000_000, memoryBytes: 67_108_864))
        #expect(tasks[0].spec?.resources?.limits?.memoryBytes == 134_217_728)
        #expect(tasks[1].spec?.resources == nil)
        #expect(tasks[1].spec != nil)
    }
}
