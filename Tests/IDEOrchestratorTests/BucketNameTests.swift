import Testing
@testable import IDEOrchestrator

/// S3 bucket naming rules, which guard every name before it reaches a label, a rule or S3.
@Suite struct BucketNameTests {
    static let longestValid = String(repeating: "a", count: 63)
    static let tooLong = String(repeating: "a", count: 64)

    static let validNames = ["test-bucket", "my.bucket.1", "abc", longestValid]

    static let invalidNames = [
        "a`b", "Bad_Bucket", "ab", "192.168.1.1", tooLong, "x) || Host(`", "-abc", "abc-",
        "a..b", "xn--abc", "abc-s3alias", "", "bücket", "桶桶桶", "abc\u{301}def",
    ]

    @Test(arguments: validNames)
    func acceptsValidName(_ name: String) {
        #expect(BucketName.problem(with: name) == nil)
    }

    @Test(arguments: invalidNames)
    func rejectsInvalidNameWithAReason(_ name: String) {
        let problem = BucketName.problem(with: name)
        #expect(problem != nil, "'\(name)' was accepted")
        #expect(problem?.isEmpty == false)
    }

    @Test(arguments: validNames)
    func validatedBucketReturnsAValidNameUnchanged(_ name: String) throws {
        #expect(try ClaimService.validatedBucket(name) == name)
    }

    @Test(arguments: invalidNames)
    func validatedBucketRejectsInvalidNameAsInvalidS3Bucket(_ name: String) {
        expectInvalidBucket(name)
    }

    @Test func validatedBucketRejectsAMissingNameAsInvalidS3Bucket() {
        expectInvalidBucket(nil)
    }

    @Test func rejectionMessageQuotesAtMostEightyCharactersOfTheName() throws {
        let name = String(repeating: "Z", count: 500)
        do {
            _ = try ClaimService.validatedBucket(name)
            Issue.record("accepted")
        } catch {
            #expect(error.code == "INVALID_S3_BUCKET")
            #expect(error.message.contains(String(repeating: "Z", count: 80)))
            #expect(!error.message.contains(String(repeating: "Z", count: 81)))
        }
    }

    private func expectInvalidBucket(_ name: String?, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let accepted = try ClaimService.validatedBucket(name)
            Issue.record("'\(accepted)' was accepted", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == "INVALID_S3_BUCKET", sourceLocation: sourceLocation)
            #expect(error.status == .badRequest, sourceLocation: sourceLocation)
        }
    }
}
