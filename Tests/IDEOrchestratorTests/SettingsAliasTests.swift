import Foundation
import Testing
@testable import IDEOrchestrator

/// The original orchestrator's variable names, the `.env` layer and the AWS settings.
@Suite struct SettingsAliasTests {
    @Test func theOriginalNamesSetTheSameSettings() throws {
        let settings = try testSettings([
            "RESOURCE_CPU_LIMIT": "1.5", "RESOURCE_MEMORY_LIMIT": "4294967296",
            "RESOURCE_CPU_THRESHOLD": "80", "RESOURCE_MEMORY_THRESHOLD": "85",
            "AWS_REGION": "eu-central-1", "CONTAINER_RESTART_POLICY": "unless-stopped", "LOG_LEVEL": "warn",
        ])
        #expect(settings.containerCPULimit == 1.5)
        #expect(settings.containerMemoryLimit == 4 << 30)
        #expect(settings.maxCPUPercent == 80)
        #expect(settings.maxMemoryPercent == 85)
        #expect(settings.aws.region == "eu-central-1")
        #expect(settings.restartCondition == "any")
        #expect(settings.logLevel == .warning)
        #expect(ServiceBlueprint(settings: settings).spec(for: ContainerID.generate(), pooled: true).taskTemplate.restartPolicy?.condition == "any")
    }

    @Test func aliasAndCanonicalNameMayAgree() throws {
        let settings = try testSettings(["RESOURCE_CPU_LIMIT": "1", "CONTAINER_CPU_LIMIT": " 1 "])
        #expect(settings.containerCPULimit == 1)
    }

    @Test(arguments: [("CONTAINER_CPU_LIMIT", "RESOURCE_CPU_LIMIT"), ("MAX_MEMORY_PERCENT", "RESOURCE_MEMORY_THRESHOLD"), ("AWS_SECRET_ACCESS_KEY", "S3_SECRET_ACCESS_KEY")])
    func conflictingNamesStopNamingBothAndNoValue(canonical: String, alias: String) {
        for inFile in [false, true] {
            let values = [canonical: "71", alias: "72-top-secret"]
            let reader = inFile ? EnvironmentReader(environment: ["API_KEY": "k"], file: values) : EnvironmentReader(environment: values.merging(["API_KEY": "k"]) { a, _ in a })
            do {
                _ = try Settings(reader: reader)
                Issue.record("\(canonical) and \(alias) disagreeing was accepted")
            } catch {
                #expect(error.description.contains(canonical) && error.description.contains(alias), "\(error)")
                #expect(error.description.contains(inFile ? ".env" : "environment"))
                #expect(!error.description.contains("71") && !error.description.contains("top-secret"))
            }
        }
    }

    @Test func theEnvironmentTakesPrecedenceOverTheFileUnderAnyName() throws {
        let reader = EnvironmentReader(
            environment: ["API_KEY": "k", "RESOURCE_CPU_LIMIT": "0.5", "PRE_WARMED_QUEUE_SIZE": ""],
            file: ["CONTAINER_CPU_LIMIT": "3", "PRE_WARMED_QUEUE_SIZE": "4", "RESOURCE_MEMORY_LIMIT": "1GB", "API_KEY": "from-file"]
        )
        let settings = try Settings(reader: reader)
        #expect(settings.containerCPULimit == 0.5)
        #expect(settings.poolSize == 4, "an empty environment value counts as unset")
        #expect(settings.containerMemoryLimit == 1 << 30)
        #expect(settings.apiKeys == ["k"])
    }

    @Test func millisecondsFromTheOriginalHealthSettingsAreRefusedWithAHint() throws {
        for (variable, value) in [("HEALTH_CHECK_INTERVAL", "30000"), ("HEALTH_CHECK_TIMEOUT", "5000")] {
            #expect(throws: SettingsError.self) { try testSettings([variable: value]) }
            do { _ = try testSettings([variable: value]) } catch let error as SettingsError {
                #expect(error.variable == variable)
                #expect(error.description.contains("ms"))
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        #expect(try testSettings(["HEALTH_CHECK_INTERVAL": "30000ms"]).healthCheckInterval == .seconds(30))
    }

    @Test func awsCredentialsComeInPairsAndARoleNeedsThem() throws {
        let role = "arn:aws:iam::123456789012:role/ide-workspace"
        let cases: [([String: String], String)] = [
            (["AWS_ACCESS_KEY_ID": "AKID"], "AWS_SECRET_ACCESS_KEY"),
            (["AWS_SECRET_ACCESS_KEY": "s"], "AWS_ACCESS_KEY_ID"),
            (["AWS_SESSION_TOKEN": "t"], "AWS_ACCESS_KEY_ID"),
            (["AWS_ASSIGNMENT_ROLE_ARN": role], "AWS_ACCESS_KEY_ID"),
            (["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_ASSIGNMENT_ROLE_ARN": "role/ide"], "AWS_ASSIGNMENT_ROLE_ARN"),
            (["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_ASSIGNMENT_DURATION": "5m"], "AWS_ASSIGNMENT_DURATION"),
            (["AWS_ENDPOINT_URL_STS": "sts.local"], "AWS_ENDPOINT_URL_STS"),
            (["CONTAINER_RESTART_POLICY": "sometimes"], "CONTAINER_RESTART_POLICY"),
        ]
        for (environment, variable) in cases {
            do {
                _ = try testSettings(environment)
                Issue.record("\(environment) was accepted")
            } catch let error as SettingsError {
                #expect(error.variable == variable, "\(environment): \(error)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        let aws = try testSettings(["S3_ACCESS_KEY_ID": "AKID", "S3_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t", "AWS_ASSIGNMENT_ROLE_ARN": role]).aws
        #expect(aws.credentials?.accessKeyId == "AKID" && aws.credentials?.sessionToken == "t")
        #expect(aws.assignmentRoleARN == role)
        #expect(aws.assignmentDuration == .seconds(3600))
        #expect(aws.stsEndpoint == "https://sts.us-east-1.amazonaws.com")
    }

    @Test func settingsDescriptionsRedactEveryAWSSecret() throws {
        let settings = try testSettings(["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "the-secret", "AWS_SESSION_TOKEN": "the-token",
                                         "S3_ENDPOINT": "http://127.0.0.1:9"])
        for text in ["\(settings)", String(reflecting: settings), "\(settings.aws)", "\(settings.aws.credentials!)", { var out = ""; dump(settings, to: &out); return out }()] {
            #expect(!text.contains("the-secret") && !text.contains("the-token"), "\(text)")
        }
    }
}
