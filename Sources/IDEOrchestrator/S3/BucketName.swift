/// S3's bucket naming rules, checked before a name can reach anything else.
public enum BucketName {
    private static let forbiddenPrefixes = ["xn--", "sthree-", "amzn-s3-demo-"]
    private static let forbiddenSuffixes = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]

    /// Why `name` is not a valid bucket name, or nil when it is.
    public static func problem(with name: String) -> String? {
        guard (3...63).contains(name.count) else { return "must be 3 to 63 characters long" }
        guard name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "." || $0 == "-") }) else {
            return "may contain only lowercase letters, digits, dots and hyphens"
        }
        guard let first = name.first, let last = name.last, first.isLetter || first.isNumber, last.isLetter || last.isNumber else {
            return "must begin and end with a letter or digit"
        }
        guard !name.contains("..") else { return "must not contain two adjacent dots" }
        guard !IPAddress.isIPAddress(name) else { return "must not be formatted as an IP address" }
        if let prefix = forbiddenPrefixes.first(where: name.hasPrefix) { return "must not start with \(prefix)" }
        if let suffix = forbiddenSuffixes.first(where: name.hasSuffix) { return "must not end with \(suffix)" }
        return nil
    }
}
