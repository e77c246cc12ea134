/// Secrets never reach logs through string interpolation, `dump` or a containing type's
/// default description: every type that holds one prints a redacted form.
extension Settings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "Settings(port: \(port), host: \(host), dockerHost: \(dockerHost), image: \(ideImage), pool: \(poolSize), apiKeys: <\(apiKeys.count) redacted>, s3: \(s3.map(\.description) ?? "nil"), aws: \(aws))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["summary": description], displayStyle: .struct)
    }
}

extension S3Settings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "S3Settings(endpoint: \(endpoint), region: \(region), accessKeyId: \(accessKeyId), secretAccessKey: <redacted>)"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["endpoint": endpoint, "region": region, "accessKeyId": accessKeyId, "secretAccessKey": "<redacted>"], displayStyle: .struct)
    }
}

extension AWSSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "AWSSettings(region: \(region), credentials: \(credentials.map(\.description) ?? "nil"), assignmentRole: \(assignmentRoleARN ?? "nil"), sts: \(stsEndpoint))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["summary": description], displayStyle: .struct)
    }
}

extension S3Credentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "S3Credentials(accessKeyId: \(accessKeyId), secretAccessKey: <redacted>, sessionToken: \(sessionToken == nil ? "nil" : "<redacted>"))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["accessKeyId": accessKeyId, "secretAccessKey": "<redacted>"], displayStyle: .struct) }
}

extension AWSSigV4: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "AWSSigV4(region: \(region), service: \(service), accessKeyId: \(accessKeyId), secretAccessKey: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["region": region, "service": service, "accessKeyId": accessKeyId], displayStyle: .struct) }
}

extension AgentAssignment: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "AgentAssignment(bucket: \(bucket), region: \(region), containerId: \(containerId), credentials and tokens: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["bucket": bucket, "region": region, "containerId": containerId], displayStyle: .struct) }
}

extension HealthMonitor: CustomStringConvertible {
    public var description: String { "HealthMonitor" }
}

extension Housekeeper: CustomStringConvertible {
    public var description: String { "Housekeeper" }
}
