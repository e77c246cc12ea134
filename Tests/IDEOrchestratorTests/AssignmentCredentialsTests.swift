import Foundation
import Synchronization
import Testing
@testable import IDEOrchestrator

/// Which credentials an assignment gets, and the STS request that makes temporary ones.
@Suite struct AssignmentCredentialsTests {
    static let role = "arn:aws:iam::123456789012:role/ide-workspace"
    static let service = ["AWS_ACCESS_KEY_ID": "AKIASERVICE", "AWS_SECRET_ACCESS_KEY": "service-secret"]

    @Test func theRequestsOwnCredentialsWinAndSTSIsNotAsked() async throws {
        let sts = FakeSTS()
        let source = AssignmentCredentials(aws: try testSettings(Self.service.merging(["AWS_ASSIGNMENT_ROLE_ARN": Self.role]) { a, _ in a }).aws, sts: sts)
        let given = S3Credentials(accessKeyId: "AKIAGIVEN", secretAccessKey: "given-secret")
        #expect(try await source.resolve(given, bucket: "ws-1")?.accessKeyId == "AKIAGIVEN")
        #expect(sts.requests.isEmpty)
    }

    @Test func withoutARoleTheServicesOwnCredentialsAreHandedOn() async throws {
        let withToken = try testSettings(Self.service.merging(["AWS_SESSION_TOKEN": "service-token"]) { a, _ in a })
        let credentials = try await AssignmentCredentials(settings: withToken).resolve(nil, bucket: "ws-1")
        #expect(credentials?.accessKeyId == "AKIASERVICE")
        #expect(credentials?.secretAccessKey == "service-secret")
        #expect(credentials?.sessionToken == "service-token")
        #expect(try await AssignmentCredentials(settings: testSettings()).resolve(nil, bucket: "ws-1") == nil)
    }

    @Test func withARoleEachAssignmentGetsSTSCredentialsLimitedToItsBucket() async throws {
        let sts = FakeSTS()
        let aws = try testSettings(Self.service.merging(["AWS_ASSIGNMENT_ROLE_ARN": Self.role, "AWS_ASSIGNMENT_DURATION": "2h"]) { a, _ in a }).aws
        let credentials = try await AssignmentCredentials(aws: aws, sts: sts).resolve(nil, bucket: "student-7.ws")
        #expect(credentials?.accessKeyId == "ASIATEMP1")
        #expect(credentials?.sessionToken == "token-1")
        let request = try #require(sts.requests.first)
        #expect(request.roleARN == Self.role)
        #expect(request.sessionName == "ide-student-7.ws")
        #expect(request.duration == .seconds(7200))
        #expect(try PolicyDocument(request.policy).resources == ["arn:aws:s3:::student-7.ws", "arn:aws:s3:::student-7.ws/*"])
        _ = try await AssignmentCredentials(aws: aws, sts: sts).resolve(nil, bucket: "other-ws")
        #expect(sts.requests.count == 2, "every assignment asks STS anew")
    }

    @Test func aRefusalAnswersCredentialsUnavailableWithoutSecrets() async throws {
        let sts = FakeSTS(failure: STSError(code: "AccessDenied", message: "not authorized"))
        let aws = try testSettings(Self.service.merging(["AWS_ASSIGNMENT_ROLE_ARN": Self.role]) { a, _ in a }).aws
        let error = await #expect(throws: APIError.self) { try await AssignmentCredentials(aws: aws, sts: sts).resolve(nil, bucket: "ws-1") }
        #expect(error?.code == "CREDENTIALS_UNAVAILABLE")
        #expect(error?.status == .badGateway)
        #expect(error?.message.contains("AccessDenied") == true)
        #expect(error?.message.contains("service-secret") == false)
    }

    @Test func sessionPolicyAllowsOnlyTheBucketAndItsObjects() throws {
        let policy = try PolicyDocument(SessionPolicy.document(bucket: "ws-1", roleARN: "arn:aws-cn:iam::123456789012:role/r"))
        #expect(policy.resources == ["arn:aws-cn:s3:::ws-1", "arn:aws-cn:s3:::ws-1/*"])
        #expect(policy.actions(on: "arn:aws-cn:s3:::ws-1").contains("s3:ListBucket"))
        #expect(policy.actions(on: "arn:aws-cn:s3:::ws-1/*").isSuperset(of: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]))
        #expect(policy.effects == ["Allow"])
        #expect(SessionPolicy.document(bucket: "ws-1", roleARN: Self.role).count < 2048, "STS limits packed session policies")
    }

    @Test func theSTSRequestIsASignedFormPostCarryingThePolicy() async throws {
        let http = RecordingHTTPClient(reply: HTTPClientResponse(status: 200, body: Data("""
            <AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAX</AccessKeyId>\
            <SecretAccessKey>temp&amp;secret</SecretAccessKey><SessionToken>tok</SessionToken>\
            <Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>
            """.utf8)))
        let client = CurlSTSClient(endpoint: "http://127.0.0.1:9", region: "eu-west-1",
                                   credentials: S3Credentials(accessKeyId: "AKIASERVICE", secretAccessKey: "service-secret", sessionToken: "service-token"), http: http)
        let policy = SessionPolicy.document(bucket: "ws-1", roleARN: Self.role)
        let credentials = try await client.assumeRole(AssumeRoleRequest(roleARN: Self.role, sessionName: "ide-ws-1", policy: policy, duration: .seconds(900)))
        #expect(credentials.accessKeyId == "ASIAX" && credentials.secretAccessKey == "temp&secret" && credentials.sessionToken == "tok")

        let sent = try #require(http.requests.first)
        #expect(sent.method == "POST")
        #expect(sent.sigV4 == AWSSigV4(region: "eu-west-1", service: "sts", accessKeyId: "AKIASERVICE", secretAccessKey: "service-secret"))
        #expect(sent.headers.contains { $0.name == "x-amz-security-token" && $0.value == "service-token" })
        let form = try #require(URLComponents(string: "?" + String(decoding: sent.body ?? Data(), as: UTF8.self))?.queryItems)
        let fields = Dictionary(uniqueKeysWithValues: form.map { ($0.name, $0.value ?? "") })
        #expect(fields["Action"] == "AssumeRole" && fields["RoleArn"] == Self.role && fields["DurationSeconds"] == "900")
        #expect(fields["Policy"] == policy)
    }

    @Test func anSTSErrorCarriesItsCode() async throws {
        let http = RecordingHTTPClient(reply: HTTPClientResponse(status: 403, body: Data(
            "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>bad signature</Message></Error></ErrorResponse>".utf8)))
        let client = CurlSTSClient(endpoint: "http://127.0.0.1:9", region: "us-east-1", credentials: S3Credentials(accessKeyId: "a", secretAccessKey: "b"), http: http)
        let error = await #expect(throws: STSError.self) {
            try await client.assumeRole(AssumeRoleRequest(roleARN: Self.role, sessionName: "ide-x", policy: "{}", duration: .seconds(900)))
        }
        #expect(error?.code == "SignatureDoesNotMatch")
    }
}

/// An STS client that records requests and answers numbered credentials, or fails.
final class FakeSTS: STSClient, Sendable {
    private let received = Mutex<[AssumeRoleRequest]>([])
    let failure: STSError?

    init(failure: STSError? = nil) { self.failure = failure }

    var requests: [AssumeRoleRequest] { received.withLock { $0 } }

    func assumeRole(_ request: AssumeRoleRequest) async throws(STSError) -> S3Credentials {
        let count = received.withLock { $0.append(request); return $0.count }
        if let failure { throw failure }
        return S3Credentials(accessKeyId: "ASIATEMP\(count)", secretAccessKey: "temp-secret-\(count)", sessionToken: "token-\(count)")
    }
}

/// An HTTP client that records requests and answers one fixed response.
final class RecordingHTTPClient: HTTPClient, Sendable {
    private let received = Mutex<[HTTPClientRequest]>([])
    let reply: HTTPClientResponse

    init(reply: HTTPClientResponse) { self.reply = reply }

    var requests: [HTTPClientRequest] { received.withLock { $0 } }

    func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        received.withLock { $0.append(request) }
        return reply
    }

    func stream(_ request: HTTPClientRequest) async throws -> HTTPClientStreamResponse {
        throw CancellationError()
    }
}

/// The statements of an IAM policy document.
struct PolicyDocument {
    let statements: [[String: Any]]

    init(_ json: String) throws {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        statements = object?["Statement"] as? [[String: Any]] ?? []
    }

    /// Every resource named, sorted.
    var resources: [String] { statements.flatMap(Self.strings("Resource")).sorted() }
    /// Every effect used.
    var effects: Set<String> { Set(statements.flatMap(Self.strings("Effect"))) }

    func actions(on resource: String) -> Set<String> {
        Set(statements.filter { Self.strings("Resource")($0).contains(resource) }.flatMap(Self.strings("Action")))
    }

    static func strings(_ key: String) -> ([String: Any]) -> [String] {
        { statement in (statement[key] as? [String]) ?? [(statement[key] as? String)].compactMap { $0 } }
    }
}
