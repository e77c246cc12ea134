import Foundation
import Testing
@testable import IDEOrchestrator

/// Issue 23, item 10: every IDE service carries `CONTAINER_PIDS_LIMIT` as Swarm's
/// `Resources.Limits.Pids`, so a fork bomb stays inside its container.
@Suite struct PidsLimitTests {
    static func limits(_ environment: [String: String] = [:]) throws -> ServiceSpec.Limits? {
        ServiceBlueprint(settings: try testSettings(environment)).spec(for: "abcdefabcdef0123", pooled: true).taskTemplate.resources?.limits
    }

    @Test func everyIDEServiceHasAPidsLimitByDefault() throws {
        #expect(try Self.limits()?.pids == 2048)
        #expect(try Self.limits(["CONTAINER_PIDS_LIMIT": "300"])?.pids == 300)
        let json = String(decoding: try JSONEncoder().encode(try #require(try Self.limits(["CONTAINER_PIDS_LIMIT": "300"]))), as: UTF8.self)
        #expect(json.contains(#""Pids":300"#), "\(json)")
    }

    @Test func zeroMeansUnlimitedAndSendsNoLimit() throws {
        let limits = try #require(try Self.limits(["CONTAINER_PIDS_LIMIT": "0"]))
        #expect(limits.pids == nil)
        #expect(!String(decoding: try JSONEncoder().encode(limits), as: UTF8.self).contains("Pids"))
    }

    @Test(arguments: ["-1", "many", "1.5", "4194305"])
    func aBadPidsLimitStopsTheStart(_ value: String) {
        #expect(throws: SettingsError(variable: "CONTAINER_PIDS_LIMIT", expected: "an integer from 0 to 4194304", found: value)) {
            try testSettings(["CONTAINER_PIDS_LIMIT": value])
        }
    }
}
