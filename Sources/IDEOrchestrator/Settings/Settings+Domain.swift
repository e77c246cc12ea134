extension Settings {
    /// Whether DOMAIN is a name Traefik can match with a Host rule and TLS.
    public var domainIsPublic: Bool {
        domain != "localhost" && !IPAddress.isIPAddress(domain)
    }

    static func isValidHostName(_ name: String) -> Bool {
        guard (1...253).contains(name.count) else { return false }
        if IPAddress.isIPAddress(name) { return true }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.count)
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
                && label.first != "-" && label.last != "-"
        }
    }
}
