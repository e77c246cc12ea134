import Crypto
import Foundation

/// Each IDE container's agent token: HMAC-SHA256 of the container id under one key that the
/// service keeps outside its database, as lowercase hex. The same key gives the same tokens
/// after a restart or a lost database, so the service can still reach every agent it started;
/// a token opens only its own container's agent.
public struct AgentTokens: Sendable {
    private let key: SymmetricKey?

    /// No tokens at all: for legacy images whose agent checks nothing (`AGENT_AUTH=false`).
    public static let disabled = AgentTokens(key: nil)

    private init(key: SymmetricKey?) {
        self.key = key
    }

    /// Tokens derived from `key`.
    public init(key: Data) {
        self.key = SymmetricKey(data: key)
    }

    /// Whether agents get tokens.
    public var isEnabled: Bool { key != nil }

    /// The token of container `id`; nil when tokens are disabled.
    public func token(for containerId: String) -> String? {
        guard let key else { return nil }
        return Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(containerId.utf8), using: key))
    }
}

extension AgentTokens {
    /// The shortest key accepted, in bytes.
    public static let minimumKeyBytes = 32

    /// Tokens from the settings: disabled with `AGENT_AUTH=false`, else from the key file,
    /// which is created (32 random bytes as hex, mode 0600) when missing.
    public static func load(settings: Settings) throws -> AgentTokens {
        guard settings.agentAuth else { return .disabled }
        return AgentTokens(key: try loadOrCreateKey(at: settings.agentTokenKeyFile))
    }

    /// The key in `path` (surrounding whitespace ignored), made first if the file does not exist.
    static func loadOrCreateKey(at path: String) throws -> Data {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        // O_EXCL: of two processes starting at once, one creates the file and both read it.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd >= 0 {
            let text = Hex.random(bytes: minimumKeyBytes) + "\n"
            let written = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, text.utf8.count) }
            let synced = fsync(fd) == 0
            close(fd)
            guard written == text.utf8.count, synced else { throw AgentTokenKeyError(path: path, problem: "could not be written") }
        } else if errno != EEXIST {
            throw AgentTokenKeyError(path: path, problem: "could not be created (\(String(cString: strerror(errno))))")
        }
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw AgentTokenKeyError(path: path, problem: "could not be read")
        }
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        let key = Data(contents.drop(while: whitespace.contains).reversed().drop(while: whitespace.contains).reversed())
        guard key.count >= minimumKeyBytes else {
            throw AgentTokenKeyError(path: path, problem: "holds \(key.count) bytes; at least \(minimumKeyBytes) are needed")
        }
        return key
    }
}

/// The agent token key file cannot be used; the service does not start.
public struct AgentTokenKeyError: Error, Sendable, CustomStringConvertible {
    /// The key file (AGENT_TOKEN_KEY_FILE).
    public var path: String
    /// What is wrong with it.
    public var problem: String

    public var description: String { "the agent token key file \(path) (AGENT_TOKEN_KEY_FILE) \(problem)" }
}
