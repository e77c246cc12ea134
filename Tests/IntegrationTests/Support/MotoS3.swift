import Foundation
import Testing
@testable import IDEOrchestrator
#if canImport(Glibc)
import Glibc
#endif

/// A moto S3 server that verifies SigV4 signatures (scripts/moto-s3.sh), with some buckets.
struct MotoS3: Sendable {
    let endpoint: String
    let region: String
    let accessKeyId: String
    let secretAccessKey: String
    /// A role the user may assume (moto's STS on the same endpoint).
    let roleArn: String
    let pid: Int32

    /// Starts moto, runs `body`, and stops it whatever happens.
    static func run(buckets: [String], _ body: (MotoS3) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("moto-\(UUID().uuidString.prefix(8))").path
        let moto = try await start(directory: directory, buckets: buckets)
        defer {
            kill(moto.pid, SIGKILL)
            try? FileManager.default.removeItem(atPath: directory)
        }
        try await body(moto)
    }

    private static func start(directory: String, buckets: [String]) async throws -> MotoS3 {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/moto-s3.sh").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, "start", directory] + buckets
        // Output goes to a file that is polled: the backgrounded server would hold a pipe open,
        // and `waitUntilExit` does not return reliably from an async context here.
        let outputPath = directory + ".json"
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        try process.run()
        let json = try await eventually(within: .seconds(60), every: .milliseconds(100), "moto-s3.sh to print its endpoint") { () -> [String: Any]? in
            guard let data = FileManager.default.contents(atPath: outputPath), data.last == UInt8(ascii: "\n") else { return nil }
            return try JSONSerialization.jsonObject(with: data) as? [String: Any]
        }
        guard let endpoint = json["endpoint"] as? String, let key = json["accessKeyId"] as? String,
              let secret = json["secretAccessKey"] as? String, let roleArn = json["roleArn"] as? String, let pid = json["pid"] as? Int
        else {
            Issue.record("moto-s3.sh printed an unexpected line: \(json)")
            throw TestSetupError()
        }
        return MotoS3(endpoint: endpoint, region: json["region"] as? String ?? "us-east-1", accessKeyId: key, secretAccessKey: secret, roleArn: roleArn, pid: Int32(pid))
    }

    /// The sessions moto's STS handed out (`/moto-api/data.json`): policy, session name, keys.
    func assumedRoles() async throws -> [[String: Any]] {
        let response = try await CurlHTTPClient().execute(HTTPClientRequest(endpoint: .tcp(baseURL: endpoint), path: "/moto-api/data.json", timeout: .seconds(10)))
        let data = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        return (data?["sts"] as? [String: Any])?["AssumedRole"] as? [[String: Any]] ?? []
    }

    /// Settings that point the service's bucket check at this server.
    func settings(secret: String? = nil) -> [String: String] {
        ["S3_ENDPOINT": endpoint, "S3_REGION": region, "S3_ACCESS_KEY_ID": accessKeyId, "S3_SECRET_ACCESS_KEY": secret ?? secretAccessKey]
    }
}
