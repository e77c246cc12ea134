/// The optional `workspacePrefix` of a start request: the key prefix inside the bucket the
/// workspace syncs with. It never takes part in who holds a bucket.
public enum WorkspacePrefix {
    /// The longest prefix accepted, in bytes.
    public static let maxBytes = 512

    /// The prefix to store (nil when absent or empty), or `INVALID_WORKSPACE_PREFIX` saying
    /// what is wrong: it must be a relative key prefix of S3-safe characters (letters, digits
    /// and `/ ! - _ . * ' ( )`), without a leading `/`, `//`, or a `.` or `..` segment.
    public static func validated(_ prefix: String?) throws(APIError) -> String? {
        guard let prefix, !prefix.isEmpty else { return nil }
        if let problem = problem(with: prefix) {
            throw .invalidWorkspacePrefix("workspacePrefix must be a relative S3 key prefix such as 'courses/cs101/alice/': it \(problem)")
        }
        return prefix
    }

    /// What is wrong with a non-empty `prefix`, or nil when it is fine.
    static func problem(with prefix: String) -> String? {
        if prefix.utf8.count > maxBytes { return "is longer than \(maxBytes) bytes" }
        if prefix.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "contains a control character" }
        if let bad = prefix.unicodeScalars.first(where: { !isSafe($0) }) {
            return "contains '\(bad.escaped(asASCII: true))', which is not one of the S3-safe characters (letters, digits, / ! - _ . * ' ( ))"
        }
        if prefix.hasPrefix("/") { return "starts with '/'" }
        let segments = prefix.split(separator: "/", omittingEmptySubsequences: false)
        // A trailing slash leaves one empty last segment, which is fine.
        if segments.dropLast().contains(where: \.isEmpty) { return "contains an empty segment ('//')" }
        if segments.contains(where: { $0 == "." || $0 == ".." }) { return "contains a '.' or '..' segment" }
        return nil
    }

    private static func isSafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        default: return "/!-_.*'()".unicodeScalars.contains(scalar)
        }
    }
}
